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
    return Principal.from_claims("acme", claims, client_id_claim="ast_client_id", role_clients=("astca",))


def refused_claims(**overrides: object) -> CaError:
    with pytest.raises(CaError) as raised:
        principal(**overrides)
    return raised.value


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


def test_roles_come_from_realm_roles_and_the_configured_clients_roles() -> None:
    claims = {
        "realm_access": {"roles": ["a"]},
        "resource_access": {"astca": {"roles": ["astca-admin"]}, "account": {"roles": ["view"]}},
    }
    assert roles_of(claims, ("astca",)) == {"a", "astca-admin"}
    assert roles_of(claims) == {"a"}


def test_another_clients_admin_role_is_not_admin() -> None:
    """Seen: resource_access {"any-client": {"roles": ["astca-admin"]}} was admin."""
    foreign = principal(realm_access=None, resource_access={"any-client": {"roles": ["astca-admin"]}})
    assert refused(foreign, Needs(admin=True)) is catalog.FORBIDDEN
    own = principal(realm_access=None, resource_access={"astca": {"roles": ["astca-admin"]}})
    own.require(Needs(admin=True), admin_role="astca-admin")


@pytest.mark.parametrize(
    ("claim", "value"),
    [
        ("realm_access", "x"),
        ("realm_access", {"roles": "astca-admin"}),  # seen: a string's characters read as roles
        ("realm_access", {"roles": 5}),  # seen: 500
        ("realm_access", {"roles": [1]}),
        ("resource_access", ["astca"]),
        ("resource_access", {"astca": "x"}),
        ("resource_access", {"astca": {"roles": "astca-admin"}}),
        ("amr", 5),  # seen: 500
        ("amr", "pwd"),
        ("amr", ["pwd", 1]),
    ],
)
def test_a_mistyped_role_or_amr_claim_is_unauthorized(claim: str, value: object) -> None:
    error = refused_claims(**{claim: value})
    assert error.entry is catalog.UNAUTHORIZED
    assert claim in error.detail


@pytest.mark.parametrize(
    ("claim", "value", "entry"),
    [
        ("sub", 5, catalog.MISSING_USER_ID),
        ("sub", ["u"], catalog.MISSING_USER_ID),
        ("preferred_username", {"a": 1}, catalog.MISSING_USER_NAME),
        ("ast_client_id", True, catalog.MISSING_CLIENT_ID),
    ],
)
def test_a_mistyped_identity_claim_is_its_forbidden_code(claim: str, value: object, entry: object) -> None:
    error = refused_claims(**{claim: value})
    assert error.entry is entry
    assert "must be a string" in error.detail


@pytest.mark.parametrize(
    "value", ["dev\u202eice", "a\nb", "a\u2028b", "x\u2066y", "nul\x00", "z" * 65, "\u200bzero"]
)
@pytest.mark.parametrize(
    ("claim", "needs", "entry"),
    [
        ("sub", Needs(user_id=True), catalog.MISSING_USER_ID),
        ("ast_client_id", Needs(client_id=True), catalog.MISSING_CLIENT_ID),
        ("preferred_username", Needs(user_name=True), catalog.MISSING_USER_NAME),
    ],
)
def test_a_needed_identity_that_a_certificate_cannot_name_is_refused_when_asked(
    value: str, claim: str, needs: Needs, entry: object
) -> None:
    """Seen: such a client id was accepted (202) and the certificate then failed with SignerError."""
    assert refused(principal(**{claim: value}), needs) is entry


def test_an_unneeded_identity_is_not_judged() -> None:
    principal(preferred_username="bidi\u202e").require(Needs(user_id=True), admin_role="astca-admin")


def test_amr_is_kept_for_password_checks() -> None:
    assert principal().amr == ("pwd", "otp")
