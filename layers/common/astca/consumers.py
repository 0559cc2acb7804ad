"""The one consumer base: SQS batches through Powertools batch processing, each envelope handled once.

A consumer reports partial batch failures (a failed message returns to its queue and, after the
queue's maxReceiveCount, lands in its DLQ) and is idempotent for redelivered messages: the handler
runs under Powertools Idempotency keyed by the envelope id (the outbox item's ULID), so the same
event relayed or delivered twice is handled once, and a retry after a failure runs it again.

A handler whose every effect is already guarded by a conditional state transition (the certificate
worker: PENDING -> ISSUED) passes ``idempotency_table=None``: the condition makes a redelivery a
no-op, and the two extra writes per message that Powertools Idempotency costs are saved on the hot
path.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from astca.messaging.envelope import Envelope

logger = Logger()

EnvelopeHandler = Callable[[Envelope], None]
# Long enough to outlive every redelivery path: the relay's retries and the queues' maxReceiveCount.
IDEMPOTENCY_TTL_SECONDS = 24 * 3600


class QueueConsumer:
    """Consumes one topic's queue with ``handler``, once per envelope id."""

    def __init__(self, name: str, handler: EnvelopeHandler, *, idempotency_table: str | None) -> None:
        self.name = name
        self.processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
        self.config = IdempotencyConfig(
            event_key_jmespath="id",
            raise_on_no_idempotency_key=True,
            expires_after_seconds=IDEMPOTENCY_TTL_SECONDS,
        )
        self._handle_once = _call(handler)
        if idempotency_table is not None:
            self._handle_once = idempotent_function(
                self._handle_once,
                data_keyword_argument="envelope",
                persistence_store=DynamoDBPersistenceLayer(table_name=idempotency_table),
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
        finally:
            logger.remove_keys(["eventId", "routingKey"])


def _call(handler: EnvelopeHandler) -> Callable[..., None]:
    def handle(*, envelope: Envelope) -> None:
        handler(envelope)

    return handle
