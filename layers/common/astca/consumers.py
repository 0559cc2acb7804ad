"""The event edge: the one queue consumer base, and the outbox relay's stream handler.

A queue consumer takes SQS batches through Powertools batch processing, each envelope handled once.

A consumer reports partial batch failures (a failed message returns to its queue and, after the
queue's maxReceiveCount, lands in its DLQ) and is idempotent for redelivered messages: the handler
runs under Powertools Idempotency keyed by the envelope id (the outbox item's ULID), so the same
event relayed or delivered twice is handled once, and a retry after a failure runs it again.

A handler whose every effect is already guarded by a conditional state transition (the certificate
worker: PENDING -> ISSUED) passes ``idempotent=False``: the condition makes a redelivery a
no-op, and the two extra writes per message that Powertools Idempotency costs are saved on the hot
path.

Like the web edge for requests, this is where an outcome becomes a catalog entry for events: what a
handler raises is logged with its catalog name and code (``astca.outcomes``) and fails only its
record, so it is retried: a ``Transient`` failure that way reaches the service again on redelivery.
The relay handler sends each outbox INSERT to its topic; an unknown routing key is 51050010.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from astca import catalog
from astca.catalog import CaError
from astca.domain.errors import DomainError, Invalid
from astca.messaging.envelope import Envelope
from astca.messaging.publisher import QueuePublisher
from astca.messaging.relay import UNKNOWN_ROUTING_KEY, OutboxRelay
from astca.outcomes import catalog_error
from astca.settings import get_settings

__all__ = ["Envelope", "EnvelopeHandler", "QueueConsumer", "StreamRelay"]

logger = Logger()

EnvelopeHandler = Callable[[Envelope], None]
# Long enough to outlive every redelivery path: the relay's retries and the queues' maxReceiveCount.
IDEMPOTENCY_TTL_SECONDS = 24 * 3600


class QueueConsumer:
    """Consumes one topic's queue with ``handler``, once per envelope id."""

    def __init__(
        self, name: str, handler: EnvelopeHandler, *, idempotent: bool, idempotency_table: str | None = None
    ) -> None:
        """``idempotent``: run ``handler`` under Powertools Idempotency (the settings' table unless named)."""
        self.name = name
        self.processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
        self.config = IdempotencyConfig(
            event_key_jmespath="id",
            raise_on_no_idempotency_key=True,
            expires_after_seconds=IDEMPOTENCY_TTL_SECONDS,
        )
        self._handle_once = _call(handler)
        if idempotent:
            self._handle_once = idempotent_function(
                self._handle_once,
                data_keyword_argument="envelope",
                persistence_store=DynamoDBPersistenceLayer(
                    table_name=idempotency_table or get_settings().idempotency_table_name
                ),
                config=self.config,
                key_prefix=name,
            )

    def lambda_handler(self, event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
        """Handle a batch of SQS messages and report the ones that failed."""
        self.config.register_lambda_context(context)
        return process_partial_response(
            event=event, record_handler=self._record, processor=self.processor, context=context
        )

    def _record(self, record: SQSRecord) -> None:
        try:
            envelope = Envelope.model_validate_json(record.body)
        except ValidationError:
            logger.error("message is not an envelope", extra={"messageId": record.message_id})
            raise
        logger.append_keys(eventId=envelope.id, routingKey=envelope.routing_key)
        try:
            self._handle_once(envelope=envelope)
        except (CaError, DomainError) as error:
            _log_failure("event not handled", error)
            raise
        finally:
            logger.remove_keys(["eventId", "routingKey"])


def _call(handler: EnvelopeHandler) -> Callable[..., None]:
    def handle(*, envelope: Envelope) -> None:
        handler(envelope)

    return handle


def _log_failure(message: str, error: CaError | DomainError) -> None:
    """Log a failed record with the catalog entry it stands for."""
    if isinstance(error, Invalid) and error.subject == UNKNOWN_ROUTING_KEY:
        caught = CaError(catalog.UNKNOWN_TOPIC_ROUTING_KEY, error.detail)
    else:
        caught = error if isinstance(error, CaError) else catalog_error(error)
    logger.error(
        message,
        extra={"errorName": caught.entry.name, "code": caught.entry.code, "detail": caught.detail},
    )


class StreamRelay:
    """The relay_outbox handler: the table's stream (outbox INSERTs) to the topic queues, partial failures."""

    def __init__(self, relay: OutboxRelay | None = None) -> None:
        self.relay = relay or OutboxRelay(get_settings(), QueuePublisher())
        self.processor = BatchProcessor(
            event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False
        )

    def lambda_handler(self, event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
        """Relay a batch of stream records and report the ones that failed (Lambda retries from them)."""
        return process_partial_response(
            event=event, record_handler=self._record, processor=self.processor, context=context
        )

    def _record(self, record: DynamoDBRecord) -> None:
        image = record.dynamodb.new_image if record.dynamodb else {}
        try:
            envelope = self.relay.relay(image)
        except DomainError as error:
            _log_failure("outbox item not relayed", error)
            raise
        logger.info("outbox item relayed", extra={"eventId": envelope.id, "routingKey": envelope.routing_key})
