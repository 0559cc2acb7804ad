"""relay_outbox on moto: an outbox item written in a transaction is read from the real stream and relayed."""

from __future__ import annotations

import json
from collections.abc import Callable
from types import ModuleType
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities.typing import LambdaContext

from astca.storage.dynamo import Table
from astca.storage.outbox import OutboxWriter
from local.event_filter import accepts
from local.events import batch, stream_record_from_api
from local.resources import LocalResources


@pytest.fixture
def relay(load_function: Callable[[str], ModuleType]) -> ModuleType:
    return load_function("relay_outbox")


def stream_event(aws: LocalResources) -> dict[str, Any]:
    """The records of the table's stream that pass the template's event filter, as Lambda delivers them."""
    [source] = aws.template.functions["RelayOutboxFunction"].stream_sources
    streams = boto3.client("dynamodbstreams")
    arn = aws.attribute("Table", "StreamArn")
    records = []
    for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        iterator = streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        records += streams.get_records(ShardIterator=iterator)["Records"]
    delivered = [stream_record_from_api(record, stream_arn=arn) for record in records]
    return batch([record for record in delivered if accepts(source.filters, record)])


def messages(aws: LocalResources, logical_id: str) -> list[dict[str, Any]]:
    answer = boto3.client("sqs").receive_message(
        QueueUrl=aws.queues[logical_id], MaxNumberOfMessages=10, MessageAttributeNames=["All"]
    )
    return [dict(message) for message in answer.get("Messages", [])]


def test_an_event_written_with_its_state_change_reaches_its_queue(
    aws: LocalResources, relay: ModuleType, lambda_context: LambdaContext
) -> None:
    table = Table(aws.tables["Table"])
    table.transact(
        [
            table.put_op({"PK": "TENANT#acme", "SK": "CERT#1", "state": "PENDING"}),
            OutboxWriter(table).op("certificate.requested", {"tenant": "acme", "certificateId": "1"}),
        ]
    )

    response = relay.lambda_handler(stream_event(aws), lambda_context)

    assert response == {"batchItemFailures": []}
    [message] = messages(aws, "CertificateRequestsQueue")
    body = json.loads(message["Body"])
    assert body["routingKey"] == "certificate.requested"
    assert body["payload"] == {"tenant": "acme", "certificateId": "1"}
    assert message["MessageAttributes"]["routingKey"]["StringValue"] == "certificate.requested"
    assert messages(aws, "CaEventsQueue") == []


def test_an_unknown_routing_key_fails_only_its_record(
    aws: LocalResources, relay: ModuleType, lambda_context: LambdaContext
) -> None:
    table = Table(aws.tables["Table"])
    good = OutboxWriter(table).op("signer.issued", {"tenant": "acme"})
    table.transact([good])
    table.put(
        {
            "PK": "OUTBOX#01JZZZZZZZZZZZZZZZZZZZZZZZ",
            "SK": "OUTBOX",
            "routingKey": "no.such.key",
            "payload": "{}",
        }
    )
    event = stream_event(aws)
    unknown = event["Records"][1]["dynamodb"]["SequenceNumber"]

    response = relay.lambda_handler(event, lambda_context)

    assert response == {"batchItemFailures": [{"itemIdentifier": unknown}]}
    assert [json.loads(m["Body"])["routingKey"] for m in messages(aws, "CaEventsQueue")] == ["signer.issued"]


def test_a_queue_that_cannot_be_reached_fails_the_record(
    aws: LocalResources, relay: ModuleType, lambda_context: LambdaContext
) -> None:
    table = Table(aws.tables["Table"])
    table.transact([OutboxWriter(table).op("signer.requested", {"tenant": "acme"})])
    boto3.client("sqs").delete_queue(QueueUrl=aws.queues["SignerRequestsQueue"])

    response = relay.lambda_handler(stream_event(aws), lambda_context)

    assert len(response["batchItemFailures"]) == 1
