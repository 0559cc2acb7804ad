"""Session encryption through the running stack, with jwcrypto as the device's independent JOSE client.

The device fetches the JWKS, sends its session key by key transport, requests a certificate with an
encrypted CSR and reads the encrypted answers; tampered ciphertext, a wrong key id, an expired key
and another user's key each give their code.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from astca import catalog
from astca.ids import new_ulid
from local.resources import NAME_PREFIX
from tests.e2e.conftest import DELIVERY_SECONDS, Answer, RunningStack, request, wait_for
from tests.e2e.test_signers import issued, new_tenant
from tests.functions.flows import make_csr
from tests.session_client import Session, new_key, transport_jwe

pytestmark = pytest.mark.e2e


def signed_tenant(stack: RunningStack) -> str:
    """A new tenant whose signer is issued."""
    tenant = new_tenant()
    admin = stack.token(tenant, "admin")
    created = stack.call("POST", f"/v1/tenants/{tenant}/signers", token=admin, body={"name": "devices"})
    assert created.status == 202, created.body
    issued(stack, tenant, admin)
    return tenant


def create_session(stack: RunningStack, tenant: str, token: str) -> Session:
    jwks = request(f"{stack.base_url}/v1/session-encryption/jwks")
    assert jwks.status == 200, jwks.body
    assert jwks.headers["content-type"] == "application/jwk-set+json"
    key = new_key()
    created = stack.call(
        "POST",
        f"/v1/tenants/{tenant}/session-keys",
        token=token,
        body={"jwe": transport_jwe(jwks.json(), key)},
    )
    assert created.status == 201, created.body
    return Session(created.json()["sessionKeyId"], key)


def encrypted_call(
    stack: RunningStack,
    method: str,
    path: str,
    *,
    token: str,
    session_key_id: str,
    body: str | None = None,
) -> Answer:
    headers = {"Authorization": f"Bearer {token}", "X-Session-Key-Id": session_key_id}
    if body is not None:
        headers["Content-Type"] = "application/jose"
    return request(f"{stack.base_url}{path}", method, headers=headers, body=body.encode() if body else None)


def opened(session: Session, answer: Answer) -> tuple[int, Any]:
    assert answer.headers["content-type"] == "application/jose", answer.body
    document, header = session.decrypt(answer.body.decode())
    assert (header["alg"], header["enc"], header["kid"]) == ("dir", "A256GCM", session.id)
    return answer.status, document


def test_a_device_requests_and_fetches_its_certificate_end_to_end_encrypted(stack: RunningStack) -> None:
    # Given a tenant with an issued signer, and a device with a session key
    tenant = signed_tenant(stack)
    device = stack.token(tenant, "device")
    session = create_session(stack, tenant, device)

    # When the device sends its CSR encrypted
    csr = make_csr()[0]
    accepted = encrypted_call(
        stack,
        "POST",
        f"/v1/tenants/{tenant}/certificates",
        token=device,
        session_key_id=session.id,
        body=session.encrypt({"csr": csr, "profile": "AST_DEVICE"}),
    )

    # Then it reads the 202 with its key, and fetches the certificate the same way
    status, body = opened(session, accepted)
    assert (status, body["state"]) == (202, "PENDING"), body
    assert csr not in accepted.body.decode()

    def delivered() -> dict[str, Any] | None:
        answer = encrypted_call(
            stack,
            "GET",
            f"/v1/tenants/{tenant}/certificates/{body['id']}",
            token=device,
            session_key_id=session.id,
        )
        status, document = opened(session, answer)
        return document if status == 200 else None

    certificate = wait_for(
        delivered, seconds=DELIVERY_SECONDS, what="the encrypted certificate", interval=0.2
    )
    assert certificate["certificate"].startswith("-----BEGIN CERTIFICATE-----")
    assert "serial" not in body  # shown only with the certificate
    assert certificate["id"] == body["id"]


def test_tampered_wrong_expired_and_foreign_keys_each_give_their_code(stack: RunningStack) -> None:
    tenant = signed_tenant(stack)
    device = stack.token(tenant, "device")
    session = create_session(stack, tenant, device)
    certificates = f"/v1/tenants/{tenant}/certificates"
    good = session.encrypt({"csr": make_csr()[0]})

    # Tampered ciphertext: 51061, answered under the session key
    parts = good.split(".")
    parts[3] = ("B" if parts[3][0] == "A" else "A") + parts[3][1:]
    tampered = encrypted_call(
        stack, "POST", certificates, token=device, session_key_id=session.id, body=".".join(parts)
    )
    status, problem = opened(session, tampered)
    assert (status, problem["code"]) == (400, catalog.DECRYPTION_ERROR.code)

    # A key id nobody holds: 5104036, plain (the service has no key to encrypt with)
    wrong = encrypted_call(stack, "POST", certificates, token=device, session_key_id=new_ulid(), body=good)
    assert (wrong.status, wrong.headers["content-type"]) == (403, "application/problem+json")
    assert wrong.json()["code"] == catalog.SESSION_KEY_NOT_FOUND.code

    # An expired key: 5104036 (DynamoDB's TTL deletes late; the service reads expiresAt)
    expired = create_session(stack, tenant, device)
    stack.client("dynamodb").update_item(
        TableName=f"{NAME_PREFIX}-Table",
        Key={"PK": {"S": f"SESSION#{expired.id}"}, "SK": {"S": "SESSION"}},
        UpdateExpression="SET expiresAt = :past",
        ExpressionAttributeValues={":past": {"S": "2026-01-01T00:00:00Z"}},
    )
    late = encrypted_call(
        stack,
        "POST",
        certificates,
        token=device,
        session_key_id=expired.id,
        body=expired.encrypt({"csr": "x"}),
    )
    assert (late.status, late.json()["code"]) == (403, catalog.SESSION_KEY_NOT_FOUND.code)

    # Another user's key: 5104036, with no hint that the key exists
    admin = stack.token(tenant, "admin")
    foreign = encrypted_call(
        stack, "GET", f"{certificates}/{new_ulid()}", token=admin, session_key_id=session.id
    )
    assert (foreign.status, foreign.json()["code"]) == (403, catalog.SESSION_KEY_NOT_FOUND.code)
    assert json.loads(wrong.body)["title"] == json.loads(foreign.body)["title"] == "SessionKeyNotFound"

    # The session key still works for its owner
    status, body = opened(
        session,
        encrypted_call(stack, "POST", certificates, token=device, session_key_id=session.id, body=good),
    )
    assert status == 202, body


def test_a_key_transport_jwe_that_does_not_unwrap_is_5104037(stack: RunningStack) -> None:
    tenant = new_tenant()
    device = stack.token(tenant, "device")
    jwks = request(f"{stack.base_url}/v1/session-encryption/jwks").json()
    parts = transport_jwe(jwks, new_key()).split(".")
    parts[1] = ("B" if parts[1][0] == "A" else "A") + parts[1][1:]

    refused = stack.call(
        "POST", f"/v1/tenants/{tenant}/session-keys", token=device, body={"jwe": ".".join(parts)}
    )

    assert (refused.status, refused.json()["code"]) == (403, catalog.SESSION_KEY_DECRYPTION_FAILED.code)
