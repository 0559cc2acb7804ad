"""The local stack over real HTTP: health, routes, docs, and the outbox through the relay to SQS."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from astca.ids import new_ulid
from local.events import attribute_values
from local.resources import NAME_PREFIX
from tests.e2e.conftest import DELIVERY_SECONDS, RunningStack, request, wait_for

pytestmark = pytest.mark.e2e


def test_health_answers_json(stack: RunningStack) -> None:
    answer = request(f"{stack.base_url}/v1/health")

    assert answer.status == 200
    assert answer.headers["content-type"] == "application/json"
    assert answer.json() == {"status": "ok"}
    assert answer.headers["apigw-requestid"]


@pytest.mark.parametrize(("method", "path"), [("GET", "/v1/nothing"), ("DELETE", "/v1/health")])
def test_a_route_not_in_the_template_is_api_gateways_404(stack: RunningStack, method: str, path: str) -> None:
    answer = request(f"{stack.base_url}{path}", method)

    assert (answer.status, answer.json()) == (404, {"message": "Not Found"})


def test_docs_serve_swagger_ui_for_the_template_routes(stack: RunningStack) -> None:
    page = request(f"{stack.base_url}/docs")
    document = request(f"{stack.base_url}/openapi.json").json()

    assert page.status == 200
    assert page.headers["content-type"].startswith("text/html")
    assert b"SwaggerUIBundle" in page.body
    assert "/v1/health" in document["paths"]


def write_outbox_item(stack: RunningStack, routing_key: str) -> str:
    """Write an outbox item the way services do (a transaction); its event id."""
    event_id = new_ulid()
    item = {
        "PK": f"OUTBOX#{event_id}",
        "SK": "OUTBOX",
        "routingKey": routing_key,
        "occurredAt": "2026-01-01T00:00:00Z",
        "payload": json.dumps({"tenant": "acme", "probe": event_id}),
    }
    stack.client("dynamodb").transact_write_items(
        TransactItems=[{"Put": {"TableName": f"{NAME_PREFIX}-Table", "Item": attribute_values(item)}}]
    )
    return event_id


def received(stack: RunningStack, logical_id: str, *, containing: str) -> Callable[[], dict[str, Any] | None]:
    """A condition: a message on the queue whose body contains ``containing`` (consumed when seen)."""
    sqs, url = stack.client("sqs"), stack.queue_url(logical_id)

    def poll() -> dict[str, Any] | None:
        for message in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
            if containing in message["Body"]:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
                return json.loads(message["Body"])  # type: ignore[no-any-return]
        return None

    return poll


def test_an_outbox_item_reaches_its_topic_queue(stack: RunningStack) -> None:
    # A public event: its queue has no consumer in the stack, so the test is the only reader (a work
    # queue's own poller may take the message first).
    event_id = write_outbox_item(stack, "signer.created")

    message = wait_for(
        received(stack, "CaEventsQueue", containing=event_id),
        seconds=DELIVERY_SECONDS,
        what="the event on CaEventsQueue",
    )

    assert message["id"] == event_id
    assert message["routingKey"] == "signer.created"
    assert message["payload"] == {"tenant": "acme", "probe": event_id}


def test_an_outbox_item_nobody_routes_ends_in_the_relay_dlq_after_the_retries(stack: RunningStack) -> None:
    write_outbox_item(stack, "no.such.key")

    failure = wait_for(
        received(stack, "RelayOutboxDLQ", containing="DDBStreamBatchInfo"),
        seconds=DELIVERY_SECONDS,
        what="the on-failure record on RelayOutboxDLQ",
    )

    assert failure["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert failure["requestContext"]["approximateInvokeCount"] == 4
    assert failure["DDBStreamBatchInfo"]["batchSize"] == 1
    assert ":table/astca-Table/stream/" in failure["DDBStreamBatchInfo"]["streamArn"]
