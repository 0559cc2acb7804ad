"""local.moto_server answers as moto's own server does, on kept-alive connections, and in process."""

from __future__ import annotations

import contextlib
import http.client
import json
import re
import socket
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.exceptions import ClientError
from moto.server import ThreadedMotoServer

from local.moto_server import MotoServer, in_process
from local.resources import LocalResources

Raw = tuple[str, str, dict[str, str], bytes]  # method, path, headers, body
# What legitimately differs between two answers: the clock, moto's random request id, the port.
VARYING_HEADERS = {"date", "x-amzn-requestid", "x-amz-crc32", "connection"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[int, int]]:
    """moto's ThreadedMotoServer and ours, side by side on the same (the session's) backends."""
    theirs_port, ours_port = free_port(), free_port()
    theirs = ThreadedMotoServer(ip_address="127.0.0.1", port=theirs_port, verbose=False)
    ours = MotoServer(host="127.0.0.1", port=ours_port)
    theirs.start()
    ours.start()
    try:
        yield theirs_port, ours_port
    finally:
        ours.stop()
        theirs.stop()


def signed(service: str, operation: str, **params: Any) -> Raw:
    """The request botocore makes for ``operation`` (signed, not sent)."""
    client = boto3.client(service, endpoint_url="http://127.0.0.1:1")  # type: ignore[call-overload]
    captured: list[AWSPreparedRequest] = []

    def capture(request: AWSPreparedRequest, **_: Any) -> AWSResponse:
        captured.append(request)
        return AWSResponse(request.url, 200, {}, None)  # type: ignore[arg-type]

    client.meta.events.register_first("before-send", capture)
    with contextlib.suppress(Exception):  # the fake answer need not parse: the request is what counts
        getattr(client, operation)(**params)
    request = captured[-1]
    headers = {
        name: value.decode() if isinstance(value, bytes) else value for name, value in request.headers.items()
    }
    raw: Any = request.body or b""
    body = raw.encode() if isinstance(raw, str) else bytes(raw)
    return request.method, "/", headers, body


def send(port: int, raw: Raw, connection: http.client.HTTPConnection | None = None) -> tuple[Any, ...]:
    method, path, headers, body = raw
    own = connection is None
    connection = connection or http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    data = response.read()
    if own:
        connection.close()
    return response.status, response.reason, response.getheaders(), data


def comparable(answer: tuple[Any, ...], port: int) -> tuple[Any, ...]:
    status, reason, headers, body = answer
    kept = [(name.lower(), value) for name, value in headers if name.lower() not in VARYING_HEADERS]
    body = body.replace(f"127.0.0.1:{port}".encode(), b"HOST")
    body = re.sub(rb"<RequestId>[^<]*</RequestId>", b"<RequestId/>", body)
    return status, reason, kept, body


def requests(aws: LocalResources) -> list[tuple[str, Raw]]:
    table, queue = aws.tables["Table"], aws.queues["CaEventsQueue"]
    key = {"PK": {"S": "MOTO-SERVER"}, "SK": {"S": "ITEM"}}
    boto3.client("dynamodb").put_item(TableName=table, Item={**key, "n": {"N": "1"}, "b": {"B": b"\x00"}})
    update = {
        "TableName": table,
        "Key": key,
        "UpdateExpression": "SET n = :two",
        "ConditionExpression": "n = :five",
        "ExpressionAttributeValues": {":two": {"N": "2"}, ":five": {"N": "5"}},
    }
    return [
        ("GetItem", signed("dynamodb", "get_item", TableName=table, Key=key)),
        (
            "GetItem of nothing",
            signed("dynamodb", "get_item", TableName=table, Key={**key, "SK": {"S": "NO"}}),
        ),
        ("refused UpdateItem", signed("dynamodb", "update_item", **update)),
        (
            "refused UpdateItem, ALL_OLD",
            signed("dynamodb", "update_item", **update, ReturnValuesOnConditionCheckFailure="ALL_OLD"),
        ),
        ("DescribeTable of nothing", signed("dynamodb", "describe_table", TableName="no-such-table")),
        ("GetQueueAttributes", signed("sqs", "get_queue_attributes", QueueUrl=queue, AttributeNames=["All"])),
        ("GetQueueUrl of nothing", signed("sqs", "get_queue_url", QueueName="no-such-queue")),
        ("ReceiveMessage", signed("sqs", "receive_message", QueueUrl=aws.queues["RelayOutboxDLQ"])),
        ("DescribeKey of nothing", signed("kms", "describe_key", KeyId="alias/no-such-key")),
        ("GetCallerIdentity (query protocol)", signed("sts", "get_caller_identity")),
        (
            "DescribeStream",
            signed("dynamodbstreams", "describe_stream", StreamArn=aws.attribute("Table", "StreamArn")),
        ),
    ]


def test_every_answer_is_the_one_motos_own_server_gives(
    servers: tuple[int, int], aws: LocalResources
) -> None:
    theirs, ours = servers
    for what, raw in requests(aws):
        assert comparable(send(ours, raw), ours) == comparable(send(theirs, raw), theirs), what


def test_a_connection_is_kept_alive_between_requests(servers: tuple[int, int], aws: LocalResources) -> None:
    _, ours = servers
    raw = requests(aws)[0][1]
    connection = http.client.HTTPConnection("127.0.0.1", ours, timeout=10)
    try:
        first = send(ours, raw, connection)
        sock = connection.sock
        second = send(ours, raw, connection)
        reused = connection.sock is sock
    finally:
        connection.close()

    assert first[0] == second[0] == 200
    assert sock is not None
    assert reused  # http.client reconnects when the server closes
    assert "close" not in {value.lower() for name, value in first[2] if name.lower() == "connection"}


def test_what_no_single_handler_serves_goes_to_motos_own_app(servers: tuple[int, int]) -> None:
    _, ours = servers
    connection = http.client.HTTPConnection("127.0.0.1", ours, timeout=10)
    try:
        connection.request("GET", "/moto-api/data.json")
        response = connection.getresponse()
        data = json.loads(response.read())
    finally:
        connection.close()

    assert response.status == 200
    assert "dynamodb" in data  # moto's dashboard: every live model instance, by service


def test_an_in_process_client_gets_what_motos_own_mock_answers(
    servers: tuple[int, int], aws: LocalResources
) -> None:
    """The session's mock_aws answers a plain client; ``in_process`` answers before it, the same way."""
    _, ours = servers

    def client(service: str) -> Any:
        return boto3.client(service, endpoint_url=f"http://127.0.0.1:{ours}")  # type: ignore[call-overload]

    key = {"PK": {"S": "MOTO-SERVER"}, "SK": {"S": "IN-PROCESS"}}
    client("dynamodb").put_item(TableName=aws.tables["Table"], Item={**key, "n": {"N": "7"}})
    calls: list[Callable[[Any], Any]] = [
        lambda dynamodb: dynamodb.get_item(TableName=aws.tables["Table"], Key=key)["Item"],
        lambda sqs: sqs.get_queue_url(QueueName="astca-CaEventsQueue")["QueueUrl"],
    ]
    for service, call in zip(("dynamodb", "sqs"), calls, strict=True):
        assert call(in_process(client(service))) == call(client(service))
    for make in (client, lambda service: in_process(client(service))):
        with pytest.raises(ClientError) as refused:
            make("dynamodb").describe_table(TableName="no-such-table")
        assert refused.value.response["Error"]["Code"] == "ResourceNotFoundException"
