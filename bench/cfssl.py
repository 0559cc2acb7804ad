"""cfssl ``serve`` as the load bench's comparison: a throwaway EC P-256 CA signing the same CSRs over HTTP.

cfssl signs synchronously: one POST /api/v1/cfssl/sign is request and delivery at once.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import shutil
import subprocess
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from bench.load import (
    Failure,
    Http,
    Outcome,
    Run,
    Sample,
    failure,
    free_ports,
    run_load,
    stop_process,
    wait_until,
)

START_SECONDS = 30.0
CA_CSR = {"CN": "astca bench cfssl CA", "key": {"algo": "ecdsa", "size": 256}}


def binary() -> str:
    """The cfssl executable (Debian's golang-cfssl puts it at /usr/bin/cfssl)."""
    found = shutil.which("cfssl")
    if found is None:
        raise RuntimeError("cfssl is not installed (apt-get install golang-cfssl)")
    return found


def make_ca(directory: Path) -> tuple[Path, Path]:
    """A self-signed EC P-256 CA in ``directory``: (certificate, key) files."""
    request = directory / "ca-csr.json"
    request.write_text(json.dumps(CA_CSR))
    made = subprocess.run([binary(), "gencert", "-initca", str(request)], capture_output=True, check=True)
    answer = json.loads(made.stdout)
    certificate, key = directory / "ca.pem", directory / "ca-key.pem"
    certificate.write_text(answer["cert"])
    key.write_text(answer["key"])
    key.chmod(0o600)
    return certificate, key


class Cfssl:
    """cfssl serve: POST /api/v1/cfssl/sign with the CSR, the certificate in the answer."""

    name = "cfssl serve"

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    def connect(self) -> Http:
        """A keep-alive connection to cfssl."""
        return Http(self.base_url)

    def issue(self, connection: Http, csr: str) -> Outcome:
        """Sign ``csr``: one request."""
        body = json.dumps({"certificate_request": csr}).encode()
        began = time.perf_counter()
        try:
            answer = connection.request(
                "POST", "/api/v1/cfssl/sign", body=body, headers={"Content-Type": "application/json"}
            )
        except (OSError, http.client.HTTPException) as error:
            return Failure("POST", 0, repr(error))
        elapsed = (time.perf_counter() - began) * 1000
        signed = answer.json() or {}
        if answer.status != 200 or not signed.get("success"):
            return failure("POST", answer)
        return Sample(elapsed, elapsed)


def _answers(port: int) -> bool:
    try:
        return Http(f"http://127.0.0.1:{port}", timeout=2).request("GET", "/").status > 0
    except OSError:
        return False


@contextlib.contextmanager
def serving(directory: Path) -> Iterator[tuple[Cfssl, int]]:
    """cfssl serve on a free port with a new CA; the target and cfssl's pid."""
    certificate, key = make_ca(directory)
    (port,) = free_ports(1)
    command = [binary(), "serve", "-address", "127.0.0.1", "-port", str(port), "-ca", str(certificate)]
    with (directory / "cfssl.log").open("wb") as log:
        process = subprocess.Popen([*command, "-ca-key", str(key)], stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_until(lambda: _answers(port), seconds=START_SECONDS, what="cfssl serve")
        yield Cfssl(f"http://127.0.0.1:{port}"), process.pid
    finally:
        stop_process(process)


def measure(
    batches: Sequence[tuple[int, Sequence[str]]],
    directory: Path,
    *,
    warmup: Sequence[str] = (),
    repeats: int = 3,
) -> list[Run]:
    """Sign each batch of CSRs with cfssl at its in-flight count ``repeats`` times (after ``warmup``); the median runs."""
    with serving(directory) as (target, pid):
        if warmup:
            run_load(target, warmup, 16, pid=pid)
        return [
            median_run([run_load(target, csrs, n, pid=pid) for _ in range(repeats)]) for n, csrs in batches
        ]


def median_run(runs: Sequence[Run]) -> Run:
    """The run of median throughput."""
    return sorted(runs, key=lambda run: run.rate)[len(runs) // 2]
