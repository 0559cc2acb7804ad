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
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import botocore.client

from bench.results import Figure, table

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


# AWS Private CA list prices (USD): a CA per month, and certificates per month by volume tier.
PRIVATE_CA_GENERAL_PURPOSE_MONTH = 400.0
PRIVATE_CA_GENERAL_PURPOSE_FIRST_1000 = 0.75  # per certificate, the first 1,000 in a month
PRIVATE_CA_SHORT_LIVED_MONTH = 50.0
PRIVATE_CA_SHORT_LIVED_CERTIFICATE = 0.058
FLOOR = {"POST certificate": 1, "issuance worker": 2, "GET certificate": 1}
SIGNER_KEY_SPEC = "ECC_NIST_P256"  # an all-EC chain: the bootstrap's CA keys are EC P-256 by default
HOW = f"""
**Round trips and cost.** The template is provisioned on moto in the bench process with
`SignerKeySpec={SIGNER_KEY_SPEC}` (so root, issuer and signer are all EC P-256), the CA bootstrapped, a
signer issued, and one certificate taken through every step first so that every cache is warm (signer,
public keys, JWKS, hierarchy). Then one more certificate is requested (POST handler), signed (the
issuance worker on its SQS record) and fetched (GET handler), counting every botocore API call per step;
the floor is POST 1, worker 2 (KMS Sign, one transaction), GET 1. The cost prices those calls and the
sizes of the items they wrote at eu-central-1 list prices (DynamoDB on-demand write units including the
GSI write, KMS asymmetric requests at the price of the signer's key type, SQS requests, Lambda requests
and GB-seconds at 512 MB arm64 from the measured in-process time plus {AWS_CALL_MS} ms per AWS call,
HTTP API requests, CloudWatch Logs ingestion); each price is a named constant in `bench/round_trips.py`.
Revocation (CRLs, OCSP) does not exist yet: its cost joins this figure when it does. Beside it, AWS
Private CA's published prices for the same 1,000 certificates: short-lived certificate mode
(${PRIVATE_CA_SHORT_LIVED_CERTIFICATE} per certificate) and general-purpose mode (${PRIVATE_CA_GENERAL_PURPOSE_FIRST_1000}
per certificate for the first 1,000 a month), each without the monthly fee per CA
(${PRIVATE_CA_SHORT_LIVED_MONTH:g} and ${PRIVATE_CA_GENERAL_PURPOSE_MONTH:g}), which astca does not have.
"""


def measure() -> list[dict[str, Any]]:
    """Run the flow on moto; one row per operation and the cost of a thousand certificates."""
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
                Template.load(),
                parameters={"OidcBaseUrl": f"http://127.0.0.1:{port}", "SignerKeySpec": SIGNER_KEY_SPEC},
            )
            for logical_id, environment in resources.environments.items():
                functions.apply_environment(logical_id, environment)
            resources = provision_custom_resources(resources)
            from bench.flow import CertificateFlow

            flow = CertificateFlow(resources, f"http://127.0.0.1:{port}")
            flow.prepare()
            flow.cycle()  # warm every cache: signer, public keys, JWKS, hierarchy
            return flow.measure(counter, sign_price=KMS_SIGN_OTHER)
    finally:
        idp.shutdown()
        idp.server_close()


def figures() -> list[Figure]:
    """Round trips per operation against the floor, and the cost of 1,000 certificates beside AWS Private CA's."""
    rows = measure()
    out = [
        Figure(
            "AWS round trips",
            row["operation"],
            row["aws_round_trips"],
            "calls",
            FLOOR[row["operation"]],
            detail={"calls": row["calls"]},
        )
        for row in rows
        if row["operation"] in FLOOR
    ]
    cost = next(row for row in rows if row["operation"] not in FLOOR)
    parts = {name: value for name, value in cost.items() if name in COST_PARTS}
    out.append(
        Figure(
            "cost per 1,000 certificates",
            "astca (all-EC chain)",
            cost["total"],
            "USD",
            0.04,
            detail={**parts, "write_units_per_certificate": cost["write_request_units_per_certificate"]},
        )
    )
    out.append(
        Figure(
            "cost per 1,000 certificates",
            "AWS Private CA, short-lived mode",
            1000 * PRIVATE_CA_SHORT_LIVED_CERTIFICATE,
            "USD",
            detail={"plus_per_ca_month": PRIVATE_CA_SHORT_LIVED_MONTH},
        )
    )
    out.append(
        Figure(
            "cost per 1,000 certificates",
            "AWS Private CA, general-purpose mode",
            1000 * PRIVATE_CA_GENERAL_PURPOSE_FIRST_1000,
            "USD",
            detail={"plus_per_ca_month": PRIVATE_CA_GENERAL_PURPOSE_MONTH},
        )
    )
    return out


COST_PARTS = ("dynamodb", "kms", "sqs", "lambda", "api_gateway", "logs")


if __name__ == "__main__":
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "ERROR")
    print(table(figures()))
