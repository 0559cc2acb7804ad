"""local.events builds the events Lambda sends, in API Gateway's, SQS's and DynamoDB Streams' shapes."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

from local.events import (
    attribute_values,
    batch,
    http_event,
    sqs_record_from_message,
    stream_record_from_api,
)


def test_http_event_follows_payload_format_2() -> None:
    event = http_event(
        "post",
        "/v1/tenants/acme/signers",
        route_key="POST /v1/tenants/{tenant}/signers",
        path_parameters={"tenant": "acme"},
        query="a=1&a=2&b=&c=x%20y",
        headers=[
            ("Content-Type", "application/json"),
            ("X-Many", "1"),
            ("X-Many", "2"),
            ("Cookie", "a=1; b=2"),
        ],
        body=b'{"x": 1}',
        source_ip="192.0.2.1",
        request_id="req-1",
    )

    assert event["version"] == "2.0"
    assert event["routeKey"] == event["requestContext"]["routeKey"] == "POST /v1/tenants/{tenant}/signers"
    assert event["rawPath"] == event["requestContext"]["http"]["path"] == "/v1/tenants/acme/signers"
    assert event["rawQueryString"] == "a=1&a=2&b=&c=x%20y"
    assert event["queryStringParameters"] == {"a": "1,2", "b": "", "c": "x y"}
    assert event["headers"] == {"content-type": "application/json", "x-many": "1,2"}
    assert event["cookies"] == ["a=1", "b=2"]
    assert event["pathParameters"] == {"tenant": "acme"}
    assert (event["body"], event["isBase64Encoded"]) == ('{"x": 1}', False)
    assert event["requestContext"]["http"]["method"] == "POST"
    assert event["requestContext"]["http"]["sourceIp"] == "192.0.2.1"
    assert event["requestContext"]["requestId"] == "req-1"


def test_a_request_without_query_body_or_parameters_leaves_them_out() -> None:
    event = http_event("GET", "/v1/health")

    assert event["rawQueryString"] == ""
    assert event["routeKey"] == "GET /v1/health"
    assert not {"body", "queryStringParameters", "pathParameters", "cookies"} & event.keys()
    assert event["requestContext"]["requestId"]


def test_a_binary_body_is_base64_encoded() -> None:
    raw = bytes(range(256))

    event = http_event("POST", "/x", headers={"content-type": "application/octet-stream"}, body=raw)

    assert event["isBase64Encoded"]
    assert base64.b64decode(event["body"]) == raw


def test_sqs_record_is_lambdas_shape_of_a_received_message() -> None:
    message = {
        "MessageId": "m-1",
        "ReceiptHandle": "r-1",
        "Body": "{}",
        "MD5OfBody": "99914b932bd37a50b983c5e7c90ae93b",
        "Attributes": {"ApproximateReceiveCount": "2"},
        "MessageAttributes": {"kind": {"DataType": "String", "StringValue": "test"}},
    }

    record = sqs_record_from_message(message, queue_arn="arn:aws:sqs:eu-central-1:123456789012:q")

    assert record["messageId"] == "m-1"
    assert record["receiptHandle"] == "r-1"
    assert record["attributes"]["ApproximateReceiveCount"] == "2"
    assert record["messageAttributes"]["kind"]["stringValue"] == "test"
    assert (record["eventSource"], record["awsRegion"]) == ("aws:sqs", "eu-central-1")


def test_stream_record_is_lambdas_shape_of_a_get_records_record() -> None:
    arn = "arn:aws:dynamodb:eu-central-1:123456789012:table/t/stream/1"
    keys = attribute_values({"PK": "OUTBOX#1", "SK": "OUTBOX"})
    api_record = {
        "eventID": "e-1",
        "eventName": "INSERT",
        "awsRegion": "us-east-1",
        "dynamodb": {
            "ApproximateCreationDateTime": datetime(2026, 1, 1, tzinfo=UTC),
            "Keys": keys,
            "NewImage": keys,
            "SequenceNumber": "7",
            "SizeBytes": 10,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        },
    }

    event = batch([stream_record_from_api(api_record, stream_arn=arn)])

    (record,) = event["Records"]
    assert record["eventSourceARN"] == arn
    assert record["awsRegion"] == "eu-central-1"
    assert record["dynamodb"]["ApproximateCreationDateTime"] == 1767225600
    assert record["dynamodb"]["Keys"] == {"PK": {"S": "OUTBOX#1"}, "SK": {"S": "OUTBOX"}}
    json.dumps(event)
