"""boto3 clients, created once per container on first use and shared by storage, issuance and messaging."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

import boto3
from botocore.config import Config

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_kms import KMSClient
    from mypy_boto3_secretsmanager import SecretsManagerClient
    from mypy_boto3_sqs import SQSClient

# Fail fast inside a Lambda's time budget; standard retry mode backs off on throttling.
CLIENT_CONFIG = Config(connect_timeout=2, read_timeout=5, retries={"mode": "standard", "max_attempts": 3})


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
