"""What a typed domain error means when it reaches an edge unclaimed: the one table both edges answer by.

A service catches the outcomes (``astca.domain.errors``) it can give meaning to and lets the rest go.
What reaches the web edge (``astca.web``) or the event consumer base (``astca.messaging.consumer``) is
turned into a catalog entry here, the same way for both:

    Transient / Failed of "dynamodb"        5105001 DbError
    Transient / Failed of "sqs"             5105002 KafkaError
    Transient / Failed of "kms"             5105003 SignerError
    Transient / Failed of "secretsmanager"  510500 InternalError

A ``Transient`` one also carries ``Retry-After: 1`` (later may succeed). Any other outcome (NotFound,
Conflict, PreconditionFailed, Invalid) that no service claimed is a bug, not the caller's doing: 510500
InternalError, logged with its subject and detail, neither of which the caller sees.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger

from astca import catalog
from astca.catalog import CaError, ErrorEntry
from astca.domain.errors import DomainError, Failed, Service, Transient

RETRY_AFTER_SECONDS = "1"
UNEXPECTED = "an unexpected error occurred"

BY_SERVICE: dict[Service, ErrorEntry] = {
    "dynamodb": catalog.DB_ERROR,
    "sqs": catalog.KAFKA_ERROR,
    "kms": catalog.SIGNER_ERROR,
    "secretsmanager": catalog.INTERNAL_ERROR,
}

logger = Logger()


def catalog_error(error: DomainError) -> CaError:
    """The catalog entry an unclaimed ``error`` is answered with (see the module docstring)."""
    entry, headers = catalog.INTERNAL_ERROR, None
    if isinstance(error, Transient | Failed):
        entry = BY_SERVICE[error.service]
        headers = {"Retry-After": RETRY_AFTER_SECONDS} if isinstance(error, Transient) else None
    if entry is not catalog.INTERNAL_ERROR:
        return CaError(entry, error.detail, headers=headers)
    logger.error(
        "an outcome reached the edge unclaimed",
        extra={"errorType": type(error).__name__, "subject": error.subject, "detail": error.detail},
    )
    return CaError(entry, UNEXPECTED, headers=headers)
