"""local.moto_sqs: a send costs what it costs in SQS (no scan of the queue); deleted handles keep digests."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.sqs.models import Queue

from local.moto_sqs import DigestSet
from local.resources import LocalResources

COUNTS = {
    "ApproximateNumberOfMessages": "approximate_number_of_messages",
    "ApproximateNumberOfMessagesDelayed": "approximate_number_of_messages_delayed",
    "ApproximateNumberOfMessagesNotVisible": "approximate_number_of_messages_not_visible",
}


def test_a_send_does_not_count_the_queues_messages_and_the_attributes_still_do(
    aws: LocalResources, monkeypatch: pytest.MonkeyPatch
) -> None:
    counted: list[str] = []
    for name in COUNTS.values():
        count = getattr(Queue, name)

        def spy(queue: Queue, *, _name: str = name, _count: Any = count) -> Any:
            counted.append(_name)
            return _count.fget(queue)

        monkeypatch.setattr(Queue, name, property(spy))
    sqs = boto3.client("sqs")
    queue = sqs.create_queue(QueueName="sqs-counts")["QueueUrl"]

    for body in ("a", "b", "c"):
        sqs.send_message(QueueUrl=queue, MessageBody=body)
    sqs.send_message_batch(QueueUrl=queue, Entries=[{"Id": "d", "MessageBody": "d", "DelaySeconds": 60}])
    assert counted == []  # moto counted every message, three ways, on every send

    attributes: Any = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])["Attributes"]
    assert {name: attributes[name] for name in COUNTS} == {
        "ApproximateNumberOfMessages": "3",
        "ApproximateNumberOfMessagesDelayed": "1",
        "ApproximateNumberOfMessagesNotVisible": "0",
    }


def test_a_deleted_message_can_be_deleted_again_and_its_handle_is_kept_as_a_digest(
    aws: LocalResources,
) -> None:
    sqs = boto3.client("sqs")
    queue = sqs.create_queue(QueueName="sqs-deletes")["QueueUrl"]
    sqs.send_message(QueueUrl=queue, MessageBody="once")
    (message,) = sqs.receive_message(QueueUrl=queue)["Messages"]
    handle = message["ReceiptHandle"]

    sqs.delete_message(QueueUrl=queue, ReceiptHandle=handle)
    sqs.delete_message(QueueUrl=queue, ReceiptHandle=handle)  # SQS: a repeated delete succeeds

    with pytest.raises(ClientError) as refused:
        sqs.delete_message(QueueUrl=queue, ReceiptHandle="a" * 185)
    assert refused.value.response["Error"]["Code"] == "ReceiptHandleIsInvalid"
    deleted = next(q for q in _queues() if q.name == "sqs-deletes").deleted_messages
    assert isinstance(deleted, DigestSet)
    assert handle in deleted
    assert all(len(digest) == 16 for digest in deleted._digests)  # not the 185-character handles


def _queues() -> list[Queue]:
    from moto.sqs.models import sqs_backends

    return [
        queue
        for regions in sqs_backends.values()
        for backend in regions.values()
        for queue in backend.queues.values()
    ]
