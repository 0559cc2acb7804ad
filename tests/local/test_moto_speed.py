"""local.moto_speed: moto's answers, for less CPU and memory (applied to the session by provisioning)."""

from __future__ import annotations

import gc
import inspect
import json
import weakref
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.core.exceptions import JsonRESTError
from moto.core.responses import ActionResult
from moto.core.utils import method_names_from_class
from moto.dynamodb.parsing.expressions import UpdateExpressionParser  # type: ignore[attr-defined]
from moto.dynamodb.responses import DynamoHandler
from moto.sqs.models import Message

from local import moto_speed
from local.resources import LocalResources


def test_a_model_instance_nothing_refers_to_is_freed_and_the_live_ones_are_still_listed(
    aws: LocalResources,
) -> None:
    """moto kept every instance of every model (every stream record, every received copy) for good."""
    kept = Message("kept", "body")
    dropped = Message("dropped", "body")
    gone = weakref.ref(dropped)

    del dropped
    gc.collect()

    assert gone() is None
    tracked = Message.instances_tracked  # type: ignore[attr-defined]
    assert any(message is kept for message in tracked)  # moto's dashboard lists it


@pytest.fixture
def both_serializers(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, Any, Any]]:
    """Every ActionResult answered by moto's serializer and by the compiled one; the pairs that differ."""
    differences: list[tuple[str, Any, Any]] = []
    fast = ActionResult.execute_result

    def both(result: ActionResult, context: Any) -> Any:
        theirs = moto_speed._moto_execute_result(result, context)
        ours = fast(result, context)
        if ours != theirs:
            differences.append((context.operation_model.name, theirs, ours))
        return ours

    monkeypatch.setattr(ActionResult, "execute_result", both)
    return differences


EVERY_TYPE: dict[str, Any] = {
    "S": {"S": "text"},
    "empty": {"S": ""},
    "N": {"N": "12.5"},
    "B": {"B": b"\x00\x01\xff"},
    "SS": {"SS": ["a", "b"]},
    "NS": {"NS": ["1", "2"]},
    "BS": {"BS": [b"x", b"y"]},
    "M": {"M": {"nested": {"B": b"z"}, "n": {"NULL": True}, "deeper": {"M": {"l": {"L": [{"S": "i"}]}}}}},
    "L": {"L": [{"S": "x"}, {"BOOL": False}, {"M": {}}]},
    "emptyM": {"M": {}},
    "emptyL": {"L": []},
    "NULL": {"NULL": True},
    "BOOL": {"BOOL": True},
}


def test_stream_records_of_every_attribute_type_serialize_as_moto_serializes_them(
    aws: LocalResources, both_serializers: list[tuple[str, Any, Any]]
) -> None:
    dynamodb, streams = boto3.client("dynamodb"), boto3.client("dynamodbstreams")
    table, arn = aws.tables["Table"], aws.attribute("Table", "StreamArn")
    key = {"PK": {"S": "SPEED"}, "SK": {"S": "TYPES"}}
    dynamodb.put_item(TableName=table, Item={**key, **EVERY_TYPE})
    dynamodb.update_item(
        TableName=table,
        Key=key,
        UpdateExpression="SET N = :n ADD SS :more",
        ExpressionAttributeValues={":n": {"N": "13"}, ":more": {"SS": ["c"]}},
        ReturnValues="ALL_OLD",
    )
    dynamodb.delete_item(TableName=table, Key=key, ReturnValues="ALL_OLD")
    (shard,) = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
    iterator = streams.get_shard_iterator(
        StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
    )

    records = streams.get_records(ShardIterator=iterator["ShardIterator"])["Records"]

    assert [record["eventName"] for record in records][-3:] == ["INSERT", "MODIFY", "REMOVE"]
    assert records[-3]["dynamodb"]["NewImage"]["B"] == {"B": b"\x00\x01\xff"}
    assert both_serializers == []


def test_sqs_answers_serialize_as_moto_serializes_them(
    aws: LocalResources, both_serializers: list[tuple[str, Any, Any]]
) -> None:
    sqs = boto3.client("sqs")
    queue = sqs.create_queue(QueueName="speed-serializer", Attributes={"VisibilityTimeout": "0"})["QueueUrl"]
    sqs.send_message(
        QueueUrl=queue,
        MessageBody="one",
        MessageAttributes={
            "routingKey": {"DataType": "String", "StringValue": "certificate.issued"},
            "blob": {"DataType": "Binary", "BinaryValue": b"\x01\x02"},
            "count": {"DataType": "Number", "StringValue": "3"},
        },
    )
    sqs.send_message_batch(
        QueueUrl=queue, Entries=[{"Id": "a", "MessageBody": "two"}, {"Id": "b", "MessageBody": "three"}]
    )
    received = sqs.receive_message(
        QueueUrl=queue,
        MaxNumberOfMessages=10,
        MessageSystemAttributeNames=["All"],
        MessageAttributeNames=["All"],
    )["Messages"]
    sqs.change_message_visibility_batch(
        QueueUrl=queue,
        Entries=[{"Id": "v", "ReceiptHandle": received[0]["ReceiptHandle"], "VisibilityTimeout": 0}],
    )
    deleted = sqs.delete_message_batch(
        QueueUrl=queue,
        Entries=[
            {"Id": "ok", "ReceiptHandle": received[0]["ReceiptHandle"]},
            {"Id": "bad", "ReceiptHandle": "not-a-receipt-handle"},
        ],
    )
    sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])
    sqs.list_queues(QueueNamePrefix="speed-")

    assert len(received) == 3
    assert [failure["Id"] for failure in deleted["Failed"]] == ["bad"]
    assert both_serializers == []


def test_an_update_expression_kept_parsed_updates_each_item_with_its_own_values(aws: LocalResources) -> None:
    dynamodb, table = boto3.client("dynamodb"), aws.tables["Table"]
    expression = "SET #state = :state, updatedAt = :now ADD hits :one"
    for name, state in (("A", "ISSUED"), ("B", "FAILED"), ("A", "DELIVERED")):
        dynamodb.update_item(
            TableName=table,
            Key={"PK": {"S": "SPEED"}, "SK": {"S": name}},
            UpdateExpression=expression,
            ExpressionAttributeNames={"#state": "state"},
            ExpressionAttributeValues={":state": {"S": state}, ":now": {"S": name}, ":one": {"N": "1"}},
        )

    items = {
        name: dynamodb.get_item(TableName=table, Key={"PK": {"S": "SPEED"}, "SK": {"S": name}})["Item"]
        for name in "AB"
    }
    assert (items["A"]["state"], items["A"]["hits"]) == ({"S": "DELIVERED"}, {"N": "2"})
    assert (items["B"]["state"], items["B"]["hits"]) == ({"S": "FAILED"}, {"N": "1"})
    assert UpdateExpressionParser.make(expression) is UpdateExpressionParser.make(expression)  # kept


def test_an_expression_that_does_not_parse_is_refused_every_time(aws: LocalResources) -> None:
    dynamodb = boto3.client("dynamodb")
    for _ in range(2):
        with pytest.raises(ClientError) as refused:
            dynamodb.update_item(
                TableName=aws.tables["Table"],
                Key={"PK": {"S": "SPEED"}, "SK": {"S": "BAD"}},
                UpdateExpression="SET = oops",
                ConditionExpression="attribute_exists(PK) AND",
            )
        assert refused.value.response["Error"]["Code"] == "ValidationException"


def test_a_condition_lexed_once_is_evaluated_with_each_requests_values(aws: LocalResources) -> None:
    dynamodb, table = boto3.client("dynamodb"), aws.tables["Table"]
    key = {"PK": {"S": "SPEED"}, "SK": {"S": "COND"}}
    dynamodb.put_item(TableName=table, Item={**key, "state": {"S": "PENDING"}})

    def deliver(expected: str) -> bool:
        try:
            dynamodb.update_item(
                TableName=table,
                Key=key,
                UpdateExpression="SET seen = :yes",
                ConditionExpression="#s = :expected",
                ExpressionAttributeNames={"#s": "state"},
                ExpressionAttributeValues={":yes": {"BOOL": True}, ":expected": {"S": expected}},
            )
        except dynamodb.exceptions.ConditionalCheckFailedException:
            return False
        return True

    assert [deliver("ISSUED"), deliver("PENDING"), deliver("ISSUED")] == [False, True, False]


def test_a_refused_condition_answers_moto_json_without_rendering_xml(
    aws: LocalResources, monkeypatch: pytest.MonkeyPatch
) -> None:
    import xmltodict  # type: ignore[import-untyped]

    def no_xml(*args: Any, **kwargs: Any) -> str:
        raise AssertionError("a JSON error rendered XML")

    monkeypatch.setattr(xmltodict, "unparse", no_xml)
    with pytest.raises(ClientError) as refused:
        boto3.client("dynamodb").put_item(
            TableName=aws.tables["Table"],
            Item={"PK": {"S": "SPEED"}, "SK": {"S": "GUARDED"}},
            ConditionExpression="attribute_exists(PK)",
        )

    error = refused.value.response["Error"]
    assert (error["Code"], error["Message"]) == (
        "ConditionalCheckFailedException",
        "The conditional request failed",
    )
    body = json.loads(JsonRESTError("T", "m").get_body())
    assert body == {"__type": "T", "message": "m"}


def test_method_names_answer_membership_as_motos_list() -> None:
    names = set(method_names_from_class(DynamoHandler))  # moto's own: inspect.getmembers
    checked = moto_speed.MethodNames(DynamoHandler)
    candidates = {name for name, _ in inspect.getmembers(DynamoHandler)} | {"no_such_action", "backend"}

    assert {name for name in candidates if name in checked} == names
    assert set(checked) == names
