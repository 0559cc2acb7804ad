"""AWS round trips per certificate operation, with warm caches, and what a thousand certificates cost.

The functions run in-process on moto (the template provisioned, the CA bootstrapped, a signer issued,
one certificate already through every step so caches are warm). Every botocore API call is counted
per operation. The cost model prices those calls and the sizes of the items they wrote at AWS list
prices (eu-central-1, on-demand, arm64); each price is a named constant below.
"""

from __future__ import annotations

import json
import math
import os
import socket
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import botocore.client

# List prices, eu-central-1 (USD).
DYNAMODB_WRU = 0.7625 / 1_000_000  # on-demand write request unit
DYNAMODB_RRU = 0.1525 / 1_000_000  # on-demand read request unit
KMS_SIGN_RSA_2048 = 0.03 / 10_000  # asymmetric requests with RSA 2048 keys
KMS_SIGN_OTHER = 0.15 / 10_000  # asymmetric requests with any other key (ECC)
SQS_REQUEST = 0.40 / 1_000_000  # standard queue, per 64 KB request
LAMBDA_REQUEST = 0.20 / 1_000_000
LAMBDA_GB_SECOND_ARM = 0.0000133334
HTTP_API_REQUEST = 1.20 / 1_000_000  # API Gateway HTTP API, first 300 M
LOGS_PER_GB = 0.63  # CloudWatch Logs ingestion
LAMBDA_MEMORY_GB = 0.5
AWS_CALL_MS = 8  # latency of one AWS call from Lambda, added to the measured in-process time
LOG_BYTES_PER_INVOCATION = 600  # platform REPORT line plus one application line


class CallCounter:
    """Counts botocore API calls by (service, operation)."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self._original: Callable[..., Any] = getattr(botocore.client.BaseClient, "_make_api_call")  # noqa: B009

    @contextmanager
    def counting(self) -> Iterator[Counter[str]]:
        """Count the calls made inside the block."""
        counted: Counter[str] = Counter()
        original = self._original

        def wrapper(client: Any, operation: str, params: dict[str, Any]) -> Any:
            counted[f"{client.meta.service_model.service_name}:{operation}"] += 1
            return original(client, operation, params)

        setattr(botocore.client.BaseClient, "_make_api_call", wrapper)  # noqa: B010 - botocore has no hook per call site
        try:
            yield counted
        finally:
            setattr(botocore.client.BaseClient, "_make_api_call", original)  # noqa: B010


def item_size(item: dict[str, Any]) -> int:
    """DynamoDB's size of an item (attribute names plus values), in bytes."""
    return sum(len(name.encode()) + _value_size(value) for name, value in item.items())


def _value_size(value: dict[str, Any]) -> int:  # noqa: PLR0911 - one return per DynamoDB type
    kind, content = next(iter(value.items()))
    if kind in ("S",):
        return len(content.encode())
    if kind == "B":
        return len(content)
    if kind == "N":
        return math.ceil(len(content.lstrip("-").replace(".", "")) / 2) + 1
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "M":
        return 3 + sum(len(k.encode()) + _value_size(v) + 1 for k, v in content.items())
    if kind == "L":
        return 3 + sum(_value_size(v) + 1 for v in content)
    return len(json.dumps(content))


def units(size: int) -> int:
    """Write request units of one write of ``size`` bytes."""
    return max(1, math.ceil(size / 1024))


def main() -> list[dict[str, Any]]:
    """Run the flow, print one row per operation and the cost of a thousand certificates."""
    from local.aws_env import use_local_aws

    use_local_aws()
    from moto import mock_aws

    from local import dev_idp, functions
    from local.custom_resources import provision_custom_resources
    from local.resources import Provisioner
    from local.template import Template

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    idp = dev_idp.serve(port)
    counter = CallCounter()
    try:
        with mock_aws():
            resources = Provisioner().provision(
                Template.load(), parameters={"OidcBaseUrl": f"http://127.0.0.1:{port}"}
            )
            for logical_id, environment in resources.environments.items():
                functions.apply_environment(logical_id, environment)
            resources = provision_custom_resources(resources)
            from bench.flow import CertificateFlow

            flow = CertificateFlow(resources, f"http://127.0.0.1:{port}")
            flow.prepare()
            flow.cycle()  # warm every cache: signer, public keys, JWKS, hierarchy
            rows = flow.measure(counter)
    finally:
        idp.shutdown()
        idp.server_close()
    for row in rows:
        print(json.dumps(row))
    return rows


if __name__ == "__main__":
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "ERROR")
    started = time.perf_counter()
    main()
