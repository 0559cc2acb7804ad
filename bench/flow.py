"""The certificate flow the round-trip bench measures: request, sign, deliver, through the functions."""

from __future__ import annotations

import json
import time
import urllib.parse
import urllib.request
from collections import Counter
from typing import Any

import boto3
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from bench import round_trips as prices
from local.events import batch, http_event, sqs_record
from local.functions import lambda_context, load_function_module
from local.resources import LocalResources

TENANT = "bench"
# What issuance and delivery add to a request's item.
ISSUANCE_ATTRIBUTES = frozenset(
    {
        "certificate",
        "signerId",
        "issuedAt",
        "notAfter",
        "notAfterEpoch",
        "GSI1PK",
        "GSI1SK",
        "deliveredAt",
        "deliveryAttempt",
    }
)


class CertificateFlow:
    """One tenant with an issued signer; certificates requested, signed and delivered through the handlers."""

    def __init__(self, resources: LocalResources, idp_url: str) -> None:
        self.resources = resources
        self.idp_url = idp_url
        self.table = resources.tables["Table"]
        self.dynamodb = boto3.client("dynamodb")

    def token(self, user: str) -> str:
        """A development IdP token of ``user``."""
        form = urllib.parse.urlencode(
            {"grant_type": "password", "client_id": "astca-dev", "username": user, "password": user}
        ).encode()
        url = f"{self.idp_url}/realms/{TENANT}/protocol/openid-connect/token"
        with urllib.request.urlopen(urllib.request.Request(url, data=form), timeout=5) as response:  # noqa: S310
            return str(json.load(response)["access_token"])

    def http(
        self, function: str, method: str, path: str, route: str, params: dict[str, str], **kwargs: Any
    ) -> Any:
        """Call an HTTP function's handler."""
        headers = {"authorization": f"Bearer {kwargs.pop('token')}"} if "token" in kwargs else {}
        body = kwargs.pop("body", None)
        if body is not None:
            headers["content-type"] = "application/json"
        event = http_event(
            method,
            path,
            route_key=f"{method} {route}",
            path_parameters=params,
            headers=headers,
            body=json.dumps(body) if body is not None else None,
        )
        return load_function_module(function).lambda_handler(event, lambda_context())

    def worker(self, function: str, queue: str, routing_key: str) -> Any:
        """Deliver the newest outbox event with ``routing_key`` to a worker."""
        return self.deliver(function, queue, self.newest_event(routing_key))

    def newest_event(self, routing_key: str) -> dict[str, Any]:
        """The envelope of the newest outbox item with ``routing_key`` (what the relay would send)."""
        items = self.dynamodb.scan(TableName=self.table)["Items"]
        outbox = sorted(
            (
                item
                for item in items
                if item["PK"]["S"].startswith("OUTBOX#") and item["routingKey"]["S"] == routing_key
            ),
            key=lambda item: item["PK"]["S"],
        )
        newest = outbox[-1]
        return {
            "id": newest["PK"]["S"].removeprefix("OUTBOX#"),
            "routingKey": routing_key,
            "occurredAt": newest["occurredAt"]["S"],
            "payload": json.loads(newest["payload"]["S"]),
        }

    def deliver(self, function: str, queue: str, envelope: dict[str, Any]) -> Any:
        """Hand one envelope to a worker as an SQS batch."""
        record = sqs_record(
            json.dumps(envelope), queue_arn=self.resources.attribute(queue, "Arn"), message_id=envelope["id"]
        )
        return load_function_module(function).lambda_handler(batch([record]), lambda_context())

    def prepare(self) -> None:
        """Create and issue the tenant's signer."""
        self.admin, self.device = self.token("admin"), self.token("device")
        path = f"/v1/tenants/{TENANT}/signers"
        created = self.http(
            "create_signer",
            "POST",
            path,
            "/v1/tenants/{tenant}/signers",
            {"tenant": TENANT},
            token=self.admin,
            body={"name": "Bench"},
        )
        assert created["statusCode"] == 202, created
        self.worker("issue_signer", "SignerRequestsQueue", "signer.requested")

    def post(self) -> str:
        """Request a certificate; its id."""
        key = ec.generate_private_key(ec.SECP256R1())
        csr = (
            x509.CertificateSigningRequestBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bench")]))
            .sign(key, hashes.SHA256())
            .public_bytes(serialization.Encoding.PEM)
            .decode()
        )
        path = f"/v1/tenants/{TENANT}/certificates"
        answer = self.http(
            "request_certificate",
            "POST",
            path,
            "/v1/tenants/{tenant}/certificates",
            {"tenant": TENANT},
            token=self.device,
            body={"csr": csr},
        )
        assert answer["statusCode"] == 202, answer
        return str(json.loads(answer["body"])["id"])

    def sign(self, envelope: dict[str, Any] | None = None) -> None:
        """Run the issuance worker on ``envelope`` (default: the newest request)."""
        envelope = envelope or self.newest_event("certificate.requested")
        answer = self.deliver("issue_certificate", "CertificateRequestsQueue", envelope)
        assert answer == {"batchItemFailures": []}, answer

    def get(self, certificate_id: str) -> None:
        """Fetch the certificate."""
        route = "/v1/tenants/{tenant}/certificates/{certificateId}"
        path = f"/v1/tenants/{TENANT}/certificates/{certificate_id}"
        answer = self.http(
            "get_certificate",
            "GET",
            path,
            route,
            {"tenant": TENANT, "certificateId": certificate_id},
            token=self.device,
        )
        assert answer["statusCode"] == 200, answer

    def cycle(self) -> str:
        """One certificate through every step."""
        certificate_id = self.post()
        self.sign()
        self.get(certificate_id)
        return certificate_id

    def measure(self, counter: prices.CallCounter, *, sign_price: float) -> list[dict[str, Any]]:
        """Count calls and time each step once more (warm), then price a thousand certificates."""
        steps: list[tuple[str, Counter[str], float]] = []
        certificate_id = ""
        for name in ("POST certificate", "issuance worker", "GET certificate"):
            envelope = self.newest_event("certificate.requested") if name == "issuance worker" else None
            with counter.counting() as calls:
                started = time.perf_counter()
                if name == "POST certificate":
                    certificate_id = self.post()
                elif name == "issuance worker":
                    self.sign(envelope)
                else:
                    self.get(certificate_id)
                elapsed = (time.perf_counter() - started) * 1000
            steps.append((name, calls, elapsed))
        rows: list[dict[str, Any]] = [
            {
                "operation": name,
                "aws_round_trips": sum(calls.values()),
                "calls": dict(calls),
                "in_process_ms": round(ms, 1),
            }
            for name, calls, ms in steps
        ]
        rows.append(self.cost(steps, certificate_id, sign_price))
        return rows

    def cost(
        self, steps: list[tuple[str, Counter[str], float]], certificate_id: str, sign_price: float
    ) -> dict[str, Any]:
        """USD per 1,000 certificates at the list prices in bench.round_trips."""
        scanned: list[dict[str, Any]] = [
            dict(item) for item in self.dynamodb.scan(TableName=self.table)["Items"]
        ]
        items = {
            item["SK"]["S"] if not item["PK"]["S"].startswith("OUTBOX#") else item["PK"]["S"]: item
            for item in scanned
        }
        certificate = items[f"CERT#{certificate_id}"]
        pointer = items["CURRENT#SIGNER"]
        usage = next(item for key, item in items.items() if key.startswith("USAGE#SIGNER#"))
        outbox = [item for key, item in items.items() if key.startswith("OUTBOX#")]
        requested = max(
            (i for i in outbox if i["routingKey"]["S"] == "certificate.requested"), key=lambda i: i["PK"]["S"]
        )
        issued = max(
            (i for i in outbox if i["routingKey"]["S"] == "certificate.issued"), key=lambda i: i["PK"]["S"]
        )
        posted = {name: value for name, value in certificate.items() if name not in ISSUANCE_ATTRIBUTES}
        projected: dict[str, Any] = {
            name: certificate[name]
            for name in ("profile", "certificate", "signerId", "GSI1PK", "GSI1SK", "PK", "SK")
            if name in certificate
        }
        size = prices.item_size
        wru = (
            2
            * (
                prices.units(size(pointer)) + prices.units(size(posted)) + prices.units(size(requested))
            )  # POST
            + 2
            * (
                prices.units(size(certificate)) + prices.units(size(usage)) + prices.units(size(issued))
            )  # worker
            + prices.units(size(projected))  # GSI1 write at issuance
            + prices.units(size(certificate))  # GET
        )
        kms_calls = sum(calls["kms:Sign"] for _, calls, _ in steps)
        invocations = (
            3 + 2
        )  # POST, worker, GET, and the relay twice (requested, issued); batches only lower this
        compute_ms = sum(ms for _, _, ms in steps) + prices.AWS_CALL_MS * sum(
            sum(c.values()) for _, c, _ in steps
        )
        sqs_requests = 2 + 2  # two relayed events; the worker's receive and delete (batched in practice)
        per_certificate = {
            "dynamodb": wru * prices.DYNAMODB_WRU,
            "kms": kms_calls * sign_price,
            "sqs": sqs_requests * prices.SQS_REQUEST,
            "lambda": invocations * prices.LAMBDA_REQUEST
            + compute_ms / 1000 * prices.LAMBDA_MEMORY_GB * prices.LAMBDA_GB_SECOND_ARM,
            "api_gateway": 2 * prices.HTTP_API_REQUEST,
            "logs": invocations * prices.LOG_BYTES_PER_INVOCATION / 1e9 * prices.LOGS_PER_GB,
        }
        return {
            "operation": "cost per 1,000 certificates (USD, eu-central-1 list prices)",
            "total": round(1000 * sum(per_certificate.values()), 5),
            **{name: round(1000 * value, 5) for name, value in per_certificate.items()},
            "write_request_units_per_certificate": wru,
            "item_bytes": {
                "certificate": size(certificate),
                "signer_usage": size(usage),
                "gsi1_projection": size(projected),
                "pointer": size(pointer),
                "requested_event": size(requested),
                "issued_event": size(issued),
            },
        }
