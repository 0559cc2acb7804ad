"""The local stack over real HTTP: ``python -m local.stack`` in a subprocess, on free ports.

Everything waits on a condition with a deadline, never on a fixed sleep. The stack is stopped with
SIGINT (Ctrl-C) at the end and must exit 0.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from astca.ids import new_ulid
from local.events import attribute_values
from local.resources import NAME_PREFIX
from local.template import ROOT

pytestmark = pytest.mark.e2e

START_SECONDS = 20.0
DELIVERY_SECONDS = 15.0


@dataclass(frozen=True)
class RunningStack:
    """A stack started for this module."""

    base_url: str
    endpoint_url: str
    log: Path

    def client(self, service: str) -> Any:
        """A boto3 client of the stack's moto server."""
        return boto3.client(  # type: ignore[call-overload]
            service,
            endpoint_url=self.endpoint_url,
            region_name="eu-central-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    def queue_url(self, logical_id: str) -> str:
        """The URL of one of the template's queues."""
        return str(self.client("sqs").get_queue_url(QueueName=f"{NAME_PREFIX}-{logical_id}")["QueueUrl"])


@dataclass(frozen=True)
class Answer:
    """An HTTP response."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """The body as JSON."""
        return json.loads(self.body)


def request(url: str, method: str = "GET") -> Answer:
    """One HTTP request; error statuses are answers too."""
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method=method), timeout=5) as response:
            return Answer(
                response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
            )
    except urllib.error.HTTPError as error:
        return Answer(error.code, {k.lower(): v for k, v in error.headers.items()}, error.read())


def wait_for[T](condition: Callable[[], T | None], *, seconds: float, what: str, interval: float = 0.05) -> T:
    """Poll ``condition`` until it gives a value, or fail once ``seconds`` have passed."""
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if value is not None:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: nothing within {seconds} s")
        time.sleep(interval)


def free_port() -> int:
    """A port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    """The stack, serving, for the whole module; stopped with SIGINT, which must exit 0."""
    port, moto_port = free_port(), free_port()
    environment = {
        name: value for name, value in os.environ.items() if not name.startswith(("ASTCA_", "AWS_"))
    }
    environment.update(
        ASTCA_PORT=str(port), ASTCA_MOTO_PORT=str(moto_port), PYTHONPATH="layers/common", PYTHONUNBUFFERED="1"
    )
    log = tmp_path_factory.mktemp("stack") / "stack.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "local.stack"],
            cwd=ROOT,
            env=environment,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    running = RunningStack(f"http://127.0.0.1:{port}", f"http://127.0.0.1:{moto_port}", log)

    def healthy() -> bool | None:
        if process.poll() is not None:
            raise AssertionError(f"the stack exited with {process.returncode}:\n{log.read_text()}")
        try:
            return True if request(f"{running.base_url}/v1/health").status == 200 else None
        except OSError:
            return None

    try:
        wait_for(healthy, seconds=START_SECONDS, what="GET /v1/health")
        yield running
    finally:
        process.send_signal(signal.SIGINT)
        try:
            code = process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
    assert code == 0, f"Ctrl-C did not stop the stack cleanly:\n{log.read_text()}"


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
    event_id = write_outbox_item(stack, "certificate.requested")

    message = wait_for(
        received(stack, "CertificateRequestsQueue", containing=event_id),
        seconds=DELIVERY_SECONDS,
        what="the event on CertificateRequestsQueue",
    )

    assert message["id"] == event_id
    assert message["routingKey"] == "certificate.requested"
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
