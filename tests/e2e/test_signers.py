"""Signers through the running stack: the worker issues them via the outbox, relay and queue pollers."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from astca.ids import new_ulid
from tests.e2e.conftest import DELIVERY_SECONDS, RunningStack, wait_for
from tests.pki import openssl_verify

pytestmark = pytest.mark.e2e


def new_tenant() -> str:
    """A tenant no other test uses."""
    return f"t{new_ulid().lower()}"


def issued(stack: RunningStack, tenant: str, token: str) -> dict[str, Any]:
    """The current signer of ``tenant`` once the worker has issued it."""

    def poll() -> dict[str, Any] | None:
        answer = stack.call("GET", f"/v1/tenants/{tenant}/signers/current", token=token)
        body: dict[str, Any] = answer.json()
        return body if answer.status == 200 and body["state"] == "ISSUED" else None

    return wait_for(poll, seconds=DELIVERY_SECONDS, what="the signer to be ISSUED")


def ca_events(stack: RunningStack, tenant: str, expected: set[str]) -> set[str]:
    """The routing keys of ``tenant``'s events on the ca-events queue, once all ``expected`` arrived."""
    sqs, url, seen = stack.client("sqs"), stack.queue_url("CaEventsQueue"), set[str]()

    def poll() -> set[str] | None:
        for message in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
            envelope = json.loads(message["Body"])
            if envelope["payload"].get("tenant") == tenant:
                seen.add(envelope["routingKey"])
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        return seen if expected <= seen else None

    return wait_for(poll, seconds=DELIVERY_SECONDS, what=f"events {sorted(expected)}")


def test_a_signer_is_created_issued_chained_and_revoked(stack: RunningStack, tmp_path: Path) -> None:
    tenant = new_tenant()
    admin = stack.token(tenant, "admin")

    created = stack.call("POST", f"/v1/tenants/{tenant}/signers", token=admin, body={"name": "Fleet"})
    assert created.status == 202, created.body
    assert created.headers["location"] == f"/v1/tenants/{tenant}/signers/{created.json()['id']}"

    signer = issued(stack, tenant, admin)
    chain = stack.call("GET", f"/v1/tenants/{tenant}/ca").json()
    assert chain["signers"] == chain["chain"] == [signer["certificate"]]
    openssl_verify(tmp_path, root=chain["anchor"], chain=[], leaf=signer["certificate"])
    platform = chain["platform"]
    openssl_verify(tmp_path, root=platform["anchor"], chain=platform["chain"], leaf=signer["certificate"])

    revoked = stack.call("POST", f"/v1/tenants/{tenant}/signers/{signer['id']}/revoke", token=admin, body={})
    assert (revoked.status, revoked.json()["state"]) == (200, "REVOKED")
    assert stack.call("GET", f"/v1/tenants/{tenant}/ca").json()["signers"] == []
    assert ca_events(stack, tenant, {"signer.created", "signer.issued", "signer.revoked"})


def test_fifty_concurrent_creations_give_one_signer_and_409s(stack: RunningStack) -> None:
    tenant = new_tenant()
    admin = stack.token(tenant, "admin")

    def create(index: int) -> tuple[int, int | None]:
        answer = stack.call("POST", f"/v1/tenants/{tenant}/signers", token=admin, body={"name": f"s{index}"})
        return answer.status, answer.json().get("code") if answer.status != 202 else None

    with ThreadPoolExecutor(max_workers=50) as pool:
        outcomes = list(pool.map(create, range(50)))

    assert [status for status, _ in outcomes].count(202) == 1
    assert {code for status, code in outcomes if status != 202} <= {510000040, 510000042}
    assert {status for status, _ in outcomes} <= {202, 409}
    listed = stack.call("GET", f"/v1/tenants/{tenant}/signers", token=admin).json()
    assert len(listed["items"]) == 1


def test_an_unused_signer_is_deleted_and_other_tenants_see_nothing(stack: RunningStack) -> None:
    tenant, other = new_tenant(), new_tenant()
    admin = stack.token(tenant, "admin")
    signer = (
        issued(stack, tenant, admin)
        if stack.call(
            "POST", f"/v1/tenants/{tenant}/signers", token=admin, body={"name": "Short-lived"}
        ).status
        == 202
        else {}
    )

    foreign = stack.call(
        "GET", f"/v1/tenants/{other}/signers/{signer['id']}", token=stack.token(other, "admin")
    )
    assert (foreign.status, foreign.json()["code"]) == (404, 510004041)

    assert stack.call("DELETE", f"/v1/tenants/{tenant}/signers/{signer['id']}", token=admin).status == 204
    gone = stack.call("GET", f"/v1/tenants/{tenant}/signers/current", token=admin)
    assert (gone.status, gone.json()["code"]) == (404, 510004043)
    assert ca_events(stack, tenant, {"signer.deleted"})
