"""Device certificates: every endpoint profile and key kind under a KMS signer CA, linted, openssl-verified."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, timezone
from functools import partial
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa, x25519
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes, PublicKeyTypes
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import ExtendedKeyUsageOID, ExtensionOID, NameOID
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from astca import clock
from astca.domain.errors import Invalid, PreconditionFailed
from astca.domain.locations import CaLocations
from astca.domain.names import is_subject_text
from astca.domain.profiles import (
    AST_DEVICE,
    PROFILES,
    SIGNER_CA,
    TLS_CLIENT_WITH_KEY,
    KeyKind,
    KeyUsageName,
    Profile,
)
from astca.domain.serials import SERIAL_LIMIT, SERIAL_MIN, new_serial
from astca.issuance.certificates import signer_ca_certificate
from astca.issuance.device import DeviceIdentity, device_certificate, device_certificate_builder
from astca.issuance.hierarchy import CaHierarchy, load_hierarchy
from astca.issuance.kms import KmsKeys, KmsSigner
from astca.issuance.lint import pkilint_lint
from astca.storage.ca import CaRepository
from astca.storage.dynamo import Table
from local.resources import LocalResources

SIGNER_ID = "01KAX3Z6F8Q9W2M4N7P5R3T1V1"
LOCATIONS = CaLocations("https://ca.example.com")
IDENTITY = DeviceIdentity(tenant="acme", client_id="device-client", user_id="5f0c9a1e-user")
SIGNER_KEY_SPECS = ("RSA_2048", "ECC_NIST_P256")
ENDPOINT_PROFILES = [profile for profile in PROFILES.values() if profile.endpoints]
RSA_TOO_SMALL = 1024  # below every profile's rsa_min_bits


class CountingSigner(KmsSigner):
    """A KmsSigner that counts the signatures it is asked for."""

    def __init__(self, key_id: str) -> None:
        super().__init__(key_id)
        self.calls = 0

    def sign(self, message: bytes) -> bytes:
        self.calls += 1
        return super().sign(message)


@dataclass(frozen=True)
class SignerCa:
    """A tenant's signer CA under the bootstrapped hierarchy, with the KMS signer of its key."""

    hierarchy: CaHierarchy
    certificate: x509.Certificate
    signer: CountingSigner


def make_signer_ca(
    resources: LocalResources, key_spec: str = "RSA_2048", validity: timedelta | None = None
) -> SignerCa:
    hierarchy = load_hierarchy(CaRepository(Table(resources.tables["Table"])))
    key_id = KmsKeys().create_signing_key(key_spec, "test signer", {"astca:role": "signer"})
    signer = CountingSigner(key_id)
    certificate = signer_ca_certificate(
        tenant="acme",
        signer_id=SIGNER_ID,
        name="Acme devices",
        public_key=signer.public_key(),
        issuer_certificate=hierarchy.issuer.certificate,
        issuer_signer=hierarchy.issuer.signer(),
        profile=replace(SIGNER_CA, validity=validity) if validity else SIGNER_CA,
    )
    return SignerCa(hierarchy, certificate, signer)


def device_key(kind: KeyKind) -> PrivateKeyTypes:
    match kind:
        case KeyKind.EC_P256:
            return ec.generate_private_key(ec.SECP256R1())
        case KeyKind.EC_P384:
            return ec.generate_private_key(ec.SECP384R1())
        case KeyKind.RSA:
            return rsa.generate_private_key(public_exponent=65537, key_size=2048)
        case KeyKind.ED25519:
            return ed25519.Ed25519PrivateKey.generate()


def issue(
    signer_ca: SignerCa,
    *,
    profile: Profile = AST_DEVICE,
    identity: DeviceIdentity = IDENTITY,
    public_key: PublicKeyTypes | None = None,
    serial: int | None = None,
    not_before: datetime | None = None,
    lint: Callable[[x509.Certificate], None] | None = pkilint_lint,
) -> x509.Certificate:
    return device_certificate(
        profile=profile,
        identity=identity,
        public_key=public_key or ec.generate_private_key(ec.SECP256R1()).public_key(),
        signer_certificate=signer_ca.certificate,
        signer_id=SIGNER_ID,
        signer=signer_ca.signer,
        serial=serial or new_serial(),
        not_before=not_before or clock.utcnow() - profile.backdate,
        locations=LOCATIONS,
        lint=lint,
    )


def openssl(*args: str) -> subprocess.CompletedProcess[str]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    return subprocess.run(["openssl", *args], capture_output=True, text=True, check=False)


def write(path: Path, *certificates: x509.Certificate) -> str:
    path.write_bytes(b"".join(certificate.public_bytes(Encoding.PEM) for certificate in certificates))
    return str(path)


@pytest.fixture
def signer_ca(ca: LocalResources) -> SignerCa:
    return make_signer_ca(ca)


# ---------------------------------------------------------------------------------------- every profile


@pytest.mark.parametrize("signer_key_spec", SIGNER_KEY_SPECS)
@pytest.mark.parametrize(
    ("profile", "kind"),
    [(profile, kind) for profile in ENDPOINT_PROFILES for kind in sorted(profile.key_kinds)],
    ids=lambda value: getattr(value, "name", str(value)),
)
def test_every_endpoint_profile_and_key_kind_lints_clean_and_verifies_strictly(
    ca: LocalResources, tmp_path: Path, profile: Profile, kind: KeyKind, signer_key_spec: str
) -> None:
    # Given a signer CA with a KMS key of signer_key_spec under the bootstrapped hierarchy
    signer_ca = make_signer_ca(ca, signer_key_spec)
    drafts: list[x509.Certificate] = []

    def lint(draft: x509.Certificate) -> None:
        drafts.append(draft)
        pkilint_lint(draft)

    # When a device key of this kind gets a certificate of this profile
    certificate = issue(signer_ca, profile=profile, public_key=device_key(kind).public_key(), lint=lint)

    # Then pkilint passed the draft and passes the certificate, and openssl verifies it for TLS clients
    assert drafts[0].tbs_certificate_bytes == certificate.tbs_certificate_bytes
    pkilint_lint(certificate)
    root = write(tmp_path / "root.pem", signer_ca.hierarchy.root.certificate)
    untrusted = write(
        tmp_path / "untrusted.pem", signer_ca.hierarchy.issuer.certificate, signer_ca.certificate
    )
    device = write(tmp_path / "device.pem", certificate)
    for purpose in ((), ("-purpose", "sslclient")):
        result = openssl("verify", "-x509_strict", *purpose, "-CAfile", root, "-untrusted", untrusted, device)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == f"{device}: OK"
    server = openssl("verify", "-purpose", "sslserver", "-CAfile", root, "-untrusted", untrusted, device)
    assert server.returncode != 0
    assert signer_ca.signer.calls == 1


def test_the_certificate_says_what_the_profile_and_identity_say(signer_ca: SignerCa) -> None:
    key = ec.generate_private_key(ec.SECP256R1()).public_key()
    not_before = datetime(2026, 5, 1, 12, 0, 0, tzinfo=UTC)
    serial = new_serial()

    certificate = issue(signer_ca, public_key=key, serial=serial, not_before=not_before)

    extensions = certificate.extensions
    assert certificate.version is x509.Version.v3
    assert certificate.subject.rfc4514_string() == "CN=device-client,UID=5f0c9a1e-user,OU=acme"
    assert certificate.issuer == signer_ca.certificate.subject
    assert certificate.serial_number == serial
    assert certificate.public_key() == key
    assert certificate.not_valid_before_utc == not_before
    assert certificate.not_valid_after_utc == not_before + AST_DEVICE.validity
    assert [(extension.oid, extension.critical) for extension in extensions] == [
        (ExtensionOID.BASIC_CONSTRAINTS, True),
        (ExtensionOID.KEY_USAGE, True),
        (ExtensionOID.EXTENDED_KEY_USAGE, False),
        (ExtensionOID.SUBJECT_KEY_IDENTIFIER, False),
        (ExtensionOID.AUTHORITY_KEY_IDENTIFIER, False),
        (ExtensionOID.SUBJECT_ALTERNATIVE_NAME, False),
        (ExtensionOID.AUTHORITY_INFORMATION_ACCESS, False),
    ]
    assert list(extensions.get_extension_for_class(x509.SubjectAlternativeName).value) == [
        x509.UniformResourceIdentifier(
            "https://ca.example.com/v1/tenants/acme/devices/device-client/5f0c9a1e-user"
        )
    ]
    access = list(extensions.get_extension_for_class(x509.AuthorityInformationAccess).value)
    assert [(a.access_method, a.access_location) for a in access] == [
        (
            x509.oid.AuthorityInformationAccessOID.CA_ISSUERS,
            x509.UniformResourceIdentifier(
                f"https://ca.example.com/v1/tenants/acme/ca/certificates/{SIGNER_ID}"
            ),
        )
    ]
    assert extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    usage = extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature
    assert (usage.key_encipherment, usage.key_agreement, usage.key_cert_sign, usage.crl_sign) == (False,) * 4
    assert list(extensions.get_extension_for_class(x509.ExtendedKeyUsage).value) == [
        ExtendedKeyUsageOID.CLIENT_AUTH
    ]
    assert extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest == (
        x509.SubjectKeyIdentifier.from_public_key(key).digest
    )
    signer_ski = signer_ca.certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    aki = extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    assert (aki.key_identifier, aki.authority_cert_issuer) == (signer_ski.value.digest, None)


def test_the_subject_is_utf8_strings_in_the_order_openssl_shows(signer_ca: SignerCa, tmp_path: Path) -> None:
    path = write(tmp_path / "device.pem", issue(signer_ca, identity=replace(IDENTITY, client_id="Gerät 7")))

    text = openssl(
        "x509", "-in", path, "-noout", "-subject", "-nameopt", "show_type,sep_comma_plus_space,utf8"
    )

    assert text.returncode == 0, text.stderr
    assert (
        text.stdout.strip()
        == "subject=OU=UTF8STRING:acme, UID=UTF8STRING:5f0c9a1e-user, CN=UTF8STRING:Gerät 7"
    )


def test_tls_client_with_key_lasts_its_own_validity(signer_ca: SignerCa) -> None:
    certificate = issue(signer_ca, profile=TLS_CLIENT_WITH_KEY)

    validity = certificate.not_valid_after_utc - certificate.not_valid_before_utc
    assert validity == TLS_CLIENT_WITH_KEY.validity


# ---------------------------------------------------------------------------------------- determinism


@pytest.mark.parametrize("signer_key_spec", SIGNER_KEY_SPECS)
def test_the_same_request_signs_the_same_tbs(ca: LocalResources, signer_key_spec: str) -> None:
    # Given the serial and notBefore fixed when the request was accepted
    signer_ca = make_signer_ca(ca, signer_key_spec)
    key = ed25519.Ed25519PrivateKey.generate().public_key()
    serial, not_before = new_serial(), datetime(2026, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)

    # When the request is issued twice (a redelivery, a concurrent worker)
    first, second = (issue(signer_ca, public_key=key, serial=serial, not_before=not_before) for _ in (1, 2))

    # Then both signed the very same TBS; PKCS#1 v1.5 even gives the same certificate, ECDSA does not
    assert first.tbs_certificate_bytes == second.tbs_certificate_bytes
    assert (first == second) is (signer_key_spec == "RSA_2048")
    assert first.not_valid_before_utc == not_before.replace(microsecond=0)


def test_the_builder_is_a_function_of_its_inputs(signer_ca: SignerCa) -> None:
    key = ec.generate_private_key(ec.SECP384R1()).public_key()
    local = ec.generate_private_key(ec.SECP256R1())
    build = partial(
        device_certificate_builder,
        profile=AST_DEVICE,
        identity=IDENTITY,
        public_key=key,
        signer_certificate=signer_ca.certificate,
        signer_id=SIGNER_ID,
        serial=new_serial(),
        not_before=datetime(2026, 5, 1, 14, 0, 0, 999999, tzinfo=timezone(timedelta(hours=2))),
        locations=LOCATIONS,
    )

    drafts = [build().sign(local, hashes.SHA256()) for _ in (1, 2)]

    assert drafts[0].tbs_certificate_bytes == drafts[1].tbs_certificate_bytes
    assert drafts[0].not_valid_before_utc == datetime(2026, 5, 1, 12, 0, 0, tzinfo=UTC)


# ---------------------------------------------------------------------------------------- lint before KMS


def test_a_lint_hook_that_raises_means_kms_signs_nothing(signer_ca: SignerCa) -> None:
    def refuse(draft: x509.Certificate) -> None:
        raise Invalid("certificate", "lint: refused")

    with pytest.raises(Invalid, match="lint: refused"):
        issue(signer_ca, lint=refuse)

    assert signer_ca.signer.calls == 0


def test_pkilint_stops_a_certificate_the_profile_data_got_wrong(signer_ca: SignerCa) -> None:
    # Given a (test-only) profile that gives an end-entity certificate keyCertSign
    bad = replace(
        AST_DEVICE, name="BAD_DEVICE", key_usage=AST_DEVICE.key_usage | {KeyUsageName.KEY_CERT_SIGN}
    )

    with pytest.raises(Invalid) as error:
        issue(signer_ca, profile=bad)

    assert error.value.subject == "certificate"
    assert "pkix.ee_certificate_keycertsign_keyusage_set" in error.value.detail
    assert signer_ca.signer.calls == 0


# ---------------------------------------------------------------------------------------- validity


def test_not_after_never_passes_the_signers(ca: LocalResources) -> None:
    signer_ca = make_signer_ca(ca, validity=timedelta(days=30))
    signer_not_after = signer_ca.certificate.not_valid_after_utc

    clamped = issue(signer_ca)
    short = issue(signer_ca, not_before=signer_not_after - AST_DEVICE.validity - timedelta(days=1))

    assert clamped.not_valid_after_utc == signer_not_after
    assert short.not_valid_after_utc == signer_not_after - timedelta(days=1)


def test_a_signer_that_has_expired_by_not_before_issues_nothing(ca: LocalResources) -> None:
    signer_ca = make_signer_ca(ca, validity=timedelta(days=30))

    with pytest.raises(PreconditionFailed) as error:
        issue(signer_ca, not_before=signer_ca.certificate.not_valid_after_utc)

    assert (error.value.subject, error.value.state) == ("ca hierarchy", "expired")
    assert "no validity left for a AST_DEVICE certificate" in error.value.detail
    assert signer_ca.signer.calls == 0


@settings(max_examples=80, deadline=None)
@given(seconds=st.integers(min_value=1, max_value=4000 * 86400))
def test_a_chosen_validity_is_not_after_less_not_before_up_to_the_signers_end(
    local_signer_ca: tuple[x509.Certificate, ec.EllipticCurvePrivateKey], seconds: int
) -> None:
    certificate, private_key = local_signer_ca
    not_before = certificate.not_valid_before_utc + timedelta(days=1)
    build = partial(
        device_certificate_builder,
        profile=AST_DEVICE,
        identity=IDENTITY,
        public_key=ec.generate_private_key(ec.SECP256R1()).public_key(),
        signer_certificate=certificate,
        signer_id=SIGNER_ID,
        serial=new_serial(),
        not_before=not_before,
        locations=LOCATIONS,
    )

    drafts = [build(validity=timedelta(seconds=seconds)).sign(private_key, hashes.SHA256()) for _ in (1, 2)]

    expected = min(not_before + timedelta(seconds=seconds), certificate.not_valid_after_utc)
    assert drafts[0].not_valid_before_utc == not_before
    assert drafts[0].not_valid_after_utc == expected
    assert drafts[0].tbs_certificate_bytes == drafts[1].tbs_certificate_bytes


def test_a_device_certificate_lasts_the_validity_it_is_given(signer_ca: SignerCa) -> None:
    key = ec.generate_private_key(ec.SECP256R1()).public_key()
    certificate = device_certificate(
        profile=AST_DEVICE,
        identity=IDENTITY,
        public_key=key,
        signer_certificate=signer_ca.certificate,
        signer_id=SIGNER_ID,
        signer=signer_ca.signer,
        serial=new_serial(),
        not_before=clock.utcnow() - AST_DEVICE.backdate,
        locations=LOCATIONS,
        lint=pkilint_lint,
        validity=timedelta(days=7),
    )

    assert certificate.not_valid_after_utc - certificate.not_valid_before_utc == timedelta(days=7)


@pytest.mark.parametrize(
    "lifetime", [timedelta(0), timedelta(days=-1), timedelta(seconds=-1), timedelta(days=1, microseconds=1)]
)
def test_a_validity_that_is_not_positive_whole_seconds_is_refused(
    local_signer_ca: tuple[x509.Certificate, ec.EllipticCurvePrivateKey], lifetime: timedelta
) -> None:
    certificate, _ = local_signer_ca
    with pytest.raises(ValueError, match="positive whole seconds"):
        device_certificate_builder(
            profile=AST_DEVICE,
            identity=IDENTITY,
            public_key=ec.generate_private_key(ec.SECP256R1()).public_key(),
            signer_certificate=certificate,
            signer_id=SIGNER_ID,
            serial=new_serial(),
            not_before=clock.utcnow(),
            locations=LOCATIONS,
            validity=lifetime,
        )


def test_not_before_must_be_aware(signer_ca: SignerCa) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        issue(signer_ca, not_before=datetime(2026, 5, 1, 12, 0, 0))


# ---------------------------------------------------------------------------------------- serials


@pytest.mark.parametrize("serial", [-(2**64), -1, 1, 2**32, SERIAL_MIN - 1, SERIAL_LIMIT, 2**160])
def test_serials_outside_64_to_159_bits_are_refused(signer_ca: SignerCa, serial: int) -> None:
    with pytest.raises(ValueError, match="serial"):
        issue(signer_ca, serial=serial)

    assert signer_ca.signer.calls == 0


@pytest.mark.parametrize("serial", [SERIAL_MIN, SERIAL_LIMIT - 1])
def test_serials_at_the_bounds_are_taken(signer_ca: SignerCa, serial: int) -> None:
    assert issue(signer_ca, serial=serial).serial_number == serial


def test_new_serials_are_random_positive_and_at_least_64_bits() -> None:
    serials = [new_serial() for _ in range(1000)]

    assert len(set(serials)) == len(serials)
    assert all(SERIAL_MIN <= serial < SERIAL_LIMIT for serial in serials)
    assert max(serial.bit_length() for serial in serials) == 159


# ---------------------------------------------------------------------------------------- keys and profiles


@pytest.mark.parametrize(
    ("profile", "private_key"),
    [
        (TLS_CLIENT_WITH_KEY, ed25519.Ed25519PrivateKey.generate()),
        (AST_DEVICE, ec.generate_private_key(ec.SECP521R1())),
        (AST_DEVICE, ec.generate_private_key(ec.SECP256K1())),
        (AST_DEVICE, rsa.generate_private_key(public_exponent=65537, key_size=RSA_TOO_SMALL)),
        (AST_DEVICE, x25519.X25519PrivateKey.generate()),
    ],
    ids=["ed25519-tls-client", "p521", "secp256k1", "rsa1024", "x25519"],
)
def test_keys_the_profile_does_not_allow_are_refused(
    signer_ca: SignerCa, profile: Profile, private_key: PrivateKeyTypes
) -> None:
    with pytest.raises(ValueError, match="does not allow"):
        issue(signer_ca, profile=profile, public_key=private_key.public_key())


def test_the_signer_ca_profile_makes_no_device_certificate(signer_ca: SignerCa) -> None:
    with pytest.raises(ValueError, match="CA profile"):
        issue(signer_ca, profile=SIGNER_CA)


# ---------------------------------------------------------------------------------------- subjects

SUBJECT_TEXT = st.text(min_size=1, max_size=64).filter(is_subject_text)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(client_id=SUBJECT_TEXT, user_id=SUBJECT_TEXT, tenant=SUBJECT_TEXT)
def test_any_subject_text_is_carried_exactly_and_lints_clean(
    local_signer_ca: tuple[x509.Certificate, ec.EllipticCurvePrivateKey],
    client_id: str,
    user_id: str,
    tenant: str,
) -> None:
    certificate, private_key = local_signer_ca
    builder = device_certificate_builder(
        profile=AST_DEVICE,
        identity=DeviceIdentity(tenant, client_id, user_id),
        public_key=ec.generate_private_key(ec.SECP256R1()).public_key(),
        signer_certificate=certificate,
        signer_id=SIGNER_ID,
        serial=new_serial(),
        not_before=clock.utcnow(),
        locations=LOCATIONS,
    )

    draft = x509.load_der_x509_certificate(
        builder.sign(private_key, hashes.SHA256()).public_bytes(Encoding.DER)
    )

    pkilint_lint(draft)
    assert [attribute.value for attribute in draft.subject] == [tenant, user_id, client_id]


@given(text=st.text(max_size=80), field=st.sampled_from(["tenant", "client_id", "user_id"]))
def test_subject_text_beyond_64_utf8_bytes_or_with_controls_is_refused(text: str, field: str) -> None:
    identity = replace(IDENTITY, **{field: text})

    if is_subject_text(text):
        assert (
            identity.subject()
            .get_attributes_for_oid(
                {"tenant": NameOID.ORGANIZATIONAL_UNIT_NAME, "client_id": NameOID.COMMON_NAME}.get(
                    field, NameOID.USER_ID
                )
            )[0]
            .value
            == text
        )
    else:
        with pytest.raises(ValueError, match="must be 1-64 bytes"):
            identity.subject()


@pytest.mark.parametrize("text", ["", "n" * 65, "ü" * 33, "\U00010000" * 17, "line\nbreak", "nul\x00"])
def test_subject_text_a_certificate_cannot_carry_is_refused(signer_ca: SignerCa, text: str) -> None:
    for field in ("tenant", "client_id", "user_id"):
        with pytest.raises(ValueError, match="must be 1-64 bytes"):
            issue(signer_ca, identity=replace(IDENTITY, **{field: text}))
    assert signer_ca.signer.calls == 0


# ---------------------------------------------------------------------------------------- loading


def test_importing_the_device_builder_loads_no_pkilint() -> None:
    code = (
        "import sys, astca.issuance.device\n"
        "assert not [m for m in sys.modules if m.split('.')[0] == 'pkilint'], 'pkilint was imported'\n"
    )
    environment = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[3] / "layers" / "common")}

    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=environment, check=False
    )

    assert result.returncode == 0, result.stderr


@pytest.fixture(scope="module")
def local_signer_ca() -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    """A signer CA certificate with a local key: the hypothesis tests build drafts without KMS."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "local signer")])
    now = clock.utcnow()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(new_serial())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return certificate, key
