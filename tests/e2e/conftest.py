"""The local stack for e2e tests: ``python -m local.stack`` in a subprocess, on free ports, once a session.

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

from local.resources import NAME_PREFIX
from local.template import ROOT

START_SECONDS = 20.0
DELIVERY_SECONDS = 15.0


@dataclass(frozen=True)
class RunningStack:
    """A stack started for this module."""

    base_url: str
    endpoint_url: str
    idp_url: str
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


def request(
    url: str, method: str = "GET", *, headers: dict[str, str] | None = None, body: bytes | None = None
) -> Answer:
    """One HTTP request; error statuses are answers too."""
    outgoing = urllib.request.Request(url, method=method, headers=headers or {}, data=body)
    try:
        with urllib.request.urlopen(outgoing, timeout=5) as response:
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


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    """The stack, serving, for the whole module; stopped with SIGINT, which must exit 0."""
    port, moto_port, idp_port = free_port(), free_port(), free_port()
    environment = {
        name: value for name, value in os.environ.items() if not name.startswith(("ASTCA_", "AWS_"))
    }
    environment.update(
        ASTCA_PORT=str(port),
        ASTCA_MOTO_PORT=str(moto_port),
        ASTCA_IDP_PORT=str(idp_port),
        PYTHONPATH="layers/common",
        PYTHONUNBUFFERED="1",
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
    running = RunningStack(
        f"http://127.0.0.1:{port}", f"http://127.0.0.1:{moto_port}", f"http://127.0.0.1:{idp_port}", log
    )

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
