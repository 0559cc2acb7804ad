"""Cold start of every API function, init plus one real first request, against `import boto3` plus one client.

``python -m bench.cold_start`` prints the figures; ``--importtime FUNCTION ...`` prints, for those
functions, the modules that cost most in a sample (``python -X importtime``) instead.
"""

from __future__ import annotations

import argparse
import compileall
import json
import marshal
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.results import Figure, table

ROOT = Path(__file__).resolve().parents[1]
ROUNDS = 9
TARGET_RATIO = 1.3
TENANT = "bench"
# Functions whose request is only good for a few minutes (a key proof's iat) are measured first.
FIRST = ("register_public_key",)
# The deployment the probes need: a mutual-TLS domain (renewal) and a service URL (the iss of SDK configs).
PARAMETERS = {"MtlsDomainName": "localhost", "ServiceUrl": "https://127.0.0.1"}

HOW = f"""
Every API function of template.yaml (each function with an HttpApi event) gets a probe: one real
request of its route, its own method, path and path parameters, a bearer token of the development
IdP (admin or device, as the route needs; none on the public routes), a valid body (a P-256 CSR; a
key with its proof of possession; a transport JWE of a new session key; an SDK config; a revocation
reason) and, for renewal, the client certificate as API Gateway's mutual-TLS domain passes it.
Recording: a child interpreter starts a moto server, provisions the template, bootstraps the CA and
makes through the functions what each request needs (signers, certificates, a registered key), then
runs every probe once in a fresh interpreter against that server, keeping each AWS answer
(``bench.replay.Recorder``); each must already answer the route's success status. Measuring: each
sample is a fresh interpreter (the venv's Python 3.12, cwd the function's code directory, as
Lambda's /var/task, the function's own template environment, no AWS endpoint) whose clock starts
after a bootstrap that imports ``bench.replay`` (itself importing nothing but ``__future__``, which
boto3 imports anyway), reads the probe with marshal (built in) and hooks botocore's handler list so
that the replay answers every AWS call on botocore's before-send event: botocore still builds,
signs and parses each call; KMS Sign is signed anew with moto's private key. The baseline sample
times ``import boto3`` and ``boto3.client("dynamodb")``; the function sample times ``import app``
(init) and one handler call (first request), less the fake's own time (measured inside its handler:
about 0.02 ms a call, a few ms for create_sdk_config's KMS Sign, which loads the key and signs). The
function fetches the realm's JWKS over loopback HTTP from the development IdP serving in the bench
process (the token is minted there just before the function's rounds), so the auth path runs
whole. A sample whose answer is not the route's success status, or whose calls differ from the
recording, fails the bench. Baseline and function samples alternate, {ROUNDS} rounds per function;
the figure is median(init + first request) / median(baseline), target at most {TARGET_RATIO}.
Interpreter start-up is outside both clocks. Both sides run with bytecode: the venv's packages
have it from pip, the layer and the functions are compiled first, as the deployed layer carries it
(its build, `layers/common/Makefile`, compiles everything it ships).
"""

# The bootstrap and the measured part of every sample: argv = probe file, mode, result file, repo root.
SAMPLE = """
import marshal, sys, time
sys.path.append(sys.argv[4])
from bench import replay
sys.path.remove(sys.argv[4])
with open(sys.argv[1], "rb") as stream:
    probe = marshal.load(stream)
mode, event = sys.argv[2], probe["event"]
if mode == "record":
    fake = replay.Recorder()
    fake.on = True
    replay.install(("after-call", fake))
else:
    fake = replay.Replayer(probe["keys"])
    fake.load(probe["calls"])
    replay.install(("before-send", fake))


class Context:
    function_name, function_version, memory_limit_in_mb = probe["name"], "$LATEST", 512
    invoked_function_arn = "arn:aws:lambda:eu-central-1:123456789012:function:" + probe["name"]
    aws_request_id, log_group_name, log_stream_name = "cold-start", "/aws/lambda/cold", "cold"

    def get_remaining_time_in_millis(self):
        return 10_000


started = time.perf_counter()
if mode == "baseline":
    import boto3
    boto3.client("dynamodb")
    loaded = served = time.perf_counter()
    answer = {"statusCode": 0}
else:
    import app
    loaded = time.perf_counter()
    answer = app.lambda_handler(event, Context())
    served = time.perf_counter()
spent = getattr(fake, "spent", 0.0)
calls, left = (fake.calls, 0) if mode == "record" else ([], fake.left())
body = str(answer.get("body"))[:500]
with open(sys.argv[3], "wb") as stream:
    marshal.dump((loaded - started, served - loaded - spent, spent, answer["statusCode"], body, calls, left), stream)
"""


@dataclass(frozen=True)
class Sample:
    """One fresh interpreter's times (ms), the answer's status and body, and (recording) the AWS answers."""

    init_ms: float
    first_ms: float
    fake_ms: float
    status: int
    body: str
    calls: list[Any]
    left: int  # recorded AWS answers the replay was not asked for
    stderr: str = ""


# ---------------------------------------------------------------------------------------- the figures


def figures(rounds: int = ROUNDS) -> list[Figure]:
    """One figure per API function: median(init + first request) / median(baseline)."""
    compile_code()
    with tempfile.TemporaryDirectory() as folder, identity_provider() as idp:
        probes = prepare(Path(folder), idp)
        return [measure(probe, idp, rounds) for probe in probes]


def compile_code() -> None:
    """Bytecode of the layer and the functions, as the deployed layer carries it (layers/common/Makefile).

    The venv's packages have theirs from pip; without this, a shell that sets PYTHONDONTWRITEBYTECODE
    would make every sample compile astca again, and one that does not would compile it once.
    """
    for folder in (ROOT / "layers" / "common" / "astca", ROOT / "functions"):
        compileall.compile_dir(folder, quiet=1, workers=0)


@contextmanager
def identity_provider() -> Iterator[Any]:
    """The development IdP serving in this process (every sample's function fetches its JWKS)."""
    from local import dev_idp

    server = dev_idp.serve(free_port())
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def prepare(folder: Path, idp: Any) -> list[Path]:
    """Record every probe in a child interpreter (moto server, state, one recording each); the probe files."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.cold_start", "--prepare", str(folder), "--idp", idp.idp.base_url],
        cwd=ROOT,
        env=child_environment(),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"recording the cold-start probes failed:\n{done.stderr[-4000:]}")
    paths = sorted(folder.glob("*.probe"))
    return sorted(paths, key=lambda path: (path.stem.split("-", 1)[1] not in FIRST, path.name))


def child_environment() -> dict[str, str]:
    """This process's environment for a bench child: the repository on its path, no ASTCA_ or POWERTOOLS_ variable.

    The functions' variables come from the template alone (Powertools logs at INFO, as deployed), not
    from the shell or ``python -m bench``'s quieter defaults.
    """
    kept = {
        name: value for name, value in os.environ.items() if not name.startswith(("ASTCA_", "POWERTOOLS_"))
    }
    return {**kept, "PYTHONPATH": os.pathsep.join([str(ROOT / "layers" / "common"), str(ROOT)])}


def measure(path: Path, idp: Any, rounds: int) -> Figure:
    """Alternate baseline and function samples of one probe; its figure."""
    probe = with_fresh_token(path, idp)
    base, init, first, fake = [], [], [], []
    for _ in range(rounds):
        base.append(sample(path, "baseline", probe).init_ms)
        measured = sample(path, "function", probe)
        expect(probe, measured)
        init.append(measured.init_ms)
        first.append(measured.first_ms)
        fake.append(measured.fake_ms)
    total = statistics.median(i + f for i, f in zip(init, first, strict=True))
    floor = statistics.median(base)
    return Figure(
        "cold start / baseline",
        probe["function"],
        round(total / floor, 2),
        "ratio",
        TARGET_RATIO,
        "<=",
        detail={
            "route": probe["route"],
            "status": probe["status"],
            "baseline_ms": round(floor, 1),
            "init_ms": round(statistics.median(init), 1),
            "first_request_ms": round(statistics.median(first), 1),
            "init_plus_first_ms": round(total, 1),
            "aws_calls": len(probe["calls"]),
            "fake_ms": round(statistics.median(fake), 2),
            "rounds": rounds,
        },
    )


def with_fresh_token(path: Path, idp: Any) -> dict[str, Any]:
    """The probe at ``path``, its bearer token (if it has one) replaced by a new one of the same user."""
    probe = load(path)
    if probe["user"]:
        probe["event"]["headers"]["authorization"] = f"Bearer {token(idp, probe['tenant'], probe['user'])}"
        path.write_bytes(marshal.dumps(probe))
    return probe


def token(idp: Any, tenant: str, user: str) -> str:
    """A fresh access token of ``user`` from the development IdP's token endpoint logic."""
    form = {"grant_type": "password", "client_id": "astca-dev", "username": user, "password": user}
    status, answer = idp.idp.token(tenant, form)
    if status != 200:
        raise RuntimeError(f"the development IdP refused a token: {answer}")
    return str(answer["access_token"])


def load(path: Path) -> dict[str, Any]:
    """A probe file: event, route, expected status, environment, recorded AWS answers, KMS keys."""
    probe: dict[str, Any] = marshal.loads(path.read_bytes())  # noqa: S302 - this bench's own file
    return probe


def sample(path: Path, mode: str, probe: dict[str, Any], *, flags: tuple[str, ...] = ()) -> Sample:
    """Run one fresh interpreter in ``mode`` (baseline, function, record) on the probe at ``path``."""
    result = path.with_suffix(f".{mode}.out")
    environment = dict(probe["env"])
    if mode == "record":
        environment["AWS_ENDPOINT_URL"] = probe["endpoint_url"]
    done = subprocess.run(
        [sys.executable, *flags, "-c", SAMPLE, str(path), mode, str(result), str(ROOT)],
        cwd=ROOT / "functions" / probe["function"],
        env=environment,
        stdout=subprocess.DEVNULL,  # the function's logs
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{probe['function']} {mode} sample failed:\n{done.stderr[-3000:]}")
    loaded, served, spent, status, body, calls, left = marshal.loads(result.read_bytes())  # noqa: S302 - ours
    return Sample(loaded * 1000, served * 1000, spent * 1000, status, body, calls, left, done.stderr)


def expect(probe: dict[str, Any], measured: Sample) -> None:
    """Fail unless the first answer is the route's success status and the replay went as recorded."""
    if measured.status != probe["status"]:
        raise RuntimeError(
            f"{probe['function']} answered {measured.status}, not {probe['status']}: {measured.body}"
        )
    if measured.left:
        raise RuntimeError(f"{probe['function']} made {measured.left} fewer AWS calls than recorded")


# ---------------------------------------------------------------------------------------- import time


def importtime(functions: list[str], top: int = 15) -> str:
    """The modules that cost most in one function sample of each of ``functions`` (``-X importtime``)."""
    lines = []
    with tempfile.TemporaryDirectory() as folder, identity_provider() as idp:
        for path in prepare(Path(folder), idp):
            if load(path)["function"] not in functions:
                continue
            probe = with_fresh_token(path, idp)
            sample(path, "function", probe)  # warm the page cache
            measured = sample(path, "function", probe, flags=("-X", "importtime"))
            expect(probe, measured)
            lines.append(import_report(probe["function"], measured.stderr, top))
    return "\n".join(lines)


def import_report(function: str, stderr: str, top: int) -> str:
    """What one ``-X importtime`` log says the sample imported after the bootstrap (init and first request).

    Three views: own (self) time summed by top-level package, the costliest modules by their own
    time, and the cumulative time of each module ``app`` imports directly (or that the first
    request imports lazily, at the top level).
    """
    rows = []
    for line in stderr.splitlines():
        found = re.match(r"import time:\s+(\d+) \|\s+(\d+) \| (\s*)(\S+)", line)
        if found:
            rows.append((int(found[1]), int(found[2]), len(found[3]) // 2, found[4]))
    names = [row[3] for row in rows]
    measured = rows[names.index("bench.replay") + 1 :]  # the bootstrap's imports are not timed
    packages: dict[str, int] = {}
    for own, _, _, name in measured:
        packages[name.split(".")[0]] = packages.get(name.split(".")[0], 0) + own
    direct = [
        (name, cumulative)
        for _, cumulative, depth, name in measured
        if depth == 1 or (name != "app" and depth == 0)
    ]
    return "\n".join(
        [
            f"## {function}: {sum(row[0] for row in measured) / 1000:.0f} ms of imports after the bootstrap",
            "own time by package, ms: " + _ms(sorted(packages.items(), key=lambda item: -item[1])[:top]),
            "costliest modules (own), ms: "
            + _ms(sorted(((r[3], r[0]) for r in measured), key=lambda i: -i[1])[:top]),
            "app's direct imports and lazy ones (cumulative), ms: "
            + _ms(sorted(direct, key=lambda i: -i[1])[:top]),
        ]
    )


def _ms(items: list[tuple[str, int]]) -> str:
    return ", ".join(f"{name} {microseconds / 1000:.1f}" for name, microseconds in items)


# ---------------------------------------------------------------------------------------- recording


def record_all(folder: Path, idp_url: str) -> None:
    """In this (child) interpreter: a moto server with the state every probe needs, and one recording each."""
    from bench.replay import moto_private_keys
    from local.aws_env import use_local_aws
    from local.moto_server import MotoServer

    port = free_port()
    endpoint_url = f"http://127.0.0.1:{port}"
    use_local_aws(endpoint_url)
    server = MotoServer(host="127.0.0.1", port=port)
    server.start()
    try:
        scene = Scene(idp_url)
        probes = scene.probes()
        missing = api_functions() - {probe["function"] for probe in probes}
        if missing:
            raise RuntimeError(f"no cold-start probe for {sorted(missing)}")
        keys = moto_private_keys()
        for number, probe in enumerate(probes):
            path = folder / f"{number:02d}-{probe['function']}.probe"
            probe.update(keys=keys, calls=[], endpoint_url=endpoint_url)
            path.write_bytes(marshal.dumps(probe))
            recorded = sample(path, "record", probe)
            expect(probe, recorded)
            probe["calls"] = recorded.calls
            path.write_bytes(marshal.dumps(probe))
    finally:
        server.stop()


class Scene:
    """The template on the moto server, and through the functions (in this process) what each probe needs."""

    def __init__(self, idp_url: str) -> None:
        from local import functions
        from local.custom_resources import provision_custom_resources
        from local.resources import Provisioner
        from local.template import Template

        self.idp_url = idp_url
        self.template = Template.load()
        resources = Provisioner().provision(self.template, parameters={**PARAMETERS, "OidcBaseUrl": idp_url})
        for logical_id, environment in resources.environments.items():
            functions.apply_environment(logical_id, environment)
        self.resources = provision_custom_resources(resources)
        self._tokens: dict[tuple[str, str], str] = {}

    def token(self, tenant: str, user: str) -> str:
        """An access token of ``user`` in ``tenant`` (the development IdP, over HTTP)."""
        if (tenant, user) not in self._tokens:
            import urllib.parse
            import urllib.request

            form = urllib.parse.urlencode(
                {"grant_type": "password", "client_id": "astca-dev", "username": user, "password": user}
            ).encode()
            url = f"{self.idp_url}/realms/{tenant}/protocol/openid-connect/token"
            with urllib.request.urlopen(urllib.request.Request(url, data=form), timeout=5) as answer:  # noqa: S310
                self._tokens[tenant, user] = str(json.load(answer)["access_token"])
        return self._tokens[tenant, user]

    def call(self, function: str, method: str, route: str, status: int, **request: Any) -> Any:
        """Call a function here (to make state) and return its JSON answer, which must have ``status``."""
        from local.functions import lambda_context, load_function_module

        event = self.event(method, route, **request)
        answer = load_function_module(function).lambda_handler(event, lambda_context())
        if answer["statusCode"] != status:
            raise RuntimeError(f"{function} answered {answer['statusCode']}: {answer.get('body')}")
        return json.loads(answer["body"]) if answer.get("body") else None

    def event(
        self,
        method: str,
        route: str,
        *,
        user: str | None = None,
        tenant: str = TENANT,
        params: dict[str, str] | None = None,
        body: Any = None,
        query: dict[str, str] | None = None,
        client_certificate: bytes | None = None,
    ) -> dict[str, Any]:
        """The HTTP API event of one request of ``method route``."""
        from local.events import http_event

        params = {"tenant": tenant, **(params or {})} if "{tenant}" in route else dict(params or {})
        path = re.sub(r"\{(\w+)\}", lambda match: params[match.group(1)], route)
        headers = {"authorization": f"Bearer {self.token(tenant, user)}"} if user else {}
        if body is not None:
            headers["content-type"] = "application/json"
        return http_event(
            method,
            path,
            route_key=f"{method} {route}",
            path_parameters=params or None,
            headers=headers,
            query=query,
            body=json.dumps(body) if body is not None else None,
            client_certificate=client_certificate,
        )

    def probe(self, function: str, method: str, route: str, status: int, **request: Any) -> dict[str, Any]:
        """One probe: a function's first request, the status it must answer, the function's environment."""
        from local.functions import function_name
        from local.processes import runtime_environment

        spec = next(spec for spec in self.template.functions.values() if spec.code_uri.name == function)
        name = function_name(spec, self.resources)
        environment = runtime_environment(
            spec, name, self.resources.environments[spec.logical_id], endpoint_url=None, operator={}
        )
        return {
            "function": function,
            "name": name,
            "route": f"{method} {route}",
            "status": status,
            "user": request.get("user"),
            "tenant": request.get("tenant", TENANT),
            "event": self.event(method, route, **request),
            "env": environment,
        }

    def issued_signer(self, tenant: str) -> str:
        """Create ``tenant``'s signer and let the worker issue it; its id."""
        created = self.call(
            "create_signer",
            "POST",
            "/v1/tenants/{tenant}/signers",
            202,
            user="admin",
            tenant=tenant,
            body={"name": tenant},
        )
        self.deliver("issue_signer", "SignerRequestsQueue", "signer.requested")
        return str(created["id"])

    def deliver(self, function: str, queue: str, routing_key: str) -> None:
        """Hand every outbox event with ``routing_key`` to a worker (a no-op for the ones done before)."""
        from local.events import batch, sqs_record
        from local.functions import lambda_context, load_function_module

        arn = self.resources.attribute(queue, "Arn")
        records = [
            sqs_record(json.dumps(envelope), queue_arn=arn, message_id=envelope["id"])
            for envelope in self.outbox(routing_key)
        ]
        answer = load_function_module(function).lambda_handler(batch(records), lambda_context())
        if answer != {"batchItemFailures": []}:
            raise RuntimeError(f"{function} failed: {answer}")

    def outbox(self, routing_key: str) -> list[dict[str, Any]]:
        """The envelopes of the outbox items with ``routing_key``."""
        import boto3

        from astca.storage.dynamo import deserialize

        items = boto3.client("dynamodb").scan(TableName=self.resources.tables["Table"])["Items"]
        return [
            {
                "id": item["PK"].removeprefix("OUTBOX#"),
                "routingKey": item["routingKey"],
                "occurredAt": item["occurredAt"],
                "payload": json.loads(item["payload"]),
            }
            for item in map(deserialize, items)
            if item["PK"].startswith("OUTBOX#") and item["routingKey"] == routing_key
        ]

    def certificate(self) -> str:
        """Request a certificate and let the worker sign it (not yet delivered): its id."""
        body = {"csr": new_csr()[0]}
        accepted = self.call(
            "request_certificate", "POST", "/v1/tenants/{tenant}/certificates", 202, user="device", body=body
        )
        self.deliver("issue_certificate", "CertificateRequestsQueue", "certificate.requested")
        return str(accepted["id"])

    def probes(self) -> list[dict[str, Any]]:
        """The state each probe needs, then every probe, in an order whose recordings do not disturb each other."""
        signer_id = self.issued_signer(TENANT)
        return [
            *self.public_probes(),
            *self.signer_probes(signer_id),
            *self.certificate_probes(),
            *self.key_probes(),
        ]

    def public_probes(self) -> list[dict[str, Any]]:
        """The routes that need no token, and whoami."""
        return [
            self.probe("health", "GET", "/v1/health", 200),
            self.probe("whoami", "GET", "/v1/tenants/{tenant}/whoami", 200, user="device"),
            self.probe("get_ca_chain", "GET", "/v1/tenants/{tenant}/ca", 200),
            self.probe(
                "get_ca_certificate",
                "GET",
                "/v1/tenants/{tenant}/ca/certificates/{name}",
                200,
                params={"name": "anchor"},
            ),
            self.probe("get_session_jwks", "GET", "/v1/session-encryption/jwks", 200),
        ]

    def signer_probes(self, signer_id: str) -> list[dict[str, Any]]:
        """The signer routes: reads on the tenant's signer, writes on tenants of their own."""
        one = {"signerId": signer_id}
        revoked = {"signerId": self.issued_signer("bench-revoke")}
        deleted = {"signerId": self.issued_signer("bench-delete")}
        signer = "/v1/tenants/{tenant}/signers/{signerId}"
        return [
            self.probe(
                "create_signer",
                "POST",
                "/v1/tenants/{tenant}/signers",
                202,
                user="admin",
                tenant="bench-new",
                body={"name": "Fleet"},
            ),
            self.probe("get_signer", "GET", signer, 200, user="admin", params=one),
            self.probe(
                "get_current_signer", "GET", "/v1/tenants/{tenant}/signers/current", 200, user="admin"
            ),
            self.probe("list_signers", "GET", "/v1/tenants/{tenant}/signers", 200, user="admin"),
            self.probe(
                "revoke_signer",
                "POST",
                signer + "/revoke",
                200,
                user="admin",
                tenant="bench-revoke",
                params=revoked,
                body={"reason": "superseded"},
            ),
            self.probe(
                "delete_signer", "DELETE", signer, 204, user="admin", tenant="bench-delete", params=deleted
            ),
        ]

    def certificate_probes(self) -> list[dict[str, Any]]:
        """The certificate routes: request, fetch, find, renew, and an SDK config."""
        from cryptography import x509
        from cryptography.hazmat.primitives.serialization import Encoding

        from tests.functions.sdk_configs import certificate_b64

        fetched, held, revoked = self.certificate(), self.certificate(), self.certificate()
        route = "/v1/tenants/{tenant}/certificates/{certificateId}"
        delivered = self.call(
            "get_certificate", "GET", route, 200, user="device", params={"certificateId": held}
        )
        device = x509.load_pem_x509_certificate(delivered["certificate"].encode())
        own = self.call(
            "get_certificate", "GET", route, 200, user="device", params={"certificateId": self.certificate()}
        )
        own_device = x509.load_pem_x509_certificate(own["certificate"].encode())
        query = {"issuer": device.issuer.rfc4514_string(), "serial": delivered["serial"]}
        config = {
            "tlsBundle": [certificate_b64("TLS root")],
            "astUrl": "https://ast.example.com/v2",
            "services": [{"name": "auth", "url": "https://auth.example.com"}],
        }
        certificates = "/v1/tenants/{tenant}/certificates"
        return [
            self.probe(
                "request_certificate", "POST", certificates, 202, user="device", body={"csr": new_csr()[0]}
            ),
            self.probe(
                "get_certificate", "GET", route, 200, user="device", params={"certificateId": fetched}
            ),
            self.probe("find_certificate", "GET", certificates, 200, user="admin", query=query),
            self.probe(
                "renew_certificate",
                "POST",
                certificates + "/renew",
                202,
                body={"csr": new_csr()[0]},
                client_certificate=device.public_bytes(Encoding.DER),
            ),
            self.probe(
                "create_sdk_config", "POST", "/v1/tenants/{tenant}/sdkconfig", 201, user="admin", body=config
            ),
            self.probe(
                "revoke_certificate",
                "POST",
                route + "/revoke",
                200,
                user="admin",
                params={"certificateId": revoked},
                body={"reason": "keyCompromise"},
            ),
            self.probe(
                "revoke_own_certificate",
                "POST",
                certificates + "/revoke-self",
                200,
                body={"reason": "keyCompromise"},
                client_certificate=own_device.public_bytes(Encoding.DER),
            ),
        ]

    def key_probes(self) -> list[dict[str, Any]]:
        """The public key routes (a key registered beforehand; a new one for the registration) and a session key."""
        from tests.key_proofs import DeviceKey, subject
        from tests.session_client import new_key, transport_jwe

        sub = subject(self.token(TENANT, "device"))
        registered = DeviceKey.generate("P-256")
        keys = "/v1/tenants/{tenant}/public-keys"
        made = self.call(
            "register_public_key",
            "POST",
            keys,
            201,
            user="device",
            body={"jwk": registered.public, "proof": registered.proof(sub, TENANT)},
        )
        one = {"kid": str(made["kid"])}
        fresh = DeviceKey.generate("P-256")
        jwks = self.call("get_session_jwks", "GET", "/v1/session-encryption/jwks", 200)
        return [
            self.probe(
                "register_public_key",
                "POST",
                keys,
                201,
                user="device",
                body={"jwk": fresh.public, "proof": fresh.proof(sub, TENANT)},
            ),
            self.probe("get_public_key", "GET", keys + "/{kid}", 200, user="device", params=one),
            self.probe("list_public_keys", "GET", keys, 200, user="device"),
            self.probe("delete_public_key", "DELETE", keys + "/{kid}", 204, user="device", params=one),
            self.probe(
                "create_session_key",
                "POST",
                "/v1/tenants/{tenant}/session-keys",
                201,
                user="device",
                body={"jwe": transport_jwe(jwks, new_key())},
            ),
        ]


def new_csr() -> tuple[str, Any]:
    """A PEM CSR of a fresh P-256 key, and the key."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bench")])
    csr = x509.CertificateSigningRequestBuilder().subject_name(name).sign(key, hashes.SHA256())
    return csr.public_bytes(serialization.Encoding.PEM).decode(), key


def api_functions() -> set[str]:
    """The code directories of every function with an HttpApi event in template.yaml."""
    from local.template import Template

    return {spec.code_uri.name for spec in Template.load().functions.values() if spec.routes}


def main(argv: list[str] | None = None) -> None:
    """``python -m bench.cold_start``: print the figures (or the import-time report, or record, internally)."""
    parser = argparse.ArgumentParser(prog="python -m bench.cold_start")
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--importtime", nargs="+", metavar="FUNCTION", help="report these functions' imports")
    parser.add_argument("--prepare", metavar="DIR", help="(internal) record every probe into DIR")
    parser.add_argument("--idp", help="(internal, with --prepare) the development IdP's base URL")
    args = parser.parse_args(argv)
    if args.prepare:
        record_all(Path(args.prepare), args.idp)
    elif args.importtime:
        print(importtime(args.importtime))
    else:
        print(table(figures(args.rounds)))


if __name__ == "__main__":
    main()
