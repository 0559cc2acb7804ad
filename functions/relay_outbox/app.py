"""relay_outbox: the table's stream (outbox INSERTs only) to the topic queues, with partial batch failures."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from astca.catalog import CaError
from astca.messaging.publisher import QueuePublisher
from astca.messaging.relay import OutboxRelay
from astca.settings import get_settings

logger = Logger()
processor = BatchProcessor(event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False)
relay = OutboxRelay(get_settings(), QueuePublisher())


def record_handler(record: DynamoDBRecord) -> None:
    """Relay one outbox item; a failure fails only this record (Lambda retries from it)."""
    image = record.dynamodb.new_image if record.dynamodb else {}
    try:
        envelope = relay.relay(image)
    except CaError as error:
        logger.error(
            "outbox item not relayed",
            extra={"errorName": error.entry.name, "code": error.entry.code, "detail": error.detail},
        )
        raise
    logger.info("outbox item relayed", extra={"eventId": envelope.id, "routingKey": envelope.routing_key})


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    """Relay a batch of stream records and report the ones that failed."""
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
