"""The tenant segment is a strict realm name before it is ever put into a URL."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from astca import catalog
from astca.catalog import CaError
from astca.identity.realms import REALM_NAME, checked_tenant, issuer_of


@pytest.mark.parametrize("tenant", ["acme", "a", "tenant-42", "t_1", "0", "a" * 63])
def test_realm_names_pass(tenant: str) -> None:
    assert checked_tenant(tenant) == tenant


@pytest.mark.parametrize(
    "tenant",
    [
        "",
        "..",
        "a/b",
        "a%2Fb",
        "Acme",
        "a.b",
        "-a",
        "a-",
        "a b",
        "a?x=1",
        "a#b",
        "@evil.com",
        "a" * 64,
        "é",
        None,
    ],
)
def test_everything_else_is_malformed_field(tenant: str | None) -> None:
    with pytest.raises(CaError) as raised:
        checked_tenant(tenant)
    assert raised.value.entry is catalog.MALFORMED_FIELD
    assert "tenant" in raised.value.detail


@given(st.text(max_size=80))
def test_an_accepted_tenant_never_changes_the_issuer_host_or_path(tenant: str) -> None:
    try:
        issuer = issuer_of("https://idp.example.test/auth", tenant)
    except CaError as error:
        assert error.entry is catalog.MALFORMED_FIELD
        return
    assert REALM_NAME.fullmatch(tenant)
    assert issuer == f"https://idp.example.test/auth/realms/{tenant}"
    assert "/" not in tenant
    assert "." not in tenant


@given(st.from_regex(REALM_NAME, fullmatch=True), st.sampled_from(["\n", "\r\n", "\r", "%0A", " ", "\x00"]))
def test_a_realm_name_with_anything_after_it_is_refused(tenant: str, tail: str) -> None:
    checked_tenant(tenant)
    with pytest.raises(CaError) as raised:
        checked_tenant(tenant + tail)
    assert raised.value.entry is catalog.MALFORMED_FIELD


def test_a_trailing_newline_is_refused() -> None:
    """Seen: tenant ``a%0A`` (a newline once the path is decoded) passed a ``$``-anchored pattern."""
    with pytest.raises(CaError):
        checked_tenant("a\n")


def test_no_base_url_is_issuer_not_configured() -> None:
    with pytest.raises(CaError) as raised:
        issuer_of(None, "acme")
    assert raised.value.entry is catalog.ISSUER_NOT_CONFIGURED
