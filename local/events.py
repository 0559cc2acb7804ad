"""The events Lambda hands to a function: HTTP API payload v2, SQS batches and DynamoDB stream batches.

The gateway, the pollers, ``local.invoke`` and the tests all build events here, so a test sees the
same shape as ``make run``. HTTP events follow API Gateway's rules: header names in lower case,
repeated headers and query parameters joined with commas, cookies moved out of the headers into
``cookies``, and a body base64-encoded unless its content type is text.
"""

from __future__ import annotations

import base64
import secrets
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode

from boto3.dynamodb.types import TypeSerializer

LOCAL_API_ID = "local"
LOCAL_DOMAIN = "127.0.0.1"
DEFAULT_REGION = "eu-central-1"
DEFAULT_ACCOUNT = "123456789012"
TEXT_TYPES = (
    "application/json",
    "application/xml",
    "application/javascript",
    "application/x-www-form-urlencoded",
)

Headers = Mapping[str, str] | Iterable[tuple[str, str]]
Query = str | Mapping[str, str | Sequence[str]]


def new_request_id() -> str:
    """A request id in API Gateway's shape (base64 of random bytes)."""
    return base64.b64encode(secrets.token_bytes(10)).decode()


def is_text(content_type: str) -> bool:
    """Whether API Gateway passes a body of this content type as text rather than base64."""
    media = content_type.split(";", maxsplit=1)[0].strip().lower()
    return media.startswith("text/") or media in TEXT_TYPES or media.endswith(("+json", "+xml"))


def http_event(
    method: str,
    path: str,
    *,
    route_key: str | None = None,
    path_parameters: Mapping[str, str] | None = None,
    query: Query | None = None,
    headers: Headers | None = None,
    body: bytes | str | None = None,
    source_ip: str = "127.0.0.1",
    request_id: str | None = None,
    authorizer: Mapping[str, Any] | None = None,
    account_id: str = DEFAULT_ACCOUNT,
    client_certificate: bytes | None = None,
) -> dict[str, Any]:
    """An HTTP API (payload format 2.0) event for ``method path``, as API Gateway sends it to Lambda.

    ``client_certificate`` (DER) is a certificate a mutual-TLS handshake verified: it goes where API
    Gateway's mutual-TLS domains put it, ``requestContext.authentication.clientCert``.
    """
    raw_path = path.split("?", 1)[0]
    header_values: dict[str, list[str]] = {}
    pairs = headers.items() if isinstance(headers, Mapping) else (headers or ())
    for name, value in pairs:
        header_values.setdefault(name.lower(), []).append(value)
    cookies = [
        cookie.strip()
        for value in header_values.pop("cookie", [])
        for cookie in value.split(";")
        if cookie.strip()
    ]
    joined_headers = {name: ",".join(values) for name, values in header_values.items()}
    raw_query, parameters = _query(query)
    now = time.time()
    route = route_key or f"{method.upper()} {raw_path}"
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route,
        "rawPath": raw_path,
        "rawQueryString": raw_query,
        "headers": joined_headers,
        "requestContext": {
            "accountId": account_id,
            "apiId": LOCAL_API_ID,
            "domainName": joined_headers.get("host", LOCAL_DOMAIN),
            "domainPrefix": LOCAL_API_ID,
            "http": {
                "method": method.upper(),
                "path": raw_path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": joined_headers.get("user-agent", ""),
            },
            "requestId": request_id or new_request_id(),
            "routeKey": route,
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "isBase64Encoded": False,
    }
    if cookies:
        event["cookies"] = cookies
    if parameters:
        event["queryStringParameters"] = parameters
    if path_parameters:
        event["pathParameters"] = dict(path_parameters)
    if authorizer is not None:
        event["requestContext"]["authorizer"] = dict(authorizer)
    if client_certificate is not None:
        event["requestContext"]["authentication"] = {"clientCert": mutual_tls_context(client_certificate)}
    if body is not None:
        event["body"], event["isBase64Encoded"] = _body(body, joined_headers.get("content-type", ""))
    return event


def mutual_tls_context(der: bytes) -> dict[str, Any]:
    """``requestContext.authentication.clientCert`` of API Gateway for a verified client certificate."""
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    certificate = x509.load_der_x509_certificate(der)
    return {
        "clientCertPem": certificate.public_bytes(Encoding.PEM).decode("ascii"),
        "subjectDN": certificate.subject.rfc4514_string(),
        "issuerDN": certificate.issuer.rfc4514_string(),
        "serialNumber": format(certificate.serial_number, "x"),
        "validity": {
            "notBefore": certificate.not_valid_before_utc.strftime("%b %d %H:%M:%S %Y GMT"),
            "notAfter": certificate.not_valid_after_utc.strftime("%b %d %H:%M:%S %Y GMT"),
        },
    }


def _query(query: Query | None) -> tuple[str, dict[str, str]]:
    if not query:
        return "", {}
    if isinstance(query, str):
        raw = query
        pairs = parse_qsl(query, keep_blank_values=True)
    else:
        pairs = [
            (name, value)
            for name, values in query.items()
            for value in ([values] if isinstance(values, str) else values)
        ]
        raw = urlencode(pairs)
    merged: dict[str, list[str]] = {}
    for name, value in pairs:
        merged.setdefault(name, []).append(value)
    return raw, {name: ",".join(values) for name, values in merged.items()}


def _body(body: bytes | str, content_type: str) -> tuple[str, bool]:
    if isinstance(body, str):
        return body, False
    if is_text(content_type or "application/json"):
        try:
            return body.decode("utf-8"), False
        except UnicodeDecodeError:
            pass
    return base64.b64encode(body).decode(), True


def sqs_record(
    body: str,
    *,
    queue_arn: str,
    message_id: str | None = None,
    receipt_handle: str | None = None,
    attributes: Mapping[str, str] | None = None,
    message_attributes: Mapping[str, Mapping[str, Any]] | None = None,
    md5_of_body: str = "",
) -> dict[str, Any]:
    """One record of an SQS event (message attributes in Lambda's camelCase form)."""
    now_ms = str(int(time.time() * 1000))
    return {
        "messageId": message_id or str(uuid.uuid4()),
        "receiptHandle": receipt_handle or secrets.token_urlsafe(32),
        "body": body,
        "attributes": {
            "ApproximateReceiveCount": "1",
            "SentTimestamp": now_ms,
            "SenderId": DEFAULT_ACCOUNT,
            "ApproximateFirstReceiveTimestamp": now_ms,
            **(attributes or {}),
        },
        "messageAttributes": dict(message_attributes or {}),
        "md5OfBody": md5_of_body,
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": queue_arn.split(":")[3] if queue_arn.count(":") >= 5 else DEFAULT_REGION,
    }


def sqs_record_from_message(message: Mapping[str, Any], *, queue_arn: str) -> dict[str, Any]:
    """The event record of a message as ``ReceiveMessage`` returned it (parsed by botocore or as wire JSON)."""
    return sqs_record(
        message["Body"],
        queue_arn=queue_arn,
        message_id=message["MessageId"],
        receipt_handle=message["ReceiptHandle"],
        attributes=message.get("Attributes") or {},
        message_attributes={
            name: _message_attribute(value)
            for name, value in (message.get("MessageAttributes") or {}).items()
        },
        md5_of_body=message.get("MD5OfBody", ""),
    )


def _message_attribute(value: Mapping[str, Any]) -> dict[str, Any]:
    converted: dict[str, Any] = {
        "dataType": value["DataType"],
        "stringListValues": list(value.get("StringListValues") or []),
        "binaryListValues": [_base64(item) for item in value.get("BinaryListValues") or []],
    }
    if "StringValue" in value:
        converted["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        converted["binaryValue"] = _base64(value["BinaryValue"])
    return converted


def _base64(value: bytes | str) -> str:
    """A blob as Lambda's events carry it: botocore parses blobs to bytes, the wire JSON has them in base64."""
    return base64.b64encode(value).decode() if isinstance(value, bytes | bytearray) else value


def _wire_image(image: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """Attribute values as the wire (and Lambda's event) carries them: binary values in base64."""
    if image is None:
        return None
    return {name: _wire_value(value) for name, value in image.items()}


def _wire_value(value: Mapping[str, Any]) -> dict[str, Any]:
    ((kind, item),) = value.items()
    if kind == "B":
        return {kind: _base64(item)}
    if kind == "BS":
        return {kind: [_base64(each) for each in item]}
    if kind == "M":
        return {kind: _wire_image(item)}
    if kind == "L":
        return {kind: [_wire_value(each) for each in item]}
    return {kind: item}


def attribute_values(item: Mapping[str, Any]) -> dict[str, Any]:
    """A plain item as DynamoDB attribute values (``{"S": ...}``), as stream images carry it."""
    serializer = TypeSerializer()
    return {name: serializer.serialize(value) for name, value in item.items()}


def stream_record(
    event_name: str,
    *,
    keys: Mapping[str, Any],
    stream_arn: str,
    new_image: Mapping[str, Any] | None = None,
    old_image: Mapping[str, Any] | None = None,
    sequence_number: str = "100000000000000000001",
    created: float | None = None,
    view_type: str = "NEW_AND_OLD_IMAGES",
    event_id: str | None = None,
    size_bytes: int = 0,
) -> dict[str, Any]:
    """One record of a DynamoDB stream event; keys and images are attribute values."""
    change: dict[str, Any] = {
        "ApproximateCreationDateTime": int(created if created is not None else time.time()),
        "Keys": dict(keys),
        "SequenceNumber": sequence_number,
        "SizeBytes": size_bytes,
        "StreamViewType": view_type,
    }
    if new_image is not None:
        change["NewImage"] = dict(new_image)
    if old_image is not None:
        change["OldImage"] = dict(old_image)
    return {
        "eventID": event_id or uuid.uuid4().hex,
        "eventName": event_name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": stream_arn.split(":")[3] if stream_arn.count(":") >= 5 else DEFAULT_REGION,
        "dynamodb": change,
        "eventSourceARN": stream_arn,
    }


def stream_record_from_api(record: Mapping[str, Any], *, stream_arn: str) -> dict[str, Any]:
    """The event record of a record as ``GetRecords`` returned it (parsed by botocore or as wire JSON)."""
    change = record["dynamodb"]
    created = change.get("ApproximateCreationDateTime")
    return stream_record(
        record["eventName"],
        keys=_wire_image(change["Keys"]) or {},
        stream_arn=stream_arn,
        new_image=_wire_image(change.get("NewImage")),
        old_image=_wire_image(change.get("OldImage")),
        sequence_number=change["SequenceNumber"],
        created=created.timestamp() if isinstance(created, datetime) else created,
        view_type=change.get("StreamViewType", "NEW_AND_OLD_IMAGES"),
        event_id=record.get("eventID"),
        size_bytes=int(change.get("SizeBytes", 0)),
    )


def batch(records: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """An SQS or DynamoDB stream event: ``{"Records": [...]}``."""
    return {"Records": [dict(record) for record in records]}
