"""issue_certificate: the certificate-requests queue; signs each accepted request (KMS Sign + one transaction)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.typing import LambdaContext

from astca.consumers import Envelope, QueueConsumer
from astca.services.certificate_issuance import certificate_issuance

logger = Logger()


def issue(envelope: Envelope) -> None:
    """Issue the request a certificate.requested event carries."""
    state = certificate_issuance().issue(envelope.payload)
    logger.info(
        "certificate request handled",
        extra={"certificateId": envelope.payload["certificateId"], "state": state},
    )


# No Powertools Idempotency here: the PENDING -> ISSUED condition makes a redelivery a no-op.
consumer = QueueConsumer("issue_certificate", issue, idempotent=False)


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    """Handle a batch of certificate requests and report the ones that failed."""
    return consumer.lambda_handler(event, context)
