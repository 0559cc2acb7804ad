"""Sixteen clients at once through the running stack: every request accepted, every certificate delivered once.

Under load the stack answered GET 500 5105003 (an ISSUED record read without its certificate: moto's
UpdateItem was not atomic) and POST 500 5105001 (a transaction retried after a read timeout applied
twice). Each client here requests certificates back to back and polls each until it is delivered,
so requests, issuance and deliveries interleave; it repeats each request with its Idempotency-Key and
asks for a certificate that does not exist, so an answer that read another request's headers or path
(as Powertools' shared ``current_event`` did with functions in threads of one process) shows.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.e2e.conftest import DELIVERY_SECONDS, Answer, RunningStack, request, wait_for
from tests.e2e.test_certificates import csr_pem
from tests.e2e.test_signers import issued, new_tenant

pytestmark = pytest.mark.e2e
CLIENTS = 16
CERTIFICATES_EACH = 4


def test_sixteen_clients_in_flight_get_every_certificate_exactly_once(stack: RunningStack) -> None:
    tenant = new_tenant()
    admin, device = stack.token(tenant, "admin"), stack.token(tenant, "device")
    assert (
        stack.call("POST", f"/v1/tenants/{tenant}/signers", token=admin, body={"name": "Fleet"}).status == 202
    )
    issued(stack, tenant, admin)
    csrs = [csr_pem() for _ in range(CLIENTS * CERTIFICATES_EACH)]

    def post(csr: str, key: str) -> Answer:
        headers = {
            "Authorization": f"Bearer {device}",
            "Content-Type": "application/json",
            "Idempotency-Key": key,
        }
        url = f"{stack.base_url}/v1/tenants/{tenant}/certificates"
        return request(url, "POST", headers=headers, body=json.dumps({"csr": csr}).encode())

    def client(index: int) -> list[tuple[int, str]]:
        """Request this client's certificates one after another; the unexpected answers (status, body)."""
        unexpected: list[tuple[int, str]] = []
        for csr in csrs[index * CERTIFICATES_EACH : (index + 1) * CERTIFICATES_EACH]:
            accepted = stack.call(
                "POST", f"/v1/tenants/{tenant}/certificates", token=device, body={"csr": csr}
            )
            if accepted.status != 202:
                unexpected.append((accepted.status, accepted.body.decode()))
                continue
            location = accepted.headers["location"]

            def delivered(location: str = location) -> str | None:
                answer = stack.call("GET", location, token=device)
                if answer.status == 409:
                    return None
                if answer.status != 200:
                    unexpected.append((answer.status, answer.body.decode()))
                    return "refused"
                return str(answer.json()["certificate"])

            certificate = wait_for(
                delivered, seconds=DELIVERY_SECONDS * 4, what="a certificate", interval=0.2
            )
            if certificate != "refused":
                assert certificate.startswith("-----BEGIN CERTIFICATE-----")
                again = stack.call("GET", location, token=device)
                if again.status != 410:
                    unexpected.append((again.status, again.body.decode()))
        return unexpected

    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        outcomes = list(pool.map(client, range(CLIENTS)))

    assert [answer for outcome in outcomes for answer in outcome] == []
