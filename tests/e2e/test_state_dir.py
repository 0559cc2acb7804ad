"""``ASTCA_STATE_DIR``: a developer's root CA and signers survive a restart of the stack."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import DELIVERY_SECONDS, RunningStack, launch_stack, serving, wait_for
from tests.e2e.test_certificates import csr_pem
from tests.e2e.test_signers import issued, new_tenant
from tests.pki import openssl_verify

pytestmark = pytest.mark.e2e


def certificate_of(stack: RunningStack, tenant: str, device: str) -> dict[str, Any]:
    """A device certificate requested over HTTP and delivered by the worker (signed by the tenant's signer)."""
    accepted = stack.call("POST", f"/v1/tenants/{tenant}/certificates", token=device, body={"csr": csr_pem()})
    assert accepted.status == 202, accepted.body

    def delivered() -> dict[str, Any] | None:
        answer = stack.call("GET", accepted.headers["location"], token=device)
        if answer.status == 409:
            return None
        assert answer.status == 200, answer.body
        body: dict[str, Any] = answer.json()
        return body

    return wait_for(delivered, seconds=DELIVERY_SECONDS, what="the certificate")


def test_the_ca_and_a_signer_survive_a_restart_and_the_signer_still_signs(tmp_path: Path) -> None:
    state, tenant = tmp_path / "state", new_tenant()
    for run in ("first", "second"):
        (tmp_path / run).mkdir()

    with serving(launch_stack(tmp_path / "first", ASTCA_STATE_DIR=str(state))) as (first,):
        admin = first.token(tenant, "admin")
        assert (
            first.call("POST", f"/v1/tenants/{tenant}/signers", token=admin, body={"name": "Fleet"}).status
            == 202
        )
        signer = issued(first, tenant, admin)
        before = first.call("GET", f"/v1/tenants/{tenant}/ca").json()
        root_key = first.client("kms").describe_key(KeyId="alias/astca/root")["KeyMetadata"]["Arn"]
    assert f"  state    {state}" in (tmp_path / "first" / "stack.log").read_text()  # the banner names it

    with serving(launch_stack(tmp_path / "second", ASTCA_STATE_DIR=str(state))) as (second,):
        after = second.call("GET", f"/v1/tenants/{tenant}/ca").json()
        assert second.client("kms").describe_key(KeyId="alias/astca/root")["KeyMetadata"]["Arn"] == root_key
        admin, device = second.token(tenant, "admin"), second.token(tenant, "device")
        current = second.call("GET", f"/v1/tenants/{tenant}/signers/current", token=admin).json()
        certificate = certificate_of(second, tenant, device)

    assert after == before  # the same root, issuer and signer certificates: the bootstrap made none
    assert (current["id"], current["certificate"]) == (signer["id"], signer["certificate"])
    assert certificate["chain"][0] == signer["certificate"]
    # the restored signer key signed it: it verifies up to the root of the first run
    openssl_verify(
        tmp_path, root=before["anchor"], chain=certificate["chain"], leaf=certificate["certificate"]
    )
