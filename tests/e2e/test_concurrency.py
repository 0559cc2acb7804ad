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

from astca.ids import new_ulid
from tests.e2e.conftest import DELIVERY_SECONDS, Answer, RunningStack, request, wait_for
from tests.e2e.test_certificates import csr_pem
from tests.e2e.test_signers import issued, new_tenant

pytestmark = pytest.mark.e2e
CLIENTS = 16
CERTIFICATES_EACH = 4
TIMEOUT = 30.0  # a client waits as long as API Gateway does: this test counts errors, not latency


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
        return request(url, "POST", headers=headers, body=json.dumps({"csr": csr}).encode(), timeout=TIMEOUT)

    def get(path: str) -> Answer:
        return request(
            f"{stack.base_url}{path}", headers={"Authorization": f"Bearer {device}"}, timeout=TIMEOUT
        )

    def client(index: int) -> list[tuple[int, str]]:
        """Request this client's certificates one after another; the unexpected answers (status, body)."""
        unexpected: list[tuple[int, str]] = []
        for number, csr in enumerate(csrs[index * CERTIFICATES_EACH : (index + 1) * CERTIFICATES_EACH]):
            key = f"client-{index}-{number}"
            accepted = post(csr, key)
            if accepted.status != 202:
                unexpected.append((accepted.status, accepted.body.decode()))
                continue
            location = accepted.headers["location"]
            replayed = post(csr, key)  # the same request again: the same certificate
            if replayed.status != 202 or replayed.headers["location"] != location:
                unexpected.append((replayed.status, replayed.body.decode()))
            missing = f"/v1/tenants/{tenant}/certificates/{new_ulid()}"
            unknown = get(missing)  # an error names its own request's path
            if unknown.status != 404 or unknown.json()["instance"] != missing:
                unexpected.append((unknown.status, unknown.body.decode()))

            def delivered(location: str = location) -> str | None:
                answer = get(location)
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
                again = get(location)
                if again.status != 410:
                    unexpected.append((again.status, again.body.decode()))
        return unexpected

    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        outcomes = list(pool.map(client, range(CLIENTS)))

    assert [answer for outcome in outcomes for answer in outcome] == []
