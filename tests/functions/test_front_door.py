"""The front door through the handlers: only this realm's access tokens, typed claims, whole-string tenants.

Each case was seen on the local stack of main: ID, refresh and logout tokens were accepted (200); a
client role of any client was admin; ``amr: 5`` and ``realm_access.roles: 5`` answered 500 with a
body that was not even problem+json; a client id with a bidi override was accepted (202) and then
failed issuance with SignerError; tenant ``a%0A`` passed the realm-name check.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest

from astca import catalog
from local.resources import LocalResources
from tests.functions.flows import issued_signer, make_csr, outbox_events
from tests.functions.http import Answer, call

Load = Callable[[str], ModuleType]
Forge = Callable[..., str]


def whoami(load_function: Load, token: str, tenant: str = "acme") -> Answer:
    return call(
        load_function("whoami"), "GET", "/v1/tenants/{tenant}/whoami", params={"tenant": tenant}, token=token
    )


def request_with(load_function: Load, token: str) -> Answer:
    return call(
        load_function("request_certificate"),
        "POST",
        "/v1/tenants/{tenant}/certificates",
        params={"tenant": "acme"},
        token=token,
        body={"csr": make_csr()[0]},
    )


def problem(answer: Answer, status: int, entry: catalog.ErrorEntry) -> dict[str, Any]:
    assert answer.status == status, answer.body
    assert answer.headers["Content-Type"] == "application/problem+json"
    body: dict[str, Any] = answer.body
    assert body["code"] == entry.code
    return body


def test_a_real_access_token_passes(aws: LocalResources, load_function: Load, forged_token: Forge) -> None:
    assert whoami(load_function, forged_token()).status == 200


@pytest.mark.parametrize(
    ("header", "claims"),
    [({}, {"typ": "ID"}), ({}, {"typ": "Refresh"}), ({"typ": "logout+jwt"}, {"typ": None})],
    ids=["id-token", "refresh-token", "logout-token"],
)
def test_tokens_that_are_not_access_tokens_are_401(
    aws: LocalResources,
    load_function: Load,
    forged_token: Forge,
    header: dict[str, Any],
    claims: dict[str, Any],
) -> None:
    answer = whoami(load_function, forged_token(header=header, **claims))
    body = problem(answer, 401, catalog.UNAUTHORIZED)
    assert "not an access token" in body["detail"]
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")


def test_an_admin_role_of_another_client_is_not_admin(
    aws: LocalResources, load_function: Load, forged_token: Forge
) -> None:
    def create(token: str) -> Answer:
        return call(
            load_function("create_signer"),
            "POST",
            "/v1/tenants/{tenant}/signers",
            params={"tenant": "acme"},
            token=token,
            body={"name": "Fleet"},
        )

    foreign = forged_token(realm_access=None, resource_access={"any-client": {"roles": ["astca-admin"]}})
    problem(create(foreign), 403, catalog.FORBIDDEN)
    own = forged_token(realm_access=None, resource_access={"astca-dev": {"roles": ["astca-admin"]}})
    assert create(own).status == 202


@pytest.mark.parametrize(
    ("claims", "status", "entry"),
    [
        ({"amr": 5}, 401, catalog.UNAUTHORIZED),
        ({"realm_access": {"roles": 5}}, 401, catalog.UNAUTHORIZED),
        ({"realm_access": {"roles": "astca-admin"}}, 401, catalog.UNAUTHORIZED),
        ({"resource_access": "astca-dev"}, 401, catalog.UNAUTHORIZED),
        ({"exp": "tomorrow"}, 401, catalog.UNAUTHORIZED),
        ({"aud": [{"a": 1}]}, 200, None),
        ({"sub": 5}, 403, catalog.MISSING_USER_ID),
        ({"ast_client_id": ["x"]}, 403, catalog.MISSING_CLIENT_ID),
    ],
)
def test_a_mistyped_claim_is_a_problem_never_a_500(
    aws: LocalResources,
    load_function: Load,
    forged_token: Forge,
    claims: dict[str, Any],
    status: int,
    entry: catalog.ErrorEntry | None,
) -> None:
    answer = request_with(load_function, forged_token(**claims))
    if entry is None:  # an aud of odd types is not required here: the request goes on (no signer yet)
        problem(answer, 404, catalog.SIGNER_NOT_FOUND_FOR_TENANT)
        return
    problem(answer, status, entry)


@pytest.mark.parametrize(
    ("claims", "entry"),
    [
        ({"ast_client_id": "device\u202e1"}, catalog.MISSING_CLIENT_ID),
        ({"ast_client_id": "device\n1"}, catalog.MISSING_CLIENT_ID),
        ({"ast_client_id": "d" * 65}, catalog.MISSING_CLIENT_ID),
        ({"sub": "user\u2028x"}, catalog.MISSING_USER_ID),
        ({"sub": "u\u2066x"}, catalog.MISSING_USER_ID),
        ({"sub": "nul\x00"}, catalog.MISSING_USER_ID),
    ],
)
def test_identity_a_certificate_cannot_name_is_refused_when_requested(
    ca: LocalResources,
    load_function: Load,
    token: Callable[..., str],
    forged_token: Forge,
    claims: dict[str, Any],
    entry: catalog.ErrorEntry,
) -> None:
    issued_signer(load_function, token, ca)
    answer = request_with(load_function, forged_token(**claims))
    problem(answer, 403, entry)
    assert outbox_events(ca, "certificate.requested") == []  # nothing accepted, nothing to fail later


@pytest.mark.parametrize("tenant", ["a\n", "acme\n", "acme\r\n", "a\x00"])
def test_a_tenant_with_a_trailing_newline_is_malformed(
    aws: LocalResources, load_function: Load, forged_token: Forge, tenant: str
) -> None:
    body = problem(whoami(load_function, forged_token(), tenant=tenant), 400, catalog.MALFORMED_FIELD)
    assert "http" not in body["detail"]  # no internal URL
