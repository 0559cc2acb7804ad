"""The consumer base: partial batch failures, and one handling per event id however often it arrives."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from aws_lambda_powertools.utilities.typing import LambdaContext

from astca.consumers import QueueConsumer
from astca.messaging.envelope import Envelope
from astca.messaging.relay import envelope_of
from astca.storage.outbox import outbox_item
from local.events import sqs_record
from local.resources import LocalResources

NOW = datetime(2026, 11, 25, tzinfo=UTC)
QUEUE_ARN = "arn:aws:sqs:eu-central-1:123456789012:astca-CaEventsQueue"


class Recorder:
    """A handler that records what it saw and fails for payloads that ask it to."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def __call__(self, envelope: Envelope) -> None:
        self.seen.append(envelope.id)
        if envelope.payload.get("fail"):
            raise RuntimeError("downstream refused")


def event_of(*bodies: str) -> dict[str, object]:
    return {
        "Records": [
            sqs_record(body, queue_arn=QUEUE_ARN, message_id=f"m-{index}")
            for index, body in enumerate(bodies)
        ]
    }


def envelope(**payload: object) -> Envelope:
    return envelope_of(outbox_item("signer.issued", payload, now=NOW))


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def consumer(aws: LocalResources, recorder: Recorder) -> QueueConsumer:
    return QueueConsumer(
        "test-consumer", recorder, idempotent=True, idempotency_table=aws.tables["IdempotencyTable"]
    )


def test_only_the_failed_messages_are_reported(
    consumer: QueueConsumer, recorder: Recorder, lambda_context: LambdaContext
) -> None:
    good, bad = envelope(n=1), envelope(fail=True)
    response = consumer.lambda_handler(event_of(good.to_json(), bad.to_json()), lambda_context)
    assert response == {"batchItemFailures": [{"itemIdentifier": "m-1"}]}
    assert recorder.seen == [good.id, bad.id]


def test_a_redelivered_event_is_handled_once(
    consumer: QueueConsumer, recorder: Recorder, lambda_context: LambdaContext
) -> None:
    once = envelope(n=1)
    consumer.lambda_handler(event_of(once.to_json()), lambda_context)
    response = consumer.lambda_handler(event_of(once.to_json(), once.to_json()), lambda_context)
    assert response == {"batchItemFailures": []}
    assert recorder.seen == [once.id]


def test_an_event_that_failed_is_handled_again_on_retry(
    consumer: QueueConsumer, recorder: Recorder, lambda_context: LambdaContext
) -> None:
    failing = envelope(fail=True)
    consumer.lambda_handler(event_of(failing.to_json()), lambda_context)
    consumer.lambda_handler(event_of(failing.to_json()), lambda_context)
    assert recorder.seen == [failing.id, failing.id]


@pytest.mark.parametrize("body", ["not json", json.dumps({"id": "x"}), "[]"])
def test_a_message_that_is_no_envelope_fails_without_reaching_the_handler(
    consumer: QueueConsumer, recorder: Recorder, lambda_context: LambdaContext, body: str
) -> None:
    response = consumer.lambda_handler(event_of(body), lambda_context)
    assert response == {"batchItemFailures": [{"itemIdentifier": "m-0"}]}
    assert recorder.seen == []
