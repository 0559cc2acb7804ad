"""Certificates through the running stack: request over HTTP, signed by the worker via relay and pollers."""

from __future__ import annotations

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

    def delivered() -> dict[str, Any] | None:
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
