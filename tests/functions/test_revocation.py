"""Revoking a device certificate through the handlers: by id or by issuer and serial, once, in one transaction."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from types import ModuleType
from typing import Any

import boto3
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from astca import catalog
from local.resources import LocalResources
from tests.functions.flows import (
    fetch,
    issue_pending,
    issued_signer,
    make_csr,
    outbox_events,
    request_certificate,
)
from tests.functions.http import Answer, call
from tests.functions.test_renewal import renew
from tests.pki import self_signed

Load = Callable[[str], ModuleType]
Token = Callable[..., str]
BY_ID = "/v1/tenants/{tenant}/certificates/{certificateId}/revoke"
BY_SERIAL = "/v1/tenants/{tenant}/certificates/revoke"


@pytest.fixture
def signer(ca: LocalResources, load_function: Load, token: Token) -> dict[str, Any]:
    return issued_signer(load_function, token, ca)


def issued(load: Load, token: Token, resources: LocalResources, *, deliver: bool = True) -> dict[str, Any]:
    """A signed certificate request (delivered unless ``deliver`` is False): its id, and its certificate when delivered."""
    accepted = request_certificate(load, token, make_csr()[0])
    assert accepted.status == 202, accepted.body
    issue_pending(load, resources)
    if not deliver:
        return {"id": accepted.body["id"]}
    delivered = fetch(load, token, accepted.body["id"])
    assert delivered.status == 200, delivered.body
    body: dict[str, Any] = delivered.body
    return body


def revoke(load: Load, token: Token, certificate_id: str, *, user: str = "admin", **body: Any) -> Answer:
    return call(
        load("revoke_certificate"),
        "POST",
        BY_ID,
        params={"tenant": "acme", "certificateId": certificate_id},
        token=token("acme", user),
        body=body,
    )


def revocation_records(resources: LocalResources, signer_id: str) -> list[dict[str, Any]]:
    answer = boto3.client("dynamodb").query(
        TableName=resources.tables["Table"],
        KeyConditionExpression="PK = :pk",
        ExpressionAttributeValues={":pk": {"S": f"REVOKED#acme#{signer_id}"}},
    )
    items: list[dict[str, Any]] = answer["Items"]
    return items


def lookup(load: Load, token: Token, certificate: dict[str, Any]) -> Answer:
    parsed = x509.load_pem_x509_certificate(certificate["certificate"].encode())
    return call(
        load("find_certificate"),
        "GET",
        "/v1/tenants/{tenant}/certificates",
        params={"tenant": "acme"},
        token=token("acme", "admin"),
        query={"issuer": parsed.issuer.rfc4514_string(), "serial": certificate["serial"]},
    )


def test_an_admin_revokes_a_certificate_once_in_one_transaction(
    signer: dict[str, Any], ca: LocalResources, load_function: Load, token: Token
) -> None:
    certificate = issued(load_function, token, ca)

    revoked = revoke(load_function, token, certificate["id"], reason="keyCompromise")

    assert revoked.status == 200, revoked.body
    assert (revoked.body["state"], revoked.body["revocationReason"]) == ("REVOKED", "keyCompromise")
    assert revoked.body["serial"] == certificate["serial"]
    (record,) = revocation_records(ca, signer["id"])
    assert (record["serial"]["S"], record["revocationReason"]["S"]) == (
        certificate["serial"],
        "keyCompromise",
    )
    events = [
        e
        for e in outbox_events(ca, "certificate.revoked")
        if e["payload"]["certificateId"] == certificate["id"]
    ]
    assert [e["payload"]["reason"] for e in events] == ["keyCompromise"]
    found = lookup(load_function, token, certificate)
    assert (found.body["status"], found.body["revocationReason"]) == ("REVOKED", "keyCompromise")
    assert found.body["revokedAt"] == revoked.body["revokedAt"]

    again = revoke(load_function, token, certificate["id"])
    assert (again.status, again.body["code"]) == (409, catalog.ALREADY_REVOKED.code)
    assert catalog.ALREADY_REVOKED.extension
    assert len(revocation_records(ca, signer["id"])) == 1


def test_a_certificate_is_revoked_by_issuer_and_serial_in_the_lookups_forms(
    signer: dict[str, Any], ca: LocalResources, load_function: Load, token: Token
) -> None:
    certificate = issued(load_function, token, ca)
    issuer = x509.load_pem_x509_certificate(certificate["certificate"].encode()).issuer.rfc4514_string()
    before = lookup(load_function, token, certificate)
    assert (before.body["status"], before.body["revokedAt"]) == ("VALID", None)

    def by_serial(serial: str) -> Answer:
        return call(
            load_function("revoke_certificate"),
            "POST",
            BY_SERIAL,
            params={"tenant": "acme"},
            token=token("acme", "admin"),
            body={"issuer": issuer, "serial": serial, "reason": "superseded"},
        )

    unknown = by_serial("0x" + "f" * 40)
    assert (unknown.status, unknown.body["code"]) == (404, catalog.ISSUER_SERIAL_NOT_FOUND.code)
    answer = by_serial("0x" + certificate["serial"].upper())
    assert answer.status == 200, answer.body
    assert (answer.body["id"], answer.body["revocationReason"]) == (certificate["id"], "superseded")


def test_what_cannot_be_revoked_gets_its_catalog_answer_and_changes_nothing(
    signer: dict[str, Any], ca: LocalResources, load_function: Load, token: Token
) -> None:
    unknown = revoke(load_function, token, "01KAX3Z6F8Q9W2M4N7P5R3T1V9")
    assert (unknown.status, unknown.body["code"]) == (404, catalog.CERTIFICATE_NOT_FOUND.code)
    pending = request_certificate(load_function, token, make_csr()[0]).body["id"]
    answer = revoke(load_function, token, pending)
    assert (answer.status, answer.body["code"]) == (409, catalog.NOT_YET_SIGNED.code)
    certificate = issued(load_function, token, ca)
    device = revoke(load_function, token, certificate["id"], user="device")
    assert (device.status, device.body["code"]) == (403, catalog.FORBIDDEN.code)
    assert revocation_records(ca, signer["id"]) == []


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(reason=st.one_of(st.text(max_size=30), st.integers(), st.none(), st.booleans()))
def test_a_reason_that_is_no_rfc_5280_name_is_4002(
    signer: dict[str, Any], ca: LocalResources, load_function: Load, token: Token, reason: object
) -> None:
    names = {"unspecified", "keyCompromise", "affiliationChanged", "superseded", "cessationOfOperation"}
    if reason in names | {"privilegeWithdrawn"}:
        return
    answer = revoke(load_function, token, "01KAX3Z6F8Q9W2M4N7P5R3T1V9", reason=reason)
    assert (answer.status, answer.body["code"]) == (400, catalog.MALFORMED_FIELD.code)
    assert revocation_records(ca, signer["id"]) == []


def test_a_revoked_certificate_is_neither_delivered_nor_renewed(
    signer: dict[str, Any], ca: LocalResources, load_function: Load, token: Token
) -> None:
    undelivered = issued(load_function, token, ca, deliver=False)
    assert revoke(load_function, token, undelivered["id"]).status == 200
    fetched = fetch(load_function, token, undelivered["id"])
    assert (fetched.status, fetched.body["code"]) == (410, catalog.CERTIFICATE_REVOKED.code)

    delivered = issued(load_function, token, ca)
    assert revoke(load_function, token, delivered["id"], reason="keyCompromise").status == 200
    current = x509.load_pem_x509_certificate(delivered["certificate"].encode())
    refused = renew(load_function, make_csr()[0], handshake=current)
    assert (refused.status, refused.body["code"]) == (401, catalog.UNAUTHORIZED.code)


def test_concurrent_revocations_of_one_certificate_revoke_it_once(
    signer: dict[str, Any], ca: LocalResources, load_function: Load, token: Token
) -> None:
    certificate = issued(load_function, token, ca)
    admin = token("acme", "admin")
    function = load_function("revoke_certificate")

    def attempt(_: int) -> int:
        params = {"tenant": "acme", "certificateId": certificate["id"]}
        return call(
            function, "POST", BY_ID, params=params, token=admin, body={"reason": "keyCompromise"}
        ).status

    with ThreadPoolExecutor(8) as pool:
        statuses = sorted(pool.map(attempt, range(8)))

    assert statuses == [200] + [409] * 7
    assert len(revocation_records(ca, signer["id"])) == 1
    events = [
        e
        for e in outbox_events(ca, "certificate.revoked")
        if e["payload"]["certificateId"] == certificate["id"]
    ]
    assert len(events) == 1


def revoke_self(load: Load, current: x509.Certificate | None, **body: Any) -> Answer:
    """POST /certificates/revoke-self, the certificate arriving as API Gateway's mutual-TLS domain passes it."""
    return call(
        load("revoke_own_certificate"),
        "POST",
        "/v1/tenants/{tenant}/certificates/revoke-self",
        params={"tenant": "acme"},
        body=body,
        client_certificate=current.public_bytes(Encoding.DER) if current else None,
    )


def test_a_device_revokes_its_own_certificate_over_mutual_tls(
    signer: dict[str, Any], ca: LocalResources, load_function: Load, token: Token
) -> None:
    certificate = issued(load_function, token, ca)
    current = x509.load_pem_x509_certificate(certificate["certificate"].encode())

    assert revoke_self(load_function, None).body["code"] == catalog.TLS_CLIENT_AUTH_MISSING.code
    stranger = x509.load_pem_x509_certificate(self_signed().encode())
    assert (
        revoke_self(load_function, stranger).status,
        revoke_self(load_function, stranger).body["code"],
    ) == (
        401,
        catalog.UNAUTHORIZED.code,
    )
    revoked = revoke_self(load_function, current, reason="keyCompromise")

    assert revoked.status == 200, revoked.body
    assert (revoked.body["id"], revoked.body["revocationReason"]) == (certificate["id"], "keyCompromise")
    assert len(revocation_records(ca, signer["id"])) == 1
    again = revoke_self(load_function, current)
    assert (again.status, again.body["code"]) == (
        401,
        catalog.UNAUTHORIZED.code,
    )  # no longer a valid certificate


def test_a_revoked_signer_is_put_on_its_anchors_revocation_list(
    signer: dict[str, Any], ca: LocalResources, load_function: Load, token: Token
) -> None:
    answer = call(
        load_function("revoke_signer"),
        "POST",
        "/v1/tenants/{tenant}/signers/{signerId}/revoke",
        params={"tenant": "acme", "signerId": signer["id"]},
        token=token("acme", "admin"),
        body={"reason": "keyCompromise"},
    )

    assert answer.status == 200, answer.body
    (record,) = revocation_records(ca, "anchor")
    assert (record["serial"]["S"], record["subjectId"]["S"]) == (signer["serial"], signer["id"])
    assert record["revocationReason"]["S"] == "keyCompromise"
