"""SDK configs through the function: admin tokens, the tenant's signer in KMS, and an independent verifier.

Every config that comes back is checked as an SDK would (tests/functions/sdk_configs.py): joserfc
verifies the JWS against the key of x5c[0], openssl and cryptography chain x5c to the root of
GET /ca. Signer keys follow ASTCA_SIGNER_KEY_SPEC as deployed: the issue_signer worker creates them.
"""

from __future__ import annotations

import base64
import string
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from joserfc import jws
from joserfc.errors import JoseError

from astca import catalog, ids
from astca.catalog import CaError
from astca.issuance.hierarchy import load_hierarchy
from astca.services.sdk_configs import sdk_config_service
from astca.services.signer_issuance import signer_issuance
from astca.settings import ConfigurationError, get_settings, load_settings
from astca.storage.ca import CaRepository
from astca.storage.dynamo import Table
from local.resources import LocalResources
from tests.functions.flows import deliver, issued_signer, outbox_events
from tests.functions.http import Answer, call
from tests.functions.sdk_configs import (
    SdkConfigRegistry,
    VerifiedConfig,
    certificate_b64,
    joserfc_key,
    verify_sdk_config,
)
from tests.unit.test_settings import VALID

SDKCONFIG = "/v1/tenants/{tenant}/sdkconfig"
LOCAL_ISSUER = "https://127.0.0.1"
KEY_SPECS = {"RSA_2048": "RS256", "ECC_NIST_P256": "ES256", "ECC_NIST_P384": "ES384"}
FAST = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

Load = Callable[[str], ModuleType]
Token = Callable[..., str]


def a_config(**changes: Any) -> dict[str, Any]:
    """A valid config: two TLS roots, the AST URL, two services."""
    config: dict[str, Any] = {
        "tlsBundle": [certificate_b64("TLS root 1"), certificate_b64("TLS root 2")],
        "astUrl": "https://ast.example.com/v2",
        "services": [
            {"name": "auth", "url": "https://auth.example.com"},
            {"name": "telemetry", "url": "https://203.0.113.7:8443/ingest?v=1"},
        ],
    }
    config.update(changes)
    return config


class Api:
    """The functions of one test, called with tokens of the development IdP."""

    def __init__(self, load: Load, token: Token, resources: LocalResources, folder: Path) -> None:
        self.load, self.token, self.resources, self.folder = load, token, resources, folder

    def create(
        self,
        body: Any,
        *,
        tenant: str = "acme",
        user: str = "admin",
        realm: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        return call(
            self.load("create_sdk_config"),
            "POST",
            SDKCONFIG,
            params={"tenant": tenant},
            token=self.token(realm or tenant, user),
            body=body,
            headers=headers,
        )

    def signer(self, tenant: str = "acme") -> dict[str, Any]:
        """Create the tenant's signer and let the worker issue it."""
        return issued_signer(self.load, self.token, self.resources, tenant)

    def root(self, tenant: str = "acme") -> str:
        """The tenant's own anchor: what its SDK pins."""
        chain = call(self.load("get_ca_chain"), "GET", "/v1/tenants/{tenant}/ca", params={"tenant": tenant})
        return str(chain.body["anchor"])

    def revoke(self, signer_id: str, tenant: str = "acme") -> Answer:
        return call(
            self.load("revoke_signer"),
            "POST",
            "/v1/tenants/{tenant}/signers/{signerId}/revoke",
            params={"tenant": tenant, "signerId": signer_id},
            token=self.token(tenant),
            body={"reason": "keyCompromise"},
        )

    def verify(
        self, token: str, algorithm: str = "ES256", *, tenant: str = "acme", issuer: str = LOCAL_ISSUER
    ) -> VerifiedConfig:
        return verify_sdk_config(
            token,
            root_pem=self.root(tenant),
            algorithm=algorithm,
            tenant=tenant,
            issuer=issuer,
            folder=self.folder,
        )


@pytest.fixture(autouse=True)
def _fresh_sdk_config_service() -> Iterator[None]:
    """A fresh container for every test: the service caches signers per container."""
    sdk_config_service.cache_clear()
    yield
    sdk_config_service.cache_clear()


@pytest.fixture
def api(ca: LocalResources, load_function: Load, token: Token, tmp_path: Path) -> Api:
    return Api(load_function, token, ca, tmp_path)


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    """``environment(NAME=value)``: deploy the functions with these ASTCA_ variables for this test."""

    def apply(**variables: str) -> None:
        for name, value in variables.items():
            monkeypatch.setenv(name, value)
        for factory in (get_settings, signer_issuance, sdk_config_service):
            factory.cache_clear()

    yield apply
    monkeypatch.undo()
    for factory in (get_settings, signer_issuance, sdk_config_service):
        factory.cache_clear()


def kms_key_spec(resources: LocalResources, signer_id: str) -> str:
    item = boto3.client("dynamodb").get_item(
        TableName=resources.tables["Table"],
        Key={"PK": {"S": "TENANT#acme"}, "SK": {"S": f"SIGNER#{signer_id}"}},
    )
    key_id = item["Item"]["kmsKeyId"]["S"]
    return str(boto3.client("kms").describe_key(KeyId=key_id)["KeyMetadata"]["KeySpec"])


def der_b64(pem: str) -> str:
    from cryptography.hazmat.primitives.serialization import Encoding

    der = x509.load_pem_x509_certificate(pem.encode()).public_bytes(Encoding.DER)
    return base64.b64encode(der).decode()


# ---------------------------------------------------------------------------------------- signed configs


@pytest.mark.parametrize(("key_spec", "algorithm"), KEY_SPECS.items())
def test_an_admin_gets_the_config_signed_by_the_current_signer(
    api: Api, environment: Callable[..., None], key_spec: str, algorithm: str
) -> None:
    # Given a tenant whose signer key is of this spec, as the issue_signer worker creates it
    environment(ASTCA_SIGNER_KEY_SPEC=key_spec)
    signer = api.signer()
    assert kms_key_spec(api.resources, signer["id"]) == key_spec
    config = a_config()
    before = int(datetime.now(UTC).timestamp())

    # When an admin asks for the config
    answer = api.create(config)

    # Then it is a JWS of the signer's algorithm, chained to the tenant's anchor, with exactly these fields
    after = int(datetime.now(UTC).timestamp())
    assert answer.status == 201, answer.body
    assert answer.headers["Content-Type"] == "application/json"
    assert set(answer.body) == {"sdkConfig"}
    verified = api.verify(answer.body["sdkConfig"], algorithm)
    assert verified.header == {
        "alg": algorithm,
        "typ": "JWT",
        "kid": signer["id"],
        "x5c": [der_b64(signer["certificate"])],  # the tenant's anchor issued it; the SDK pins the anchor
    }
    claims = dict(verified.claims)
    assert before <= claims.pop("iat") <= after
    assert ids.is_ulid(claims.pop("jti"))
    assert claims == {**config, "iss": LOCAL_ISSUER, "sub": "acme"}
    public_key = verified.chain[0].public_key()
    expected_type = rsa.RSAPublicKey if key_spec.startswith("RSA") else ec.EllipticCurvePublicKey
    assert isinstance(public_key, expected_type)


def test_each_config_has_its_own_jti(api: Api) -> None:
    api.signer()

    first, second = (api.verify(api.create(a_config()).body["sdkConfig"]) for _ in range(2))

    assert first.claims["jti"] != second.claims["jti"]
    assert first.header == second.header


def test_services_are_optional_and_signed_as_an_empty_list(api: Api) -> None:
    api.signer()
    config = a_config()
    del config["services"]

    verified = api.verify(api.create(config).body["sdkConfig"])

    assert verified.claims["services"] == []
    assert verified.claims["tlsBundle"] == config["tlsBundle"]


def test_a_full_bundle_of_the_largest_certificates_is_signed(api: Api) -> None:
    # Given 50 certificates of 8 KiB each: the signing input is far beyond KMS's 4096 bytes (DIGEST)
    api.signer()
    bundle = [certificate_b64(f"root {index}", der_size=8192) for index in range(50)]

    answer = api.create(a_config(tlsBundle=bundle))

    assert answer.status == 201, answer.body
    assert api.verify(answer.body["sdkConfig"]).claims["tlsBundle"] == bundle


def test_iss_is_never_the_host_header(api: Api) -> None:
    """Seen: with ASTCA_SERVICE_URL unset, iss was taken from the request's Host header."""
    api.signer()

    answer = api.create(a_config(), headers={"host": "evil.example.com"})

    api.verify(answer.body["sdkConfig"], issuer=LOCAL_ISSUER)


def test_without_a_service_url_iss_is_only_the_apis_own_execute_api_host(
    api: Api, environment: Callable[..., None]
) -> None:
    environment(ASTCA_SERVICE_URL="")
    api.signer()

    forged = api.create(a_config(), headers={"host": "evil.example.com"})
    assert (forged.status, forged.body["code"]) == (500, catalog.INTERNAL_ERROR.code)
    assert sdk_config_service().issuer("abcdefghij.execute-api.eu-central-1.amazonaws.com", "abcdefghij") == (
        "https://abcdefghij.execute-api.eu-central-1.amazonaws.com"
    )
    with pytest.raises(CaError):
        sdk_config_service().issuer("abcdefghij.execute-api.eu-central-1.amazonaws.com", "otherapiid")


def test_iss_is_the_configured_service_url(api: Api, environment: Callable[..., None]) -> None:
    environment(ASTCA_SERVICE_URL="https://ca.example.com/astca")
    api.signer()

    answer = api.create(a_config(), headers={"host": "elsewhere.example.com"})

    api.verify(answer.body["sdkConfig"], issuer="https://ca.example.com/astca")


@pytest.mark.parametrize(
    "url", ["http://ca.example.com", "https://ca.example.com/", "https://ca.example.com/a/", "https://"]
)
def test_a_service_url_that_is_not_https_without_trailing_slash_stops_the_function(url: str) -> None:
    with pytest.raises(ConfigurationError, match="ASTCA_SERVICE_URL"):
        load_settings({**VALID, "ASTCA_SERVICE_URL": url})


# ---------------------------------------------------------------------------------------- tampering


@pytest.fixture(params=["RSA_2048", "ECC_NIST_P256"])
def signed(
    request: pytest.FixtureRequest, api: Api, environment: Callable[..., None]
) -> tuple[str, Any, str]:
    """A config token, the joserfc key of its signer (chain verified) and its algorithm."""
    environment(ASTCA_SIGNER_KEY_SPEC=request.param)
    api.signer()
    algorithm = KEY_SPECS[request.param]
    token = str(api.create(a_config()).body["sdkConfig"])
    return token, joserfc_key(api.verify(token, algorithm).chain[0]), algorithm


def refused(token: str, key: Any, algorithm: str) -> bool:
    try:
        jws.deserialize_compact(token, key, registry=SdkConfigRegistry(algorithms=[algorithm]))
    except JoseError:
        return True
    return False


def test_any_changed_character_fails_verification(signed: tuple[str, Any, str]) -> None:
    token, key, algorithm = signed
    assert not refused(token, key, algorithm)

    @given(st.integers(0, len(token) - 1), st.sampled_from(string.ascii_letters + string.digits + "-_.=+/ "))
    @FAST
    def check(position: int, replacement: str) -> None:
        if token[position] != replacement:
            assert refused(token[:position] + replacement + token[position + 1 :], key, algorithm)

    check()


def test_any_changed_byte_of_header_payload_or_signature_fails_verification(
    signed: tuple[str, Any, str],
) -> None:
    token, key, algorithm = signed
    segments = [base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)) for part in token.split(".")]

    @given(
        st.integers(0, 2).flatmap(
            lambda index: st.tuples(st.just(index), st.integers(0, len(segments[index]) - 1))
        ),
        st.integers(1, 255),
    )
    @FAST
    def check(where: tuple[int, int], mask: int) -> None:
        index, position = where
        changed = list(segments)
        altered = bytearray(changed[index])
        altered[position] ^= mask
        changed[index] = bytes(altered)
        forged = ".".join(base64.urlsafe_b64encode(part).rstrip(b"=").decode() for part in changed)
        assert refused(forged, key, algorithm)

    check()


# ---------------------------------------------------------------------------------------- the signer's state


def test_a_tenant_without_a_signer_is_404(api: Api) -> None:
    answer = api.create(a_config())

    assert (answer.status, answer.body["code"]) == (404, catalog.SIGNER_NOT_FOUND_FOR_TENANT.code)


def test_a_pending_signer_is_412(api: Api) -> None:
    created = call(
        api.load("create_signer"),
        "POST",
        "/v1/tenants/{tenant}/signers",
        params={"tenant": "acme"},
        token=api.token("acme"),
        body={"name": "Acme devices"},
    )
    assert created.status == 202

    answer = api.create(a_config())

    assert (answer.status, answer.body["code"]) == (412, catalog.SIGNER_NOT_YET_ISSUED.code)


def test_a_revoked_signer_is_409(api: Api) -> None:
    signer = api.signer()
    assert api.revoke(signer["id"]).status == 200

    answer = api.create(a_config())

    assert (answer.status, answer.body["code"]) == (409, catalog.SIGNER_REVOKED.code)


def test_a_signer_revoked_after_it_was_cached_is_409_not_an_error(api: Api) -> None:
    # Given a container that signed a config and so caches the signer
    signer = api.signer()
    assert api.create(a_config()).status == 201

    # When the signer is revoked (its KMS key disabled) and the same container is asked again
    assert api.revoke(signer["id"]).status == 200
    answer = api.create(a_config())

    # Then KMS's refusal makes it look again, and it finds the revocation
    assert (answer.status, answer.body["code"]) == (409, catalog.SIGNER_REVOKED.code)


def test_a_failed_signer_is_404(api: Api) -> None:
    # Given a signer that the worker failed to issue (the issuer CA's key is disabled)
    issuer_key = load_hierarchy(CaRepository(Table(api.resources.tables["Table"]))).issuer_key_id
    boto3.client("kms").disable_key(KeyId=issuer_key)
    call(
        api.load("create_signer"),
        "POST",
        "/v1/tenants/{tenant}/signers",
        params={"tenant": "acme"},
        token=api.token("acme"),
        body={"name": "Acme devices"},
    )
    deliver(
        api.load,
        api.resources,
        "issue_signer",
        "SignerRequestsQueue",
        outbox_events(api.resources, "signer.requested"),
    )
    assert outbox_events(api.resources, "signer.failed")

    answer = api.create(a_config())

    assert (answer.status, answer.body["code"]) == (404, catalog.SIGNER_NOT_FOUND_FOR_TENANT.code)


def test_a_signer_key_disabled_behind_the_services_back_is_51031(api: Api) -> None:
    # Given an ISSUED signer whose KMS key someone disabled outside the service
    signer = api.signer()
    item = boto3.client("dynamodb").get_item(
        TableName=api.resources.tables["Table"],
        Key={"PK": {"S": "TENANT#acme"}, "SK": {"S": f"SIGNER#{signer['id']}"}},
    )
    boto3.client("kms").disable_key(KeyId=item["Item"]["kmsKeyId"]["S"])

    answer = api.create(a_config())

    assert (answer.status, answer.body["code"]) == (500, catalog.SDK_CONFIG_SIGN_ERROR.code)
    assert answer.body["name"] == "SdkConfigSignError"
    assert "DisabledException" in answer.body["detail"]


# ---------------------------------------------------------------------------------------- callers and input


def test_a_device_user_may_not_create_configs(api: Api) -> None:
    api.signer()

    answer = api.create(a_config(), user="device")

    assert (answer.status, answer.body["code"]) == (403, catalog.FORBIDDEN.code)


def test_an_anonymous_caller_or_another_realms_token_is_401(api: Api) -> None:
    anonymous = call(api.load("create_sdk_config"), "POST", SDKCONFIG, params={"tenant": "acme"}, body={})
    foreign = api.create(a_config(), realm="globex")

    assert (anonymous.status, anonymous.body["code"]) == (401, catalog.UNAUTHORIZED.code)
    assert (foreign.status, foreign.body["code"]) == (401, catalog.UNAUTHORIZED.code)


def without(field: str) -> dict[str, Any]:
    config = a_config()
    del config[field]
    return config


BAD_INPUTS = [
    ("no-bundle", without("tlsBundle"), catalog.MISSING_FIELD, "tlsBundle"),
    ("no-ast-url", without("astUrl"), catalog.MISSING_FIELD, "astUrl"),
    ("service-without-url", a_config(services=[{"name": "auth"}]), catalog.MISSING_FIELD, "services.0.url"),
    ("empty-bundle", a_config(tlsBundle=[]), catalog.MALFORMED_FIELD, "tlsBundle"),
    ("51-certificates", a_config(tlsBundle=[certificate_b64()] * 51), catalog.MALFORMED_FIELD, "tlsBundle"),
    (
        "not-base64",
        a_config(tlsBundle=[certificate_b64(), "not base64!"]),
        catalog.MALFORMED_FIELD,
        "tlsBundle.1",
    ),
    (
        "base64url",
        a_config(tlsBundle=[certificate_b64().replace("+", "-").replace("/", "_") + "-_"]),
        catalog.MALFORMED_FIELD,
        "tlsBundle.0",
    ),
    (
        "pem",
        a_config(
            tlsBundle=["-----BEGIN CERTIFICATE-----\n" + certificate_b64() + "\n-----END CERTIFICATE-----"]
        ),
        catalog.MALFORMED_FIELD,
        "tlsBundle.0",
    ),
    (
        "not-a-certificate",
        a_config(tlsBundle=[base64.b64encode(b"0" * 600).decode()]),
        catalog.MALFORMED_FIELD,
        "tlsBundle.0",
    ),
    (
        "certificate-over-8-KiB",
        a_config(tlsBundle=[certificate_b64(der_size=8193)]),
        catalog.MALFORMED_FIELD,
        "tlsBundle.0",
    ),
    ("not-a-list", a_config(tlsBundle=certificate_b64()), catalog.MALFORMED_FIELD, "tlsBundle"),
    ("http-ast-url", a_config(astUrl="http://ast.example.com"), catalog.MALFORMED_FIELD, "astUrl"),
    ("relative-ast-url", a_config(astUrl="//ast.example.com/x"), catalog.MALFORMED_FIELD, "astUrl"),
    ("user-info", a_config(astUrl="https://user:pw@ast.example.com"), catalog.MALFORMED_FIELD, "astUrl"),
    ("fragment", a_config(astUrl="https://ast.example.com/#x"), catalog.MALFORMED_FIELD, "astUrl"),
    ("space", a_config(astUrl="https://ast example.com"), catalog.MALFORMED_FIELD, "astUrl"),
    ("bad-port", a_config(astUrl="https://ast.example.com:99999"), catalog.MALFORMED_FIELD, "astUrl"),
    ("too-long", a_config(astUrl="https://ast.example.com/" + "a" * 2048), catalog.MALFORMED_FIELD, "astUrl"),
    (
        "http-service",
        a_config(services=[{"name": "auth", "url": "http://auth.example.com"}]),
        catalog.MALFORMED_FIELD,
        "services.0.url",
    ),
    (
        "empty-name",
        a_config(services=[{"name": "", "url": "https://a.example.com"}]),
        catalog.MALFORMED_FIELD,
        "services.0.name",
    ),
    (
        "long-name",
        a_config(services=[{"name": "n" * 65, "url": "https://a.example.com"}]),
        catalog.MALFORMED_FIELD,
        "services.0.name",
    ),
    (
        "twice",
        a_config(services=[{"name": "auth", "url": "https://a.example.com"}] * 2),
        catalog.MALFORMED_FIELD,
        "services",
    ),
    (
        "51-services",
        a_config(services=[{"name": f"s{i}", "url": "https://a.example.com"} for i in range(51)]),
        catalog.MALFORMED_FIELD,
        "services",
    ),
    ("unknown-field", a_config(iss="https://forged.example.com"), catalog.MALFORMED_FIELD, "iss"),
    (
        "python-name",
        {**without("tlsBundle"), "tls_bundle": [certificate_b64()]},
        catalog.MISSING_FIELD,
        "tlsBundle",
    ),
]


@pytest.mark.parametrize(
    ("body", "entry", "field"),
    [case[1:] for case in BAD_INPUTS],
    ids=[case[0] for case in BAD_INPUTS],
)
def test_bad_input_is_4001_or_4002_naming_the_field(
    api: Api, body: dict[str, Any], entry: catalog.ErrorEntry, field: str
) -> None:
    api.signer()

    answer = api.create(body)

    assert (answer.status, answer.body["code"]) == (400, entry.code), answer.body
    assert f"'{field}'" in answer.body["detail"]
