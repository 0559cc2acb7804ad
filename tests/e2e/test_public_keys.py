"""Public keys through the running stack: register, read as owner and as the IdP, list, delete, race, events."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from tests.e2e.conftest import RunningStack
from tests.e2e.test_signers import ca_events, new_tenant

pytestmark = pytest.mark.e2e

KEY_NOT_FOUND = 510004045
KEY_ALREADY_EXISTS = 510000051
PASSWORD_AUTH_MISSING = 510000050


def ed25519_jwk() -> dict[str, Any]:
    jwk: dict[str, Any] = jwt.algorithms.OKPAlgorithm.to_jwk(
        ed25519.Ed25519PrivateKey.generate().public_key(), as_dict=True
    )
    return jwk


def test_a_key_is_registered_read_by_owner_and_idp_listed_and_deleted(stack: RunningStack) -> None:
    tenant = new_tenant()
    device, admin, idp = (stack.token(tenant, user) for user in ("device", "admin", "service"))
    jwk: dict[str, Any] = jwt.algorithms.ECAlgorithm.to_jwk(
        ec.generate_private_key(ec.SECP384R1()).public_key(), as_dict=True
    )
    keys = f"/v1/tenants/{tenant}/public-keys"

    created = stack.call("POST", keys, token=device, body={"jwk": {**jwk, "alg": "ES384"}})
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

    no_password = stack.call("POST", keys, token=idp, body={"jwk": ed25519_jwk()})
    assert (no_password.status, no_password.json()["code"]) == (403, PASSWORD_AUTH_MISSING)

    assert stack.call("DELETE", f"{keys}/{kid}", token=admin).status == 404
    assert stack.call("DELETE", f"{keys}/{kid}", token=device).status == 204
    assert stack.call("GET", f"{keys}/{kid}", token=idp).status == 404
    assert ca_events(stack, tenant, {"public_key.registered", "public_key.deleted"})


def test_fifty_concurrent_registrations_of_one_thumbprint_give_one_201(stack: RunningStack) -> None:
    tenant = new_tenant()
    tokens = [stack.token(tenant, "device"), stack.token(tenant, "admin")]
    jwk = ed25519_jwk()
    keys = f"/v1/tenants/{tenant}/public-keys"

    def register(index: int) -> tuple[int, Any]:
        answer = stack.call("POST", keys, token=tokens[index % 2], body={"jwk": jwk})
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
