"""End-to-end load of the local stack over HTTP, as devices would drive it, side by side with cfssl.

``python -m bench.load [--url http://127.0.0.1:3000] [--count 2000] [--in-flight 16] [--tenant t]``
loads a running stack (``make run``): an admin creates a signer and waits for it to be ISSUED, then
``--in-flight`` threads each POST a pre-generated P-256 CSR with a device token and poll the
certificate on a backoff until it is delivered (200, once). It prints errors, certificates per second, POST and
request-to-delivery latencies, the RSS and CPU of the stack's process tree (found by the port it
listens on, or ``--pid``), CPU per certificate over the first and last 500 certificates, and the
client's own CPU. ``figures()`` (``make bench``) starts its own stack and cfssl and runs shorter loads.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from bench.results import Figure

ROOT = Path(__file__).resolve().parents[1]
CLIENT_ID = "astca-dev"
TOKEN_REFRESH_SECONDS = 240.0  # the development IdP's tokens live 300 s
NOT_YET_SIGNED = 510_000_020
DELIVERY_SECONDS = 60.0
SIGNER_SECONDS = 60.0
START_SECONDS = 120.0
WINDOW = 500
POLL_SECONDS = 0.2  # the first poll's wait after the 202
POLL_BACKOFF = 1.5  # each later wait is this much longer, up to the answer's Retry-After
# make bench: (in flight, certificates) per run, on one stack and then on cfssl.
RUNS = ((1, 100), (4, 300), (16, 600))
BENCH_WARMUP = 48
THROUGHPUT_TARGET = 50.0
RSS_TARGET_MB = 1024.0
CPU_RATIO_TARGET = 1.25
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

HOW = """
`bench.load` loads the whole local stack (`python -m local.stack` on free ports, with the development
IdP; functions log at the POWERTOOLS_LOG_LEVEL `make bench` sets) over plain HTTP as devices would (the
gateway keeps HTTP/1.1 connections alive, as API Gateway does, and so does cfssl): an
admin creates a signer and waits until it is ISSUED; one P-256 key and CSR per certificate is made
before any clock starts; N client threads (N = 1, 4, 16 in flight) each POST
/v1/tenants/{t}/certificates with a device token (password grant, fetched again every 240 s) and poll
GET .../certificates/{id} on a backoff, as an SDK would: the first poll 200 ms after the 202, each
later wait 1.5 times the one before, never longer than the 409's Retry-After (2 s), until the
one-time 200. A
certificate counts once request to delivery completes; any other answer, or none within 60 s, is an
error. 48 warm-up certificates at 16 in flight fill the functions' worker pools first (not counted),
then runs of 100, 300 and 600 certificates. Throughput is certificates over the run's wall time;
p50/p99 are nearest-rank over every certificate of the run. CPU is utime+stime (plus reaped
children's) of the stack process and every descendant (its function workers), read from /proc when
the run starts, when its first and its last window (min(500, half the run)) complete, and at its end;
the growth figure is the 600-certificate run's last window over its first. RSS is the peak over
1 s samples of VmRSS summed over that tree; the workers are forked from forkservers and share pages,
so the detail also gives PSS (every 5 s). The client's CPU (getrusage, less its /proc reading) is in
each row's detail. cfssl 1.2.0 `serve` (a throwaway EC P-256 CA, default signing policy) then signs
the same CSRs at the same concurrencies over keep-alive HTTP/1.1 on the same machine, the stack
stopped; each run three times, the median shown, as context without a target. The issue's full
check (2,000 certificates at 16 in flight) is `python -m bench.load` against `make run`.
"""


@dataclass(frozen=True)
class Answer:
    """An HTTP response: status, lower-case headers, body."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """The body as JSON (None if it is not JSON)."""
        try:
            return json.loads(self.body)
        except ValueError:
            return None


class Http:
    """One HTTP connection, kept alive where the server allows (http.client reopens it otherwise)."""

    def __init__(self, base_url: str, *, timeout: float = 30.0) -> None:
        parts = urllib.parse.urlsplit(base_url)
        self._connection = http.client.HTTPConnection(
            parts.hostname or "127.0.0.1", parts.port, timeout=timeout
        )

    def request(
        self, method: str, path: str, *, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> Answer:
        """One request; a connection error closes the connection and propagates."""
        try:
            self._connection.request(method, path, body=body, headers=headers or {})
            response = self._connection.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException):
            self._connection.close()
            raise
        return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, data)

    def close(self) -> None:
        """Close the connection."""
        self._connection.close()


@dataclass(frozen=True)
class Sample:
    """One certificate delivered: POST latency, request-to-delivery latency, polls it took."""

    post_ms: float
    delivered_ms: float
    polls: int = 0


@dataclass(frozen=True)
class Failure:
    """One certificate that was not delivered: which request, its status (0: no answer) and body."""

    where: str
    status: int
    body: str


Outcome = Sample | Failure


def failure(where: str, answer: Answer) -> Failure:
    """A failure from an unexpected answer."""
    return Failure(where, answer.status, answer.body[:500].decode("utf-8", "replace"))


class Target(Protocol):
    """A system that turns CSRs into certificates over HTTP."""

    name: str

    def connect(self) -> Http:
        """A connection for one client thread."""
        ...

    def issue(self, connection: Http, csr: str) -> Outcome:
        """Get one certificate for ``csr``."""
        ...


def make_csrs(count: int) -> list[str]:
    """``count`` PEM CSRs, each of a fresh P-256 key (made before any clock starts)."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "device")])
    csrs = []
    for _ in range(count):
        key = ec.generate_private_key(ec.SECP256R1())
        csr = x509.CertificateSigningRequestBuilder().subject_name(name).sign(key, hashes.SHA256())
        csrs.append(csr.public_bytes(serialization.Encoding.PEM).decode())
    return csrs


class Tokens:
    """Password-grant tokens of the development IdP, fetched again once they are 240 s old."""

    def __init__(self, idp_url: str, realm: str) -> None:
        self.idp_url, self.path = idp_url, f"/realms/{realm}/protocol/openid-connect/token"
        self._tokens: dict[str, tuple[float, str]] = {}
        self._lock = threading.Lock()

    def get(self, user: str) -> str:
        """A valid token of ``user`` (admin, device): its password is its name."""
        with self._lock:
            fetched = self._tokens.get(user)
            if fetched is None or time.monotonic() - fetched[0] > TOKEN_REFRESH_SECONDS:
                fetched = (time.monotonic(), self._fetch(user))
                self._tokens[user] = fetched
            return fetched[1]

    def _fetch(self, user: str) -> str:
        form = {"grant_type": "password", "client_id": CLIENT_ID, "username": user, "password": user}
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        connection = Http(self.idp_url, timeout=10)
        try:
            answer = connection.request(
                "POST", self.path, body=urllib.parse.urlencode(form).encode(), headers=headers
            )
        finally:
            connection.close()
        if answer.status != 200:
            raise RuntimeError(f"token of {user}: {answer.status} {answer.body[:300]!r}")
        return str(answer.json()["access_token"])


class Astca:
    """The stack as devices use it: POST a CSR, poll until the certificate is delivered."""

    name = "astca"

    def __init__(
        self,
        base_url: str,
        idp_url: str,
        tenant: str,
        *,
        poll_seconds: float = POLL_SECONDS,
        poll_backoff: float = POLL_BACKOFF,
    ) -> None:
        self.base_url, self.tenant = base_url, tenant
        self.poll_seconds, self.poll_backoff = poll_seconds, poll_backoff
        self.tokens = Tokens(idp_url, tenant)

    def connect(self) -> Http:
        """A connection to the gateway."""
        return Http(self.base_url)

    def auth(self, user: str) -> dict[str, str]:
        """The Authorization header of ``user``."""
        return {"Authorization": f"Bearer {self.tokens.get(user)}"}

    def ensure_signer(self) -> dict[str, Any]:
        """Create the tenant's signer (unless it has one) and wait until it is ISSUED."""
        connection = self.connect()
        headers = {**self.auth("admin"), "Content-Type": "application/json"}
        path = f"/v1/tenants/{self.tenant}/signers"
        created = connection.request("POST", path, body=b'{"name": "bench-load"}', headers=headers)
        if created.status not in (202, 409):
            raise RuntimeError(f"POST {path}: {created.status} {created.body[:300]!r}")
        deadline = time.monotonic() + SIGNER_SECONDS
        while time.monotonic() < deadline:
            current = connection.request("GET", f"{path}/current", headers=self.auth("admin"))
            body = current.json()
            if current.status == 200 and isinstance(body, dict) and body.get("state") == "ISSUED":
                connection.close()
                return dict(body)
            time.sleep(0.1)
        raise RuntimeError(f"the signer of {self.tenant} was not ISSUED within {SIGNER_SECONDS} s")

    def issue(self, connection: Http, csr: str) -> Outcome:
        """POST the CSR, then poll its certificate until delivered."""
        began = time.perf_counter()
        body = json.dumps({"csr": csr}).encode()
        headers = {**self.auth("device"), "Content-Type": "application/json"}
        try:
            accepted = connection.request(
                "POST", f"/v1/tenants/{self.tenant}/certificates", body=body, headers=headers
            )
        except (OSError, http.client.HTTPException) as error:
            return Failure("POST", 0, repr(error))
        post_ms = (time.perf_counter() - began) * 1000
        if accepted.status != 202 or "location" not in accepted.headers:
            return failure("POST", accepted)
        return self._deliver(connection, accepted.headers["location"], began, post_ms)

    def next_wait(self, wait: float, retry_after: str | None) -> float:
        """The wait before the next poll: the last one times the backoff, at most what Retry-After says."""
        longer = wait * self.poll_backoff
        try:
            return min(longer, float(retry_after)) if retry_after else longer
        except ValueError:  # an HTTP date: the backoff alone
            return longer

    def _deliver(self, connection: Http, location: str, began: float, post_ms: float) -> Outcome:
        polls, wait, last = 0, self.poll_seconds, b""
        while time.perf_counter() - began < DELIVERY_SECONDS:
            time.sleep(wait)
            polls += 1
            try:
                answer = connection.request("GET", location, headers=self.auth("device"))
            except (OSError, http.client.HTTPException) as error:
                return Failure("GET", 0, repr(error))
            if answer.status == 200:
                if b"BEGIN CERTIFICATE" not in answer.body:
                    return failure("GET", answer)
                return Sample(post_ms, (time.perf_counter() - began) * 1000, polls)
            if answer.status != 409 or (answer.json() or {}).get("code") != NOT_YET_SIGNED:
                return failure("GET", answer)
            wait = self.next_wait(wait, answer.headers.get("retry-after"))
            last = answer.body
        return Failure(
            "GET", 409, f"not delivered within {DELIVERY_SECONDS:g} s: {last[:300].decode(errors='replace')}"
        )


# Process trees in /proc.


def _stat_fields(pid: int) -> list[str]:
    text = Path(f"/proc/{pid}/stat").read_text()
    return text[text.rindex(")") + 2 :].split()


def processes() -> dict[int, tuple[int, float]]:
    """Every process: pid to (parent pid, CPU seconds: utime + stime plus its reaped children's)."""
    table = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, ValueError, IndexError):
                fields = _stat_fields(int(entry.name))
                table[int(entry.name)] = (int(fields[1]), sum(int(v) for v in fields[11:15]) / CLOCK_TICKS)
    return table


def tree(pid: int, table: dict[int, tuple[int, float]]) -> list[int]:
    """``pid`` and every descendant of it in ``table`` (by parent pid: not every kernel has task/*/children)."""
    children: dict[int, list[int]] = {}
    for child, (parent, _) in table.items():
        children.setdefault(parent, []).append(child)
    members, index = [pid], 0
    while index < len(members):
        members.extend(children.get(members[index], []))
        index += 1
    return [member for member in members if member in table]


def _status_kb(pid: int, path: str, field_name: str) -> float:
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path(f"/proc/{pid}/{path}").read_text().splitlines():
            if line.startswith(field_name):
                return int(line.split()[1]) / 1024
    return 0.0


def rss_mb(pid: int) -> float:
    """VmRSS of ``pid`` in MB (0 for a zombie or a process gone)."""
    return _status_kb(pid, "status", "VmRSS:")


def pss_mb(pid: int) -> float:
    """Pss of ``pid`` in MB: its RSS with shared pages divided among their sharers (0 without smaps_rollup)."""
    return _status_kb(pid, "smaps_rollup", "Pss:")


@dataclass(frozen=True)
class TreeUsage:
    """CPU, RSS and PSS of a process tree at one moment."""

    cpu_seconds: float = 0.0
    rss_mb: float = 0.0
    root_rss_mb: float = 0.0
    processes: int = 0
    pss_mb: float = 0.0


def usage(pid: int, *, with_pss: bool = False) -> TreeUsage:
    """The CPU and RSS (and PSS) of ``pid``'s tree now."""
    table = processes()
    members = tree(pid, table)
    rss = {member: rss_mb(member) for member in members}
    return TreeUsage(
        cpu_seconds=sum(table[member][1] for member in members),
        rss_mb=sum(rss.values()),
        root_rss_mb=rss.get(pid, 0.0),
        processes=len(members),
        pss_mb=sum(pss_mb(member) for member in members) if with_pss else 0.0,
    )


def listening_pid(port: int) -> int | None:
    """The process listening on TCP ``port`` (from /proc/net/tcp* inodes and /proc/*/fd)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                    inodes.add(f"socket:[{fields[9]}]")
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and inodes:
            with contextlib.suppress(OSError):
                if any(os.readlink(fd) in inodes for fd in (entry / "fd").iterdir()):
                    return int(entry.name)
    return None


class PeakSampler:
    """Samples a process tree every ``interval`` seconds in a thread, keeping the peaks and its own CPU.

    PSS costs some 50 ms of CPU over 30 processes (the kernel walks their page tables): every fifth sample.
    """

    def __init__(self, pid: int | None, interval: float = 1.0, pss_every: int = 5) -> None:
        self.pid, self.interval, self.pss_every = pid, interval, pss_every
        self.samples = 0
        self.peak = TreeUsage()
        self.cpu_seconds = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def __enter__(self) -> PeakSampler:
        """Start sampling."""
        if self.pid is not None:
            self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        """Stop sampling (after one last sample)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        while True:
            self.sample()
            if self._stop.wait(self.interval):
                self.samples = 0  # the last one with PSS
                self.sample()
                self.cpu_seconds = time.thread_time()
                return

    def sample(self) -> None:
        """Take one sample."""
        assert self.pid is not None
        now, peak = usage(self.pid, with_pss=self.samples % self.pss_every == 0), self.peak
        self.samples += 1
        self.peak = TreeUsage(
            now.cpu_seconds,
            max(peak.rss_mb, now.rss_mb),
            max(peak.root_rss_mb, now.root_rss_mb),
            max(peak.processes, now.processes),
            max(peak.pss_mb, now.pss_mb),
        )


# Running a load.


@dataclass
class Run:
    """What one load run measured."""

    system: str
    in_flight: int
    count: int
    seconds: float = 0.0
    samples: list[Sample] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    client_cpu_seconds: float = 0.0
    monitor_cpu_seconds: float = 0.0
    window: int = 0
    cpu_marks: dict[str, float] = field(default_factory=dict)
    peak: TreeUsage = field(default_factory=TreeUsage)

    @property
    def rate(self) -> float:
        """Certificates delivered per second of wall time."""
        return len(self.samples) / self.seconds if self.seconds else 0.0

    def cpu_per_certificate(self, part: str) -> float | None:
        """Tree CPU seconds per certificate over the first or last window, or the whole run (``all``)."""
        marks, window = self.cpu_marks, self.window
        spans = {
            "first": ("begin", "first", window),
            "last": ("last", "end", window),
            "all": ("begin", "end", self.count),
        }
        start, end, size = spans[part]
        if start not in marks or end not in marks or not size:
            return None
        return (marks[end] - marks[start]) / size

    @property
    def cpu_ratio(self) -> float | None:
        """Last window's CPU per certificate over the first's."""
        first, last = self.cpu_per_certificate("first"), self.cpu_per_certificate("last")
        return last / first if first and last is not None else None


class _Progress:
    """Completed certificates, and the tree's CPU when the first and the last window complete."""

    def __init__(self, run: Run, pid: int | None) -> None:
        self.run, self.pid = run, pid
        self.next_index = 0
        self.cpu_seconds = 0.0  # spent reading /proc
        self._lock = threading.Lock()
        self._marks: dict[int, list[str]] = {}
        for finished, name in ((run.window, "first"), (run.count - run.window, "last")):
            self._marks.setdefault(finished, []).append(name)

    def take(self) -> int | None:
        """The index of the next CSR to send, or None when all are taken."""
        with self._lock:
            if self.next_index >= self.run.count:
                return None
            self.next_index += 1
            return self.next_index - 1

    def done(self, outcome: Outcome) -> None:
        """Record one outcome (and the CPU at a window's edge)."""
        with self._lock:
            if isinstance(outcome, Sample):
                self.run.samples.append(outcome)
            else:
                self.run.failures.append(outcome)
            finished = len(self.run.samples) + len(self.run.failures)
            for name in self._marks.get(finished, []):
                self.mark(name)

    def mark(self, name: str) -> None:
        """Note the tree's CPU now under ``name``."""
        if self.pid is not None:
            began = time.thread_time()
            self.run.cpu_marks[name] = usage(self.pid).cpu_seconds
            self.cpu_seconds += time.thread_time() - began


def client_cpu() -> float:
    """This process's CPU seconds so far (every thread)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    return own.ru_utime + own.ru_stime


def run_load(
    target: Target, csrs: Sequence[str], in_flight: int, *, pid: int | None, window: int = WINDOW
) -> Run:
    """Send every CSR through ``target`` with ``in_flight`` threads; measure it and ``pid``'s tree."""
    run = Run(target.name, in_flight, len(csrs), window=min(window, len(csrs) // 2))
    progress = _Progress(run, pid)
    connections = [target.connect() for _ in range(in_flight)]

    def work(connection: Http) -> None:
        while (index := progress.take()) is not None:
            progress.done(target.issue(connection, csrs[index]))

    threads = [threading.Thread(target=work, args=(c,), name=f"load-{i}") for i, c in enumerate(connections)]
    cpu_before = client_cpu()
    with PeakSampler(pid) as sampler:
        progress.mark("begin")
        began = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        run.seconds = time.perf_counter() - began
        progress.mark("end")
    run.peak = sampler.peak
    run.monitor_cpu_seconds = sampler.cpu_seconds + progress.cpu_seconds
    run.client_cpu_seconds = client_cpu() - cpu_before - run.monitor_cpu_seconds
    for connection in connections:
        connection.close()
    return run


# Reporting.


def percentile(values: Sequence[float], q: float) -> float:
    """The nearest-rank ``q``-th percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def latencies(run: Run) -> dict[str, float]:
    """p50 and p99 of POST and request-to-delivery latency (ms), and polls per certificate."""
    posts = [s.post_ms for s in run.samples]
    delivered = [s.delivered_ms for s in run.samples]
    polls = sum(s.polls for s in run.samples) / len(run.samples) if run.samples else 0.0
    return {
        "post_p50_ms": round(percentile(posts, 50), 1),
        "post_p99_ms": round(percentile(posts, 99), 1),
        "delivered_p50_ms": round(percentile(delivered, 50), 1),
        "delivered_p99_ms": round(percentile(delivered, 99), 1),
        "polls_per_cert": round(polls, 2),
    }


def _ms(seconds: float | None) -> str:
    return "n/a" if seconds is None else f"{seconds * 1000:.1f} ms"


def _share(part: float, whole: float) -> str:
    return f"{part / whole * 100:.0f}%" if whole else "n/a"


def report(run: Run) -> str:
    """A run as lines of text."""
    figures = latencies(run)
    lines = [
        f"{run.system}: {run.count} certificates at {run.in_flight} in flight in {run.seconds:.1f} s",
        f"  delivered    {len(run.samples)}, errors {len(run.failures)}",
        f"  throughput   {run.rate:.1f} certs/s",
        f"  POST         p50 {figures['post_p50_ms']} ms, p99 {figures['post_p99_ms']} ms",
        f"  delivered    p50 {figures['delivered_p50_ms']} ms, p99 {figures['delivered_p99_ms']} ms"
        f" ({figures['polls_per_cert']} polls per certificate)",
        f"  RSS peak     tree {run.peak.rss_mb:.0f} MB over {run.peak.processes} processes"
        f" (PSS {run.peak.pss_mb:.0f} MB), root process {run.peak.root_rss_mb:.0f} MB",
        f"  CPU/cert     tree: all {_ms(run.cpu_per_certificate('all'))}, first {run.window}"
        f" {_ms(run.cpu_per_certificate('first'))}, last {run.window} {_ms(run.cpu_per_certificate('last'))},"
        f" ratio {run.cpu_ratio or 0:.2f}",
        f"  client CPU   {run.client_cpu_seconds:.1f} s, {_share(run.client_cpu_seconds, run.seconds)} of one core,"
        f" {run.client_cpu_seconds / run.count * 1000:.2f} ms per certificate"
        f" (reading /proc besides: {run.monitor_cpu_seconds:.1f} s)",
    ]
    lines += [f"  error        {f.where} {f.status} {f.body[:300]}" for f in run.failures[:5]]
    return "\n".join(lines)


def verdicts(run: Run) -> str:
    """The issue's targets against a run."""
    checks = [
        (f"zero errors ({len(run.failures)})", not run.failures),
        (f">= {THROUGHPUT_TARGET:g} certs/s ({run.rate:.1f})", run.rate >= THROUGHPUT_TARGET),
        (f"tree RSS < {RSS_TARGET_MB:g} MB ({run.peak.rss_mb:.0f})", run.peak.rss_mb < RSS_TARGET_MB),
        (
            f"CPU last/first <= {CPU_RATIO_TARGET:g} ({run.cpu_ratio or 0:.2f})",
            run.cpu_ratio is not None and run.cpu_ratio <= CPU_RATIO_TARGET,
        ),
    ]
    return "\n".join(f"  target       {'met   ' if ok else 'MISSED'} {text}" for text, ok in checks)


# A stack of our own (make bench).


@dataclass(frozen=True)
class LocalStack:
    """A ``python -m local.stack`` subprocess, serving."""

    base_url: str
    idp_url: str
    pid: int
    log: Path


def free_ports(count: int) -> list[int]:
    """``count`` different ports nothing listens on right now."""
    with contextlib.ExitStack() as probes:
        ports = []
        for _ in range(count):
            probe = probes.enter_context(socket.socket())
            probe.bind(("127.0.0.1", 0))
            ports.append(int(probe.getsockname()[1]))
        return ports


def wait_until(condition: Callable[[], bool], *, seconds: float, what: str) -> None:
    """Poll ``condition`` every 0.1 s until true, or raise after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what}: not within {seconds:g} s")
        time.sleep(0.1)


def _healthy(process: subprocess.Popen[bytes], base_url: str, log: Path) -> bool:
    if process.poll() is not None:
        raise RuntimeError(f"the stack exited with {process.returncode}:\n{log.read_text()[-3000:]}")
    try:
        return Http(base_url, timeout=2).request("GET", "/v1/health").status == 200
    except OSError:
        return False


@contextlib.contextmanager
def local_stack(log_dir: Path) -> Iterator[LocalStack]:
    """Start the stack on free ports with the development IdP; wait until it serves and its workers are warm."""
    port, tls_port, moto_port, idp_port = free_ports(4)
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("ASTCA_", "AWS_"))}
    environment.update(
        ASTCA_PORT=str(port),
        ASTCA_TLS_PORT=str(tls_port),
        ASTCA_MOTO_PORT=str(moto_port),
        ASTCA_IDP_PORT=str(idp_port),
        PYTHONPATH="layers/common",
        PYTHONUNBUFFERED="1",
    )
    log = log_dir / "stack.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "local.stack"],
            cwd=ROOT,
            env=environment,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: _healthy(process, base_url, log), seconds=START_SECONDS, what="GET /v1/health")
        wait_until(
            lambda: "warmed" in log.read_text(), seconds=START_SECONDS, what="the API functions' warm-up"
        )
        yield LocalStack(base_url, f"http://127.0.0.1:{idp_port}", process.pid, log)
    finally:
        stop_process(process)


def stop_process(process: subprocess.Popen[bytes]) -> int | None:
    """SIGINT and the exit code; killed (None) if it does not exit within 20 s."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
    try:
        return process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        return None


def new_tenant() -> str:
    """A tenant (realm) name of its own."""
    return f"load-{uuid.uuid4().hex[:12]}"


# make bench.


def _throughput(run: Run, target: float | None) -> Figure:
    detail: dict[str, Any] = {"certs": run.count, "errors": len(run.failures), **latencies(run)}
    detail["cpu_ms_per_cert"] = round((run.cpu_per_certificate("all") or 0) * 1000, 2)
    detail["client_cpu_ms_per_cert"] = round(run.client_cpu_seconds / run.count * 1000, 2)
    subject = f"{run.system}, {run.in_flight} in flight"
    return Figure("load throughput", subject, round(run.rate, 1), "certs/s", target, ">=", detail)


def astca_figures(runs: Sequence[Run], warmup: Run) -> list[Figure]:
    """Throughput per run, then errors, peak RSS and CPU growth of the stack."""
    rows = [_throughput(run, THROUGHPUT_TARGET if run.in_flight == 16 else None) for run in runs]
    errors = [f for run in (warmup, *runs) for f in run.failures]
    first = [f"{f.where} {f.status} {f.body[:120]}" for f in errors[:3]]
    rows.append(
        Figure(
            "load errors",
            "astca, every run",
            len(errors),
            "errors",
            0,
            "<=",
            {"first": first} if first else {},
        )
    )
    peak = max(runs, key=lambda run: run.peak.rss_mb).peak
    rows.append(
        Figure(
            "load RSS peak",
            "astca stack process tree",
            round(peak.rss_mb),
            "MB",
            RSS_TARGET_MB,
            "<=",
            {
                "pss_mb": round(peak.pss_mb),
                "stack_process_mb": round(peak.root_rss_mb),
                "processes": peak.processes,
            },
        )
    )
    rows.append(_cpu_growth(runs[-1]))
    return rows


def _cpu_growth(run: Run) -> Figure:
    first, last = run.cpu_per_certificate("first"), run.cpu_per_certificate("last")
    detail = {
        "window": run.window,
        "first_ms_per_cert": round((first or 0) * 1000, 2),
        "last_ms_per_cert": round((last or 0) * 1000, 2),
    }
    subject = f"astca tree, last/first {run.window} of {run.count} at {run.in_flight} in flight"
    return Figure(
        "load CPU growth", subject, round(run.cpu_ratio or 0, 2), "ratio", CPU_RATIO_TARGET, "<=", detail
    )


def batches(csrs: Sequence[str]) -> list[tuple[int, Sequence[str]]]:
    """The CSRs cut into RUNS: (in flight, CSRs) per run."""
    cut, start = [], 0
    for in_flight, count in RUNS:
        cut.append((in_flight, csrs[start : start + count]))
        start += count
    return cut


def measure_astca(
    runs: Sequence[tuple[int, Sequence[str]]], warmup: Sequence[str], log_dir: Path
) -> tuple[list[Run], Run]:
    """Start a stack, warm it up, and run each (in flight, CSRs) on it."""
    with local_stack(log_dir) as stack:
        target = Astca(stack.base_url, stack.idp_url, new_tenant())
        target.ensure_signer()
        warm = run_load(target, warmup, 16, pid=stack.pid)
        warm.system = "astca warm-up (not counted)"
        measured = [run_load(target, csrs, in_flight, pid=stack.pid) for in_flight, csrs in runs]
    return measured, warm


def figures() -> list[Figure]:
    """The stack's and cfssl's throughput at 1, 4 and 16 in flight, and the stack's errors, RSS and CPU growth."""
    from bench import cfssl

    csrs, warm = batches(make_csrs(sum(count for _, count in RUNS))), make_csrs(BENCH_WARMUP)
    with tempfile.TemporaryDirectory(prefix="astca-load-") as directory:
        runs, warmup = measure_astca(csrs, warm, Path(directory))
        for run in (warmup, *runs):
            print(report(run), flush=True)
        cfssl_runs = cfssl.measure(csrs, Path(directory), warmup=warm)
    for run in cfssl_runs:
        print(report(run), flush=True)
    return [*astca_figures(runs, warmup), *(_throughput(run, None) for run in cfssl_runs)]


# python -m bench.load


def arguments(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:3000", help="the gateway (make run)")
    parser.add_argument("--idp-url", help="the development IdP (default: the URL's host, port 8081)")
    parser.add_argument("--count", type=int, default=2000, help="certificates to request")
    parser.add_argument("--in-flight", type=int, default=16, help="concurrent clients")
    parser.add_argument("--tenant", default=None, help="tenant (realm); default: a new one")
    parser.add_argument(
        "--pid", type=int, default=None, help="the stack's pid (default: who listens on --url)"
    )
    parser.add_argument("--warmup", type=int, default=64, help="certificates first, not counted")
    parser.add_argument("--window", type=int, default=WINDOW, help="certificates per CPU window")
    parser.add_argument("--poll", type=float, default=POLL_SECONDS, help="seconds before the first poll")
    parser.add_argument(
        "--poll-backoff",
        type=float,
        default=POLL_BACKOFF,
        help="each later poll waits this much longer than the last, at most Retry-After",
    )
    return parser.parse_args(argv)


def command_line(pid: int) -> str:
    """The command line of ``pid``."""
    return " ".join(Path(f"/proc/{pid}/cmdline").read_text().split("\0")).strip()


def main(argv: Sequence[str] | None = None) -> int:
    """Load a running stack and print what it measured; exit status 1 if any certificate failed."""
    args = arguments(argv)
    parts = urllib.parse.urlsplit(args.url)
    pid = args.pid or listening_pid(parts.port or 80)
    idp_url = args.idp_url or f"http://{parts.hostname}:8081"
    target = Astca(
        args.url, idp_url, args.tenant or new_tenant(), poll_seconds=args.poll, poll_backoff=args.poll_backoff
    )
    print(f"stack pid {pid}: {command_line(pid) if pid else 'not found (no CPU or RSS figures)'}")
    began = time.perf_counter()
    csrs, warmup = make_csrs(args.count), make_csrs(args.warmup)
    print(f"{args.count + args.warmup} P-256 CSRs made in {time.perf_counter() - began:.1f} s (not timed)")
    signer = target.ensure_signer()
    print(f"tenant {target.tenant}: signer {signer['id']} ISSUED")
    if warmup:
        warm = run_load(target, warmup, args.in_flight, pid=pid, window=args.window)
        warm.system = "warm-up (not counted)"
        print(report(warm), flush=True)
    run = run_load(target, csrs, args.in_flight, pid=pid, window=args.window)
    print(report(run))
    print(verdicts(run))
    return 0 if not run.failures else 1


if __name__ == "__main__":
    sys.exit(main())
