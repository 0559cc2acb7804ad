"""pkilint_lint: RFC 5280 lint of drafts; errors stop issuance, warnings are logged, pkilint loads on first use.

The drafts are built here by hand, in the shape of a device certificate, and signed by a local key
as ``sign_certificate``'s drafts are; ``test_device`` lints what ``device_certificate`` builds.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from astca import clock
from astca.domain.errors import Invalid
from astca.issuance import lint
from astca.issuance.certificates import key_usage
from astca.issuance.lint import pkilint_lint

ROOT = Path(__file__).resolve().parents[3]
CA_KEY = ec.generate_private_key(ec.SECP256R1())
CA_NAME = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "local signer")])
SUBJECT = x509.Name(
    [
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "acme"),
        x509.NameAttribute(NameOID.USER_ID, "user-1"),
        x509.NameAttribute(NameOID.COMMON_NAME, "device-client"),
    ]
)
NOW = clock.utcnow().replace(microsecond=0)
DevicePublicKey = ec.EllipticCurvePublicKey | rsa.RSAPublicKey | ed25519.Ed25519PublicKey


def usage(*bits: str) -> x509.KeyUsage:
    return key_usage(bits)


def draft(
    public_key: DevicePublicKey | None = None,
    *,
    key_usage: x509.KeyUsage | None = None,
    usage_critical: bool = True,
    authority_key_identifier: bool = True,
    extra: tuple[x509.ExtensionType, ...] = (),
) -> x509.Certificate:
    """A device certificate's draft (as the lint hook sees it), with the changes asked for."""
    public_key = public_key or ec.generate_private_key(ec.SECP256R1()).public_key()
    builder = (
        x509.CertificateBuilder()
        .subject_name(SUBJECT)
        .issuer_name(CA_NAME)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW)
        .not_valid_after(NOW + timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(key_usage or usage("digital_signature"), critical=usage_critical)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )
    if authority_key_identifier:
        aki = x509.AuthorityKeyIdentifier.from_issuer_public_key(CA_KEY.public_key())
        builder = builder.add_extension(aki, critical=False)
    for extension in extra:
        builder = builder.add_extension(extension, critical=False)
    return builder.sign(CA_KEY, hashes.SHA256())


def lint_codes(certificate: x509.Certificate) -> set[str]:
    with pytest.raises(Invalid) as error:
        pkilint_lint(certificate)
    assert error.value.subject == "certificate"
    assert error.value.detail.startswith("lint: the certificate fails ")
    codes = error.value.detail.removeprefix("lint: the certificate fails ").split(", ")
    assert codes == sorted(set(codes))
    return set(codes)


@pytest.fixture
def warnings(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, Any]]]:
    """What pkilint_lint logs as warnings."""
    logged: list[tuple[str, dict[str, Any]]] = []
    monkeypatch.setattr(lint.logger, "warning", lambda message, extra: logged.append((message, extra)))
    return logged


# ---------------------------------------------------------------------------------------- clean drafts


@pytest.mark.parametrize(
    "public_key",
    [
        ec.generate_private_key(ec.SECP256R1()).public_key(),
        ec.generate_private_key(ec.SECP384R1()).public_key(),
        rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key(),
        ed25519.Ed25519PrivateKey.generate().public_key(),
    ],
    ids=["p256", "p384", "rsa2048", "ed25519"],
)
def test_a_device_draft_has_no_finding_worth_a_log_line(
    public_key: DevicePublicKey, warnings: list[tuple[str, dict[str, Any]]]
) -> None:
    pkilint_lint(draft(public_key))

    assert warnings == []


# ---------------------------------------------------------------------------------------- errors stop


@pytest.mark.parametrize(
    ("bit", "public_key", "code"),
    [
        (
            "key_cert_sign",
            ec.generate_private_key(ec.SECP256R1()).public_key(),
            "pkix.ee_certificate_keycertsign_keyusage_set",
        ),
        (
            "key_encipherment",
            ec.generate_private_key(ec.SECP256R1()).public_key(),
            "pkix.key_usage_value_prohibited_for_ec",
        ),
        (
            "key_agreement",
            ed25519.Ed25519PrivateKey.generate().public_key(),
            "pkix.key_usage_value_prohibited_for_edwards_curve",
        ),
        (
            "key_agreement",
            rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key(),
            "pkix.key_usage_value_prohibited_for_rsa",
        ),
    ],
    ids=["keycertsign-ee", "keyencipherment-ec", "keyagreement-ed25519", "keyagreement-rsa"],
)
def test_a_key_usage_rfc5280_forbids_for_the_key_or_an_end_entity_is_refused(
    bit: str, public_key: DevicePublicKey, code: str
) -> None:
    certificate = draft(public_key, key_usage=usage("digital_signature", bit))

    assert lint_codes(certificate) == {code}


def test_every_error_is_named_once_and_in_order() -> None:
    # Given a draft without authority key identifier whose keyUsage has no bit set
    certificate = draft(key_usage=usage(), authority_key_identifier=False)

    codes = lint_codes(certificate)

    assert codes == {"pkix.no_ku_bits_set", "pkix.authority_key_identifier_extension_absent"}


@pytest.mark.parametrize(
    "uri", ["urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6", "spiffe://acme.example/device/42"]
)
def test_pkilint_refuses_uri_sans_devices_would_carry_so_device_certificates_have_none(uri: str) -> None:
    # pkilint 0.13.3 reads these valid URIs (RFC 4122, SPIFFE) as invalid: a SAN of either stops issuance.
    san = x509.SubjectAlternativeName([x509.UniformResourceIdentifier(uri)])

    assert lint_codes(draft(extra=(san,))) == {"pkix.invalid_uri_syntax"}


# ---------------------------------------------------------------------------------------- warnings log


def test_warnings_are_logged_and_do_not_stop_issuance(warnings: list[tuple[str, dict[str, Any]]]) -> None:
    # Given a keyUsage that is not critical (RFC 5280: SHOULD be critical)
    certificate = draft(usage_critical=False)

    pkilint_lint(certificate)

    assert warnings == [
        ("certificate lint warnings", {"lintWarnings": ["pkix.key_usage_extension_not_critical"]})
    ]


# ---------------------------------------------------------------------------------------- loading


def test_pkilint_is_loaded_on_first_use_only() -> None:
    # Importing the issuance modules (as the API functions may) must not import pkilint (100+ ms)
    code = (
        "import sys, astca.issuance.lint, astca.issuance.certificates, astca.issuance.kms\n"
        "assert not [m for m in sys.modules if m.split('.')[0] == 'pkilint'], 'pkilint was imported'\n"
    )
    environment = {**os.environ, "PYTHONPATH": str(ROOT / "layers" / "common")}

    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=environment, check=False
    )

    assert result.returncode == 0, result.stderr


def test_the_validator_is_built_once_per_container() -> None:
    pkilint_lint(draft())

    assert lint._pkix_linter() is lint._pkix_linter()
