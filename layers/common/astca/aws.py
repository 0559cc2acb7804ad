"""boto3 clients, created once per container on first use and shared by storage, issuance and messaging."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from astca.domain.errors import DomainError, Failed, Service, Transient

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_kms import KMSClient
    from mypy_boto3_secretsmanager import SecretsManagerClient
    from mypy_boto3_sqs import SQSClient

# Fail fast inside a Lambda's time budget; standard retry mode backs off on throttling, 5xx and timeouts.
CLIENT_CONFIG = Config(connect_timeout=2, read_timeout=5, retries={"mode": "standard", "max_attempts": 3})

# Error codes that say "later": throttling and the services' own internal failures (botocore's
# standard mode retries these in the request; what is left after its attempts is still transient).
TRANSIENT_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottled",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "LimitExceededException",
        "TransactionInProgressException",
        "InternalServerError",
        "InternalFailure",
        "ServiceUnavailable",
        "KMSInternalException",
        "DependencyTimeoutException",
        "KeyUnavailableException",
    }
)


def error_code(exc: ClientError) -> str:
    """The AWS error code of a client failure."""
    return str(exc.response.get("Error", {}).get("Code", ""))


def failure(service: Service, operation: str, exc: ClientError | BotoCoreError) -> DomainError:
    """A client failure as a typed outcome: Transient (throttled, 5xx, no answer) or Failed."""
    if isinstance(exc, BotoCoreError):
        return Transient(service, f"{operation} failed (no answer)")
    code = error_code(exc)
    status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
    if code in TRANSIENT_CODES or status >= 500:
        return Transient(service, f"{operation} failed ({code})")
    return Failed(service, f"{operation} failed ({code})")


@cache
def dynamodb() -> DynamoDBClient:
    """The DynamoDB client of this container."""
    return boto3.client("dynamodb", config=CLIENT_CONFIG)


@cache
def sqs() -> SQSClient:
    """The SQS client of this container."""
    return boto3.client("sqs", config=CLIENT_CONFIG)


@cache
def secretsmanager() -> SecretsManagerClient:
    """The Secrets Manager client of this container."""
    return boto3.client("secretsmanager", config=CLIENT_CONFIG)


@cache
def kms() -> KMSClient:
    """The KMS client of this container (only ``astca.issuance`` uses it)."""
    return boto3.client("kms", config=CLIENT_CONFIG)
