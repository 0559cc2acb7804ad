"""The service's own CPU per request, with AWS answered at zero cost (``bench.replay``), beside the crypto floor.

``figures()`` runs the measurement in a child interpreter (``python -m bench.own_cpu --child``), so
its moto, its function modules and their caches never meet another bench's. ``--profile`` prints
where the CPU goes (cProfile, top cumulative functions) for each operation.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime
import io
import json
import pstats
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.cold_start import child_environment, new_csr
from bench.results import Figure, table

ROOT = Path(__file__).resolve().parents[1]
ITERATIONS = 200
WARMUP = 20
SIGNER_CACHE_SECONDS = 60  # astca.services.active_signer: the replay must finish before a refresh
POST, WORKER, LINT, GET, SDK, FLOOR = (
    "POST certificate",
    "issuance worker (lint included)",
    "lint alone (pkilint)",
    "GET certificate",
    "boto3 floor: GET's UpdateItem alone",
    "Python crypto floor",
)
TARGETS: dict[str, float | None] = {POST: 2.0, WORKER: 5.0, LINT: None, GET: 1.0, SDK: None, FLOOR: None}

HOW = f"""
CPU time (``time.process_time``) of one request inside the handler, median of {ITERATIONS} iterations
after {WARMUP} of warm-up, in a child interpreter. First the certificate flow of ``bench.flow`` runs
on moto (template provisioned, CA bootstrapped, a signer issued, two certificates through every
step, so the signer, public keys, JWKS and hierarchy are cached); then one POST certificate
(request_certificate: a development-IdP device token, a P-256 CSR), one issuance worker run
(issue_certificate on that request's certificate.requested event, one SQS record) and one GET
certificate (get_certificate) are recorded: every botocore call's raw HTTP answer, taken on
botocore's after-call event (``bench.replay.Recorder``). moto is then switched off (its stubber,
still first on botocore's before-send event, returns at once) and the three events are replayed,
each call answered by ``bench.replay.Replayer`` on before-send: botocore still validates,
serializes, SigV4-signs and parses every call; the network and AWS are gone. KMS Sign is answered
by signing the requested TBS with the private half of moto's signer key (exported from moto's
backend), so the certificate is assembled from the TBS and a real signature and verified against
the signer certificate as on AWS; the fake memoizes that signature per message, and its own CPU,
measured inside its handler (about 0.015 ms a call; reported as fake_ms), is subtracted. Every
replayed worker run must write certificate.issued and every run must consume exactly the recorded
answers, or the bench fails. Lint alone is ``astca.issuance.lint.pkilint_lint`` on the certificate
GET delivered. The floor is cryptography alone for a like certificate: load and verify the P-256
CSR, build a certificate with the device profile's extensions (basicConstraints, keyUsage,
extendedKeyUsage clientAuth, SKI, AKI) and sign it with a local P-256 key (the service's own draft
is signed with a throwaway key of the signer's algorithm, RSA 2048 by default, before KMS signs).
The five operations alternate within each iteration, so noise hits all alike. Logging is as the
template sets it (Powertools at INFO), written to a discarded stdout.
"""


@dataclass
class Operation:
    """One measured operation: what runs, how its answer is checked, and its samples."""

    name: str
    run: Callable[[], Any]
    check: Callable[[Any], None]
    wrote: bytes = b""  # a replayed run must send this in some AWS request
    calls: list[Any] = field(default_factory=list)
    samples: list[float] = field(default_factory=list)
    fake: list[float] = field(default_factory=list)


def figures(iterations: int = ITERATIONS) -> list[Figure]:
    """Measure in a child interpreter and return one figure per operation."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "own_cpu.json"
        _child([str(out), "--iterations", str(iterations)])
        rows: list[dict[str, Any]] = json.loads(out.read_text())
    return [Figure(**row) for row in rows]


def profile(iterations: int = 100) -> str:
    """The cProfile top functions of every operation, from a child interpreter."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "own_cpu.json"
        _child([str(out), "--iterations", str(iterations), "--profile"])
        return str(json.loads((Path(folder) / "own_cpu.json.profile").read_text()))


def _child(arguments: list[str]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench.own_cpu", "--child", *arguments],
        cwd=ROOT,
        env=child_environment(),
        stdout=subprocess.DEVNULL,  # the functions' logs
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"bench.own_cpu child failed:\n{done.stderr[-4000:]}")


# ---------------------------------------------------------------------------------------- the child


def measure(out: Path, iterations: int, *, with_profile: bool) -> None:
    """Record on moto, replay without it, and write the figures (and profiles) as JSON to ``out``."""
    from local.aws_env import use_local_aws

    use_local_aws()
    import moto.core.models  # noqa: F401 - moto's stubber joins botocore's handlers before ours

    from bench import replay

    recorder, replayer = replay.Recorder(), replay.Replayer(clock=time.process_time)
    replayer.on = False
    replay.install(("after-call", recorder), ("before-send", replayer))
    operations = record(recorder, replayer)
    replayer.on = True
    started = time.monotonic()
    for operation in operations:  # once each, checked, before any figure is taken
        run_once(operation, replayer)
    for index in range(WARMUP + iterations):
        for operation in operations:
            spent, fake = run_once(operation, replayer)
            if index >= WARMUP:
                operation.samples.append(spent)
                operation.fake.append(fake)
    if time.monotonic() - started > SIGNER_CACHE_SECONDS - 5:
        raise RuntimeError("the replay took too long: the signer cache may have refreshed mid-run")
    out.write_text(json.dumps([as_row(operation) for operation in operations]))
    if with_profile:
        out.with_suffix(".json.profile").write_text(json.dumps(profiles(operations, replayer, iterations)))


def run_once(operation: Operation, replayer: Any) -> tuple[float, float]:
    """CPU seconds of one run of ``operation`` less the fake's, and the fake's."""
    replayer.load(operation.calls)
    started = time.process_time()
    answer = operation.run()
    spent = time.process_time() - started
    operation.check(answer)
    if operation.wrote and not any(operation.wrote in body for _, body in replayer.sent):
        raise RuntimeError(f"{operation.name}: no AWS request carried {operation.wrote!r}")
    if replayer.left():
        raise RuntimeError(f"{operation.name}: {replayer.left()} recorded AWS answers were not asked for")
    return spent - replayer.spent, replayer.spent


def as_row(operation: Operation) -> dict[str, Any]:
    """The figure of ``operation`` as results.json holds it."""
    return {
        "figure": "own CPU per request (AWS at zero cost)",
        "subject": operation.name,
        "value": round(statistics.median(operation.samples) * 1000, 3),
        "unit": "ms",
        "target": TARGETS[operation.name],
        "comparison": "<=",
        "detail": {
            "iterations": len(operation.samples),
            "p90_ms": round(statistics.quantiles(operation.samples, n=10)[-1] * 1000, 3),
            "aws_calls": len(operation.calls),
            "fake_ms": round(statistics.median(operation.fake) * 1000, 3),
        },
    }


def profiles(operations: list[Operation], replayer: Any, iterations: int) -> str:
    """cProfile's top functions (cumulative, then own time) of each operation over ``iterations`` runs."""
    report = []
    for operation in operations:
        profiler = cProfile.Profile(time.process_time)
        for _ in range(iterations):
            replayer.load(operation.calls)
            profiler.runcall(operation.run)
        text = io.StringIO()
        stats = pstats.Stats(profiler, stream=text).strip_dirs()
        stats.sort_stats("cumulative").print_stats(40)
        stats.sort_stats("tottime").print_stats(15)
        report.append(f"## {operation.name}\n{text.getvalue()}")
    return "\n".join(report)


def record(recorder: Any, replayer: Any) -> list[Operation]:
    """Run the flow on moto, record one POST, worker run and GET, and build the five operations."""
    from moto import mock_aws

    from bench import replay
    from local import dev_idp

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    idp = dev_idp.serve(port)
    try:
        with mock_aws():
            flow = warm_flow(f"http://127.0.0.1:{port}")
            operations = recorded_operations(flow, recorder)
            replayer.keys.update(replay.moto_private_keys())
    finally:
        idp.shutdown()
        idp.server_close()
    return operations


def warm_flow(idp_url: str) -> Any:
    """The template on moto, the CA bootstrapped and two certificates through every step."""
    from bench.flow import CertificateFlow
    from local import functions
    from local.custom_resources import provision_custom_resources
    from local.resources import Provisioner
    from local.template import Template

    resources = Provisioner().provision(Template.load(), parameters={"OidcBaseUrl": idp_url})
    for logical_id, environment in resources.environments.items():
        functions.apply_environment(logical_id, environment)
    flow = CertificateFlow(provision_custom_resources(resources), idp_url)
    flow.prepare()
    flow.cycle()
    flow.cycle()
    return flow


def recorded_operations(flow: Any, recorder: Any) -> list[Operation]:
    """Record the three requests' AWS answers; the operations that replay them, lint and the floor."""
    from astca.issuance.lint import pkilint_lint
    from local.events import batch, sqs_record
    from local.functions import load_function_module

    csr = new_csr()[0].encode()
    post_event = http("POST", "/certificates", flow.device, body={"csr": csr.decode()})
    post = Operation(POST, handler(load_function_module("request_certificate"), post_event), status(202))
    certificate_id = json.loads(recorded(post, recorder)["body"])["id"]
    envelope = flow.newest_event("certificate.requested")
    queue_arn = flow.resources.attribute("CertificateRequestsQueue", "Arn")
    worker_event = batch([sqs_record(json.dumps(envelope), queue_arn=queue_arn, message_id=envelope["id"])])
    worker_handler = handler(load_function_module("issue_certificate"), worker_event)
    worker = Operation(WORKER, worker_handler, issued, wrote=b"certificate.issued")
    recorded(worker, recorder)
    get_event = http("GET", f"/certificates/{certificate_id}", flow.device, certificate_id=certificate_id)
    get = Operation(GET, handler(load_function_module("get_certificate"), get_event), status(200))
    delivered = json.loads(recorded(get, recorder)["body"])
    from cryptography import x509

    certificate = x509.load_pem_x509_certificate(delivered["certificate"].encode())
    issuer = (
        x509.load_pem_x509_certificate(delivered["chain"][0].encode()) if delivered.get("chain") else None
    )
    lint = Operation(LINT, lambda: pkilint_lint(certificate), lambda _: None)
    sdk = Operation(SDK, sdk_update(flow.resources.tables["Table"], certificate_id), lambda _: None)
    sdk.calls = get.calls
    floor = Operation(FLOOR, crypto_floor(csr, issuer), lambda _: None)
    return [post, worker, lint, get, sdk, floor]


def sdk_update(table: str, certificate_id: str) -> Callable[[], Any]:
    """The GET's one DynamoDB call, its shape as the delivery sends it, made with a bare boto3 client."""
    import boto3

    client = boto3.client("dynamodb")
    params: dict[str, Any] = {
        "TableName": table,
        "Key": {"PK": {"S": "TENANT#bench"}, "SK": {"S": f"CERT#{certificate_id}"}},
        "UpdateExpression": "SET #state = :delivered, deliveredAt = :now, updatedAt = :now, "
        "expiresAtEpoch = notAfterEpoch, deliveryAttempt = :attempt",
        "ConditionExpression": "#state = :issued AND userId = :user",
        "ExpressionAttributeNames": {"#state": "state"},
        "ExpressionAttributeValues": {
            ":delivered": {"S": "DELIVERED"},
            ":issued": {"S": "ISSUED"},
            ":now": {"S": "2026-12-03T12:00:00Z"},
            ":user": {"S": "device"},
            ":attempt": {"S": "0" * 32},
        },
        "ReturnValues": "ALL_OLD",
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }
    return lambda: client.update_item(**params)


def recorded(operation: Operation, recorder: Any) -> Any:
    """Run ``operation`` once on moto, keeping its AWS answers; its answer, checked."""
    recorder.take()
    recorder.on = True
    try:
        answer = operation.run()
    finally:
        recorder.on = False
    operation.calls = recorder.take()
    operation.check(answer)
    return answer


def handler(module: Any, event: dict[str, Any]) -> Callable[[], Any]:
    """One invocation of ``module``'s handler on ``event`` (one context, its deadline an hour away)."""
    from local.functions import lambda_context

    def invoke() -> Any:
        return module.lambda_handler(event, context)

    context = lambda_context(timeout_seconds=3600)
    return invoke


def http(method: str, tail: str, token: str, *, body: Any = None, **params: str) -> dict[str, Any]:
    """An HTTP API event of ``method /v1/tenants/<tenant>/certificates...`` with a bearer token."""
    from bench.flow import TENANT
    from local.events import http_event

    route = "/v1/tenants/{tenant}/certificates" + ("/{certificateId}" if params else "")
    headers = {"authorization": f"Bearer {token}"}
    if body is not None:
        headers["content-type"] = "application/json"
    return http_event(
        method,
        f"/v1/tenants/{TENANT}{tail}",
        route_key=f"{method} {route}",
        path_parameters={"tenant": TENANT, **params},
        headers=headers,
        body=json.dumps(body) if body is not None else None,
    )


def status(expected: int) -> Callable[[Any], None]:
    """A check that an HTTP answer has status ``expected``."""

    def check(answer: Any) -> None:
        if answer["statusCode"] != expected:
            raise RuntimeError(f"expected {expected}, got {answer['statusCode']}: {answer.get('body')}")

    return check


def issued(answer: Any) -> None:
    """A check that a worker run failed no record (``Operation.wrote`` checks it wrote certificate.issued)."""
    if answer != {"batchItemFailures": []}:
        raise RuntimeError(f"the worker failed: {answer}")


def crypto_floor(csr_pem: bytes, issuer: Any) -> Callable[[], Any]:
    """cryptography alone: load and verify ``csr_pem``, build a device certificate, sign it with a P-256 key."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    issuer_name = issuer.subject if issuer is not None else x509.Name([])
    issuer_ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "astca"),
            x509.NameAttribute(NameOID.COMMON_NAME, "astca-dev-device"),
        ]
    )
    usage = dict.fromkeys(
        (
            "content_commitment",
            "key_encipherment",
            "data_encipherment",
            "key_agreement",
            "key_cert_sign",
            "crl_sign",
            "encipher_only",
            "decipher_only",
        ),
        False,
    )

    def build() -> x509.Certificate:
        csr = x509.load_pem_x509_csr(csr_pem)
        if not csr.is_signature_valid:
            raise RuntimeError("the floor's CSR does not verify")
        public_key = csr.public_key()
        now = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer_name)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=365))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, **usage), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(issuer_ski), critical=False
            )
        )
        return builder.sign(key, hashes.SHA256())

    return build


def main(argv: list[str] | None = None) -> None:
    """``python -m bench.own_cpu``: print the figures (``--profile``: and cProfile's top functions)."""
    parser = argparse.ArgumentParser(prog="python -m bench.own_cpu")
    parser.add_argument("--child", metavar="OUT", help="(internal) measure here and write JSON to OUT")
    parser.add_argument("--iterations", type=int, default=ITERATIONS)
    parser.add_argument("--profile", action="store_true", help="also print cProfile's top functions")
    args = parser.parse_args(argv)
    if args.child:
        measure(Path(args.child), args.iterations, with_profile=args.profile)
        return
    if args.profile:
        print(profile(args.iterations))
        return
    print(table(figures(args.iterations)))


if __name__ == "__main__":
    main()
