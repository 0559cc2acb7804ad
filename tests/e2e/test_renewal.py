"""Renewal through the running stack: over its HTTPS listener with mutual TLS, as on API Gateway's mTLS domain.

Seen on main: an anonymous POST /renew with only ``X-Forwarded-Client-Cert: <a delivered certificate>``
answered 202 and issued a certificate naming the victim for the caller's key.
"""

from __future__ import annotations

import json
import ssl
import subprocess
import urllib.parse
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tests.e2e.conftest import DELIVERY_SECONDS, RunningStack, request, wait_for
from tests.e2e.test_signers import issued, new_tenant
from tests.functions.flows import make_csr
from tests.pki import self_signed

pytestmark = pytest.mark.e2e


def enrolled_device(stack: RunningStack, directory: Path) -> tuple[Path, Path, str, str]:
    """A tenant with a signer and a device holding its certificate: (device.pem with chain, device.key, tenant, PEM)."""
    tenant = new_tenant()
    admin, device = stack.token(tenant, "admin"), stack.token(tenant, "device")
    assert (
        stack.call("POST", f"/v1/tenants/{tenant}/signers", token=admin, body={"name": "Fleet"}).status == 202
    )
    issued(stack, tenant, admin)
    csr, key = make_csr()
    accepted = stack.call("POST", f"/v1/tenants/{tenant}/certificates", token=device, body={"csr": csr})
    assert accepted.status == 202, accepted.body

    def delivered() -> dict[str, Any] | None:
        answer = stack.call("GET", accepted.headers["location"], token=device)
        return None if answer.status == 409 else answer.json()

    body = wait_for(delivered, seconds=DELIVERY_SECONDS, what="the certificate")
    directory.mkdir(parents=True, exist_ok=True)
    certificate_file, key_file = directory / "device.pem", directory / "device.key"
    # The certificate, then its delivered chain (signer, cross-certified anchor, issuer), as a device
    # presents it to the mutual-TLS domain, whose trust store holds the platform root and issuer.
    certificate_file.write_text(body["certificate"] + "".join(body["chain"]))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return certificate_file, key_file, tenant, body["certificate"]


def curl_renew(
    stack: RunningStack, tenant: str, *options: str, path: str = "renew", fields: dict[str, Any] | None = None
) -> tuple[int, dict[str, Any]]:
    """POST /renew (or another ``path`` under /certificates) with curl over the stack's HTTPS listener, trusting its server certificate."""
    body = json.dumps({"csr": make_csr()[0]} if fields is None else fields)
    done = subprocess.run(
        [
            "curl", "-sS", "--max-time", "10", "--cacert", str(stack.server_certificate),
            "-H", "Content-Type: application/json", "-d", body, "-w", "\n%{http_code}",
            *options, f"{stack.tls_base_url}/v1/tenants/{tenant}/certificates/{path}",
        ],
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    if done.returncode != 0:
        return -done.returncode, {"error": done.stderr}
    answer, _, status = done.stdout.rpartition("\n")
    return int(status), json.loads(answer)


def test_a_device_renews_with_curl_and_its_key(stack: RunningStack, tmp_path: Path) -> None:
    certificate, key, tenant, _ = enrolled_device(stack, tmp_path)

    status, body = curl_renew(stack, tenant, "--cert", str(certificate), "--key", str(key))

    assert status == 202, body
    again, refused = curl_renew(stack, tenant, "--cert", str(certificate), "--key", str(key))
    assert (again, refused["code"]) == (401, 510000401)  # a certificate renews once
    assert body["id"] in refused["detail"]


def test_the_header_alone_renews_nothing(stack: RunningStack, tmp_path: Path) -> None:
    """Seen: 202 with no token and no key, only a copy of the certificate in a header."""
    _, _, tenant, pem = enrolled_device(stack, tmp_path)
    header = f"X-Forwarded-Client-Cert: {urllib.parse.quote(pem)}"

    over_http = request(
        f"{stack.base_url}/v1/tenants/{tenant}/certificates/renew",
        "POST",
        headers={"Content-Type": "application/json", "X-Forwarded-Client-Cert": urllib.parse.quote(pem)},
        body=json.dumps({"csr": make_csr()[0]}).encode(),
    )
    over_https = curl_renew(stack, tenant, "-H", header)

    assert (over_http.status, over_http.json()["code"]) == (401, 510004011)
    assert (over_https[0], over_https[1]["code"]) == (401, 510004011)


def test_a_certificate_without_its_key_or_chain_is_refused_at_the_handshake(
    stack: RunningStack, tmp_path: Path
) -> None:
    certificate, _, tenant, _ = enrolled_device(stack, tmp_path)
    stranger_key = ec.generate_private_key(ec.SECP256R1())
    stranger = tmp_path / "stranger"
    stranger.mkdir()
    (stranger / "cert.pem").write_text(self_signed("astca-dev-device", key=stranger_key))
    (stranger / "key.pem").write_bytes(
        stranger_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )

    status, body = curl_renew(
        stack, tenant, "--cert", str(stranger / "cert.pem"), "--key", str(stranger / "key.pem")
    )
    assert status < 0, body  # the handshake failed: an unknown issuer, as API Gateway refuses it

    context = ssl.create_default_context(cafile=str(stack.server_certificate))
    with pytest.raises(ssl.SSLError):  # the victim's certificate with another key never loads
        context.load_cert_chain(certificate, stranger / "key.pem")


def test_over_https_without_a_client_certificate_renewal_is_tls_client_auth_missing(
    stack: RunningStack, tmp_path: Path
) -> None:
    _, _, tenant, _ = enrolled_device(stack, tmp_path)
    status, body = curl_renew(stack, tenant)
    assert (status, body["code"]) == (401, 510004011)


def test_a_device_of_another_tenant_cannot_renew_here(stack: RunningStack, tmp_path: Path) -> None:
    certificate, key, _, _ = enrolled_device(stack, tmp_path / "a")
    _, _, other_tenant, _ = enrolled_device(stack, tmp_path / "b")

    status, body = curl_renew(stack, other_tenant, "--cert", str(certificate), "--key", str(key))

    assert (status, body["code"]) == (401, 510000401)
