"""Multi-step flows for function tests: a tenant with an issued signer, events delivered to workers."""

from __future__ import annotations

import json
from collections.abc import Callable
from types import ModuleType
from typing import Any

import boto3
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from astca.storage.dynamo import deserialize
from local.events import batch, sqs_record
from local.functions import lambda_context
from local.resources import LocalResources
from tests.functions.http import Answer, call

Load = Callable[[str], ModuleType]
Token = Callable[..., str]


def make_csr(key: Any = None, *, common_name: str = "ignored", hash_algorithm: Any = None) -> tuple[str, Any]:
    """A PEM CSR and its key (P-256 unless given); the subject is ignored by the service."""
    key = key or ec.generate_private_key(ec.SECP256R1())
    builder = x509.CertificateSigningRequestBuilder().subject_name(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    )
    csr = builder.sign(key, hash_algorithm if hash_algorithm is not None else hashes.SHA256())
    return csr.public_bytes(serialization.Encoding.PEM).decode(), key


def outbox_events(resources: LocalResources, routing_key: str) -> list[dict[str, Any]]:
    """The envelopes of the table's outbox items with ``routing_key``, oldest first."""
    items = boto3.client("dynamodb").scan(TableName=resources.tables["Table"])["Items"]
    envelopes = [
        {
            "id": item["PK"].removeprefix("OUTBOX#"),
            "routingKey": item["routingKey"],
            "occurredAt": item["occurredAt"],
            "payload": json.loads(item["payload"]),
        }
        for item in map(deserialize, items)
        if item["PK"].startswith("OUTBOX#") and item["routingKey"] == routing_key
    ]
    return sorted(envelopes, key=lambda envelope: envelope["id"])


def stored_certificate(
    resources: LocalResources, certificate_id: str, tenant: str = "acme"
) -> dict[str, Any]:
    """The table's item of certificate request ``certificate_id``, as the service stored it."""
    item = boto3.client("dynamodb").get_item(
        TableName=resources.tables["Table"],
        Key={"PK": {"S": f"TENANT#{tenant}"}, "SK": {"S": f"CERT#{certificate_id}"}},
    )["Item"]
    stored: dict[str, Any] = deserialize(item)
    return stored


def reveals(answer: Answer, serial_hex: str) -> bool:
    """Whether anything in ``answer`` (status aside) shows the serial: as hex in any case, or in decimal."""
    text = (json.dumps(answer.headers) + json.dumps(answer.body)).lower()
    serial = int(serial_hex, 16)
    return format(serial, "x") in text or str(serial) in text


def deliver(
    load: Load, resources: LocalResources, worker: str, queue: str, envelopes: list[dict[str, Any]]
) -> Any:
    """Hand ``envelopes`` to the ``worker`` function as one SQS batch from ``queue``."""
    arn = resources.attribute(queue, "Arn")
    event = batch(
        [sqs_record(json.dumps(envelope), queue_arn=arn, message_id=envelope["id"]) for envelope in envelopes]
    )
    return load(worker).lambda_handler(event, lambda_context())


def issued_signer(
    load: Load, token: Token, resources: LocalResources, tenant: str = "acme", *, rotate: bool = False
) -> dict[str, Any]:
    """Create the tenant's signer (``rotate``: its successor) through the API and let the worker issue it; the current signer."""
    created = call(
        load("create_signer"),
        "POST",
        "/v1/tenants/{tenant}/signers",
        params={"tenant": tenant},
        token=token(tenant, "admin"),
        body={"name": f"{tenant} devices", "rotate": rotate},
    )
    assert created.status == 202, created.body
    requested = [e for e in outbox_events(resources, "signer.requested") if e["payload"]["tenant"] == tenant]
    deliver(load, resources, "issue_signer", "SignerRequestsQueue", requested)
    current = call(
        load("get_current_signer"),
        "GET",
        "/v1/tenants/{tenant}/signers/current",
        params={"tenant": tenant},
        token=token(tenant, "admin"),
    )
    assert (current.body["id"], current.body["state"]) == (created.body["id"], "ISSUED"), current.body
    body: dict[str, Any] = current.body
    return body


def request_certificate(
    load: Load,
    token: Token,
    csr: str,
    *,
    tenant: str = "acme",
    profile: str = "AST_DEVICE",
    user: str = "device",
    headers: dict[str, str] | None = None,
    **fields: Any,
) -> Answer:
    """POST a CSR as ``user``, with any other body ``fields``."""
    return call(
        load("request_certificate"),
        "POST",
        "/v1/tenants/{tenant}/certificates",
        params={"tenant": tenant},
        token=token(tenant, user),
        body={"csr": csr, "profile": profile, **fields},
        headers=headers,
    )


def issue_one(load: Load, resources: LocalResources, certificate_id: str) -> Any:
    """Deliver the certificate.requested event of ``certificate_id`` (only that one) to the worker."""
    envelopes = [
        envelope
        for envelope in outbox_events(resources, "certificate.requested")
        if envelope["payload"]["certificateId"] == certificate_id
    ]
    return deliver(load, resources, "issue_certificate", "CertificateRequestsQueue", envelopes)


def issue_pending(load: Load, resources: LocalResources) -> Any:
    """Deliver every certificate.requested event to the issue_certificate worker."""
    return deliver(
        load,
        resources,
        "issue_certificate",
        "CertificateRequestsQueue",
        outbox_events(resources, "certificate.requested"),
    )


def fetch(
    load: Load, token: Token, certificate_id: str, *, tenant: str = "acme", user: str = "device"
) -> Answer:
    """GET a certificate as ``user``."""
    return call(
        load("get_certificate"),
        "GET",
        "/v1/tenants/{tenant}/certificates/{certificateId}",
        params={"tenant": tenant, "certificateId": certificate_id},
        token=token(tenant, user),
    )
