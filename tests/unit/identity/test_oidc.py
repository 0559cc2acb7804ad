"""Discovery and JWKS: the 100x codes, the cache, and the refresh on an unknown kid at most once a minute."""

from __future__ import annotations

import pytest

from astca import catalog
from astca.catalog import CaError
from astca.identity.idp_http import IdpStatus
from astca.identity.oidc import RealmDirectory
from astca.identity.tokens import TokenVerifier
from tests.unit.identity.fakes import BASE, FakeIdp, es256_key, mint, public_jwk

KEY = es256_key()
DISCOVERY = f"{BASE}/realms/acme/.well-known/openid-configuration"
JWKS = f"{BASE}/realms/acme/protocol/openid-connect/certs"


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def idp() -> FakeIdp:
    idp = FakeIdp()
    idp.add_realm("acme", public_jwk(KEY, "k1", "ES256"))
    return idp


def failure(directory: RealmDirectory, tenant: str = "acme") -> CaError:
    with pytest.raises(CaError) as raised:
        directory.realm(tenant)
    return raised.value


def test_no_base_url_is_issuer_not_configured(idp: FakeIdp) -> None:
    assert failure(RealmDirectory(None, idp)).entry is catalog.ISSUER_NOT_CONFIGURED
    assert idp.calls == []


def test_discovery_404_is_realm_does_not_exist(idp: FakeIdp) -> None:
    error = failure(RealmDirectory(BASE, idp), "missing")
    assert error.entry is catalog.REALM_DOES_NOT_EXIST
    assert "'missing'" in error.detail


def test_other_status_is_unexpected_error(idp: FakeIdp) -> None:
    idp.overrides[DISCOVERY] = IdpStatus(DISCOVERY, 503)
    error = failure(RealmDirectory(BASE, idp))
    assert error.entry is catalog.UNEXPECTED_ERROR
    assert "503" in error.detail


def test_jwks_404_is_unexpected_not_a_missing_realm(idp: FakeIdp) -> None:
    idp.overrides[JWKS] = IdpStatus(JWKS, 404)
    assert failure(RealmDirectory(BASE, idp)).entry is catalog.UNEXPECTED_ERROR


@pytest.mark.parametrize("document", [["a list"], "a string", 42])
def test_discovery_that_is_not_an_object_is_bad_response(idp: FakeIdp, document: object) -> None:
    idp.overrides[DISCOVERY] = document
    assert failure(RealmDirectory(BASE, idp)).entry is catalog.BAD_RESPONSE


def test_jwks_without_keys_is_bad_response(idp: FakeIdp) -> None:
    idp.overrides[JWKS] = {"no": "keys"}
    assert failure(RealmDirectory(BASE, idp)).entry is catalog.BAD_RESPONSE


def test_issuer_mismatch_logs_both_issuers_and_answers_neither(
    idp: FakeIdp, caplog: pytest.LogCaptureFixture
) -> None:
    idp.overrides[DISCOVERY] = {"issuer": "https://public.example.test/realms/acme", "jwks_uri": JWKS}
    error = failure(RealmDirectory(BASE, idp))
    assert error.entry is catalog.ISSUER_MISMATCH
    assert "http" not in error.detail
    (record,) = [record for record in caplog.records if hasattr(record, "discoveredIssuer")]
    assert vars(record)["discoveredIssuer"] == "https://public.example.test/realms/acme"
    assert vars(record)["expectedIssuer"] == f"{BASE}/realms/acme"


@pytest.mark.parametrize(
    "override",
    [IdpStatus(DISCOVERY, 503), ["not an object"], RuntimeError("boom")],
)
def test_no_failure_detail_names_an_idp_url(idp: FakeIdp, override: object) -> None:
    idp.overrides[DISCOVERY] = override
    error = failure(RealmDirectory(BASE, idp))
    assert "idp.example.test" not in error.detail
    assert "RuntimeError" not in error.detail


def test_a_missing_realm_costs_one_idp_call_per_interval(idp: FakeIdp) -> None:
    """Seen: one discovery request per request naming a realm the IdP lacks."""
    clock = Clock()
    directory = RealmDirectory(BASE, idp, refresh_seconds=60, monotonic=clock)
    for _ in range(50):
        assert failure(directory, "missing").entry is catalog.REALM_DOES_NOT_EXIST
    assert len(idp.calls) == 1
    clock.now += 61
    assert failure(directory, "missing").entry is catalog.REALM_DOES_NOT_EXIST
    assert len(idp.calls) == 2


def test_a_realm_created_after_a_miss_is_found_after_the_interval(idp: FakeIdp) -> None:
    clock = Clock()
    directory = RealmDirectory(BASE, idp, refresh_seconds=60, monotonic=clock)
    failure(directory, "late")
    idp.add_realm("late", public_jwk(KEY, "k1", "ES256"))
    failure(directory, "late")
    clock.now += 61
    assert directory.realm("late").issuer == f"{BASE}/realms/late"


def test_an_unreachable_idp_is_asked_again_on_the_next_request(idp: FakeIdp) -> None:
    idp.overrides[DISCOVERY] = CaError(catalog.IDP_UNAVAILABLE, "the IdP could not be reached")
    directory = RealmDirectory(BASE, idp)
    failure(directory)
    failure(directory)
    assert len(idp.calls) == 2


@pytest.mark.parametrize(
    "document",
    [
        {"issuer": f"{BASE}/realms/acme"},
        {"issuer": f"{BASE}/realms/acme", "jwks_uri": "ftp://x/certs"},
        {
            "issuer": f"{BASE}/realms/acme",
            "jwks_uri": JWKS,
            "id_token_signing_alg_values_supported": ["HS256"],
        },
    ],
)
def test_discovery_lacking_what_the_service_needs_is_unsupported_flow(idp: FakeIdp, document: object) -> None:
    idp.overrides[DISCOVERY] = document
    assert failure(RealmDirectory(BASE, idp)).entry is catalog.UNSUPPORTED_FLOW


def test_anything_else_is_general_error(idp: FakeIdp) -> None:
    idp.overrides[DISCOVERY] = RuntimeError("boom")
    assert failure(RealmDirectory(BASE, idp)).entry is catalog.GENERAL_ERROR


def test_base_url_ending_in_auth_serves_older_keycloak(idp: FakeIdp) -> None:
    assert RealmDirectory(f"{BASE}/", idp).realm("acme").issuer == f"{BASE}/realms/acme"


def test_warm_caches_make_no_network_call(idp: FakeIdp) -> None:
    verifier = TokenVerifier(RealmDirectory(BASE, idp))
    verifier.verify(mint(KEY), "acme")
    calls = len(idp.calls)
    for _ in range(5):
        verifier.verify(mint(KEY), "acme")
    assert calls == 2  # discovery + JWKS, once
    assert len(idp.calls) == calls


def test_unknown_kid_refreshes_the_jwks_and_picks_up_a_rotated_key(idp: FakeIdp) -> None:
    clock = Clock()
    directory = RealmDirectory(BASE, idp, refresh_seconds=60, monotonic=clock)
    verifier = TokenVerifier(directory)
    verifier.verify(mint(KEY), "acme")
    rotated = es256_key()
    idp.realms["acme"].append(public_jwk(rotated, "k2", "ES256"))
    clock.now += 61
    assert verifier.verify(mint(rotated, kid="k2"), "acme")
    assert idp.calls.count(JWKS) == 2


def test_unknown_kids_refresh_at_most_once_a_minute(idp: FakeIdp) -> None:
    clock = Clock()
    directory = RealmDirectory(BASE, idp, refresh_seconds=60, monotonic=clock)
    directory.realm("acme")
    clock.now += 61
    for kid in ("x1", "x2", "x3"):
        assert directory.signing_key("acme", kid) is None
        clock.now += 10
    assert idp.calls.count(JWKS) == 2  # the first fetch and one refresh
    clock.now += 60
    assert directory.signing_key("acme", "x4") is None
    assert idp.calls.count(JWKS) == 3


def test_realms_are_cached_separately(idp: FakeIdp) -> None:
    idp.add_realm("beta", public_jwk(es256_key(), "k1", "ES256"))
    directory = RealmDirectory(BASE, idp)
    assert directory.realm("acme").issuer.endswith("/acme")
    assert directory.realm("beta").issuer.endswith("/beta")
    assert directory.realm("acme") is directory.realm("acme")


def test_non_signing_and_symmetric_keys_are_ignored(idp: FakeIdp) -> None:
    idp.realms["acme"] += [
        {"kty": "oct", "kid": "hmac", "k": "c2VjcmV0"},
        {**public_jwk(es256_key(), "enc", "ES256"), "use": "enc"},
    ]
    keys = RealmDirectory(BASE, idp).realm("acme").keys
    assert set(keys) == {"k1"}
