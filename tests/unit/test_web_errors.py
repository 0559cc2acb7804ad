"""The edge's one problem renderer: 401 challenges (RFC 6750), unclaimed domain errors, headers in any case."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from astca import catalog, identity, web
from astca.catalog import CaError
from astca.domain.errors import (
    Conflict,
    DomainError,
    Failed,
    Invalid,
    NotFound,
    PreconditionFailed,
    Transient,
)
from astca.identity import authenticator as authenticator_module
from astca.web import Needs, Principal, create_app, lambda_handler
from local.events import http_event
from local.functions import lambda_context

app = create_app()
raised: list[Exception] = []  # what the route raises, set by each test


@app.get("/v1/tenants/<tenant>/things")
def things(tenant: str) -> dict[str, Any]:
    """Answer, or raise what the test put in ``raised``."""
    if raised:
        raise raised[0]
    return {"tenant": tenant}


open_handler = lambda_handler(app)
token_handler = lambda_handler(app, needs=Needs())
certificate_handler = lambda_handler(app, needs=Needs(token=False, client_certificate=True))


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: dict[str, Any]


def get(
    handler: Callable[[dict[str, Any], Any], dict[str, Any]], headers: dict[str, str] | None = None
) -> Answer:
    event = http_event(
        "GET",
        "/v1/tenants/acme/things",
        route_key="GET /v1/tenants/{tenant}/things",
        path_parameters={"tenant": "acme"},
        headers=headers or {},
        request_id="req-9",
    )
    response = handler(event, lambda_context())
    return Answer(response["statusCode"], response["headers"], json.loads(response["body"]))


class Refusing:
    """An authenticator that refuses every request with ``error``."""

    def __init__(self, error: CaError) -> None:
        self.error = error

    def authenticate(self, _event: object, _needs: Needs) -> Principal:
        raise self.error


@pytest.fixture(autouse=True)
def _nothing_raised() -> Iterator[None]:
    raised.clear()
    yield
    raised.clear()


def refuse_with(monkeypatch: pytest.MonkeyPatch, error: CaError) -> None:
    monkeypatch.setattr(authenticator_module, "authenticator", lambda: Refusing(error))


def assert_problem(answer: Answer, entry: catalog.ErrorEntry) -> None:
    assert answer.status == entry.http_status
    assert answer.headers["Content-Type"] == "application/problem+json"
    assert answer.body["code"] == entry.code
    assert answer.body["requestId"] == "req-9"
    assert answer.body["instance"] == "/v1/tenants/acme/things"


# ------------------------------------------------------------------------------------------- 401s


@pytest.mark.parametrize("authorization", ["Bearer abc.def.ghi", "bearer abc", "BEARER  abc "])
def test_a_refused_token_is_invalid_token(monkeypatch: pytest.MonkeyPatch, authorization: str) -> None:
    refuse_with(monkeypatch, CaError(catalog.UNAUTHORIZED, "the token has expired"))

    answer = get(token_handler, {"Authorization": authorization})

    assert_problem(answer, catalog.UNAUTHORIZED)
    assert answer.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    assert answer.body["detail"] == "the token has expired"


@pytest.mark.parametrize(
    "headers", [{}, {"authorization": "Basic dXNlcjpwdw=="}, {"authorization": "Bearer "}]
)
def test_without_a_bearer_token_the_challenge_has_no_error(
    monkeypatch: pytest.MonkeyPatch, headers: dict[str, str]
) -> None:
    refuse_with(monkeypatch, CaError(catalog.UNAUTHORIZED, "the Authorization header is missing"))

    answer = get(token_handler, headers)

    assert_problem(answer, catalog.UNAUTHORIZED)
    assert answer.headers["WWW-Authenticate"] == "Bearer"


def test_a_missing_client_certificate_is_no_refused_token(monkeypatch: pytest.MonkeyPatch) -> None:
    refuse_with(monkeypatch, CaError(catalog.TLS_CLIENT_AUTH_MISSING, "no certificate"))

    answer = get(certificate_handler, {"authorization": "Bearer abc"})

    assert_problem(answer, catalog.TLS_CLIENT_AUTH_MISSING)
    assert answer.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize("entry", [catalog.UNAUTHORIZED, catalog.TLS_CLIENT_AUTH_MISSING])
def test_a_401_a_service_raises_carries_the_challenge_too(entry: catalog.ErrorEntry) -> None:
    raised.append(CaError(entry, "the renewal proof does not hold"))

    answer = get(open_handler, {"authorization": "Bearer abc"})

    assert_problem(answer, entry)
    assert answer.headers["WWW-Authenticate"] == "Bearer"


def test_a_403_has_no_challenge(monkeypatch: pytest.MonkeyPatch) -> None:
    refuse_with(monkeypatch, CaError(catalog.FORBIDDEN, "needs the admin role"))

    answer = get(token_handler, {"authorization": "Bearer abc"})

    assert_problem(answer, catalog.FORBIDDEN)
    assert "WWW-Authenticate" not in answer.headers


def test_an_error_keeps_its_own_headers() -> None:
    raised.append(CaError(catalog.NOT_YET_SIGNED, "later", headers={"Retry-After": "2"}))

    answer = get(open_handler)

    assert_problem(answer, catalog.NOT_YET_SIGNED)
    assert answer.headers["Retry-After"] == "2"


# ---------------------------------------------------------------------------- unclaimed outcomes


@pytest.mark.parametrize(
    ("error", "entry", "retry_after"),
    [
        (Transient("dynamodb", "Query failed (ThrottlingException)"), catalog.DB_ERROR, "1"),
        (Failed("dynamodb", "Query failed (ResourceNotFoundException)"), catalog.DB_ERROR, None),
        (Transient("sqs", "SendMessage failed (no answer)"), catalog.KAFKA_ERROR, "1"),
        (Failed("kms", "Sign failed (DisabledException)"), catalog.SIGNER_ERROR, None),
        (Transient("secretsmanager", "GetSecretValue failed (InternalFailure)"), catalog.INTERNAL_ERROR, "1"),
        (NotFound("signer", "no signer s-1"), catalog.INTERNAL_ERROR, None),
        (Conflict("signer pointer", "version 3 moved"), catalog.INTERNAL_ERROR, None),
        (PreconditionFailed("certificate", "state", state="ISSUED"), catalog.INTERNAL_ERROR, None),
        (Invalid("cursor", "not ours"), catalog.INTERNAL_ERROR, None),
    ],
)
def test_a_domain_error_no_service_claimed_is_its_catalog_entry(
    error: DomainError, entry: catalog.ErrorEntry, retry_after: str | None
) -> None:
    raised.append(error)

    answer = get(open_handler)

    assert_problem(answer, entry)
    assert answer.headers.get("Retry-After") == retry_after
    if entry is catalog.INTERNAL_ERROR:
        assert answer.body["detail"] == "an unexpected error occurred"
        assert error.subject not in json.dumps(answer.body)
    else:
        assert answer.body["detail"] == error.detail


def test_a_domain_error_before_the_resolver_is_mapped_the_same_way(monkeypatch: pytest.MonkeyPatch) -> None:
    class Unavailable:
        def authenticate(self, _event: object, _needs: Needs) -> Principal:
            raise Transient("dynamodb", "GetItem failed (no answer)")

    monkeypatch.setattr(authenticator_module, "authenticator", Unavailable)

    answer = get(token_handler, {"authorization": "Bearer abc"})

    assert_problem(answer, catalog.DB_ERROR)
    assert answer.headers["Retry-After"] == "1"


# --------------------------------------------------------------------------------------- headers


@pytest.mark.parametrize("name", ["X-Session-Key-Id", "x-session-key-id", "X-SESSION-KEY-ID"])
def test_the_session_key_header_is_read_in_any_case(name: str) -> None:
    answer = get(open_handler, {name: "sk-1"})

    assert_problem(answer, catalog.BAD_REQUEST)
    assert "session-encrypted" in answer.body["detail"]


def test_request_headers_ignore_case_and_are_a_copy() -> None:
    event = {"headers": {"Content-Type": "application/json", "X-Session-Key-Id": "sk"}}

    headers = web.request_headers(event)
    headers["content-type"] = "text/plain"

    assert headers["CONTENT-TYPE"] == "text/plain"
    assert headers.get("x-session-key-id") == "sk"
    assert event["headers"]["Content-Type"] == "application/json"
    assert web.request_headers({}) == {}


def test_the_functions_edge_exports_what_they_need() -> None:
    assert web.Needs is identity.principal.Needs
    assert web.Principal is identity.principal.Principal
    assert {"Needs", "Principal", "create_app", "lambda_handler", "principal"} <= set(web.__all__)
