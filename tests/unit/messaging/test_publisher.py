"""Sending to a queue: the routing key travels as an attribute; a failed send is 5105002 KafkaError."""

from __future__ import annotations

from datetime import UTC, datetime

import boto3
import pytest

from astca import catalog
from astca.domain.errors import Failed
from astca.messaging.publisher import QueuePublisher
from astca.messaging.relay import envelope_of
from astca.outcomes import catalog_error
from astca.storage.outbox import outbox_item
from local.resources import LocalResources

ENVELOPE = envelope_of(
    outbox_item("signer.issued", {"tenant": "acme"}, now=datetime(2026, 11, 25, tzinfo=UTC))
)


def test_publishes_the_envelope_with_its_routing_key(aws: LocalResources) -> None:
    QueuePublisher().publish(aws.queues["CaEventsQueue"], ENVELOPE)
    [message] = boto3.client("sqs").receive_message(
        QueueUrl=aws.queues["CaEventsQueue"], MessageAttributeNames=["All"]
    )["Messages"]
    assert message["Body"] == ENVELOPE.to_json()
    assert message["MessageAttributes"]["routingKey"]["StringValue"] == "signer.issued"


def test_a_failed_send_is_a_typed_failure_of_sqs_and_kafka_error_at_the_edge(aws: LocalResources) -> None:
    gone = aws.queues["CaEventsQueue"]
    boto3.client("sqs").delete_queue(QueueUrl=gone)
    with pytest.raises(Failed) as raised:
        QueuePublisher().publish(gone, ENVELOPE)
    assert raised.value.service == "sqs"
    assert catalog_error(raised.value).entry is catalog.KAFKA_ERROR
    assert ENVELOPE.id in raised.value.detail
