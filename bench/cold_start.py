"""Cold start of each HTTP function against the floor, `import boto3` plus one client, in fresh interpreters.

Each sample is a new Python process that times, from its first line, either the baseline (import
boto3, create a DynamoDB client) or loading one function's module and answering one request (what a
Lambda container does before its first response). Samples alternate so machine noise hits both
sides alike; the table shows medians and the ratio to the baseline (target: at most 1.3).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

from local.events import http_event

ROOT = Path(__file__).resolve().parents[1]
ENV = {
    "AWS_DEFAULT_REGION": "eu-central-1",
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "ASTCA_TABLE_NAME": "astca-Table",
    "ASTCA_IDEMPOTENCY_TABLE_NAME": "astca-IdempotencyTable",
    "ASTCA_SIGNER_REQUESTS_QUEUE_URL": "https://sqs.eu-central-1.amazonaws.com/123456789012/signer",
    "ASTCA_CERTIFICATE_REQUESTS_QUEUE_URL": "https://sqs.eu-central-1.amazonaws.com/123456789012/cert",
    "ASTCA_CA_EVENTS_QUEUE_URL": "https://sqs.eu-central-1.amazonaws.com/123456789012/events",
    "ASTCA_CURSOR_SECRET_ARN": "arn:aws:secretsmanager:eu-central-1:123456789012:secret:cursor",
    "POWERTOOLS_SERVICE_NAME": "astca",
    "POWERTOOLS_LOG_LEVEL": "ERROR",
}

BASELINE = """
import time; t0 = time.perf_counter()
import boto3; boto3.client("dynamodb")
print((time.perf_counter() - t0) * 1000)
"""

FUNCTION = """
import time; t0 = time.perf_counter()
import importlib.util, sys
sys.path[:0] = [{layer!r}]
spec = importlib.util.spec_from_file_location("app", {app!r}); module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
t1 = time.perf_counter()
class Context:
    function_name, memory_limit_in_mb, aws_request_id = "bench", 512, "bench"
    invoked_function_arn = "arn:aws:lambda:eu-central-1:123456789012:function:bench"
module.lambda_handler({event!r}, Context())
t2 = time.perf_counter()
print((t1 - t0) * 1000, (t2 - t1) * 1000)
"""

# The function whose first request is served without AWS: the cheapest honest probe per function.
PROBES: dict[str, tuple[str, dict[str, str]]] = {
    "health": ("/v1/health", {}),
    "whoami": ("/v1/tenants/acme/whoami", {"tenant": "acme"}),
    "create_signer": ("/v1/tenants/acme/signers", {"tenant": "acme"}),
    "get_signer": (
        "/v1/tenants/acme/signers/01KAX3Z6F8Q9W2M4N7P5R3T1V9",
        {"tenant": "acme", "signerId": "01KAX3Z6F8Q9W2M4N7P5R3T1V9"},
    ),
    "list_signers": ("/v1/tenants/acme/signers", {"tenant": "acme"}),
    "request_certificate": ("/v1/tenants/acme/certificates", {"tenant": "acme"}),
    "get_certificate": (
        "/v1/tenants/acme/certificates/01KAX3Z6F8Q9W2M4N7P5R3T1W1",
        {"tenant": "acme", "certificateId": "01KAX3Z6F8Q9W2M4N7P5R3T1W1"},
    ),
}


def sample(code: str) -> list[float]:
    """Run ``code`` in a fresh interpreter and return the numbers it prints."""
    out = subprocess.run(
        [sys.executable, "-c", code], env={**os.environ, **ENV}, capture_output=True, text=True, check=True
    ).stdout
    return [float(value) for value in out.split()]


def main(rounds: int = 9) -> list[dict[str, object]]:
    """Measure every probe against the baseline and print one row each."""
    rows: list[dict[str, object]] = []
    for name, (path, params) in PROBES.items():
        event = http_event("GET", path, path_parameters=params)
        code = FUNCTION.format(
            layer=str(ROOT / "layers" / "common"), app=str(ROOT / "functions" / name / "app.py"), event=event
        )
        base, init, first = [], [], []
        for _ in range(rounds):
            base.append(sample(BASELINE)[0])
            loaded, served = sample(code)
            init.append(loaded)
            first.append(loaded + served)
        floor = statistics.median(base)
        row = {
            "function": name,
            "baseline_ms": round(floor, 1),
            "init_ms": round(statistics.median(init), 1),
            "init_plus_first_request_ms": round(statistics.median(first), 1),
            "ratio": round(statistics.median(first) / floor, 2),
        }
        rows.append(row)
        print(json.dumps(row))
    return rows


if __name__ == "__main__":
    main()
