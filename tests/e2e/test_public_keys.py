"""Public keys through the running stack: register with a proof of possession, read as owner and as the IdP,
list, delete, race, events; a key someone only saw is not theirs to register."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.e2e.conftest import RunningStack
from tests.e2e.test_signers import ca_events, new_tenant
from tests.key_proofs import DeviceKey, subject

pytestmark = pytest.mark.e2e

KEY_NOT_FOUND = 510004045
KEY_ALREADY_EXISTS = 510000051
PASSWORD_AUTH_MISSING = 510000050
MALFORMED_FIELD = 510004002


def registration(key: DeviceKey, token: str, tenant: str, **extra: Any) -> dict[str, Any]:
    """The body that registers ``key`` for the user of ``token``: its public JWK and a fresh proof."""
    return {"jwk": key.public, "proof": key.proof(subject(token), tenant), **extra}


def test_a_key_is_registered_read_by_owner_and_idp_listed_and_deleted(stack: RunningStack) -> None:
    tenant = new_tenant()
    device, admin, idp = (stack.token(tenant, user) for user in ("device", "admin", "service"))
    key = DeviceKey.generate("P-384")
    jwk = key.public
    keys = f"/v1/tenants/{tenant}/public-keys"

    body = registration(key, device, tenant, jwk={**jwk, "alg": "ES384"})
    created = stack.call("POST", keys, token=device, body=body)
    assert created.status == 201, created.body
    body = created.json()
    kid = body["kid"]
    assert created.headers["location"] == f"{keys}/{kid}"
    assert body["jwk"] == {**jwk, "alg": "ES384", "kid": kid}

    assert stack.call("GET", f"{keys}/{kid}", token=device).json() == body
    assert stack.call("GET", f"{keys}/{kid}", token=idp).json() == body
    foreign = stack.call("GET", f"{keys}/{kid}", token=admin)
    assert (foreign.status, foreign.json()["code"]) == (404, KEY_NOT_FOUND)
    assert stack.call("GET", keys, token=device).json() == {"items": [body], "nextToken": None}
    assert stack.call("GET", f"{keys}?filter=kty%20eq%20'RSA'", token=device).json()["items"] == []

    other = DeviceKey.generate("Ed25519")
    no_password = stack.call("POST", keys, token=idp, body=registration(other, idp, tenant))
    assert (no_password.status, no_password.json()["code"]) == (403, PASSWORD_AUTH_MISSING)

    assert stack.call("DELETE", f"{keys}/{kid}", token=admin).status == 404
    assert stack.call("DELETE", f"{keys}/{kid}", token=device).status == 204
    assert stack.call("GET", f"{keys}/{kid}", token=idp).status == 404
    assert ca_events(stack, tenant, {"public_key.registered", "public_key.deleted"})


def test_fifty_concurrent_registrations_of_one_thumbprint_give_one_201(stack: RunningStack) -> None:
    tenant = new_tenant()
    tokens = [stack.token(tenant, "device"), stack.token(tenant, "admin")]
    key = DeviceKey.generate("Ed25519")
    bodies = [registration(key, token, tenant) for token in tokens]
    keys = f"/v1/tenants/{tenant}/public-keys"

    def register(index: int) -> tuple[int, Any]:
        answer = stack.call("POST", keys, token=tokens[index % 2], body=bodies[index % 2])
        return answer.status, answer.json()

    with ThreadPoolExecutor(max_workers=50) as pool:
        outcomes = list(pool.map(register, range(50)))

    statuses = [status for status, _ in outcomes]
    assert (statuses.count(201), statuses.count(409)) == (1, 49), statuses
    assert {body["code"] for status, body in outcomes if status == 409} == {KEY_ALREADY_EXISTS}
    (winner,) = [body for status, body in outcomes if status == 201]
    owner_token = tokens[[status for status, _ in outcomes].index(201) % 2]
    assert stack.call("GET", f"{keys}/{winner['kid']}", token=owner_token).json() == winner
    assert stack.call("GET", keys, token=owner_token).json()["items"] == [winner]


def test_a_key_someone_only_saw_is_not_theirs_to_register(stack: RunningStack) -> None:
    tenant = new_tenant()
    device, admin = stack.token(tenant, "device"), stack.token(tenant, "admin")
    key = DeviceKey.generate("RSA")
    keys = f"/v1/tenants/{tenant}/public-keys"

    attempts = [
        {"jwk": key.public},
        registration(key, device, tenant),  # the owner's proof, replayed by another user
        {"jwk": key.public, "proof": DeviceKey.generate("RSA").proof(subject(admin), tenant)},
        {"jwk": key.public, "proof": key.proof(subject(admin), tenant, iat=time.time() - 600)},
    ]
    answers = [stack.call("POST", keys, token=admin, body=body) for body in attempts]

    assert [(answer.status, answer.json()["code"]) for answer in answers] == [(400, MALFORMED_FIELD)] * 4
    assert stack.call("GET", keys, token=admin).json()["items"] == []
    owned = stack.call("POST", keys, token=device, body=registration(key, device, tenant))
    assert (owned.status, owned.json()["owner"]) == (201, subject(device)), owned.body
