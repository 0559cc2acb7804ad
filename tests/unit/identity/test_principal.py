"""The 403 cases and where roles come from."""

from __future__ import annotations

import pytest

from astca import catalog
from astca.catalog import CaError
from astca.identity.principal import Needs, Principal, roles_of

CLAIMS = {
    "sub": "user-1",
    "preferred_username": "alice",
    "ast_client_id": "client-1",
    "realm_access": {"roles": ["astca-admin"]},
    "amr": ["pwd", "otp"],
}


def principal(**overrides: object) -> Principal:
    claims = {key: value for key, value in {**CLAIMS, **overrides}.items() if value is not None}
    return Principal.from_claims("acme", claims, client_id_claim="ast_client_id")


def refused(principal: Principal, needs: Needs) -> catalog.ErrorEntry:
    with pytest.raises(CaError) as raised:
        principal.require(needs, admin_role="astca-admin")
    return raised.value.entry


def test_a_complete_principal_meets_every_need() -> None:
    principal().require(
        Needs(admin=True, user_id=True, user_name=True, client_id=True), admin_role="astca-admin"
    )


def test_lacking_the_admin_role_is_forbidden() -> None:
    assert refused(principal(realm_access={"roles": ["user"]}), Needs(admin=True)) is catalog.FORBIDDEN


def test_missing_sub_is_missing_user_id() -> None:
    assert refused(principal(sub=None), Needs(user_id=True)) is catalog.MISSING_USER_ID


def test_missing_preferred_username_is_missing_user_name() -> None:
    assert refused(principal(preferred_username=None), Needs(user_name=True)) is catalog.MISSING_USER_NAME


def test_missing_client_id_is_missing_client_id() -> None:
    assert refused(principal(ast_client_id=None), Needs(client_id=True)) is catalog.MISSING_CLIENT_ID


def test_empty_strings_count_as_missing() -> None:
    assert refused(principal(sub=""), Needs(user_id=True)) is catalog.MISSING_USER_ID


def test_client_id_claim_name_is_configurable() -> None:
    found = Principal.from_claims("acme", {"device_client": "d-1"}, client_id_claim="device_client")
    assert found.client_id == "d-1"


def test_needs_not_declared_are_not_checked() -> None:
    principal(sub=None, preferred_username=None, ast_client_id=None, realm_access=None).require(
        Needs(), admin_role="astca-admin"
    )


def test_roles_come_from_realm_and_client_roles() -> None:
    claims = {
        "realm_access": {"roles": ["a"]},
        "resource_access": {"astca": {"roles": ["astca-admin"]}, "account": {"roles": ["view"]}},
    }
    assert roles_of(claims) == {"a", "astca-admin", "view"}


@pytest.mark.parametrize(
    "claims", [{"realm_access": "x"}, {"resource_access": {"c": "x"}}, {"realm_access": {"roles": [1]}}]
)
def test_malformed_role_claims_give_no_roles(claims: dict[str, object]) -> None:
    assert roles_of(claims) == set()


def test_amr_is_kept_for_password_checks() -> None:
    assert principal().amr == ("pwd", "otp")
