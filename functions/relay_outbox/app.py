"""relay_outbox: the table's stream (outbox INSERTs only) to the topic queues, with partial batch failures."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.typing import LambdaContext

from astca.consumers import StreamRelay

logger = Logger()
relay = StreamRelay()


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    """Relay a batch of stream records and report the ones that failed."""
    return relay.lambda_handler(event, context)
