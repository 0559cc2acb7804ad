"""The public key API through its functions, with tokens of the development IdP.

Users: ``device`` and ``admin`` both log in with a password (``amr: ["pwd"]``) and own keys; ``service``
is the IdP's service account: the key reader role, no password, so it reads any key and registers none.
Every registration carries a proof of possession made with jwcrypto (``tests/key_proofs.py``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import ModuleType
from typing import Any

import boto3
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from astca import catalog, clock
from astca.policy.public_keys import thumbprint
from astca.services.public_keys import public_key_service
from local.functions import lambda_context
from local.invoke import EVENTS_DIR
from local.resources import LocalResources
from tests.functions.flows import outbox_events
from tests.functions.http import Answer, call
from tests.key_proofs import DeviceKey, b64url, compact, subject

KEYS = "/v1/tenants/{tenant}/public-keys"
KEY = "/v1/tenants/{tenant}/public-keys/{kid}"
STATUSES = {entry.code: entry.http_status for entry in catalog.ENTRIES + catalog.EXTENSIONS}


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

    def sub(self, tenant: str, user: str) -> str:
        """The user id of ``user``'s token: the sub a proof names."""
        return subject(self.token(tenant, user))

    def register(self, key: DeviceKey, *, user: str = "device", tenant: str = "acme", **extra: Any) -> Answer:
        """Register ``key`` with a fresh proof by it for the caller; ``extra`` adds or replaces body members."""
        body = {"jwk": key.public, "proof": key.proof(self.sub(tenant, user), tenant), **extra}
        return self.post(body, user=user, tenant=tenant)

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


def ec_key() -> DeviceKey:
    return DeviceKey.generate("P-256")


def ed25519_key() -> DeviceKey:
    return DeviceKey.generate("Ed25519")


def refused(answer: Answer, entry: catalog.ErrorEntry) -> None:
    assert (answer.status, answer.body["code"]) == (entry.http_status, entry.code), answer.body
    assert answer.headers["Content-Type"] == "application/problem+json"


def stored_items(aws: LocalResources) -> list[dict[str, Any]]:
    """Every item of the table: keys, owner entries and outbox events alike."""
    items: list[dict[str, Any]] = boto3.client("dynamodb").scan(TableName=aws.tables["Table"])["Items"]
    return items


# ---------------------------------------------------------------------------------------- the flow


def test_a_device_user_registers_reads_lists_and_deletes_a_key(api: Api, aws: LocalResources) -> None:
    key = ec_key()
    made = int(time.time()) - 60

    created = api.post({"jwk": key.public, "proof": key.proof(api.sub("acme", "device"), "acme", iat=made)})

    assert created.status == 201, created.body
    kid = created.body["kid"]
    assert created.headers["Location"] == f"/v1/tenants/acme/public-keys/{kid}"
    assert created.body["jwk"] == {**key.public, "kid": kid}
    assert created.body["owner"] == "00000000-0000-4000-8000-00000000d001"
    created_at = clock.parse_rfc3339(created.body["createdAt"])
    assert clock.parse_rfc3339(created.body["expiresAt"]) - created_at == timedelta(days=365)
    assert set(created.body) == {"kid", "jwk", "owner", "createdAt", "expiresAt"}

    assert api.get(kid).body == created.body
    assert api.page().body == {"items": [created.body], "nextToken": None}

    assert api.delete(kid).status == 204
    refused(api.get(kid), catalog.KEY_NOT_FOUND)
    assert api.page().body == {"items": [], "nextToken": None}
    (registered,) = outbox_events(aws, "public_key.registered")
    assert registered["payload"] == {
        "tenant": "acme",
        "kid": kid,
        "owner": created.body["owner"],
        "kty": "EC",
        "expiresAt": created.body["expiresAt"],
        "possessionProven": True,
        "proofIat": made,
    }
    (deleted,) = outbox_events(aws, "public_key.deleted")
    assert deleted["payload"] == {"tenant": "acme", "kid": kid, "owner": created.body["owner"]}


def test_the_identity_providers_service_account_reads_any_key_and_registers_none(api: Api) -> None:
    kid = api.register(ed25519_key()).body["kid"]

    read = api.get(kid, user="service")

    assert (read.status, read.body["kid"]) == (200, kid)
    refused(api.register(ed25519_key(), user="service"), catalog.PASSWORD_AUTH_MISSING)
    assert "amr is [none]" in api.register(ed25519_key(), user="service").body["detail"]


def test_other_users_neither_see_nor_delete_a_key(api: Api) -> None:
    kid = api.register(ec_key()).body["kid"]

    refused(api.get(kid, user="admin"), catalog.KEY_NOT_FOUND)
    assert api.page(user="admin").body == {"items": [], "nextToken": None}
    refused(api.delete(kid, user="admin"), catalog.KEY_NOT_FOUND)
    refused(api.delete(kid, user="service"), catalog.KEY_NOT_FOUND)
    assert api.get(kid).status == 200


def test_other_tenants_neither_see_nor_block_a_key(api: Api) -> None:
    key = ec_key()
    kid = api.register(key).body["kid"]

    refused(api.get(kid, tenant="globex"), catalog.KEY_NOT_FOUND)
    refused(api.get(kid, user="service", tenant="globex"), catalog.KEY_NOT_FOUND)
    assert api.page(tenant="globex").body == {"items": [], "nextToken": None}
    assert api.register(key, tenant="globex").status == 201
    cross = call(
        api.load("get_public_key"),
        "GET",
        KEY,
        params={"tenant": "acme", "kid": kid},
        token=api.token("globex", "device"),
    )
    refused(cross, catalog.UNAUTHORIZED)


def test_a_registered_thumbprint_is_409_for_everyone_who_holds_the_key(api: Api) -> None:
    key = ec_key()
    kid = api.register(key).body["kid"]

    refused(api.register(key), catalog.KEY_ALREADY_EXISTS)
    written_otherwise = {**key.public, "kid": kid, "alg": "ES256"}
    refused(api.register(key, user="admin", jwk=written_otherwise), catalog.KEY_ALREADY_EXISTS)


def test_fifty_concurrent_registrations_of_one_thumbprint_give_one_201(api: Api, aws: LocalResources) -> None:
    key = ed25519_key()
    users = ["device", "admin"]
    for user in users:
        api.token("acme", user)

    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(lambda index: api.register(key, user=users[index % 2]), range(50)))

    statuses = [answer.status for answer in answers]
    assert statuses.count(201) == 1
    assert {answer.body["code"] for answer in answers if answer.status != 201} == {
        catalog.KEY_ALREADY_EXISTS.code
    }
    assert statuses.count(409) == 49
    assert len(outbox_events(aws, "public_key.registered")) == 1


def test_an_expired_key_is_410_and_still_listed(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    soon = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=5)
    kid = api.register(ec_key(), expiresAt=clock.rfc3339(soon)).body["kid"]
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
    kid = api.register(ec_key()).body["kid"]
    boto3.client("dynamodb").update_item(
        TableName=aws.tables["Table"],
        Key={"PK": {"S": "TENANT#acme"}, "SK": {"S": f"KEY#{kid}"}},
        UpdateExpression="SET expiresAt = :past",
        ExpressionAttributeValues={":past": {"S": "2020-01-01T00:00:00Z"}},
    )

    refused(api.get(kid), catalog.KEY_EXPIRED)


# ---------------------------------------------------------------------------------------- proofs of possession


@pytest.mark.parametrize(
    ("kind", "alg"),
    [("P-256", "ES256"), ("P-384", "ES384"), ("RSA", "RS256"), ("RSA", "PS256"), ("Ed25519", "EdDSA")],
)
def test_a_proof_by_the_key_registers_it(api: Api, aws: LocalResources, kind: str, alg: str) -> None:
    key = DeviceKey.generate(kind)
    made = int(time.time()) - 1
    proof = key.proof(api.sub("acme", "device"), "acme", alg=alg, iat=made)

    created = api.post({"jwk": key.public, "proof": proof})

    assert created.status == 201, created.body
    assert created.body["kid"] == thumbprint(key.public)
    assert created.body["owner"] == api.sub("acme", "device")
    assert api.get(created.body["kid"]).body == created.body
    (event,) = outbox_events(aws, "public_key.registered")
    assert (event["payload"]["possessionProven"], event["payload"]["proofIat"]) == (True, made)


@dataclass(frozen=True)
class Caller:
    """What a case makes its proof from: the key being registered and the caller's user id, in tenant acme."""

    key: DeviceKey
    sub: str

    def proof(self, **options: Any) -> str:
        """A proof by the key for the caller (``DeviceKey.proof``'s options)."""
        return self.key.proof(self.sub, "acme", **options)

    def forged(self, header: dict[str, Any], signature: bytes = b"") -> str:
        """A fresh proof's header and claims with any ``signature``: what a forger without the key sends."""
        return compact(header, {"sub": self.sub, "tenant": "acme", "iat": int(time.time())}, signature)

    def hs256_with_the_public_key(self) -> str:
        """The alg-confusion forgery: HMAC-SHA256 with the public key (PEM) as the secret."""
        unsigned = self.forged({"alg": "HS256", "typ": "astca-key-proof+jwt"}).removesuffix(".")
        secret = self.key.private.export_to_pem(private_key=False)
        return f"{unsigned}.{b64url(hmac.new(secret, unsigned.encode(), hashlib.sha256).digest())}"


MISSING = object()
# Each: the body's proof member as a case makes it (MISSING: none), and what the 4002 detail says.
BAD_PROOFS: dict[str, tuple[Callable[[Caller], Any], str]] = {
    "missing": (lambda _: MISSING, "field 'proof' is required"),
    "null": (lambda _: None, "field 'proof' is required"),
    "stale": (lambda caller: caller.proof(iat=time.time() - 600), "the proof is stale"),
    "future": (lambda caller: caller.proof(iat=time.time() + 600), "the proof's iat is in the future"),
    "no iat": (lambda caller: caller.proof(claims={"iat": None}), "iat must be a whole number"),
    "iat a string": (lambda caller: caller.proof(claims={"iat": "now"}), "iat must be a whole number"),
    "typ JWT": (lambda caller: caller.proof(header={"typ": "JWT"}), "typ must be 'astca-key-proof+jwt'"),
    "no typ": (lambda caller: caller.proof(header={"typ": None}), "typ must be 'astca-key-proof+jwt'"),
    "renewal typ": (lambda caller: caller.proof(header={"typ": "astca-renewal+jwt"}), "typ must be"),
    "another key": (
        lambda caller: DeviceKey.generate("P-256").proof(caller.sub, "acme"),
        "the proof's signature does not verify with the key",
    ),
    "another user": (
        lambda caller: caller.key.proof("00000000-0000-4000-8000-00000000a001", "acme"),
        "the proof is for another user",
    ),
    "no sub": (lambda caller: caller.proof(claims={"sub": None}), "the proof is for another user"),
    "another tenant": (
        lambda caller: caller.key.proof(caller.sub, "globex"),
        "the proof is for another tenant: its tenant is 'globex', not 'acme'",
    ),
    "alg none": (
        lambda caller: caller.forged({"alg": "none", "typ": "astca-key-proof+jwt"}),
        "alg must be one of ES256",
    ),
    "HS256 with the public key": (Caller.hs256_with_the_public_key, "alg must be one of ES256"),
    "another curve's alg": (
        lambda caller: caller.forged({"alg": "ES384", "typ": "astca-key-proof+jwt"}, b"\x01" * 96),
        "alg must be one of ES256",
    ),
    "garbage": (lambda _: "not a proof", "the proof must be a compact JWS"),
    "empty": (lambda _: "", "the proof must be a compact JWS"),
    "padded": (lambda caller: caller.proof() + "==", "three base64url parts without padding"),
    "too long": (lambda _: "a." + "b" * 8192 + ".c", "at most 8192 characters"),
    "a number": (lambda _: 1795694400, "field 'proof': Input should be a valid string"),
    "an object": (lambda _: {"protected": "e30"}, "field 'proof': Input should be a valid string"),
}


@pytest.mark.parametrize("case", sorted(BAD_PROOFS))
def test_a_proof_that_does_not_hold_is_4002_and_stores_nothing(
    api: Api, aws: LocalResources, case: str
) -> None:
    key = ec_key()
    make, fragment = BAD_PROOFS[case]
    proof = make(Caller(key, api.sub("acme", "device")))
    body = {"jwk": key.public} | ({} if proof is MISSING else {"proof": proof})

    answer = api.post(body)

    refused(answer, catalog.MALFORMED_FIELD)
    assert answer.body["detail"].startswith("field 'proof'"), answer.body["detail"]
    assert fragment in answer.body["detail"], answer.body["detail"]
    assert stored_items(aws) == []


def test_nobody_registers_a_key_they_only_saw(api: Api, aws: LocalResources) -> None:
    # Given the device user's public key, which anyone may see (say, in a key reader's answer)
    victim = ed25519_key()
    seen = victim.public
    attacker_key = ed25519_key()
    victims_proof = victim.proof(api.sub("acme", "device"), "acme")

    # When another password user registers it, with no proof, their own key's, or the victim's own proof
    attempts = [
        api.post({"jwk": seen}, user="admin"),
        api.post({"jwk": seen, "proof": attacker_key.proof(api.sub("acme", "admin"), "acme")}, user="admin"),
        api.post({"jwk": seen, "proof": victims_proof}, user="admin"),
        api.post({"jwk": seen, "proof": victim.proof(api.sub("globex", "device"), "globex")}, user="admin"),
    ]

    # Then each is 4002, nothing is stored, and the owner still registers the key as theirs
    for answer in attempts:
        refused(answer, catalog.MALFORMED_FIELD)
    assert [answer.body["detail"].split(":")[1].strip() for answer in attempts] == [
        "a compact JWS of typ 'astca-key-proof+jwt' signed by the key, with claims sub (your user id), tenant and iat",
        "the proof's signature does not verify with the key",
        "the proof is for another user",
        "the proof is for another user",
    ]
    assert stored_items(aws) == []
    owned = api.post({"jwk": seen, "proof": victims_proof})
    assert (owned.status, owned.body["owner"]) == (201, api.sub("acme", "device")), owned.body


def test_the_key_is_checked_before_its_proof(api: Api) -> None:
    answer = api.post({"jwk": {"kty": "oct", "k": "c2VjcmV0"}})

    refused(answer, catalog.MALFORMED_FIELD)
    assert answer.body["detail"] == "field 'jwk': private key member k: register the public key only"


PROOF_KEY = DeviceKey.generate("P-256")


def mutations(proof: str) -> st.SearchStrategy[str]:
    """Proofs one edit away from ``proof``: a character flipped, inserted or dropped, truncated, parts swapped."""
    positions = st.integers(min_value=0, max_value=len(proof) - 1)
    characters = st.characters(codec="utf-8") | st.sampled_from("AB_-.=+/ ")
    parts = proof.split(".")
    return st.one_of(
        st.builds(lambda at, char: proof[:at] + char + proof[at + 1 :], positions, characters),
        st.builds(lambda at, char: proof[:at] + char + proof[at:], positions, characters),
        st.builds(lambda at: proof[:at] + proof[at + 1 :], positions),
        st.builds(lambda at: proof[:at], positions),
        st.builds(lambda at: proof[at + 1 :], positions),
        st.permutations(parts).map(".".join),
        st.lists(st.sampled_from(parts), min_size=1, max_size=4).map(".".join),
    ).filter(lambda mutated: mutated != proof)


@given(data=st.data())
@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_a_mutated_proof_is_always_4002_never_500(api: Api, aws: LocalResources, data: st.DataObject) -> None:
    proof = PROOF_KEY.proof(api.sub("acme", "device"), "acme")
    mutated = data.draw(mutations(proof))

    answer = api.post({"jwk": PROOF_KEY.public, "proof": mutated})

    refused(answer, catalog.MALFORMED_FIELD)
    assert answer.body["detail"].startswith("field 'proof'"), answer.body
    assert stored_items(aws) == []


def test_the_sample_event_is_a_registration_as_of_its_moment(
    api: Api, aws: LocalResources, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the sample event (no token, a proof by RFC 8037's example key made at the event's time)
    event = json.loads((EVENTS_DIR / "register_public_key.no_token.json").read_text(encoding="utf-8"))
    assert json.loads(event["body"])["jwk"] == DeviceKey.rfc8037().public
    event["headers"]["authorization"] = f"Bearer {api.token('acme', 'device')}"
    function = api.load("register_public_key")

    # When it is sent now with the device user's token, and then at the moment it was made
    now = function.lambda_handler(event, lambda_context())
    made = datetime.fromtimestamp(event["requestContext"]["timeEpoch"] / 1000, UTC)
    monkeypatch.setattr(public_key_service(), "now", lambda: made)
    then = function.lambda_handler(event, lambda_context())

    # Then its proof is stale now, and at its moment it registers the key for the device user
    assert now["statusCode"] == 400
    assert "the proof is stale" in json.loads(now["body"])["detail"]
    assert then["statusCode"] == 201, then["body"]
    assert json.loads(then["body"])["owner"] == api.sub("acme", "device")
    assert json.loads(then["body"])["kid"] == thumbprint(DeviceKey.rfc8037().public)


# ---------------------------------------------------------------------------------------- requests refused


def test_no_token_is_401_and_nothing_is_stored(api: Api, aws: LocalResources) -> None:
    key = ec_key()
    answer = api.post({"jwk": key.public, "proof": key.proof("anyone", "acme")}, user="")
    refused(answer, catalog.UNAUTHORIZED)
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    assert stored_items(aws) == []


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
    answer = api.register(DeviceKey.generate("RSA"), jwk=private)
    refused(answer, catalog.MALFORMED_FIELD)
    assert "private key member d, p, q, dp, dq, qi" in answer.body["detail"]


def test_expires_at_beyond_the_maximum_is_refused(api: Api) -> None:
    later = datetime.now(UTC) + timedelta(days=731)
    answer = api.register(ec_key(), expiresAt=clock.rfc3339(later))
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
    answer = api.register(ec_key(), jwk=jwk)
    if answer.status != 201:
        assert 400 <= answer.status < 500, answer.body
        assert STATUSES[answer.body["code"]] == answer.status, answer.body


# ---------------------------------------------------------------------------------------- lists


def test_lists_page_and_filter(api: Api) -> None:
    kids = sorted(api.register(ec_key()).body["kid"] for _ in range(3))
    ed_kid = api.register(ed25519_key()).body["kid"]

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
