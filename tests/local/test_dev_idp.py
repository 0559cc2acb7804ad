"""The development IdP speaks Keycloak's paths and its tokens pass the service's own validation."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request

import pytest

from astca import catalog
from astca.catalog import CaError
from astca.identity.idp_http import IdpHttp
from astca.identity.oidc import RealmDirectory
from astca.identity.principal import Needs, Principal
from astca.identity.tokens import TokenVerifier


@pytest.fixture(scope="module")
def base_url(idp_url: str) -> str:
    """The session's development IdP (tests/conftest.py)."""
    return idp_url


def token_response(base_url: str, realm: str, **form: str) -> tuple[int, dict[str, object]]:
    data = urllib.parse.urlencode({"grant_type": "password", "client_id": "astca-dev", **form}).encode()
    url = f"{base_url}/realms/{realm}/protocol/openid-connect/token"
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data), timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def verifier(base_url: str) -> TokenVerifier:
    return TokenVerifier(RealmDirectory(base_url, IdpHttp(tls_mode="system", trust_store=None, timeout=5)))


def test_admin_token_is_valid_for_its_realm_and_has_the_admin_role(base_url: str) -> None:
    status, body = token_response(base_url, "acme", username="admin", password="admin")
    assert status == 200
    claims = verifier(base_url).verify(str(body["access_token"]), "acme")
    principal = Principal.from_claims("acme", claims, client_id_claim="ast_client_id")
    principal.require(Needs(admin=True, user_id=True, user_name=True), admin_role="astca-admin")


def test_device_token_has_password_amr_client_id_and_user_name(base_url: str) -> None:
    _, body = token_response(base_url, "acme", username="device", password="device")
    claims = verifier(base_url).verify(str(body["access_token"]), "acme")
    principal = Principal.from_claims("acme", claims, client_id_claim="ast_client_id")
    assert principal.amr == ("pwd",)
    assert principal.client_id
    assert principal.user_name == "device"
    with pytest.raises(CaError) as raised:
        principal.require(Needs(admin=True), admin_role="astca-admin")
    assert raised.value.entry is catalog.FORBIDDEN


def test_service_token_is_a_key_reader_without_a_password(base_url: str) -> None:
    _, body = token_response(base_url, "acme", username="service", password="service")
    claims = verifier(base_url).verify(str(body["access_token"]), "acme")
    principal = Principal.from_claims(
        "acme", claims, client_id_claim="ast_client_id", role_clients=("astca-dev",)
    )
    assert "astca-key-reader" in principal.roles  # a client role, as Keycloak gives a service account
    assert principal.amr == ()
    assert principal.user_id


def test_a_token_of_one_realm_is_refused_by_another(base_url: str) -> None:
    _, body = token_response(base_url, "acme", username="device", password="device")
    with pytest.raises(CaError) as raised:
        verifier(base_url).verify(str(body["access_token"]), "other")
    assert raised.value.entry is catalog.UNAUTHORIZED


@pytest.mark.parametrize(
    ("form", "status", "error"),
    [
        ({"username": "admin", "password": "wrong"}, 401, "invalid_grant"),
        ({"username": "nobody", "password": "x"}, 401, "invalid_grant"),
        ({"username": "admin", "password": "admin", "client_id": "other"}, 401, "invalid_client"),
        ({"grant_type": "client_credentials"}, 400, "unsupported_grant_type"),
    ],
)
def test_token_endpoint_errors_are_keycloaks(
    base_url: str, form: dict[str, str], status: int, error: str
) -> None:
    got_status, body = token_response(base_url, "acme", **form)
    assert (got_status, body["error"]) == (status, error)


def test_invalid_realm_names_do_not_exist(base_url: str) -> None:
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(f"{base_url}/realms/Bad.Realm/.well-known/openid-configuration", timeout=5)
    assert raised.value.code == 404
