"""Certificates through the running stack: request over HTTP, signed by the worker via relay and pollers."""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.e2e.conftest import DELIVERY_SECONDS, RunningStack, wait_for
from tests.e2e.test_signers import issued, new_tenant
from tests.pki import openssl_verify

pytestmark = pytest.mark.e2e


def csr_pem() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "device")]))
        .sign(key, hashes.SHA256())
    )
    return csr.public_bytes(serialization.Encoding.PEM).decode()


def test_a_device_requests_and_fetches_its_certificate_over_http(stack: RunningStack, tmp_path: Path) -> None:
    tenant = new_tenant()
    admin, device = stack.token(tenant, "admin"), stack.token(tenant, "device")
    assert (
        stack.call("POST", f"/v1/tenants/{tenant}/signers", token=admin, body={"name": "Fleet"}).status == 202
    )
    issued(stack, tenant, admin)

    accepted = stack.call("POST", f"/v1/tenants/{tenant}/certificates", token=device, body={"csr": csr_pem()})
    assert accepted.status == 202, accepted.body
    location = accepted.headers["location"]

    def delivered(location: str = location) -> dict[str, Any] | None:
        answer = stack.call("GET", location, token=device)
        if answer.status == 409:
            assert answer.headers["retry-after"]
            return None
        assert answer.status == 200, answer.body
        body: dict[str, Any] = answer.json()
        return body

    certificate = wait_for(delivered, seconds=DELIVERY_SECONDS, what="the certificate")
    assert stack.call("GET", location, token=device).json()["code"] == 510000021
    chain = stack.call("GET", f"/v1/tenants/{tenant}/ca").json()
    for anchor in (chain["anchor"], chain["platform"]["anchor"]):  # the tenant's own, and the platform's
        openssl_verify(tmp_path, root=anchor, chain=certificate["chain"], leaf=certificate["certificate"])
    assert "serial" not in accepted.json()  # it comes with the certificate
    assert lifetime(certificate) == timedelta(days=365)  # AST_DEVICE's maximum

    # A shorter lifetime, within the profile's maximum
    path = f"/v1/tenants/{tenant}/certificates"
    too_long = stack.call("POST", path, token=device, body={"csr": csr_pem(), "validityDays": 366})
    assert (too_long.status, too_long.json()["code"]) == (400, 510004002)
    accepted = stack.call("POST", path, token=device, body={"csr": csr_pem(), "validityDays": 7})
    assert accepted.status == 202, accepted.body
    short = wait_for(
        partial(delivered, accepted.headers["location"]),
        seconds=DELIVERY_SECONDS,
        what="the 7-day certificate",
    )
    assert lifetime(short) == timedelta(days=7)


def lifetime(delivered: dict[str, Any]) -> timedelta:
    """notAfter less notBefore of a delivered certificate, as the certificate says."""
    parsed = x509.load_pem_x509_certificate(str(delivered["certificate"]).encode())
    return parsed.not_valid_after_utc - parsed.not_valid_before_utc
