"""Sending to a queue: the routing key travels as an attribute; a failed send is 5105002 KafkaError."""

from __future__ import annotations

from datetime import UTC, datetime

import boto3
import pytest

from astca import catalog
from astca.catalog import CaError
from astca.messaging.outbox import envelope_of, outbox_item
from astca.messaging.publisher import QueuePublisher
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


def test_a_failed_send_is_kafka_error(aws: LocalResources) -> None:
    gone = aws.queues["CaEventsQueue"]
    boto3.client("sqs").delete_queue(QueueUrl=gone)
    with pytest.raises(CaError) as raised:
        QueuePublisher().publish(gone, ENVELOPE)
    assert raised.value.entry is catalog.KAFKA_ERROR
    assert ENVELOPE.id in raised.value.detail
