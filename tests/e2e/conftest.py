"""The local stack for e2e tests: ``python -m local.stack`` in a subprocess, on free ports, once a session.

A module that needs a stack configured otherwise (another IdP, say) launches its own with
``launch_stack(log_dir, ASTCA_OIDC_BASE_URL=...)`` and ``with serving(...)``; the session's stack is
not touched.

Everything waits on a condition with a deadline, never on a fixed sleep. The stack is stopped with
SIGINT (Ctrl-C) at the end and must exit 0.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from local.resources import NAME_PREFIX
from local.template import ROOT
from local.tls import server_certificate_path

START_SECONDS = 20.0
DELIVERY_SECONDS = 15.0


@dataclass(frozen=True)
class RunningStack:
    """A stack started for this module."""

    base_url: str
    endpoint_url: str
    idp_url: str
    log: Path
    tls_base_url: str
    server_certificate: Path

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

    def token(self, realm: str, user: str) -> str:
        """A password-grant token of the development IdP (users admin and device)."""
        form = urllib.parse.urlencode(
            {"grant_type": "password", "client_id": "astca-dev", "username": user, "password": user}
        ).encode()
        answer = request(f"{self.idp_url}/realms/{realm}/protocol/openid-connect/token", "POST", body=form)
        assert answer.status == 200, answer.body
        return str(answer.json()["access_token"])

    def call(self, method: str, path: str, *, token: str | None = None, body: Any = None) -> Answer:
        """One API request, with a bearer token and a JSON body when given."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(body).encode()
        return request(f"{self.base_url}{path}", method, headers=headers, body=data)


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
    url: str,
    method: str = "GET",
    *,
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
    timeout: float = 5,
) -> Answer:
    """One HTTP request; error statuses are answers too."""
    outgoing = urllib.request.Request(url, method=method, headers=headers or {}, data=body)
    try:
        with urllib.request.urlopen(outgoing, timeout=timeout) as response:
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
    return free_ports(1)[0]


def free_ports(count: int) -> list[int]:
    """``count`` different ports nothing listens on right now (the probes are held until all are found)."""
    with contextlib.ExitStack() as probes:
        ports = []
        for _ in range(count):
            probe = probes.enter_context(socket.socket())
            probe.bind(("127.0.0.1", 0))
            ports.append(int(probe.getsockname()[1]))
        return ports


@dataclass(frozen=True)
class StackProcess:
    """``python -m local.stack`` launched in a subprocess, not yet known to serve."""

    running: RunningStack
    process: subprocess.Popen[bytes]

    def healthy(self) -> bool | None:
        """True once GET /v1/health answers 200; fails at once if the stack exited."""
        if self.process.poll() is not None:
            raise AssertionError(
                f"the stack exited with {self.process.returncode}:\n{self.running.log.read_text()}"
            )
        try:
            return True if request(f"{self.running.base_url}/v1/health").status == 200 else None
        except OSError:
            return None

    def stop(self) -> int | None:
        """Ctrl-C (SIGINT) and its exit code; killed, and None, if it does not exit within 10 s."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            return None


def launch_stack(log_dir: Path, **extra_environment: str) -> StackProcess:
    """Launch a stack on free ports, logging to ``log_dir``/stack.log; ``extra_environment`` goes to it as is.

    ``ASTCA_OIDC_BASE_URL`` among them replaces the development IdP (and is the stack's ``idp_url``).
    """
    port, moto_port, idp_port, tls_port = free_ports(4)
    environment = {
        name: value for name, value in os.environ.items() if not name.startswith(("ASTCA_", "AWS_"))
    }
    environment.update(
        ASTCA_PORT=str(port),
        ASTCA_MOTO_PORT=str(moto_port),
        ASTCA_IDP_PORT=str(idp_port),
        ASTCA_TLS_PORT=str(tls_port),
        PYTHONPATH="layers/common",
        PYTHONUNBUFFERED="1",
    )
    environment.update(extra_environment)
    log = log_dir / "stack.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "local.stack"],
            cwd=ROOT,
            env=environment,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    idp_url = extra_environment.get("ASTCA_OIDC_BASE_URL", f"http://127.0.0.1:{idp_port}")
    running = RunningStack(
        f"http://127.0.0.1:{port}",
        f"http://127.0.0.1:{moto_port}",
        idp_url,
        log,
        tls_base_url=f"https://127.0.0.1:{tls_port}",
        server_certificate=server_certificate_path(tls_port),
    )
    return StackProcess(running, process)


@contextlib.contextmanager
def serving(*stacks: StackProcess) -> Iterator[list[RunningStack]]:
    """Wait until every stack serves (launched together, they start in parallel); stop them all after.

    Each is stopped with SIGINT, which must exit 0.
    """
    try:
        for launched in stacks:
            wait_for(launched.healthy, seconds=START_SECONDS, what="GET /v1/health")
        yield [launched.running for launched in stacks]
    finally:
        codes = [launched.stop() for launched in stacks]
    for launched, code in zip(stacks, codes, strict=True):
        assert code == 0, f"Ctrl-C did not stop the stack cleanly:\n{launched.running.log.read_text()}"


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    """The stack, serving, for the whole session; stopped with SIGINT, which must exit 0."""
    with serving(launch_stack(tmp_path_factory.mktemp("stack"))) as (running,):
        yield running
