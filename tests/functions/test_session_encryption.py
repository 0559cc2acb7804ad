"""Session encryption through the functions: the JWKS, session keys, encrypted certificate requests and every error.

The client side is jwcrypto (tests/session_client.py), independent of the service's joserfc.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import ModuleType
from typing import Any

import boto3
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat, load_der_public_key
from jwcrypto import jwk

from astca import aws, catalog, ids
from astca.jose import jwe as service_jwe
from astca.services.sessions import session_service
from astca.storage.dynamo import deserialize
from local.events import http_event
from local.functions import lambda_context
from local.resources import LocalResources
from tests.functions.flows import fetch, issue_pending, issued_signer, make_csr, request_certificate
from tests.key_proofs import DeviceKey, subject
from tests.session_client import Session, new_key, transport_jwe

Load = Callable[[str], ModuleType]
Token = Callable[..., str]
CERTIFICATES = "/v1/tenants/{tenant}/certificates"
ONE_CERTIFICATE = "/v1/tenants/{tenant}/certificates/{certificateId}"


@dataclass(frozen=True)
class Raw:
    """An answer as the function gave it (the body not parsed)."""

    status: int
    headers: dict[str, str]
    body: str

    def json(self) -> Any:
        return json.loads(self.body)


def send(
    function: ModuleType,
    method: str,
    route: str,
    params: dict[str, str],
    *,
    token: str | None = None,
    body: str | None = None,
    headers: dict[str, str] | None = None,
    client_certificate: bytes | None = None,
) -> Raw:
    """One request with a raw body (an application/jose body goes base64-encoded, as API Gateway sends it)."""
    path = route.format(**params)
    sent = dict(headers or {})
    if token:
        sent["authorization"] = f"Bearer {token}"
    event = http_event(
        method,
        path,
        route_key=f"{method} {route}",
        path_parameters=params,
        headers=sent,
        body=body,
        client_certificate=client_certificate,
    )
    answer = function.lambda_handler(event, lambda_context())
    raw = answer.get("body") or ""
    if answer.get("isBase64Encoded"):
        raw = base64.b64decode(raw).decode()
    return Raw(answer["statusCode"], answer.get("headers") or {}, raw)


def _b64(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def jwks(load: Load) -> dict[str, Any]:
    answer = send(load("get_session_jwks"), "GET", "/v1/session-encryption/jwks", {})
    assert answer.status == 200, answer.body
    document: dict[str, Any] = answer.json()
    return document


def create_session(load: Load, token: Token, *, tenant: str = "acme", user: str = "device") -> Session:
    key = new_key()
    answer = send(
        load("create_session_key"),
        "POST",
        "/v1/tenants/{tenant}/session-keys",
        {"tenant": tenant},
        token=token(tenant, user),
        body=json.dumps({"jwe": transport_jwe(jwks(load), key)}),
        headers={"content-type": "application/json"},
    )
    assert answer.status == 201, answer.body
    return Session(answer.json()["sessionKeyId"], key)


def encrypted(session: Session, document: Any = None, *, kid: str | None = None) -> dict[str, Any]:
    """Headers and body of an encrypted request (no body for a GET)."""
    headers = {"x-session-key-id": session.id}
    if document is None:
        return {"headers": headers}
    headers["content-type"] = "application/jose"
    return {"headers": headers, "body": session.encrypt(document, kid=kid)}


def opened(session: Session, answer: Raw) -> tuple[Any, dict[str, Any]]:
    """The decrypted answer and its JWE header; the answer must be application/jose."""
    assert answer.headers["Content-Type"] == "application/jose", answer
    return session.decrypt(answer.body)


def item(resources: LocalResources, session_key_id: str) -> dict[str, Any]:
    key = {"PK": {"S": f"SESSION#{session_key_id}"}, "SK": {"S": "SESSION"}}
    return deserialize(
        boto3.client("dynamodb").get_item(TableName=resources.tables["Table"], Key=key)["Item"]
    )


def update_item(
    resources: LocalResources, session_key_id: str, expression: str, values: dict[str, Any]
) -> None:
    boto3.client("dynamodb").update_item(
        TableName=resources.tables["Table"],
        Key={"PK": {"S": f"SESSION#{session_key_id}"}, "SK": {"S": "SESSION"}},
        UpdateExpression=expression,
        ExpressionAttributeValues=values,
    )


@pytest.fixture(autouse=True)
def _fresh_sessions() -> Iterator[None]:
    """A fresh container for every test: no cached transport key or session keys."""
    session_service.cache_clear()
    yield
    session_service.cache_clear()


@pytest.fixture
def signer(ca: LocalResources, load_function: Load, token: Token) -> dict[str, object]:
    return issued_signer(load_function, token, ca)


# ---------------------------------------------------------------------------------------- JWKS, session keys


def test_the_jwks_publishes_the_kms_transport_key(aws: LocalResources, load_function: Load) -> None:
    answer = send(load_function("get_session_jwks"), "GET", "/v1/session-encryption/jwks", {})

    assert answer.status == 200, answer.body
    assert answer.headers["Content-Type"] == "application/jwk-set+json"
    assert answer.headers["Cache-Control"].startswith("public")
    (key,) = answer.json()["keys"]
    assert (key["kty"], key["use"], key["alg"]) == ("RSA", "enc", "RSA-OAEP-256")
    public = jwk.JWK(**key)
    assert public.thumbprint() == key["kid"]
    assert not public.has_private
    der = boto3.client("kms").get_public_key(KeyId="alias/astca/session-transport")["PublicKey"]
    kms_public = load_der_public_key(der)
    assert isinstance(kms_public, rsa.RSAPublicKey)
    assert kms_public.key_size == 3072
    assert public.export_to_pem() == kms_public.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)


def test_a_session_key_is_stored_only_wrapped_and_bound_to_its_owner(
    aws: LocalResources, load_function: Load, token: Token
) -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    session = create_session(load_function, token)

    assert ids.is_ulid(session.id)
    stored = item(aws, session.id)
    assert stored["tenant"] == "acme"
    assert stored["userId"] == "00000000-0000-4000-8000-00000000d001"
    assert stored["clientId"] == "astca-dev-device"
    expires = datetime.fromisoformat(stored["expiresAt"].replace("Z", "+00:00"))
    assert before + timedelta(minutes=15) <= expires <= before + timedelta(minutes=15, seconds=2)
    assert stored["expiresAtEpoch"] == int(expires.timestamp())
    wrapped = bytes(stored["wrappedKey"])
    assert session.key not in wrapped
    assert not any(session.key in bytes(value) for value in stored.values() if isinstance(value, bytes))
    # The wrapping key gives it back only with the owner's context.
    context = {
        "purpose": "astca-session-key",
        "tenant": "acme",
        "sessionKeyId": session.id,
        "userId": stored["userId"],
        "clientId": stored["clientId"],
    }
    kms = boto3.client("kms")
    assert kms.decrypt(CiphertextBlob=wrapped, EncryptionContext=context)["Plaintext"] == session.key
    with pytest.raises(kms.exceptions.InvalidCiphertextException):
        kms.decrypt(CiphertextBlob=wrapped, EncryptionContext={**context, "userId": "someone else"})


def test_a_jwe_that_cannot_be_unwrapped_is_5104037(
    aws: LocalResources, load_function: Load, token: Token
) -> None:
    function = load_function("create_session_key")
    published = jwks(load_function)
    stranger = jwk.JWK.generate(kty="RSA", size=2048)
    other_key = {"keys": [{**json.loads(stranger.export_public()), "kid": published["keys"][0]["kid"]}]}
    short = transport_jwe(published, new_key()[:16])
    tampered = transport_jwe(published, new_key()).split(".")
    encrypted_key = bytearray(_b64(tampered[1]))
    encrypted_key[7] ^= 1
    tampered[1] = base64.urlsafe_b64encode(bytes(encrypted_key)).decode().rstrip("=")
    other_kid = transport_jwe({"keys": [{**published["keys"][0], "kid": "someone-else"}]}, new_key())

    for jwe_value in (transport_jwe(other_key, new_key()), short, ".".join(tampered), other_kid):
        answer = send(
            function,
            "POST",
            "/v1/tenants/{tenant}/session-keys",
            {"tenant": "acme"},
            token=token("acme", "device"),
            body=json.dumps({"jwe": jwe_value}),
            headers={"content-type": "application/json"},
        )
        assert (answer.status, answer.json()["code"]) == (403, catalog.SESSION_KEY_DECRYPTION_FAILED.code)
        assert answer.headers["Content-Type"] == "application/problem+json"


def test_a_session_key_of_zero_bytes_is_refused_and_not_stored(
    aws: LocalResources, load_function: Load, token: Token
) -> None:
    answer = send(
        load_function("create_session_key"),
        "POST",
        "/v1/tenants/{tenant}/session-keys",
        {"tenant": "acme"},
        token=token("acme", "device"),
        body=json.dumps({"jwe": transport_jwe(jwks(load_function), bytes(32))}),
        headers={"content-type": "application/json"},
    )

    assert (answer.status, answer.json()["code"]) == (403, catalog.SESSION_KEY_DECRYPTION_FAILED.code)
    assert answer.headers["Content-Type"] == "application/problem+json"
    assert "zero" in answer.json()["detail"]
    assert boto3.client("dynamodb").scan(TableName=aws.tables["Table"])["Items"] == []


def test_a_jwe_without_kid_is_taken_as_addressed_to_the_transport_key(
    aws: LocalResources, load_function: Load, token: Token
) -> None:
    answer = send(
        load_function("create_session_key"),
        "POST",
        "/v1/tenants/{tenant}/session-keys",
        {"tenant": "acme"},
        token=token("acme", "device"),
        body=json.dumps({"jwe": transport_jwe(jwks(load_function), new_key(), with_kid=False)}),
        headers={"content-type": "application/json"},
    )

    assert answer.status == 201, answer.body


def test_creating_a_session_key_needs_a_device_token(
    aws: LocalResources, load_function: Load, token: Token
) -> None:
    function = load_function("create_session_key")
    body = json.dumps({"jwe": transport_jwe(jwks(load_function), new_key())})
    route, params, headers = (
        "/v1/tenants/{tenant}/session-keys",
        {"tenant": "acme"},
        {"content-type": "application/json"},
    )

    anonymous = send(function, "POST", route, params, body=body, headers=headers)
    admin = send(function, "POST", route, params, token=token("acme", "admin"), body=body, headers=headers)
    not_a_jwe = send(
        function, "POST", route, params, token=token("acme", "device"), body='{"jwe": "a.b"}', headers=headers
    )

    assert (anonymous.status, anonymous.json()["code"]) == (401, catalog.UNAUTHORIZED.code)
    assert (admin.status, admin.json()["code"]) == (403, catalog.MISSING_CLIENT_ID.code)
    assert (not_a_jwe.status, not_a_jwe.json()["code"]) == (400, catalog.MALFORMED_FIELD.code)


# ---------------------------------------------------------------------------------------- encrypted requests


def test_an_encrypted_certificate_request_is_answered_encrypted_and_delivered_encrypted(
    signer: dict[str, object], ca: LocalResources, load_function: Load, token: Token
) -> None:
    # Given a device with a session key
    session = create_session(load_function, token)
    device = token("acme", "device")

    # When it sends its CSR encrypted
    accepted = send(
        load_function("request_certificate"),
        "POST",
        CERTIFICATES,
        {"tenant": "acme"},
        token=device,
        **encrypted(session, {"csr": make_csr()[0], "profile": "AST_DEVICE"}),
    )

    # Then the 202 comes back encrypted with the same key, and says what the plain one says
    assert accepted.status == 202, accepted.body
    body, header = opened(session, accepted)
    assert header == {"alg": "dir", "enc": "A256GCM", "kid": session.id, "cty": "application/json"}
    assert body["state"] == "PENDING"
    assert accepted.headers["Location"] == f"/v1/tenants/acme/certificates/{body['id']}"

    # And the certificate, fetched with an encrypted GET (no body), is delivered encrypted
    early = send(
        load_function("get_certificate"),
        "GET",
        ONE_CERTIFICATE,
        {"tenant": "acme", "certificateId": body["id"]},
        token=device,
        **encrypted(session),
    )
    problem, header = opened(session, early)
    assert (early.status, problem["code"]) == (409, catalog.NOT_YET_SIGNED.code)
    assert header["cty"] == "application/problem+json"
    assert early.headers["Retry-After"]
    issue_pending(load_function, ca)
    delivered = send(
        load_function("get_certificate"),
        "GET",
        ONE_CERTIFICATE,
        {"tenant": "acme", "certificateId": body["id"]},
        token=device,
        **encrypted(session),
    )
    certificate, _ = opened(session, delivered)
    assert delivered.status == 200
    assert certificate["certificate"].startswith("-----BEGIN CERTIFICATE-----")
    assert certificate["chain"][0] == signer["certificate"]


def test_validation_errors_inside_an_encrypted_request_come_back_encrypted(
    signer: dict[str, object], load_function: Load, token: Token
) -> None:
    session = create_session(load_function, token)

    answer = send(
        load_function("request_certificate"),
        "POST",
        CERTIFICATES,
        {"tenant": "acme"},
        token=token("acme", "device"),
        **encrypted(session, {"profile": "AST_DEVICE"}),
    )

    problem, _ = opened(session, answer)
    assert (answer.status, problem["code"]) == (400, catalog.MISSING_FIELD.code)
    assert "csr" in problem["detail"]


def test_a_renewal_over_mtls_uses_the_session_of_the_certificate_subject(
    signer: dict[str, object], ca: LocalResources, load_function: Load, token: Token
) -> None:
    # Given a device with a certificate and a session key made with its token
    accepted = request_certificate(load_function, token, make_csr()[0]).body
    issue_pending(load_function, ca)
    current = fetch(load_function, token, accepted["id"]).body["certificate"]
    session = create_session(load_function, token)
    renew = load_function("renew_certificate")
    mtls = x509.load_pem_x509_certificate(current.encode()).public_bytes(Encoding.DER)  # the handshake's

    # When it renews over mTLS, no token, with an encrypted CSR
    request = encrypted(session, {"csr": make_csr()[0]})
    answer = send(
        renew,
        "POST",
        f"{CERTIFICATES}/renew",
        {"tenant": "acme"},
        body=request["body"],
        headers=request["headers"],
        client_certificate=mtls,
    )

    # Then the subject of its certificate (UID = user id, CN = client id) holds the session
    assert answer.status == 202, answer.body
    body, _ = opened(session, answer)
    assert body["renewalOf"] == accepted["id"]
    # and a session of another owner is not found for it
    admin_session_id = ids.new_ulid()
    other = send(
        renew,
        "POST",
        f"{CERTIFICATES}/renew",
        {"tenant": "acme"},
        body=request["body"],
        headers={**request["headers"], "x-session-key-id": admin_session_id},
        client_certificate=mtls,
    )
    assert (other.status, other.json()["code"]) == (403, catalog.SESSION_KEY_NOT_FOUND.code)


def test_unknown_expired_and_foreign_session_keys_are_all_5104036(
    aws: LocalResources, load_function: Load, token: Token
) -> None:
    function = load_function("get_certificate")
    session = create_session(load_function, token)
    expired = create_session(load_function, token)
    update_item(aws, expired.id, "SET expiresAt = :past", {":past": {"S": "2026-01-01T00:00:00Z"}})
    other_tenant = create_session(load_function, token, tenant="globex")

    def attempt(used: Session, *, tenant: str = "acme", user: str = "device") -> Raw:
        params = {"tenant": tenant, "certificateId": ids.new_ulid()}
        return send(function, "GET", ONE_CERTIFICATE, params, token=token(tenant, user), **encrypted(used))

    unknown = attempt(Session(ids.new_ulid(), session.key))
    not_an_id = attempt(Session("../../etc", session.key))
    past = attempt(expired)
    another_user = attempt(session, user="admin")
    another_tenant = attempt(other_tenant)  # the same user, the session made in realm globex

    for answer in (unknown, not_an_id, past, another_user, another_tenant):
        assert answer.status == 403, answer.body
        assert answer.headers["Content-Type"] == "application/problem+json"  # the key is unknown: plain
        problem = answer.json()
        assert problem["code"] == catalog.SESSION_KEY_NOT_FOUND.code
        assert "expired" not in problem["detail"]
        assert "user" not in problem["detail"]
    assert len({answer.json()["detail"].split("'")[0] for answer in (unknown, past, another_user)}) == 1


def test_an_expired_key_is_refused_even_from_the_cache(
    signer: dict[str, object], load_function: Load, token: Token, monkeypatch: pytest.MonkeyPatch
) -> None:
    session = create_session(load_function, token)
    function = load_function("get_certificate")
    params = {"tenant": "acme", "certificateId": ids.new_ulid()}
    warm = send(function, "GET", ONE_CERTIFICATE, params, token=token("acme", "device"), **encrypted(session))
    assert opened(session, warm)[0]["code"] == catalog.CERTIFICATE_NOT_FOUND.code

    later = datetime.now(UTC) + timedelta(minutes=16)
    monkeypatch.setattr(session_service(), "now", lambda: later)
    stale = send(
        function, "GET", ONE_CERTIFICATE, params, token=token("acme", "device"), **encrypted(session)
    )

    assert (stale.status, stale.json()["code"]) == (403, catalog.SESSION_KEY_NOT_FOUND.code)


def test_a_stored_key_that_does_not_unwrap_is_5104037(
    signer: dict[str, object], aws: LocalResources, load_function: Load, token: Token
) -> None:
    session = create_session(load_function, token)
    wrapped = bytearray(bytes(item(aws, session.id)["wrappedKey"]))
    wrapped[-1] ^= 1
    update_item(aws, session.id, "SET wrappedKey = :blob", {":blob": {"B": bytes(wrapped)}})

    answer = send(
        load_function("request_certificate"),
        "POST",
        CERTIFICATES,
        {"tenant": "acme"},
        token=token("acme", "device"),
        **encrypted(session, {"csr": make_csr()[0]}),
    )

    assert (answer.status, answer.json()["code"]) == (403, catalog.SESSION_KEY_DECRYPTION_FAILED.code)


def test_a_body_that_does_not_decrypt_is_51061_encrypted(
    signer: dict[str, object], load_function: Load, token: Token
) -> None:
    session = create_session(load_function, token)
    function = load_function("request_certificate")
    good = encrypted(session, {"csr": make_csr()[0]})
    parts = good["body"].split(".")
    ciphertext = bytearray(_b64(parts[3]))
    ciphertext[0] ^= 1
    parts[3] = base64.urlsafe_b64encode(bytes(ciphertext)).decode().rstrip("=")
    other_kid = encrypted(session, {"csr": make_csr()[0]}, kid=ids.new_ulid())
    not_jose: dict[str, Any] = {
        "headers": {"x-session-key-id": session.id, "content-type": "application/json"},
        "body": "{}",
    }
    device = token("acme", "device")

    answers = [
        send(
            function,
            "POST",
            CERTIFICATES,
            {"tenant": "acme"},
            token=device,
            headers=good["headers"],
            body=".".join(parts),
        ),
        send(function, "POST", CERTIFICATES, {"tenant": "acme"}, token=device, **other_kid),
        send(
            function,
            "POST",
            CERTIFICATES,
            {"tenant": "acme"},
            token=device,
            headers=good["headers"],
            body="not a jwe",
        ),
        send(function, "POST", CERTIFICATES, {"tenant": "acme"}, token=device, **not_jose),
    ]

    for answer in answers:
        problem, _ = opened(session, answer)  # the key is known: the problem is encrypted
        assert (answer.status, problem["code"]) == (400, catalog.DECRYPTION_ERROR.code)


def test_an_answer_that_cannot_be_encrypted_is_a_plain_51060(
    signer: dict[str, object], load_function: Load, token: Token, monkeypatch: pytest.MonkeyPatch
) -> None:
    session = create_session(load_function, token)

    def broken(*_: object, **__: object) -> str:
        raise service_jwe.JweError("no")

    monkeypatch.setattr(service_jwe, "encrypt_direct", broken)
    answer = send(
        load_function("request_certificate"),
        "POST",
        CERTIFICATES,
        {"tenant": "acme"},
        token=token("acme", "device"),
        **encrypted(session, {"csr": make_csr()[0]}),
    )

    assert answer.headers["Content-Type"] == "application/problem+json"
    assert (answer.status, answer.json()["code"]) == (500, catalog.ENCRYPTION_ERROR.code)


def test_an_unauthenticated_encrypted_request_is_a_plain_401(
    signer: dict[str, object], load_function: Load, token: Token
) -> None:
    session = create_session(load_function, token)

    answer = send(
        load_function("request_certificate"),
        "POST",
        CERTIFICATES,
        {"tenant": "acme"},
        **encrypted(session, {"csr": "x"}),
    )

    assert (answer.status, answer.json()["code"]) == (401, catalog.UNAUTHORIZED.code)
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")


def test_functions_not_marked_refuse_session_encryption(
    aws: LocalResources, load_function: Load, token: Token
) -> None:
    session = Session(ids.new_ulid(), new_key())

    whoami = send(
        load_function("whoami"),
        "GET",
        "/v1/tenants/{tenant}/whoami",
        {"tenant": "acme"},
        token=token(),
        **encrypted(session),
    )
    jose_body = send(
        load_function("create_signer"),
        "POST",
        "/v1/tenants/{tenant}/signers",
        {"tenant": "acme"},
        token=token(),
        headers={"content-type": "application/jose"},
        body=session.encrypt({"name": "x"}),
    )

    assert (whoami.status, whoami.json()["code"]) == (400, catalog.BAD_REQUEST.code)
    assert (jose_body.status, jose_body.json()["code"]) == (400, catalog.MALFORMED_BODY.code)


def test_a_warm_container_serves_an_encrypted_request_without_fetching_the_key(
    signer: dict[str, object], load_function: Load, token: Token
) -> None:
    session = create_session(load_function, token)
    function = load_function("get_certificate")
    device = token("acme", "device")
    calls: list[str] = []

    def count(event_name: str, **_: object) -> None:
        calls.append(event_name.rsplit(".", maxsplit=1)[-1])

    for client in (aws.kms(), aws.dynamodb()):
        client.meta.events.register("before-call", count)
    try:
        params = {"tenant": "acme", "certificateId": ids.new_ulid()}
        send(function, "GET", ONE_CERTIFICATE, params, token=device, **encrypted(session))
        cold = list(calls)
        calls.clear()
        send(function, "GET", ONE_CERTIFICATE, params, token=device, **encrypted(session))
        warm = list(calls)
    finally:
        for client in (aws.kms(), aws.dynamodb()):
            client.meta.events.unregister("before-call", count)

    assert cold == ["GetItem", "Decrypt", "UpdateItem"]  # the session item, its unwrap, the delivery
    assert warm == ["UpdateItem"]  # the delivery only


# ---------------------------------------------------------------------------------------- cold start


PROBE = """
import sys
sys.path[:0] = ["layers/common", "."]
from local.events import http_event
from local.functions import lambda_context, load_function_module
for name, path, params in [
    ("health", "/v1/health", {}),
    ("whoami", "/v1/tenants/acme/whoami", {"tenant": "acme"}),
    ("request_certificate", "/v1/tenants/acme/certificates", {"tenant": "acme"}),
]:
    module = load_function_module(name)
    module.lambda_handler(http_event("GET", path, path_parameters=params), lambda_context())
print(sorted({name.split(".")[0] for name in sys.modules if name.startswith(("joserfc", "jwcrypto", "astca.jose"))}))
"""


def test_requests_without_encryption_never_import_the_jose_library(aws: LocalResources) -> None:
    out = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, env=dict(os.environ)
    ).stdout

    assert out.strip().splitlines()[-1] == "[]"


def test_public_keys_take_session_encryption(aws: LocalResources, load_function: Load, token: Token) -> None:
    session = create_session(load_function, token)
    device = token("acme", "device")
    key = DeviceKey.generate("P-256")
    keys, one = "/v1/tenants/{tenant}/public-keys", "/v1/tenants/{tenant}/public-keys/{kid}"

    registered = send(
        load_function("register_public_key"),
        "POST",
        keys,
        {"tenant": "acme"},
        token=device,
        **encrypted(session, {"jwk": key.public, "proof": key.proof(subject(device), "acme")}),
    )
    view, _ = opened(session, registered)
    assert registered.status == 201, view
    params = {"tenant": "acme", "kid": view["kid"]}
    read = send(load_function("get_public_key"), "GET", one, params, token=device, **encrypted(session))
    listed = send(
        load_function("list_public_keys"), "GET", keys, {"tenant": "acme"}, token=device, **encrypted(session)
    )
    deleted = send(
        load_function("delete_public_key"), "DELETE", one, params, token=device, **encrypted(session)
    )

    assert (read.status, opened(session, read)[0]["kid"]) == (200, view["kid"])
    assert [item["kid"] for item in opened(session, listed)[0]["items"]] == [view["kid"]]
    assert (deleted.status, deleted.body) == (204, "")  # no body, nothing to encrypt
