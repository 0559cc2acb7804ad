"""Certificates through their functions: accept, sign (worker), deliver once, look up, renew, isolation."""

from __future__ import annotations

import base64
import subprocess
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import ModuleType

import boto3
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa

from astca import catalog
from local.resources import LocalResources
from tests.functions.flows import (
    fetch,
    issue_pending,
    issued_signer,
    make_csr,
    outbox_events,
    request_certificate,
    reveals,
    stored_certificate,
)
from tests.functions.http import call
from tests.pki import openssl_verify

Load = Callable[[str], ModuleType]


@pytest.fixture
def signer(ca: LocalResources, load_function: Load, token: Callable[..., str]) -> dict[str, object]:
    return issued_signer(load_function, token, ca)


def test_a_device_gets_its_certificate_once_and_it_chains_to_its_anchors(
    signer: dict[str, object],
    ca: LocalResources,
    load_function: Load,
    token: Callable[..., str],
    tmp_path: Path,
) -> None:
    csr, _ = make_csr(common_name="whatever the device claims")
    accepted = request_certificate(load_function, token, csr)
    assert accepted.status == 202, accepted.body
    certificate_id = accepted.body["id"]
    assert accepted.headers["Location"] == f"/v1/tenants/acme/certificates/{certificate_id}"
    assert accepted.body["state"] == "PENDING"

    early = fetch(load_function, token, certificate_id)
    assert (early.status, early.body["code"]) == (409, catalog.NOT_YET_SIGNED.code)
    assert early.headers["Retry-After"]

    assert issue_pending(load_function, ca) == {"batchItemFailures": []}
    delivered = fetch(load_function, token, certificate_id)
    assert delivered.status == 200, delivered.body
    assert delivered.body["chain"][0] == signer["certificate"]
    again = fetch(load_function, token, certificate_id)
    assert (again.status, again.body["code"]) == (410, catalog.ALREADY_DELIVERED.code)

    certificate = x509.load_pem_x509_certificate(delivered.body["certificate"].encode())
    assert format(certificate.serial_number, "x") == delivered.body["serial"]
    subject = certificate.subject.rfc4514_string()
    assert "CN=astca-dev-device" in subject  # from the token, not the CSR
    assert "whatever" not in subject
    chain = call(
        load_function("get_ca_chain"), "GET", "/v1/tenants/{tenant}/ca", params={"tenant": "acme"}
    ).body
    # The chain a device presents reaches its tenant's anchor and the platform root alike.
    for anchor in (chain["anchor"], chain["platform"]["anchor"]):
        openssl_verify(
            tmp_path,
            root=anchor,
            chain=delivered.body["chain"],
            leaf=delivered.body["certificate"],
            purpose="sslclient",
        )


def test_nothing_the_requester_sees_before_signing_shows_the_serial(
    signer: dict[str, object], ca: LocalResources, load_function: Load, token: Callable[..., str]
) -> None:
    """Seen on main: the 202 carried the serial, and with createdAt (hence notBefore) the whole TBS was known."""
    csr = make_csr()[0]
    # Given a request accepted, retried with its Idempotency-Key, and polled before the worker ran
    accepted = request_certificate(load_function, token, csr, headers={"idempotency-key": "serial-1"})
    assert accepted.status == 202, accepted.body
    replayed = request_certificate(load_function, token, csr, headers={"idempotency-key": "serial-1"})
    early = fetch(load_function, token, accepted.body["id"])
    assert (replayed.status, early.status) == (202, 409)
    # Then the serial is fixed in the record and in the worker's message, and none of those answers shows it
    serial = stored_certificate(ca, accepted.body["id"])["serial"]
    (requested,) = outbox_events(ca, "certificate.requested")
    assert requested["payload"]["serial"] == serial
    assert [answer for answer in (accepted, replayed, early) if reveals(answer, serial)] == []
    # And the delivered certificate carries that very serial
    issue_pending(load_function, ca)
    delivered = fetch(load_function, token, accepted.body["id"])
    certificate = x509.load_pem_x509_certificate(delivered.body["certificate"].encode())
    assert format(certificate.serial_number, "x") == delivered.body["serial"] == serial


def test_fifty_concurrent_fetches_deliver_exactly_once(
    signer: dict[str, object], ca: LocalResources, load_function: Load, token: Callable[..., str]
) -> None:
    certificate_id = request_certificate(load_function, token, make_csr()[0]).body["id"]
    issue_pending(load_function, ca)
    device = token("acme", "device")
    function = load_function("get_certificate")

    def get(_: int) -> int:
        route = "/v1/tenants/{tenant}/certificates/{certificateId}"
        params = {"tenant": "acme", "certificateId": certificate_id}
        return call(function, "GET", route, params=params, token=device).status

    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = list(pool.map(get, range(50)))
    assert statuses.count(200) == 1
    assert statuses.count(410) == 49


def test_a_redelivered_request_produces_one_certificate(
    signer: dict[str, object], ca: LocalResources, load_function: Load, token: Callable[..., str]
) -> None:
    certificate_id = request_certificate(load_function, token, make_csr()[0]).body["id"]
    issue_pending(load_function, ca)
    issue_pending(load_function, ca)  # the same message again
    assert len(outbox_events(ca, "certificate.issued")) == 1
    usage = boto3.client("dynamodb").get_item(
        TableName=ca.tables["Table"],
        Key={"PK": {"S": "TENANT#acme"}, "SK": {"S": f"USAGE#SIGNER#{signer['id']}"}},
    )["Item"]
    assert usage["issuedCount"]["N"] == "1"
    assert fetch(load_function, token, certificate_id).status == 200


def test_a_used_signer_cannot_be_deleted(
    signer: dict[str, object], ca: LocalResources, load_function: Load, token: Callable[..., str]
) -> None:
    request_certificate(load_function, token, make_csr()[0])
    issue_pending(load_function, ca)
    refused = call(
        load_function("delete_signer"),
        "DELETE",
        "/v1/tenants/{tenant}/signers/{signerId}",
        params={"tenant": "acme", "signerId": str(signer["id"])},
        token=token("acme", "admin"),
    )
    assert (refused.status, refused.body["code"]) == (409, catalog.SIGNER_ALREADY_IN_USE.code)


def test_requests_need_an_issued_unrevoked_signer(
    ca: LocalResources, load_function: Load, token: Callable[..., str]
) -> None:
    csr = make_csr()[0]
    none = request_certificate(load_function, token, csr)
    assert (none.status, none.body["code"]) == (404, catalog.SIGNER_NOT_FOUND_FOR_TENANT.code)
    created = call(
        load_function("create_signer"),
        "POST",
        "/v1/tenants/{tenant}/signers",
        params={"tenant": "acme"},
        token=token("acme", "admin"),
        body={"name": "Pending"},
    )
    pending = request_certificate(load_function, token, csr)
    assert (pending.status, pending.body["code"]) == (412, catalog.SIGNER_NOT_YET_ISSUED.code)
    call(
        load_function("revoke_signer"),
        "POST",
        "/v1/tenants/{tenant}/signers/{signerId}/revoke",
        params={"tenant": "acme", "signerId": created.body["id"]},
        token=token("acme", "admin"),
        body={},
    )
    revoked = request_certificate(load_function, token, csr)
    assert (revoked.status, revoked.body["code"]) == (409, catalog.SIGNER_REVOKED.code)
    assert outbox_events(ca, "certificate.requested") == []  # bad input changes nothing


def test_a_signer_revoked_after_acceptance_fails_the_request(
    signer: dict[str, object], ca: LocalResources, load_function: Load, token: Callable[..., str]
) -> None:
    certificate_id = request_certificate(load_function, token, make_csr()[0]).body["id"]
    call(
        load_function("revoke_signer"),
        "POST",
        "/v1/tenants/{tenant}/signers/{signerId}/revoke",
        params={"tenant": "acme", "signerId": str(signer["id"])},
        token=token("acme", "admin"),
        body={"reason": "keyCompromise"},
    )
    issue_pending(load_function, ca)
    failed = fetch(load_function, token, certificate_id)
    assert (failed.status, failed.body["code"]) == (410, catalog.ISSUANCE_FAILED.code)
    assert len(outbox_events(ca, "certificate.failed")) == 1


@pytest.mark.parametrize(
    ("profile", "entry"),
    [("SIGNER_CA", catalog.BAD_PROFILE), ("NO_SUCH_PROFILE", catalog.MALFORMED_FIELD)],
)
def test_profiles_an_endpoint_may_not_serve(
    signer: dict[str, object],
    load_function: Load,
    token: Callable[..., str],
    profile: str,
    entry: catalog.ErrorEntry,
) -> None:
    answer = request_certificate(load_function, token, make_csr()[0], profile=profile)
    assert (answer.status, answer.body["code"]) == (entry.http_status, entry.code)


def test_weak_and_unsupported_csrs_are_refused_with_their_codes(
    signer: dict[str, object],
    ca: LocalResources,
    load_function: Load,
    token: Callable[..., str],
    tmp_path: Path,
) -> None:
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    sha1 = subprocess.run(
        [
            "openssl",
            "req",
            "-new",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-sha1",
            "-subj",
            "/CN=device",
            "-keyout",
            str(tmp_path / "key.pem"),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    cases = [
        (make_csr(weak)[0], catalog.BAD_KEY),
        (sha1, catalog.UNSUPPORTED_ALGORITHM),
        ("not a csr", catalog.MALFORMED_FIELD),
    ]
    for csr, entry in cases:
        answer = request_certificate(load_function, token, csr)
        assert (answer.status, answer.body["code"]) == (entry.http_status, entry.code), entry.name
    assert outbox_events(ca, "certificate.requested") == []  # refused input changes nothing


def test_other_users_and_tenants_cannot_fetch(
    signer: dict[str, object], ca: LocalResources, load_function: Load, token: Callable[..., str]
) -> None:
    certificate_id = request_certificate(load_function, token, make_csr()[0]).body["id"]
    issue_pending(load_function, ca)
    other_user = fetch(load_function, token, certificate_id, user="admin")
    assert (other_user.status, other_user.body["code"]) == (404, catalog.CERTIFICATE_NOT_FOUND.code)
    other_tenant = fetch(load_function, token, certificate_id, tenant="globex")
    assert (other_tenant.status, other_tenant.body["code"]) == (404, catalog.CERTIFICATE_NOT_FOUND.code)
    assert fetch(load_function, token, "not-an-id").body["code"] == catalog.CERTIFICATE_NOT_FOUND.code
    assert fetch(load_function, token, certificate_id).status == 200


def test_lookup_by_issuer_and_serial_also_after_delivery(
    signer: dict[str, object], ca: LocalResources, load_function: Load, token: Callable[..., str]
) -> None:
    accepted = request_certificate(load_function, token, make_csr()[0]).body
    issue_pending(load_function, ca)
    delivered = fetch(load_function, token, accepted["id"]).body
    certificate = x509.load_pem_x509_certificate(delivered["certificate"].encode())
    route = "/v1/tenants/{tenant}/certificates"

    def find(issuer: str, serial: str, tenant: str = "acme") -> tuple[int, dict[str, object]]:
        answer = call(
            load_function("find_certificate"),
            "GET",
            route,
            params={"tenant": tenant},
            token=token(tenant, "admin"),
            query={"issuer": issuer, "serial": serial},
        )
        return answer.status, answer.body

    by_string = find(certificate.issuer.rfc4514_string(), delivered["serial"])
    by_der = find(base64.b64encode(certificate.issuer.public_bytes()).decode(), delivered["serial"].upper())
    assert by_string[0] == by_der[0] == 200
    assert by_string[1]["certificate"] == delivered["certificate"]
    assert by_string[1]["id"] == accepted["id"]
    assert (
        find(certificate.issuer.rfc4514_string(), "1234")[1]["code"] == catalog.ISSUER_SERIAL_NOT_FOUND.code
    )
    assert find(certificate.issuer.rfc4514_string(), delivered["serial"], tenant="globex")[1]["code"] == (
        catalog.ISSUER_SERIAL_NOT_FOUND.code
    )
    assert find("not a name", "zz")[1]["code"] == catalog.MALFORMED_FIELD.code


def test_idempotency_key_makes_a_retry_answer_the_same(
    signer: dict[str, object], ca: LocalResources, load_function: Load, token: Callable[..., str]
) -> None:
    csr = make_csr()[0]
    first = request_certificate(load_function, token, csr, headers={"idempotency-key": "retry-1"})
    second = request_certificate(load_function, token, csr, headers={"idempotency-key": "retry-1"})
    assert first.status == second.status == 202
    assert first.body["id"] == second.body["id"]
    assert len(outbox_events(ca, "certificate.requested")) == 1
    reused = request_certificate(load_function, token, make_csr()[0], headers={"idempotency-key": "retry-1"})
    assert (reused.status, reused.body["code"]) == (400, catalog.MALFORMED_FIELD.code)
