"""Renewal proves possession of the current key: the mutual-TLS handshake, or a proof signed by the key.

Seen on main: ``POST .../certificates/renew`` with only ``X-Forwarded-Client-Cert: <a delivered
certificate>`` and no token answered 202, twenty times in a row; the new certificate named the
victim and carried the caller's key.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
import urllib.parse
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from types import ModuleType
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from jwcrypto import jwk, jws

from astca import catalog
from astca.identity.authenticator import authenticator
from astca.services.certificates import certificate_service
from astca.settings import get_settings
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
from tests.functions.http import Answer, call
from tests.pki import self_signed

Load = Callable[[str], ModuleType]
ROUTE = "/v1/tenants/{tenant}/certificates/renew"
PATH = "/v1/tenants/acme/certificates/renew"
HEADER = "x-forwarded-client-cert"


@pytest.fixture
def device(
    ca: LocalResources, load_function: Load, token: Callable[..., str]
) -> tuple[x509.Certificate, Any]:
    """A delivered device certificate and its key."""
    issued_signer(load_function, token, ca)
    csr, key = make_csr()
    accepted = request_certificate(load_function, token, csr).body
    issue_pending(load_function, ca)
    pem = fetch(load_function, token, accepted["id"]).body["certificate"]
    return x509.load_pem_x509_certificate(pem.encode()), key


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    """``environment(NAME=value)``: deploy the functions with these ASTCA_ variables for this test."""

    def apply(**variables: str) -> None:
        for name, value in variables.items():
            monkeypatch.setenv(name, value)
        for factory in (get_settings, authenticator, certificate_service):
            factory.cache_clear()

    yield apply
    monkeypatch.undo()
    for factory in (get_settings, authenticator, certificate_service):
        factory.cache_clear()


def renew(
    load_function: Load,
    csr: str,
    *,
    handshake: x509.Certificate | None = None,
    header: x509.Certificate | None = None,
    proof: str | None = None,
    idempotency_key: str | None = None,
    **fields: Any,
) -> Answer:
    body: dict[str, Any] = {"csr": csr, **fields}
    if proof is not None:
        body["proof"] = proof
    headers = {HEADER: urllib.parse.quote(header.public_bytes(Encoding.PEM).decode())} if header else {}
    if idempotency_key is not None:
        headers["idempotency-key"] = idempotency_key
    return call(
        load_function("renew_certificate"),
        "POST",
        ROUTE,
        params={"tenant": "acme"},
        body=body,
        headers=headers,
        client_certificate=handshake.public_bytes(Encoding.DER) if handshake else None,
    )


def renewal_proof(key: Any, csr: str, *, iat: int | None = None, **overrides: Any) -> str:
    """A renewal proof made as a device would, with jwcrypto (an independent JOSE library)."""
    claims = {
        "htm": "POST",
        "htu": PATH,
        "csr": base64.urlsafe_b64encode(hashlib.sha256(csr.encode()).digest()).rstrip(b"=").decode(),
        "iat": int(time.time()) if iat is None else iat,
        **overrides,
    }
    token = jws.JWS(json.dumps(claims).encode())
    token.add_signature(
        jwk.JWK.from_pyca(key),
        alg="ES256",
        protected=json.dumps({"alg": "ES256", "typ": "astca-renewal+jwt"}),
    )
    return str(token.serialize(compact=True))


def code(answer: Answer) -> int:
    return int(answer.body["code"])


def test_an_anonymous_renewal_with_only_the_header_is_refused(
    device: tuple[x509.Certificate, Any], load_function: Load, ca: LocalResources
) -> None:
    """Seen: 202 twenty times; now no header is trusted unless an operator names one."""
    current, _ = device
    answers = [renew(load_function, make_csr()[0], header=current) for _ in range(20)]
    assert {(answer.status, code(answer)) for answer in answers} == {
        (401, catalog.TLS_CLIENT_AUTH_MISSING.code)
    }
    assert outbox_events(ca, "certificate.requested")[1:] == []  # only the first, unrenewed request


def test_over_mutual_tls_the_device_renews_for_itself_once(
    device: tuple[x509.Certificate, Any], load_function: Load, ca: LocalResources, token: Callable[..., str]
) -> None:
    current, _ = device
    first = renew(load_function, make_csr()[0], handshake=current)
    assert first.status == 202, first.body
    issue_pending(load_function, ca)
    renewed = x509.load_pem_x509_certificate(
        fetch(load_function, token, first.body["id"]).body["certificate"].encode()
    )
    assert renewed.subject == current.subject  # the same device

    again = [renew(load_function, make_csr()[0], handshake=current) for _ in range(5)]
    assert {(answer.status, code(answer)) for answer in again} == {(401, catalog.UNAUTHORIZED.code)}
    assert "renewed already" in again[0].body["detail"]
    assert first.body["id"] in again[0].body["detail"]
    assert renew(load_function, make_csr()[0], handshake=renewed).status == 202  # the newest one renews


def test_a_renewal_shows_its_serial_only_with_the_certificate(
    device: tuple[x509.Certificate, Any], load_function: Load, ca: LocalResources, token: Callable[..., str]
) -> None:
    current, _ = device
    csr = make_csr()[0]
    accepted = renew(load_function, csr, handshake=current, idempotency_key="renew-1")
    replayed = renew(load_function, csr, handshake=current, idempotency_key="renew-1")
    early = fetch(load_function, token, accepted.body["id"])
    assert (accepted.status, replayed.status, early.status) == (202, 202, 409), accepted.body
    serial = stored_certificate(ca, accepted.body["id"])["serial"]
    assert [answer for answer in (accepted, replayed, early) if reveals(answer, serial)] == []
    issue_pending(load_function, ca)
    assert fetch(load_function, token, accepted.body["id"]).body["serial"] == serial


def test_a_renewal_chooses_its_lifetime_and_a_bad_one_leaves_the_certificate_renewable(
    device: tuple[x509.Certificate, Any], load_function: Load, ca: LocalResources, token: Callable[..., str]
) -> None:
    current, _ = device
    for days in (0, 366, True, "10"):
        refused = renew(load_function, make_csr()[0], handshake=current, validityDays=days)
        assert (refused.status, code(refused)) == (400, catalog.MALFORMED_FIELD.code), days
        assert "from 1 to 365 (the maximum of profile AST_DEVICE)" in refused.body["detail"]

    accepted = renew(load_function, make_csr()[0], handshake=current, validityDays=10)

    assert accepted.status == 202, accepted.body  # the refusals superseded nothing
    issue_pending(load_function, ca)
    renewed = x509.load_pem_x509_certificate(
        fetch(load_function, token, accepted.body["id"]).body["certificate"].encode()
    )
    assert renewed.not_valid_after_utc - renewed.not_valid_before_utc == timedelta(days=10)
    assert renewed.subject == current.subject


def test_concurrent_renewals_of_one_certificate_give_one_new_certificate(
    device: tuple[x509.Certificate, Any], load_function: Load, ca: LocalResources
) -> None:
    current, _ = device
    csrs = [make_csr()[0] for _ in range(10)]
    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(lambda csr: renew(load_function, csr, handshake=current), csrs))
    assert sorted(answer.status for answer in answers) == [202] + [401] * 9
    assert len(outbox_events(ca, "certificate.requested")) == 2  # the first request and one renewal


def test_a_certificate_of_no_signer_of_the_tenant_is_refused(
    device: tuple[x509.Certificate, Any], load_function: Load
) -> None:
    stranger = x509.load_pem_x509_certificate(self_signed("astca-dev-device").encode())
    answer = renew(load_function, make_csr()[0], handshake=stranger)
    assert (answer.status, code(answer)) == (401, catalog.UNAUTHORIZED.code)


def test_a_deployment_without_mutual_tls_refuses_renewal(
    device: tuple[x509.Certificate, Any], load_function: Load, environment: Callable[..., None]
) -> None:
    environment(ASTCA_MTLS_DOMAIN_NAME="")
    current, _ = device
    answer = renew(load_function, make_csr()[0], handshake=current, header=current)
    assert (answer.status, code(answer)) == (401, catalog.UNAUTHORIZED.code)
    assert "no mutual-TLS domain" in answer.body["detail"]


def test_behind_a_terminator_the_header_needs_a_proof_by_the_certificates_key(
    device: tuple[x509.Certificate, Any], load_function: Load, environment: Callable[..., None]
) -> None:
    environment(ASTCA_MTLS_DOMAIN_NAME="", ASTCA_CLIENT_CERT_HEADER="X-Forwarded-Client-Cert")
    current, key = device
    csr = make_csr()[0]
    other_key = ec.generate_private_key(ec.SECP256R1())
    refused = {
        "no proof": renew(load_function, csr, header=current),
        "another key": renew(load_function, csr, header=current, proof=renewal_proof(other_key, csr)),
        "stale": renew(
            load_function, csr, header=current, proof=renewal_proof(key, csr, iat=int(time.time()) - 600)
        ),
        "future": renew(
            load_function, csr, header=current, proof=renewal_proof(key, csr, iat=int(time.time()) + 600)
        ),
        "another csr": renew(load_function, csr, header=current, proof=renewal_proof(key, make_csr()[0])),
        "another path": renew(
            load_function,
            csr,
            header=current,
            proof=renewal_proof(key, csr, htu="/v1/tenants/globex/certificates/renew"),
        ),
        "another method": renew(load_function, csr, header=current, proof=renewal_proof(key, csr, htm="GET")),
        "garbage": renew(load_function, csr, header=current, proof="a.b.c"),
    }
    for case, answer in refused.items():
        assert (answer.status, code(answer)) == (401, catalog.UNAUTHORIZED.code), case
        assert "proof" in answer.body["detail"], case

    accepted = renew(load_function, csr, header=current, proof=renewal_proof(key, csr))
    assert accepted.status == 202, accepted.body
