"""The profiles as data: one per kind of certificate, read by the CSR checks and the builder alike.

The CA profiles (root, issuer, signer CA) can be requested on no endpoint; the device profiles are
end-entity certificates; the key policy of every profile is the profile's own key data.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from astca import catalog
from astca.catalog import CaError
from astca.domain.profiles import (
    AST_DEVICE,
    BACKDATE,
    ISSUER_CA,
    PROFILES,
    ROOT_CA,
    SIGNER_CA,
    TENANT_ROOT_CA,
    TLS_CLIENT_WITH_KEY,
    KeyKind,
    KeyUsageName,
    Profile,
)
from astca.policy.goodkey import KeyPolicy
from astca.policy.weakkeys import WeakKeys

CA_PROFILES = (ROOT_CA, ISSUER_CA, TENANT_ROOT_CA, SIGNER_CA)
DEVICE_PROFILES = (AST_DEVICE, TLS_CLIENT_WITH_KEY)


def test_every_kind_of_certificate_is_one_profile_by_its_name() -> None:
    assert set(PROFILES) == {
        "AST_DEVICE",
        "TLS_CLIENT_WITH_KEY",
        "ROOT_CA",
        "ISSUER_CA",
        "TENANT_ROOT_CA",
        "SIGNER_CA",
    }
    for name, profile in PROFILES.items():
        assert profile.name == name


@pytest.mark.parametrize("profile", CA_PROFILES, ids=lambda profile: profile.name)
def test_a_ca_profile_is_requested_nowhere_and_signs_certificates(profile: Profile) -> None:
    assert profile.is_ca
    assert not profile.endpoints
    assert not profile.extended_key_usage
    assert {KeyUsageName.KEY_CERT_SIGN, KeyUsageName.CRL_SIGN} <= profile.key_usage


def test_the_ca_path_lengths_and_lifetimes_nest() -> None:
    # root -> issuer -> (cross-certified) tenant root -> signer -> device
    assert [profile.path_length for profile in CA_PROFILES] == [None, 2, 1, 0]
    assert ROOT_CA.validity > ISSUER_CA.validity > SIGNER_CA.validity > AST_DEVICE.validity
    assert TENANT_ROOT_CA.validity > SIGNER_CA.validity
    assert SIGNER_CA.validity == timedelta(days=1826)  # 5 years, as the signer worker issued them
    assert {profile.backdate for profile in PROFILES.values()} == {BACKDATE}


@pytest.mark.parametrize("profile", DEVICE_PROFILES, ids=lambda profile: profile.name)
def test_a_device_profile_is_an_end_entity_requested_somewhere(profile: Profile) -> None:
    assert not profile.is_ca
    assert profile.path_length is None
    assert profile.endpoints
    assert KeyUsageName.KEY_CERT_SIGN not in profile.key_usage


def test_a_path_length_needs_a_ca_and_a_validity_must_be_positive() -> None:
    with pytest.raises(ValueError, match="pathLenConstraint"):
        replace(AST_DEVICE, path_length=0)
    with pytest.raises(ValueError, match="pathLenConstraint"):
        replace(SIGNER_CA, path_length=-1)
    with pytest.raises(ValueError, match="validity must be positive"):
        replace(SIGNER_CA, validity=timedelta(0))


@pytest.mark.parametrize("profile", list(PROFILES.values()), ids=lambda profile: profile.name)
def test_the_key_policy_of_a_profile_is_its_key_data(profile: Profile) -> None:
    policy = KeyPolicy.for_profile(profile, weak_keys=WeakKeys.disabled())

    assert (policy.key_kinds, policy.rsa_min_bits, policy.rsa_max_bits, policy.profile_name) == (
        profile.key_kinds,
        profile.rsa_min_bits,
        profile.rsa_max_bits,
        profile.name,
    )


def test_a_profile_that_drops_a_key_kind_refuses_it() -> None:
    key = ed25519.Ed25519PrivateKey.generate().public_key()
    assert KeyPolicy.for_profile(AST_DEVICE, weak_keys=WeakKeys.disabled()).check(key) is KeyKind.ED25519

    with pytest.raises(CaError) as error:
        KeyPolicy.for_profile(TLS_CLIENT_WITH_KEY, weak_keys=WeakKeys.disabled()).check(key)

    assert error.value.entry is catalog.UNSUPPORTED_KEY_TYPE
    assert "not accepted by TLS_CLIENT_WITH_KEY" in error.value.detail
