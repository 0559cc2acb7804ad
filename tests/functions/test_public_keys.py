"""The public key API through its functions, with tokens of the development IdP.

Users: ``device`` and ``admin`` both log in with a password (``amr: ["pwd"]``) and own keys; ``service``
is the IdP's service account: the key reader role, no password, so it reads any key and registers none.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from types import ModuleType
from typing import Any

import boto3
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from astca import catalog, clock
from astca.services.public_keys import public_key_service
from local.resources import LocalResources
from tests.functions.flows import outbox_events
from tests.functions.http import Answer, call

KEYS = "/v1/tenants/{tenant}/public-keys"
KEY = "/v1/tenants/{tenant}/public-keys/{kid}"
STATUSES = {entry.code: entry.http_status for entry in catalog.ENTRIES}


class Api:
    """The public key functions of one test."""

    def __init__(self, load: Callable[[str], ModuleType], token: Callable[..., str]) -> None:
        self.load = load
        self._tokens: dict[tuple[str, str], str] = {}
        self._token = token

    def token(self, tenant: str, user: str) -> str:
        if (tenant, user) not in self._tokens:
            self._tokens[tenant, user] = self._token(tenant, user)
        return self._tokens[tenant, user]

    def register(self, jwk: Any, *, user: str = "device", tenant: str = "acme", **extra: Any) -> Answer:
        return self.post({"jwk": jwk, **extra}, user=user, tenant=tenant)

    def post(self, body: Any, *, user: str = "device", tenant: str = "acme", **options: Any) -> Answer:
        token = self.token(tenant, user) if user else None
        return call(
            self.load("register_public_key"),
            "POST",
            KEYS,
            params={"tenant": tenant},
            token=token,
            body=body,
            **options,
        )

    def get(self, kid: str, *, user: str = "device", tenant: str = "acme") -> Answer:
        params = {"tenant": tenant, "kid": kid}
        return call(self.load("get_public_key"), "GET", KEY, params=params, token=self.token(tenant, user))

    def page(self, *, user: str = "device", tenant: str = "acme", **query: str) -> Answer:
        return call(
            self.load("list_public_keys"),
            "GET",
            KEYS,
            params={"tenant": tenant},
            token=self.token(tenant, user),
            query=query,
        )

    def delete(self, kid: str, *, user: str = "device", tenant: str = "acme") -> Answer:
        params = {"tenant": tenant, "kid": kid}
        return call(
            self.load("delete_public_key"), "DELETE", KEY, params=params, token=self.token(tenant, user)
        )


@pytest.fixture
def api(aws: LocalResources, load_function: Callable[[str], ModuleType], token: Callable[..., str]) -> Api:
    return Api(load_function, token)


def ec_jwk() -> dict[str, Any]:
    jwk: dict[str, Any] = jwt.algorithms.ECAlgorithm.to_jwk(
        ec.generate_private_key(ec.SECP256R1()).public_key(), as_dict=True
    )
    return jwk


def ed25519_jwk() -> dict[str, Any]:
    jwk: dict[str, Any] = jwt.algorithms.OKPAlgorithm.to_jwk(
        ed25519.Ed25519PrivateKey.generate().public_key(), as_dict=True
    )
    return jwk


def refused(answer: Answer, entry: catalog.ErrorEntry) -> None:
    assert (answer.status, answer.body["code"]) == (entry.http_status, entry.code), answer.body
    assert answer.headers["Content-Type"] == "application/problem+json"


# ---------------------------------------------------------------------------------------- the flow


def test_a_device_user_registers_reads_lists_and_deletes_a_key(api: Api, aws: LocalResources) -> None:
    jwk = ec_jwk()

    created = api.register(jwk)

    assert created.status == 201, created.body
    kid = created.body["kid"]
    assert created.headers["Location"] == f"/v1/tenants/acme/public-keys/{kid}"
    assert created.body["jwk"] == {**jwk, "kid": kid}
    assert created.body["owner"] == "00000000-0000-4000-8000-00000000d001"
    created_at = clock.parse_rfc3339(created.body["createdAt"])
    assert clock.parse_rfc3339(created.body["expiresAt"]) - created_at == timedelta(days=365)
    assert set(created.body) == {"kid", "jwk", "owner", "createdAt", "expiresAt"}

    assert api.get(kid).body == created.body
    assert api.page().body == {"items": [created.body], "nextToken": None}

    assert api.delete(kid).status == 204
    refused(api.get(kid), catalog.KEY_NOT_FOUND)
    assert api.page().body == {"items": [], "nextToken": None}
    assert [event["routingKey"] for event in outbox_events(aws, "public_key.registered")] == [
        "public_key.registered"
    ]
    (deleted,) = outbox_events(aws, "public_key.deleted")
    assert deleted["payload"] == {"tenant": "acme", "kid": kid, "owner": created.body["owner"]}


def test_the_identity_providers_service_account_reads_any_key_and_registers_none(api: Api) -> None:
    kid = api.register(ed25519_jwk()).body["kid"]

    read = api.get(kid, user="service")

    assert (read.status, read.body["kid"]) == (200, kid)
    refused(api.register(ed25519_jwk(), user="service"), catalog.PASSWORD_AUTH_MISSING)
    assert "amr is [none]" in api.register(ed25519_jwk(), user="service").body["detail"]


def test_other_users_neither_see_nor_delete_a_key(api: Api) -> None:
    kid = api.register(ec_jwk()).body["kid"]

    refused(api.get(kid, user="admin"), catalog.KEY_NOT_FOUND)
    assert api.page(user="admin").body == {"items": [], "nextToken": None}
    refused(api.delete(kid, user="admin"), catalog.KEY_NOT_FOUND)
    refused(api.delete(kid, user="service"), catalog.KEY_NOT_FOUND)
    assert api.get(kid).status == 200


def test_other_tenants_neither_see_nor_block_a_key(api: Api) -> None:
    jwk = ec_jwk()
    kid = api.register(jwk).body["kid"]

    refused(api.get(kid, tenant="globex"), catalog.KEY_NOT_FOUND)
    refused(api.get(kid, user="service", tenant="globex"), catalog.KEY_NOT_FOUND)
    assert api.page(tenant="globex").body == {"items": [], "nextToken": None}
    assert api.register(jwk, tenant="globex").status == 201
    cross = call(
        api.load("get_public_key"),
        "GET",
        KEY,
        params={"tenant": "acme", "kid": kid},
        token=api.token("globex", "device"),
    )
    refused(cross, catalog.UNAUTHORIZED)


def test_a_registered_thumbprint_is_409_for_everyone(api: Api) -> None:
    jwk = ec_jwk()
    kid = api.register(jwk).body["kid"]

    refused(api.register(jwk), catalog.KEY_ALREADY_EXISTS)
    refused(api.register({**jwk, "kid": kid, "alg": "ES256"}, user="admin"), catalog.KEY_ALREADY_EXISTS)


def test_fifty_concurrent_registrations_of_one_thumbprint_give_one_201(api: Api, aws: LocalResources) -> None:
    jwk = ed25519_jwk()
    users = ["device", "admin"]
    for user in users:
        api.token("acme", user)

    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(lambda index: api.register(jwk, user=users[index % 2]), range(50)))

    statuses = [answer.status for answer in answers]
    assert statuses.count(201) == 1
    assert {answer.body["code"] for answer in answers if answer.status != 201} == {
        catalog.KEY_ALREADY_EXISTS.code
    }
    assert statuses.count(409) == 49
    assert len(outbox_events(aws, "public_key.registered")) == 1


def test_an_expired_key_is_410_and_still_listed(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    soon = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=5)
    kid = api.register(ec_jwk(), expiresAt=clock.rfc3339(soon)).body["kid"]
    assert api.get(kid).status == 200

    monkeypatch.setattr(public_key_service(), "now", lambda: soon)

    refused(api.get(kid), catalog.KEY_EXPIRED)
    refused(api.get(kid, user="service"), catalog.KEY_EXPIRED)
    refused(api.get(kid, user="admin"), catalog.KEY_NOT_FOUND)
    assert [item["kid"] for item in api.page().body["items"]] == [kid]
    assert [
        item["kid"] for item in api.page(filter=f"expiresAt gt '{clock.rfc3339(soon)}'").body["items"]
    ] == []
    assert api.delete(kid).status == 204


def test_an_item_written_expired_is_410(api: Api, aws: LocalResources) -> None:
    kid = api.register(ec_jwk()).body["kid"]
    boto3.client("dynamodb").update_item(
        TableName=aws.tables["Table"],
        Key={"PK": {"S": "TENANT#acme"}, "SK": {"S": f"KEY#{kid}"}},
        UpdateExpression="SET expiresAt = :past",
        ExpressionAttributeValues={":past": {"S": "2020-01-01T00:00:00Z"}},
    )

    refused(api.get(kid), catalog.KEY_EXPIRED)


# ---------------------------------------------------------------------------------------- requests refused


def test_no_token_is_401_and_nothing_is_stored(api: Api, aws: LocalResources) -> None:
    answer = api.post({"jwk": ec_jwk()}, user="")
    refused(answer, catalog.UNAUTHORIZED)
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    assert boto3.client("dynamodb").scan(TableName=aws.tables["Table"])["Items"] == []


@pytest.mark.parametrize(
    ("body", "entry", "fragment"),
    [
        ({}, catalog.MISSING_FIELD, "field 'jwk' is required"),
        ({"jwk": "a key"}, catalog.MALFORMED_FIELD, "jwk"),
        ({"jwk": [1]}, catalog.MALFORMED_FIELD, "jwk"),
        ({"jwk": {"kty": "oct", "k": "c2VjcmV0"}}, catalog.MALFORMED_FIELD, "private key member k"),
        ({"jwk": {"kty": "RSA", "n": "AQAB", "e": "AQAB"}}, catalog.MALFORMED_FIELD, "RSA modulus"),
        ({"jwk": {}, "owner": "someone else"}, catalog.MALFORMED_FIELD, "owner"),
        ({"jwk": {}, "expiresAt": "next week"}, catalog.MALFORMED_FIELD, "expiresAt"),
        ({"jwk": {}, "expiresAt": 1895000000}, catalog.MALFORMED_FIELD, "expiresAt"),
        ([], catalog.MALFORMED_BODY, "JSON object"),
    ],
)
def test_bad_bodies_are_refused_with_their_codes(
    api: Api, body: Any, entry: catalog.ErrorEntry, fragment: str
) -> None:
    answer = api.post(body)
    refused(answer, entry)
    assert fragment in answer.body["detail"]


def test_a_private_jwk_is_refused(api: Api) -> None:
    private = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(rsa.generate_private_key(65537, 2048)))
    answer = api.register(private)
    refused(answer, catalog.MALFORMED_FIELD)
    assert "private key member d, p, q, dp, dq, qi" in answer.body["detail"]


def test_expires_at_beyond_the_maximum_is_refused(api: Api) -> None:
    later = datetime.now(UTC) + timedelta(days=731)
    answer = api.register(ec_jwk(), expiresAt=clock.rfc3339(later))
    refused(answer, catalog.MALFORMED_FIELD)
    assert "more than 730 days ahead" in answer.body["detail"]


def test_a_body_that_is_not_json_is_4005(api: Api) -> None:
    answer = call(
        api.load("register_public_key"),
        "POST",
        KEYS,
        params={"tenant": "acme"},
        token=api.token("acme", "device"),
        body="jwk",
        headers={"content-type": "text/plain"},
    )
    refused(answer, catalog.MALFORMED_BODY)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=8,
)
JWK_MEMBERS = st.sampled_from(["kty", "crv", "x", "y", "n", "e", "kid", "alg", "d"]) | st.text(max_size=6)


@given(
    jwk=st.dictionaries(
        JWK_MEMBERS, JSON | st.sampled_from(["EC", "RSA", "OKP", "P-256", "AQAB"]), max_size=6
    )
)
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_any_json_object_as_a_jwk_is_201_or_a_catalog_4xx(api: Api, jwk: dict[str, Any]) -> None:
    answer = api.register(jwk)
    if answer.status != 201:
        assert 400 <= answer.status < 500, answer.body
        assert STATUSES[answer.body["code"]] == answer.status, answer.body


# ---------------------------------------------------------------------------------------- lists


def test_lists_page_and_filter(api: Api) -> None:
    kids = sorted(api.register(ec_jwk()).body["kid"] for _ in range(3))
    ed_kid = api.register(ed25519_jwk()).body["kid"]

    first = api.page(limit="2", filter="kty eq 'EC'")
    rest = api.page(limit="2", filter="kty eq 'EC'", nextToken=first.body["nextToken"])

    assert [item["kid"] for item in first.body["items"] + rest.body["items"]] == kids
    assert [item["kid"] for item in api.page(filter="crv eq 'Ed25519'").body["items"]] == [ed_kid]
    refused(api.page(user="admin", limit="2", nextToken=first.body["nextToken"]), catalog.BAD_PAGINATION)
    refused(api.page(limit="2", nextToken=first.body["nextToken"]), catalog.BAD_PAGINATION)  # another filter


@pytest.mark.parametrize(
    ("query", "entry"),
    [
        ({"limit": "0"}, catalog.BAD_PAGINATION),
        ({"limit": "101"}, catalog.BAD_PAGINATION),
        ({"nextToken": "forged"}, catalog.BAD_PAGINATION),
        ({"filter": "kty eq"}, catalog.BAD_FILTER),
        ({"filter": "owner eq 'x'"}, catalog.BAD_FILTER),
        ({"filter": "createdAt gt 'yesterday'"}, catalog.BAD_FILTER),
    ],
)
def test_bad_list_parameters(api: Api, query: dict[str, str], entry: catalog.ErrorEntry) -> None:
    refused(api.page(**query), entry)


def test_a_key_readers_own_list_needs_a_user(api: Api) -> None:
    assert api.page(user="service").body == {"items": [], "nextToken": None}
