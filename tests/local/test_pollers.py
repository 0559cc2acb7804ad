"""The pollers feed SQS and the table's stream to a function with Lambda's batching, retries and failures."""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from local.events import attribute_values
from local.moto_server import JsonApi
from local.resources import LocalResources
from local.sqs_poller import SqsPoller
from local.stream_poller import StreamPoller
from local.template import SqsEventSource, Template
from tests.e2e.conftest import wait_for

(OUTBOX_SOURCE,) = Template.load().functions["RelayOutboxFunction"].stream_sources


class FakeFunction:
    """A function that records its batches by name and answers with ``behaviour(items)``.

    ``items`` maps each record's name (the item's PK, or the message body) to its item identifier
    (sequence number or message id), in batch order.
    """

    arn = "arn:aws:lambda:eu-central-1:123456789012:function:fake"

    def __init__(self, behaviour: Callable[[dict[str, str]], Any] | None = None) -> None:
        self.batches: list[list[str]] = []
        self.behaviour = behaviour or (lambda _: {"batchItemFailures": []})

    def invoke(self, event: dict[str, Any]) -> Any:
        items = dict(_item(record) for record in event["Records"])
        self.batches.append(list(items))
        return self.behaviour(items)


def _item(record: dict[str, Any]) -> tuple[str, str]:
    if "dynamodb" in record:
        return str(record["dynamodb"]["Keys"]["PK"]["S"]), str(record["dynamodb"]["SequenceNumber"])
    return str(record["body"]), str(record["messageId"])


def failures(*identifiers: str) -> dict[str, Any]:
    """A partial batch response."""
    return {"batchItemFailures": [{"itemIdentifier": identifier} for identifier in identifiers]}


def write_outbox(*names: str) -> None:
    dynamodb = boto3.client("dynamodb")
    for name in names:
        dynamodb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": "astca-Table", "Item": attribute_values({"PK": name, "SK": "OUTBOX"})}}
            ]
        )


def stream_poller(aws: LocalResources, function: FakeFunction, **changes: Any) -> StreamPoller:
    return StreamPoller(
        dataclasses.replace(OUTBOX_SOURCE, **changes),
        function,
        streams=boto3.client("dynamodbstreams"),
        sqs=boto3.client("sqs"),
        stream_arn=aws.attribute("Table", "StreamArn"),
        on_failure_queue_url=aws.queues["RelayOutboxDLQ"],
        retry_delay_seconds=0,
    )


def on_failure_records(aws: LocalResources) -> list[dict[str, Any]]:
    response = boto3.client("sqs").receive_message(
        QueueUrl=aws.queues["RelayOutboxDLQ"], MaxNumberOfMessages=10
    )
    return [json.loads(message["Body"]) for message in response.get("Messages", [])]


def test_only_outbox_inserts_reach_the_function_in_batches_of_batch_size(aws: LocalResources) -> None:
    function = FakeFunction()
    write_outbox("OUTBOX#1", "OUTBOX#2", "OUTBOX#3")
    boto3.client("dynamodb").put_item(
        TableName="astca-Table", Item=attribute_values({"PK": "TENANT#a", "SK": "X"})
    )
    boto3.client("dynamodb").update_item(
        TableName="astca-Table",
        Key=attribute_values({"PK": "OUTBOX#1", "SK": "OUTBOX"}),
        UpdateExpression="SET seen = :t",
        ExpressionAttributeValues={":t": {"BOOL": True}},
    )

    busy = stream_poller(aws, function, batch_size=2).poll_once()

    assert busy
    assert function.batches == [["OUTBOX#1", "OUTBOX#2"], ["OUTBOX#3"]]


def test_a_reported_failure_is_retried_from_its_sequence_number(aws: LocalResources) -> None:
    first = True

    def fail_2_once(items: dict[str, str]) -> Any:
        nonlocal first
        answer = failures(items["OUTBOX#2"]) if first else None
        first = False
        return answer

    function = FakeFunction(fail_2_once)
    write_outbox("OUTBOX#1", "OUTBOX#2", "OUTBOX#3")

    stream_poller(aws, function).poll_once()

    assert function.batches == [["OUTBOX#1", "OUTBOX#2", "OUTBOX#3"], ["OUTBOX#2", "OUTBOX#3"]]
    assert on_failure_records(aws) == []


def test_a_failing_record_is_isolated_by_bisection_and_reported_after_its_retries(
    aws: LocalResources,
) -> None:
    def fail_on_3(items: dict[str, str]) -> Any:
        if "OUTBOX#3" in items:
            raise RuntimeError("poison")
        return None

    function = FakeFunction(fail_on_3)
    write_outbox("OUTBOX#1", "OUTBOX#2", "OUTBOX#3", "OUTBOX#4")

    stream_poller(aws, function).poll_once()

    assert function.batches == [
        ["OUTBOX#1", "OUTBOX#2", "OUTBOX#3", "OUTBOX#4"],
        ["OUTBOX#1", "OUTBOX#2"],
        ["OUTBOX#3", "OUTBOX#4"],
        ["OUTBOX#3"],
        ["OUTBOX#3"],
        ["OUTBOX#3"],
        ["OUTBOX#3"],
        ["OUTBOX#4"],
    ]
    (failure,) = on_failure_records(aws)
    info = failure["DDBStreamBatchInfo"]
    assert failure["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert failure["requestContext"]["approximateInvokeCount"] == 4
    assert failure["requestContext"]["functionArn"] == FakeFunction.arn
    assert failure["responseContext"]["functionError"] == "Unhandled"
    assert info["batchSize"] == 1
    assert info["startSequenceNumber"] == info["endSequenceNumber"]
    assert info["streamArn"] == aws.attribute("Table", "StreamArn")
    assert info["shardId"].startswith("shardId-")


def test_without_bisection_the_records_from_the_failure_on_are_given_up_together(aws: LocalResources) -> None:
    function = FakeFunction(lambda _: failures("not-a-sequence-number"))
    write_outbox("OUTBOX#1", "OUTBOX#2")

    stream_poller(aws, function, bisect_on_error=False, maximum_retry_attempts=1).poll_once()

    assert function.batches == [["OUTBOX#1", "OUTBOX#2"], ["OUTBOX#1", "OUTBOX#2"]]
    (failure,) = on_failure_records(aws)
    assert failure["DDBStreamBatchInfo"]["batchSize"] == 2
    assert "functionError" not in failure["responseContext"]


def sqs_source(**changes: Any) -> SqsEventSource:
    source = SqsEventSource(
        function="Fake",
        name="Work",
        queue="CertificateRequestsQueue",
        batch_size=10,
        maximum_batching_window=0,
        function_response_types=("ReportBatchItemFailures",),
        filters=(),
    )
    return dataclasses.replace(source, **changes)


def sqs_poller(aws: LocalResources, function: FakeFunction, **changes: Any) -> SqsPoller:
    queue = "CertificateRequestsQueue"
    return SqsPoller(
        sqs_source(**changes),
        function,
        sqs=boto3.client("sqs"),
        queue_url=aws.queues[queue],
        queue_arn=aws.attribute(queue, "Arn"),
        retry_delay_seconds=0,
        wait_seconds=0,
    )


def send(aws: LocalResources, *bodies: str) -> None:
    for body in bodies:
        boto3.client("sqs").send_message(QueueUrl=aws.queues["CertificateRequestsQueue"], MessageBody=body)


def waiting(aws: LocalResources, queue: str) -> list[str]:
    response = boto3.client("sqs").receive_message(QueueUrl=aws.queues[queue], MaxNumberOfMessages=10)
    return sorted(message["Body"] for message in response.get("Messages", []))


def test_successes_are_deleted_and_a_reported_failure_comes_back(aws: LocalResources) -> None:
    function = FakeFunction(lambda items: failures(items["b"]))
    send(aws, "a", "b", "c")

    sqs_poller(aws, function).poll_once()

    assert sorted(function.batches[0]) == ["a", "b", "c"]
    assert waiting(aws, "CertificateRequestsQueue") == ["b"]


def test_a_message_that_keeps_failing_ends_in_the_dead_letter_queue(aws: LocalResources) -> None:
    def fail(items: dict[str, str]) -> Any:
        raise RuntimeError("poison")

    function = FakeFunction(fail)
    poller = sqs_poller(aws, function)
    send(aws, "poison")

    while poller.poll_once():
        assert len(function.batches) <= 5

    assert len(function.batches) == 5  # maxReceiveCount
    assert waiting(aws, "CertificateRequestsDLQ") == ["poison"]


def test_messages_the_filters_reject_are_deleted_unseen(aws: LocalResources) -> None:
    function = FakeFunction()
    poller = sqs_poller(aws, function, filters=({"body": {"kind": ["keep"]}},))
    send(aws, '{"kind": "keep"}', '{"kind": "drop"}', "not json")

    poller.poll_once()

    assert function.batches == [['{"kind": "keep"}']]
    assert waiting(aws, "CertificateRequestsQueue") == []


@pytest.mark.parametrize("answer", [None, {}, {"batchItemFailures": None}, {"batchItemFailures": []}])
def test_an_answer_without_failures_is_a_success(aws: LocalResources, answer: Any) -> None:
    function = FakeFunction(lambda _: answer)
    send(aws, "a")

    sqs_poller(aws, function).poll_once()

    assert waiting(aws, "CertificateRequestsQueue") == []


class ConcurrentFunction(FakeFunction):
    """A FakeFunction that several workers serve (``concurrency``) and that notes how many run at once."""

    def __init__(self, concurrency: int) -> None:
        super().__init__()
        self.concurrency = concurrency
        self.running = self.most = 0
        self._lock = threading.Lock()

    def invoke(self, event: dict[str, Any]) -> Any:
        with self._lock:
            self.running += 1
            self.most = max(self.most, self.running)
        try:
            time.sleep(0.2)
            return super().invoke(event)
        finally:
            with self._lock:
                self.running -= 1


def test_an_sqs_source_runs_as_many_batches_at_once_as_its_function_has_workers(aws: LocalResources) -> None:
    function = ConcurrentFunction(concurrency=3)
    poller = sqs_poller(aws, function, batch_size=1)
    send(aws, *[f"m{n}" for n in range(6)])

    poller.start()
    try:
        wait_for(lambda: True if len(function.batches) == 6 else None, seconds=10, what="six batches")
    finally:
        poller.stop()

    assert poller.threads == 3
    assert function.most == 3  # three batches in flight at once, as Lambda runs concurrent batches
    assert sorted(name for batch in function.batches for name in batch) == [f"m{n}" for n in range(6)]
    assert waiting(aws, "CertificateRequestsQueue") == []  # each message delivered once, then deleted


def test_scaling_config_caps_the_concurrent_batches(aws: LocalResources) -> None:
    poller = sqs_poller(aws, ConcurrentFunction(concurrency=4), maximum_concurrency=2)

    assert poller.threads == 2


def test_a_batch_is_what_one_receive_finds_when_the_queue_has_no_more(
    aws: LocalResources, monkeypatch: pytest.MonkeyPatch
) -> None:
    function = FakeFunction()
    poller = sqs_poller(aws, function)
    calls: list[int] = []
    receive = poller.sqs.receive_message

    def counted(**kwargs: Any) -> Any:
        calls.append(kwargs["MaxNumberOfMessages"])
        return receive(**kwargs)

    monkeypatch.setattr(poller.sqs, "receive_message", counted)
    send(aws, "a", "b")

    poller.poll_once()

    assert calls == [10]  # two of ten: the queue had no more, no second (empty) receive
    assert sorted(function.batches[0]) == ["a", "b"]


def test_a_stream_read_again_soon_while_the_table_is_written_and_at_the_base_rate_when_idle(
    aws: LocalResources,
) -> None:
    function = FakeFunction()
    poller = stream_poller(aws, function)
    poller.poll_once()  # drains what earlier writes left
    boto3.client("dynamodb").put_item(
        TableName="astca-Table", Item=attribute_values({"PK": "T#x", "SK": "X"})
    )

    assert not poller.poll_once()  # read a record, delivered none (the filters drop it)
    assert poller.idle_pause() == poller.active_seconds
    assert not poller.poll_once()  # nothing at all
    assert poller.idle_pause() == poller.idle_seconds == 0.25


class RecordingFunction(FakeFunction):
    """A FakeFunction that keeps every event it got."""

    def __init__(self) -> None:
        super().__init__()
        self.events: list[dict[str, Any]] = []

    def invoke(self, event: dict[str, Any]) -> Any:
        self.events.append(json.loads(json.dumps(event)))  # as the worker gets it: JSON
        return super().invoke(event)


def json_api(service: str) -> JsonApi:
    return JsonApi(service, region="eu-central-1", endpoint_url="http://127.0.0.1:4566")


def test_stream_records_read_as_wire_json_are_the_records_botocore_reads(aws: LocalResources) -> None:
    boto3.client("dynamodb").put_item(
        TableName="astca-Table",
        Item=attribute_values(
            {"PK": "OUTBOX#WIRE", "SK": "OUTBOX", "blob": b"\x00\xff", "n": 5, "l": [b"x"]}
        ),
    )
    via_botocore, via_json = RecordingFunction(), RecordingFunction()

    stream_poller(aws, via_botocore).poll_once()
    wire = stream_poller(aws, via_json)
    wire.streams, wire.sqs = json_api("dynamodbstreams"), json_api("sqs")  # type: ignore[assignment]
    wire.poll_once()

    assert via_json.events == via_botocore.events
    (record,) = [
        r for e in via_json.events for r in e["Records"] if r["dynamodb"]["Keys"]["PK"]["S"] == "OUTBOX#WIRE"
    ]
    assert record["dynamodb"]["NewImage"]["blob"] == {"B": "AP8="}  # base64, as in Lambda's event
    assert record["dynamodb"]["NewImage"]["l"] == {"L": [{"B": "eA=="}]}


def test_sqs_messages_received_as_wire_json_make_lambdas_records(aws: LocalResources) -> None:
    boto3.client("sqs").send_message(
        QueueUrl=aws.queues["CertificateRequestsQueue"],
        MessageBody="wire",
        MessageAttributes={
            "routingKey": {"DataType": "String", "StringValue": "certificate.requested"},
            "blob": {"DataType": "Binary", "BinaryValue": b"\x01\x02"},
        },
    )
    function = RecordingFunction()
    poller = sqs_poller(aws, function)
    poller.sqs = json_api("sqs")  # type: ignore[assignment]

    poller.poll_once()

    (record,) = function.events[0]["Records"]
    assert record["body"] == "wire"
    assert record["messageAttributes"]["blob"]["binaryValue"] == "AQI="
    assert record["messageAttributes"]["routingKey"]["stringValue"] == "certificate.requested"
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert waiting(aws, "CertificateRequestsQueue") == []  # deleted through the JSON API


def test_an_error_answer_of_the_json_api_is_botocores_client_error(aws: LocalResources) -> None:
    with pytest.raises(ClientError) as missing:
        json_api("sqs").get_queue_url(QueueName="no-such-queue")

    assert missing.value.response["Error"]["Code"] == "AWS.SimpleQueueService.NonExistentQueue"
