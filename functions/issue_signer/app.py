"""issue_signer: the signer-requests queue; gives each PENDING signer its KMS key and CA certificate."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.typing import LambdaContext

from astca.consumers import Envelope, QueueConsumer
from astca.services.signer_issuance import signer_issuance

logger = Logger()


def issue(envelope: Envelope) -> None:
    """Issue the signer a signer.requested event names."""
    state = signer_issuance().issue(str(envelope.payload["tenant"]), str(envelope.payload["signerId"]))
    logger.info("signer request handled", extra={"signerId": envelope.payload["signerId"], "state": state})


consumer = QueueConsumer("issue_signer", issue, idempotent=True)


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    """Handle a batch of signer requests and report the ones that failed."""
    return consumer.lambda_handler(event, context)
