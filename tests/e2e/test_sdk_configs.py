"""SDK configs through the running stack: signed by the tenant's signer, verified by joserfc and openssl."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import RunningStack
from tests.e2e.test_signers import issued, new_tenant
from tests.functions.sdk_configs import certificate_b64, verify_sdk_config

pytestmark = pytest.mark.e2e


def test_an_admin_gets_a_config_that_verifies_against_the_tenants_root(
    stack: RunningStack, tmp_path: Path
) -> None:
    tenant = new_tenant()
    admin = stack.token(tenant, "admin")
    path = f"/v1/tenants/{tenant}/sdkconfig"
    config = {
        "tlsBundle": [certificate_b64()],
        "astUrl": "https://ast.example.com",
        "services": [{"name": "auth", "url": "https://auth.example.com"}],
    }

    before = stack.call("POST", path, token=admin, body=config)
    assert (before.status, before.json()["code"]) == (404, 510004043)
    created = stack.call("POST", f"/v1/tenants/{tenant}/signers", token=admin, body={"name": "Fleet"})
    assert created.status == 202, created.body
    signer = issued(stack, tenant, admin)

    answer = stack.call("POST", path, token=admin, body=config)

    assert answer.status == 201, answer.body
    root = stack.call("GET", f"/v1/tenants/{tenant}/ca").json()["anchor"]
    verified = verify_sdk_config(
        answer.json()["sdkConfig"],
        root_pem=root,
        algorithm="ES256",
        tenant=tenant,
        issuer=stack.tls_base_url,  # the stack's service URL, whatever Host the request named
        folder=tmp_path,
    )
    assert verified.header["kid"] == signer["id"]
    assert {key: verified.claims[key] for key in config} == config
    device = stack.call("POST", path, token=stack.token(tenant, "device"), body=config)
    assert (device.status, device.json()["code"]) == (403, 510000403)
