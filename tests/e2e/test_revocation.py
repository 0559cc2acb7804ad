"""Revocation through the running stack: an admin over HTTP, a device over the mutual-TLS listener with curl."""

from __future__ import annotations

import urllib.parse
from pathlib import Path

import pytest
from cryptography import x509

from tests.e2e.conftest import RunningStack
from tests.e2e.test_renewal import curl_renew, enrolled_device

pytestmark = pytest.mark.e2e


def test_an_admin_revokes_and_the_lookup_and_renewal_see_it(stack: RunningStack, tmp_path: Path) -> None:
    certificate_file, key_file, tenant, pem = enrolled_device(stack, tmp_path)
    admin = stack.token(tenant, "admin")
    parsed = x509.load_pem_x509_certificate(pem.encode())
    query = urllib.parse.urlencode(
        {"issuer": parsed.issuer.rfc4514_string(), "serial": format(parsed.serial_number, "x")}
    )
    lookup = f"/v1/tenants/{tenant}/certificates?{query}"
    assert stack.call("GET", lookup, token=admin).json()["status"] == "VALID"

    body = {
        "issuer": parsed.issuer.rfc4514_string(),
        "serial": format(parsed.serial_number, "x"),
        "reason": "keyCompromise",
    }
    revoked = stack.call("POST", f"/v1/tenants/{tenant}/certificates/revoke", token=admin, body=body)

    assert revoked.status == 200, revoked.body
    found = stack.call("GET", lookup, token=admin).json()
    assert (found["status"], found["revocationReason"]) == ("REVOKED", "keyCompromise")
    again = stack.call("POST", f"/v1/tenants/{tenant}/certificates/revoke", token=admin, body=body)
    assert (again.status, again.json()["code"]) == (409, 510000024)
    status, answer = curl_renew(stack, tenant, "--cert", str(certificate_file), "--key", str(key_file))
    assert (status, answer["code"]) == (401, 510000401)


def test_a_device_revokes_its_own_certificate_with_curl_and_its_key(
    stack: RunningStack, tmp_path: Path
) -> None:
    certificate_file, key_file, tenant, _ = enrolled_device(stack, tmp_path)

    status, answer = curl_renew(
        stack, tenant, "--cert", str(certificate_file), "--key", str(key_file), path="revoke-self", fields={}
    )

    assert status == 200, answer
    assert (answer["state"], answer["revocationReason"]) == ("REVOKED", "unspecified")
