"""moto's DynamoDB as DynamoDB behaves (local.moto_dynamodb): whole requests, atomic transactions, tokens, released streams."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodbstreams.models import dynamodbstreams_backends

from astca.storage.dynamo import ConditionFailed, Table, TransactionCancelled
from local import moto_dynamodb
from local.resources import LocalResources


def test_of_fifty_racing_conditional_transactions_one_commits_and_stays(aws: LocalResources) -> None:
    table = Table(aws.tables["Table"])

    def attempt(index: int) -> bool:
        try:
            table.transact(
                [
                    table.put_op(
                        {"PK": "RACE", "SK": "GUARD", "winner": index}, condition="attribute_not_exists(PK)"
                    ),
                    table.put_op({"PK": "RACE", "SK": f"ENTRY#{index}"}),
                ]
            )
        except TransactionCancelled:
            return False
        return True

    with ThreadPoolExecutor(max_workers=16) as pool:
        outcomes = list(pool.map(attempt, range(50)))

    assert outcomes.count(True) == 1
    items = boto3.client("dynamodb").scan(TableName=table.name)["Items"]
    assert sorted(item["SK"]["S"] for item in items) == ["ENTRY#" + str(outcomes.index(True)), "GUARD"]


def test_a_cancelled_transaction_writes_nothing_and_stream_readers_stay_attached(aws: LocalResources) -> None:
    table = Table(aws.tables["Table"])
    table.put({"PK": "KEY", "SK": "GUARD"})
    streams = boto3.client("dynamodbstreams")
    arn = boto3.client("dynamodb").describe_table(TableName=table.name)["Table"]["LatestStreamArn"]
    (shard,) = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="LATEST")

    with pytest.raises(TransactionCancelled) as cancelled:
        table.transact(
            [
                table.put_op({"PK": "KEY", "SK": "GUARD", "n": 2}, condition="attribute_not_exists(PK)"),
                table.put_op({"PK": "KEY", "SK": "CANCELLED"}),
            ]
        )
    table.put({"PK": "KEY", "SK": "AFTER"})

    assert cancelled.value.reasons == ["ConditionalCheckFailed", "None"]
    assert cancelled.value.items[0] == {"PK": "KEY", "SK": "GUARD"}
    records = streams.get_records(ShardIterator=iterator["ShardIterator"])["Records"]
    assert [record["dynamodb"]["Keys"]["SK"]["S"] for record in records] == ["AFTER"]


def test_an_update_is_atomic_a_write_cannot_land_between_its_read_and_its_write(
    aws: LocalResources, monkeypatch: pytest.MonkeyPatch
) -> None:
    """moto's UpdateItem reads the old item, then updates: a write between the two made ALL_OLD lie."""
    table = Table(aws.tables["Table"])
    table.put({"PK": "T", "SK": "CERT", "state": "PENDING"})
    original = DynamoDBBackend.get_item
    writer: list[threading.Thread] = []

    def get_item(backend: DynamoDBBackend, *args: Any, **kwargs: Any) -> Any:
        found = original(backend, *args, **kwargs)
        if not writer:  # the update's own read: let an issuance race it
            issue = threading.Thread(
                target=table.put, args=({"PK": "T", "SK": "CERT", "state": "ISSUED", "certificate": "DER"},)
            )
            writer.append(issue)
            issue.start()
            issue.join(timeout=0.5)  # done at once without the lock; blocked behind the update with it
        return found

    monkeypatch.setattr(DynamoDBBackend, "get_item", get_item)
    try:
        old = table.update(
            "T",
            "CERT",
            update="SET #state = :delivered",
            condition="#state = :issued",
            names={"#state": "state"},
            values={":delivered": "DELIVERED", ":issued": "ISSUED"},
            return_old=True,
        )
    except ConditionFailed:
        old = None
    writer[0].join()

    # Either the update ran first (refused: still PENDING) or after the issuance (its old item is ISSUED).
    assert old is None or old == {"PK": "T", "SK": "CERT", "state": "ISSUED", "certificate": "DER"}


def test_a_transaction_retried_with_its_client_token_applies_once() -> None:
    client = boto3.client("dynamodb")
    table = _plain_table(client)
    items: list[Any] = [
        {
            "Update": {
                "TableName": table,
                "Key": {"PK": {"S": "C"}},
                "UpdateExpression": "ADD n :one",
                "ExpressionAttributeValues": {":one": {"N": "1"}},
            }
        },
        {
            "Put": {
                "TableName": table,
                "Item": {"PK": {"S": "GUARD"}},
                "ConditionExpression": "attribute_not_exists(PK)",
            }
        },
    ]

    client.transact_write_items(TransactItems=items, ClientRequestToken="retry-1")
    client.transact_write_items(
        TransactItems=items, ClientRequestToken="retry-1"
    )  # a retry: no second effect

    assert client.get_item(TableName=table, Key={"PK": {"S": "C"}})["Item"]["n"] == {"N": "1"}
    with pytest.raises(client.exceptions.TransactionCanceledException):
        client.transact_write_items(TransactItems=items, ClientRequestToken="another request")
    with pytest.raises(ClientError) as mismatch:
        client.transact_write_items(TransactItems=items[:1], ClientRequestToken="retry-1")
    assert mismatch.value.response["Error"]["Code"] == "IdempotentParameterMismatchException"


def test_a_transaction_that_fails_midway_leaves_items_and_stream_as_they_were(aws: LocalResources) -> None:
    client = boto3.client("dynamodb")
    name = aws.tables["Table"]
    client.put_item(TableName=name, Item={"PK": {"S": "K"}, "SK": {"S": "TEXT"}, "n": {"S": "text"}})
    streams = boto3.client("dynamodbstreams")
    arn = client.describe_table(TableName=name)["Table"]["LatestStreamArn"]
    (shard,) = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="LATEST")

    with pytest.raises(ClientError):
        client.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": name, "Item": {"PK": {"S": "K"}, "SK": {"S": "NEW"}}}},
                {
                    "Update": {
                        "TableName": name,
                        "Key": {"PK": {"S": "K"}, "SK": {"S": "TEXT"}},
                        "UpdateExpression": "ADD n :one",
                        "ExpressionAttributeValues": {":one": {"N": "1"}},
                    }
                },
            ]
        )

    assert [item["SK"]["S"] for item in client.scan(TableName=name)["Items"]] == ["TEXT"]
    assert streams.get_records(ShardIterator=iterator["ShardIterator"])["Records"] == []


def test_stream_records_every_reader_has_passed_are_released(
    aws: LocalResources, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(moto_dynamodb, "STREAM_RETENTION_SECONDS", 0.0)
    client, streams, name, iterator = _stream(aws)

    def keys(records: list[Any]) -> list[str]:
        return [record["dynamodb"]["Keys"]["SK"]["S"] for record in records]

    client.put_item(TableName=name, Item={"PK": {"S": "K"}, "SK": {"S": "ONE"}})
    slow = iterator()  # a reader that has not read yet keeps what it has not read
    fast = streams.get_records(ShardIterator=iterator())
    assert keys(fast["Records"]) == ["ONE"]
    slow_read = streams.get_records(ShardIterator=slow)
    assert keys(slow_read["Records"]) == ["ONE"]

    assert streams.get_records(ShardIterator=iterator())["Records"] == []  # both read on: released
    client.put_item(TableName=name, Item={"PK": {"S": "K"}, "SK": {"S": "TWO"}})
    assert keys(streams.get_records(ShardIterator=fast["NextShardIterator"])["Records"]) == ["TWO"]
    assert keys(streams.get_records(ShardIterator=slow_read["NextShardIterator"])["Records"]) == ["TWO"]


def _stream(aws: LocalResources) -> tuple[Any, Any, str, Callable[[], str]]:
    """Clients, the table's name, and a maker of TRIM_HORIZON iterators of its one shard."""
    client, streams = boto3.client("dynamodb"), boto3.client("dynamodbstreams")
    name = aws.tables["Table"]
    arn = client.describe_table(TableName=name)["Table"]["LatestStreamArn"]
    (shard,) = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]

    def iterator() -> str:
        return str(
            streams.get_shard_iterator(
                StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
            )["ShardIterator"]
        )

    return client, streams, name, iterator


def _plain_table(client: Any) -> str:
    client.create_table(
        TableName="plain",
        KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "PK", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return "plain"


def test_an_iterator_past_its_lifetime_is_dropped_and_no_longer_holds_records_back(
    aws: LocalResources, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(moto_dynamodb, "STREAM_RETENTION_SECONDS", 0.0)
    client, streams, name, iterator = _stream(aws)

    client.put_item(TableName=name, Item={"PK": {"S": "K"}, "SK": {"S": "OLD"}})
    idle = iterator()  # never read: it holds every record back while it lives
    assert streams.get_records(ShardIterator=iterator())["Records"]
    assert streams.get_records(ShardIterator=iterator())["Records"]  # still there for new readers

    monkeypatch.setattr(moto_dynamodb, "ITERATOR_LIFETIME_SECONDS", 0.0)
    streams.get_records(ShardIterator=iterator())  # expires the idle iterator, then releases

    assert streams.get_records(ShardIterator=iterator())["Records"] == []
    backend = next(iter(next(iter(dynamodbstreams_backends.values())).values()))
    assert idle not in backend.shard_iterators
