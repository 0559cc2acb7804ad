"""The token matrix: every 401 case names its check; valid tokens of the tenant's realm pass."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from astca import catalog
from astca.catalog import CaError
from astca.identity.oidc import RealmDirectory
from astca.identity.tokens import TokenVerifier, bearer_token
from tests.unit.identity.fakes import BASE, FakeIdp, es256_key, mint, public_jwk, rsa_key

KEY = es256_key()


@pytest.fixture
def idp() -> FakeIdp:
    idp = FakeIdp()
    idp.add_realm("acme", public_jwk(KEY, "k1", "ES256"))
    idp.add_realm("other", public_jwk(es256_key(), "k1", "ES256"))
    return idp


def verifier(idp: FakeIdp, **options: Any) -> TokenVerifier:
    return TokenVerifier(RealmDirectory(BASE, idp), **options)


def rejected(idp: FakeIdp, token: str, tenant: str = "acme", **options: Any) -> str:
    with pytest.raises(CaError) as raised:
        verifier(idp, **options).verify(token, tenant)
    assert raised.value.entry is catalog.UNAUTHORIZED
    return raised.value.detail


def test_a_valid_es256_token_of_the_tenants_realm_passes(idp: FakeIdp) -> None:
    claims = verifier(idp).verify(mint(KEY), "acme")
    assert claims["sub"] == "user-1"


def test_rsa_and_pss_tokens_pass() -> None:
    key = rsa_key()
    idp = FakeIdp()
    idp.add_realm("acme", public_jwk(key, "rs", "RS256"), public_jwk(key, "ps", "PS256"))
    assert verifier(idp).verify(mint(key, kid="rs", alg="RS256"), "acme")["sub"] == "user-1"
    assert verifier(idp).verify(mint(key, kid="ps", alg="PS256"), "acme")["sub"] == "user-1"


def test_missing_header() -> None:
    with pytest.raises(CaError, match="Authorization header is missing") as raised:
        bearer_token(None)
    assert raised.value.entry is catalog.UNAUTHORIZED


@pytest.mark.parametrize("header", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer   ", "token abc"])
def test_header_not_bearer(header: str) -> None:
    with pytest.raises(CaError, match="not a Bearer token") as raised:
        bearer_token(header)
    assert raised.value.entry is catalog.UNAUTHORIZED


def test_bearer_scheme_is_case_insensitive() -> None:
    assert bearer_token("bearer abc.def.ghi") == "abc.def.ghi"


@pytest.mark.parametrize("token", ["garbage", "a.b.c", "", "eyJhbGciOiJFUzI1NiJ9.%%%.x"])
def test_token_not_decodable(idp: FakeIdp, token: str) -> None:
    assert "could not be decoded" in rejected(idp, token)


def test_alg_none_is_rejected(idp: FakeIdp) -> None:
    token = jwt.encode({"iss": f"{BASE}/realms/acme", "exp": time.time() + 60}, "", algorithm="none")
    assert "'none' is not allowed" in rejected(idp, token)


def test_hs256_signed_with_the_public_key_is_rejected(idp: FakeIdp) -> None:
    # The classic confusion attack: HMAC keyed with the realm's public key.
    public_pem = KEY.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    header = b64(json.dumps({"alg": "HS256", "kid": "k1", "typ": "JWT"}).encode())
    payload = b64(json.dumps({"iss": f"{BASE}/realms/acme", "exp": int(time.time()) + 60}).encode())
    signature = hmac.new(public_pem, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    token = f"{header}.{payload}.{b64(signature)}"
    assert "'HS256' is not allowed" in rejected(idp, token)


def test_token_of_another_realm(idp: FakeIdp) -> None:
    detail = rejected(idp, mint(KEY, realm="other"), tenant="acme")
    assert "from realm 'other', not from tenant 'acme'" in detail
    assert idp.calls == []  # decided before any IdP round trip


def test_expired(idp: FakeIdp) -> None:
    now = int(time.time())
    assert "expired (exp)" in rejected(idp, mint(KEY, iat=now - 600, exp=now - 120))


def test_expiry_within_the_leeway_passes(idp: FakeIdp) -> None:
    now = int(time.time())
    assert verifier(idp, leeway_seconds=30).verify(mint(KEY, iat=now - 600, exp=now - 10), "acme")


def test_missing_exp(idp: FakeIdp) -> None:
    assert "no exp claim" in rejected(idp, mint(KEY, exp=None))


def test_not_yet_valid(idp: FakeIdp) -> None:
    assert "not valid yet (nbf)" in rejected(idp, mint(KEY, nbf=int(time.time()) + 600))


def test_issued_in_the_future(idp: FakeIdp) -> None:
    now = int(time.time())
    assert "issued in the future (iat)" in rejected(idp, mint(KEY, iat=now + 600, exp=now + 900))


def test_non_numeric_time_claim(idp: FakeIdp) -> None:
    assert "exp claim is not a number" in rejected(idp, mint(KEY, exp="tomorrow"))


def test_issuer_not_the_discovered_one(idp: FakeIdp) -> None:
    token = mint(KEY, base="https://evil.example.test/auth")
    assert "is not the realm's issuer" in rejected(idp, token)


def test_audience_lacking_a_required_value(idp: FakeIdp) -> None:
    token = mint(KEY, aud=["astca"])
    assert "audience lacks portal" in rejected(idp, token, audience=("astca", "portal"))


def test_audience_with_every_required_value_passes(idp: FakeIdp) -> None:
    token = mint(KEY, aud=["astca", "portal", "account"])
    assert verifier(idp, audience=("astca", "portal")).verify(token, "acme")


def test_no_audience_is_required_by_default(idp: FakeIdp) -> None:
    assert verifier(idp).verify(mint(KEY), "acme")


def test_signature_by_another_key_with_the_same_kid(idp: FakeIdp) -> None:
    assert "signature does not match" in rejected(idp, mint(es256_key()))


def test_unknown_kid(idp: FakeIdp) -> None:
    assert "unknown key id" in rejected(idp, mint(KEY, kid="nope"))


def test_algorithm_other_than_the_keys_declared_one(idp: FakeIdp) -> None:
    key = rsa_key()
    idp.add_realm("rsa", public_jwk(key, "k1", "RS256"))
    token = mint(key, realm="rsa", alg="PS256")
    assert "algorithm differs" in rejected(idp, token, tenant="rsa")


@pytest.mark.parametrize(
    ("header", "claims"),
    [
        ({}, {"typ": "ID"}),  # Keycloak's ID token
        ({}, {"typ": "Refresh"}),  # Keycloak's refresh token
        ({}, {"typ": "Logout"}),
        ({"typ": "logout+jwt"}, {}),  # an OIDC back-channel logout token
        ({"typ": "JWS"}, {}),
        ({}, {"typ": "bearer"}),
        ({}, {"typ": 5}),
        ({"typ": 5}, {}),
    ],
)
def test_a_token_that_is_not_an_access_token_is_refused(
    idp: FakeIdp, header: dict[str, Any], claims: dict[str, Any]
) -> None:
    """Seen: tokens with typ "ID", "Refresh" and a logout+jwt header were accepted."""
    detail = rejected(idp, mint(KEY, header=header, **claims))
    assert "not an access token" in detail
    assert idp.calls == []  # decided before any IdP call


@pytest.mark.parametrize(
    ("header", "claims"),
    [
        ({}, {}),
        ({"typ": "JWT"}, {"typ": "Bearer"}),
        ({"typ": "at+jwt"}, {}),
        ({"typ": "application/AT+JWT"}, {}),
    ],
)
def test_access_tokens_pass(idp: FakeIdp, header: dict[str, Any], claims: dict[str, Any]) -> None:
    assert verifier(idp).verify(mint(KEY, header=header, **claims), "acme")["sub"] == "user-1"


def test_a_deeply_nested_token_is_unauthorized_not_an_error(idp: FakeIdp) -> None:
    def part(document: str) -> str:
        return base64.urlsafe_b64encode(document.encode()).rstrip(b"=").decode()

    deep = "[" * 5000 + "]" * 5000
    for token in (f"{part(deep)}.{part('{}')}.c2ln", f"{part('{"alg":"ES256"}')}.{part(deep)}.c2ln"):
        assert "could not be decoded" in rejected(idp, token)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), "1700000000", True])
def test_a_time_claim_that_is_not_a_finite_number_is_refused(idp: FakeIdp, value: object) -> None:
    assert "not a number" in rejected(idp, mint(KEY, exp=value))


def test_an_audience_list_of_other_types_is_refused_not_an_error(idp: FakeIdp) -> None:
    detail = rejected(idp, mint(KEY, aud=[{"x": 1}, ["y"], 5]), audience=["astca"])
    assert "audience lacks astca" in detail


def test_an_oversized_bearer_token_is_refused() -> None:
    with pytest.raises(CaError) as raised:
        bearer_token("Bearer " + "a" * 20000)
    assert raised.value.entry is catalog.UNAUTHORIZED


def test_details_quote_at_most_200_characters_of_the_token(idp: FakeIdp) -> None:
    detail = rejected(idp, mint(KEY, iss="https://evil.example/realms/" + "x" * 5000))
    assert len(detail) < 300


@given(
    claims=st.dictionaries(
        st.sampled_from(["sub", "azp", "scope", "email", "realm_access"]), st.text(max_size=20)
    )
)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_claims_changed_after_signing_are_refused_whatever_they_say(
    idp: FakeIdp, claims: dict[str, Any]
) -> None:
    """The claims are decoded once and the signature checked over exactly the bytes they came from."""
    header, payload, signature = mint(KEY).split(".")
    original = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    forged = base64.urlsafe_b64encode(json.dumps({**original, **claims, "sub": "admin"}).encode()).rstrip(
        b"="
    )

    assert "signature does not match" in rejected(idp, f"{header}.{forged.decode()}.{signature}")
