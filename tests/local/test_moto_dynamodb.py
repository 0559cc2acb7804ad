"""moto's DynamoDB serves one request at a time (local.moto_dynamodb): a cancelled transaction undoes nothing of others."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest

from astca.storage.dynamo import Table, TransactionCancelled
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
