"""Request bodies through a real function (request_certificate), plain and session-encrypted, and the edge's failures.

Each case was seen on the local stack: 84 x 500 from bodies that are not UTF-8, 500 for JSON nested
10,000 deep, for integers of over 4,300 digits and for the content types ``APPLICATION/JSON`` and
``application/problem+json``; and an exception in authentication escaped the handler, so the gateway
answered ``{"message":"Internal Server Error"}``, which is not problem+json.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

import boto3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jwcrypto import jwe

from astca import catalog, web
from astca.identity.authenticator import Authenticator
from astca.services.sessions import SessionKeyService, session_service
from astca.session_encryption import EncryptedExchange
from local.events import http_event
from local.functions import lambda_context
from local.resources import LocalResources
from tests.functions.flows import issued_signer, make_csr
from tests.functions.test_session_encryption import create_session, opened, send
from tests.session_client import Session

Load = Callable[[str], ModuleType]
Token = Callable[..., str]
ROUTE = "/v1/tenants/{tenant}/certificates"
JSON_TYPES = ["APPLICATION/JSON", "application/problem+json", "application/merge-patch+json"]


@pytest.fixture(autouse=True)
def _fresh_sessions() -> Iterator[None]:
    session_service.cache_clear()
    yield
    session_service.cache_clear()


def post(
    load: Load, token: Token, body: str | bytes, content_type: str | None, *, base64_encoded: bool = False
) -> tuple[int, dict[str, str], Any]:
    """POST ``body`` as a device; bytes go as API Gateway passes them (text if UTF-8, else base64)."""
    headers = {"authorization": f"Bearer {token('acme', 'device')}"}
    if content_type is not None:
        headers["content-type"] = content_type
    event = http_event(
        "POST",
        "/v1/tenants/acme/certificates",
        route_key=f"POST {ROUTE}",
        path_parameters={"tenant": "acme"},
        headers=headers,
        body=body,
    )
    if base64_encoded:
        raw = body if isinstance(body, bytes) else body.encode()
        event["body"], event["isBase64Encoded"] = base64.b64encode(raw).decode(), True
    answer = load("request_certificate").lambda_handler(event, lambda_context())
    return answer["statusCode"], answer["headers"], json.loads(answer["body"])


def assert_problem(result: tuple[int, dict[str, str], Any], entry: catalog.ErrorEntry) -> dict[str, Any]:
    status, headers, problem = result
    assert (status, headers["Content-Type"]) == (entry.http_status, "application/problem+json"), problem
    assert problem["code"] == entry.code
    return dict(problem)


def items(resources: LocalResources) -> list[dict[str, Any]]:
    return list(boto3.client("dynamodb").scan(TableName=resources.tables["Table"])["Items"])


# ---------------------------------------------------------------------------------------- plain bodies

SEEN: list[tuple[str, str | bytes, str | None, bool, catalog.ErrorEntry]] = [
    (
        "not UTF-8",
        b'{"csr": "\xff\xfe", "profile": "AST_DEVICE"}',
        "application/json",
        False,
        catalog.MALFORMED_BODY,
    ),
    ("base64, not UTF-8", b'{"csr": "\xc3\x28"}', "application/json", True, catalog.MALFORMED_BODY),
    (
        "10,000 deep",
        '{"csr": ' + "[" * 10_000 + "]" * 10_000 + "}",
        "application/json",
        False,
        catalog.MALFORMED_BODY,
    ),
    (
        "5,000 digits",
        '{"csr": "x", "profile": ' + "7" * 5000 + "}",
        "application/json",
        False,
        catalog.MALFORMED_BODY,
    ),
    ("upper case", "[]", "APPLICATION/JSON", False, catalog.MALFORMED_BODY),
    ("problem+json", '{"profile": "AST_DEVICE"}', "application/problem+json", False, catalog.MISSING_FIELD),
    ("merge-patch+json", '{"csr": 5}', "application/merge-patch+json", False, catalog.MALFORMED_FIELD),
    ("text/plain", '{"csr": "x"}', "text/plain", False, catalog.MALFORMED_BODY),
    ("no body under text/plain", "", "text/plain", False, catalog.MALFORMED_BODY),
    ("latin-1", '{"csr": "x"}', "application/json; charset=latin-1", False, catalog.MALFORMED_BODY),
    ("an array", "[]", "application/json", False, catalog.MALFORMED_BODY),
    ("a string", '"csr"', "application/json", False, catalog.MALFORMED_BODY),
    ("a number", "42", "application/json", False, catalog.MALFORMED_BODY),
]


@pytest.mark.parametrize(
    ("body", "content_type", "base64_encoded", "entry"),
    [case[1:] for case in SEEN],
    ids=[case[0] for case in SEEN],
)
def test_each_body_seen_to_500_is_a_400_problem_and_stores_nothing(
    aws: LocalResources,
    load_function: Load,
    token: Token,
    body: str | bytes,
    content_type: str,
    base64_encoded: bool,
    entry: catalog.ErrorEntry,
) -> None:
    assert_problem(post(load_function, token, body, content_type, base64_encoded=base64_encoded), entry)
    assert items(aws) == []


def test_json_under_any_json_media_type_is_accepted(
    ca: LocalResources, load_function: Load, token: Token
) -> None:
    issued_signer(load_function, token, ca)
    for content_type in [*JSON_TYPES, "application/json; charset=UTF-8"]:
        body = json.dumps({"csr": make_csr()[0], "profile": "AST_DEVICE"})
        status, _, accepted = post(load_function, token, body, content_type)
        assert (status, accepted["state"]) == (202, "PENDING"), (content_type, accepted)
    status, _, accepted = post(
        load_function, token, json.dumps({"csr": make_csr()[0]}), None, base64_encoded=True
    )
    assert status == 202, accepted


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=st.binary(max_size=64) | st.text(max_size=64),  # empty too: no body under any media type
    content_type=st.sampled_from(["application/json", "APPLICATION/JSON", "application/x+json", "text/plain"])
    | st.text(max_size=30),
    base64_encoded=st.booleans(),
)
def test_whatever_the_body_the_answer_is_a_catalog_4xx_problem(
    aws: LocalResources,
    load_function: Load,
    token: Token,
    body: bytes | str,
    content_type: str,
    base64_encoded: bool,
) -> None:
    status, headers, problem = post(load_function, token, body, content_type, base64_encoded=base64_encoded)

    assert 400 <= status < 500, problem
    assert headers["Content-Type"] == "application/problem+json"
    assert catalog.BY_CODE[problem["errorCode"]].code == problem["code"]
    assert items(aws) == []


# ---------------------------------------------------------------------------------------- encrypted bodies


def send_as_device(load_function: Load, token: Token, **request: Any) -> Any:
    """POST to request_certificate as the development device, with a raw body (``send``)."""
    return send(
        load_function("request_certificate"),
        "POST",
        ROUTE,
        {"tenant": "acme"},
        token=token("acme", "device"),
        **request,
    )


def sealed(session: Session, plaintext: bytes, content_type: str = "application/json") -> dict[str, Any]:
    """Headers and body of an encrypted request whose plaintext is any bytes."""
    header = {"alg": "dir", "enc": "A256GCM", "kid": session.id, "cty": content_type}
    token = jwe.JWE(plaintext, protected=json.dumps(header))
    token.add_recipient(session.jwk)
    compact = str(token.serialize(compact=True))
    return {"headers": {"x-session-key-id": session.id, "content-type": "application/jose"}, "body": compact}


@pytest.mark.parametrize(
    ("plaintext", "content_type", "entry"),
    [
        (b'{"csr": ' + b"[" * 10_000 + b"]" * 10_000 + b"}", "application/json", catalog.MALFORMED_BODY),
        (b'{"csr": ' + b"7" * 5000 + b"}", "application/json", catalog.MALFORMED_BODY),
        (b'{"csr": "\\ud800"}', "application/json", catalog.MALFORMED_BODY),
        (b"[]", "APPLICATION/JSON", catalog.MALFORMED_BODY),
        (b'{"csr": "x"}', "text/plain", catalog.MALFORMED_BODY),
        (b'{"csr": "x"}', "application/json; charset=latin-1", catalog.MALFORMED_BODY),
        (b'{"profile": "AST_DEVICE"}', "application/problem+json", catalog.MISSING_FIELD),
        (b'{"csr": "\xff"}', "application/json", catalog.DECRYPTION_ERROR),
    ],
    ids=["deep", "digits", "surrogate", "array", "text", "latin-1", "problem+json", "not-utf-8"],
)
def test_a_decrypted_body_gets_the_same_checks_and_an_encrypted_problem(
    aws: LocalResources,
    load_function: Load,
    token: Token,
    plaintext: bytes,
    content_type: str,
    entry: catalog.ErrorEntry,
) -> None:
    session = create_session(load_function, token)
    before = items(aws)

    answer = send_as_device(load_function, token, **sealed(session, plaintext, content_type))

    problem, _ = opened(session, answer)  # the key is known: the problem comes back encrypted
    assert (answer.status, problem["code"]) == (entry.http_status, entry.code), problem
    assert items(aws) == before


def test_an_encrypted_request_under_an_upper_case_json_type_is_accepted(
    ca: LocalResources, load_function: Load, token: Token
) -> None:
    issued_signer(load_function, token, ca)
    session = create_session(load_function, token)
    plaintext = json.dumps({"csr": make_csr()[0]}).encode()

    answer = send_as_device(
        load_function, token, **sealed(session, plaintext, "Application/JSON; charset=utf-8")
    )

    accepted, _ = opened(session, answer)
    assert (answer.status, accepted["state"]) == (202, "PENDING"), accepted


# ---------------------------------------------------------------------------------------- failures of the edge


@pytest.fixture
def logged(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What ``astca.web`` logs as an exception."""
    messages: list[str] = []
    monkeypatch.setattr(web.logger, "exception", lambda message, **_: messages.append(message))
    return messages


def broken(*_: object, **__: object) -> Any:
    raise RuntimeError("secret internal state")


def assert_internal_error(status: int, headers: dict[str, str], body: str) -> None:
    assert (status, headers["Content-Type"]) == (500, "application/problem+json")
    problem = json.loads(body)
    assert problem["code"] == catalog.INTERNAL_ERROR.code
    assert problem["detail"] == "an unexpected error occurred"
    assert "secret" not in body
    assert "RuntimeError" not in body


def test_an_unexpected_error_in_authentication_is_a_logged_510500(
    aws: LocalResources, load_function: Load, token: Token, logged: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Authenticator, "authenticate", broken)

    answer = send_as_device(
        load_function, token, body=json.dumps({"csr": "x"}), headers={"content-type": "application/json"}
    )

    assert_internal_error(answer.status, answer.headers, answer.body)
    assert logged == ["request failed before it was resolved"]


def test_an_unexpected_error_opening_a_session_is_a_plain_510500(
    aws: LocalResources, load_function: Load, token: Token, logged: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    session = create_session(load_function, token)
    monkeypatch.setattr(SessionKeyService, "open", broken)

    answer = send_as_device(load_function, token, **sealed(session, b'{"csr": "x"}'))

    assert_internal_error(answer.status, answer.headers, answer.body)  # the key is not known: plain
    assert logged == ["request failed before it was resolved"]


def test_an_unexpected_error_once_the_key_is_known_is_an_encrypted_510500(
    aws: LocalResources, load_function: Load, token: Token, logged: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    session = create_session(load_function, token)
    monkeypatch.setattr(EncryptedExchange, "decrypt_request", broken)

    answer = send_as_device(load_function, token, **sealed(session, b'{"csr": "x"}'))

    problem, _ = opened(session, answer)
    assert (answer.status, problem["code"]) == (500, catalog.INTERNAL_ERROR.code)
    assert "secret" not in json.dumps(problem)
    assert logged == ["request failed before it was resolved"]


def test_an_unexpected_error_sealing_the_answer_is_a_plain_510500(
    aws: LocalResources, load_function: Load, token: Token, logged: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    session = create_session(load_function, token)
    monkeypatch.setattr(EncryptedExchange, "seal", broken)

    answer = send_as_device(load_function, token, **sealed(session, b'{"csr": "x"}'))

    assert_internal_error(answer.status, answer.headers, answer.body)
    assert logged == ["the answer could not be sealed"]
