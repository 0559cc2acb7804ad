"""CA certificates signed through KMS: what their profile data says, validity inside the issuer's, openssl agrees."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, SignatureAlgorithmOID
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from astca import clock
from astca.domain.errors import Invalid, PreconditionFailed
from astca.domain.names import is_subject_text
from astca.domain.profiles import BACKDATE, ISSUER_CA, PROFILES, ROOT_CA, SIGNER_CA, KeyUsageName, Profile
from astca.issuance.certificates import (
    ca_certificate,
    certificate_builder,
    issuer_ca_certificate,
    key_usage,
    root_ca_certificate,
    sign_certificate,
    signer_ca_certificate,
)
from astca.issuance.kms import KmsSigner

SignerFactory = Callable[..., KmsSigner]
SIGNER_ID = "01KAX3Z6F8Q9W2M4N7P5R3T1V1"


@dataclass(frozen=True)
class Chain:
    """Root, issuer and a tenant's signer CA, each with the KMS signer of its key."""

    root: x509.Certificate
    root_signer: KmsSigner
    issuer: x509.Certificate
    issuer_signer: KmsSigner
    signer: x509.Certificate
    signer_signer: KmsSigner


def make_chain(new_signer: SignerFactory, key_spec: str = "ECC_NIST_P256", **signer_args: Any) -> Chain:
    root_signer, issuer_signer, signer_signer = (
        new_signer(key_spec),
        new_signer(key_spec),
        new_signer(key_spec),
    )
    root = root_ca_certificate(root_signer)
    issuer = issuer_ca_certificate(issuer_signer.public_key(), root, root_signer)
    arguments: dict[str, Any] = {"tenant": "acme", "signer_id": SIGNER_ID, "name": "Acme devices"}
    signer = signer_ca_certificate(
        **{**arguments, **signer_args},
        public_key=signer_signer.public_key(),
        issuer_certificate=issuer,
        issuer_signer=issuer_signer,
    )
    return Chain(root, root_signer, issuer, issuer_signer, signer, signer_signer)


@pytest.fixture
def chain(new_signer: SignerFactory) -> Chain:
    return make_chain(new_signer)


def extension[T: x509.ExtensionType](certificate: x509.Certificate, kind: type[T]) -> x509.Extension[T]:
    return certificate.extensions.get_extension_for_class(kind)


def ski(certificate: x509.Certificate) -> bytes:
    return extension(certificate, x509.SubjectKeyIdentifier).value.digest


def aki(certificate: x509.Certificate) -> bytes | None:
    return extension(certificate, x509.AuthorityKeyIdentifier).value.key_identifier


def device_certificate(chain: Chain, *, sans: int = 1) -> x509.Certificate:
    """An end-entity certificate under the signer CA (the device's key is local here), ``sans`` DNS names."""
    device_key = ec.generate_private_key(ec.SECP256R1())
    now = clock.utcnow()
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "device-1")]))
        .issuer_name(chain.signer.subject)
        .public_key(device_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName(f"d{n}.devices.acme.example") for n in range(sans)]),
            critical=False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(device_key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(
                extension(chain.signer, x509.SubjectKeyIdentifier).value
            ),
            critical=False,
        )
    )
    return sign_certificate(builder, chain.signer_signer, issuer=chain.signer)


def openssl(*args: str) -> subprocess.CompletedProcess[str]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    return subprocess.run(["openssl", *args], capture_output=True, text=True, check=False)


def write(path: Path, *certificates: x509.Certificate) -> str:
    path.write_bytes(b"".join(certificate.public_bytes(Encoding.PEM) for certificate in certificates))
    return str(path)


# ---------------------------------------------------------------------------------------- profiles


def test_the_root_is_a_self_signed_ca_without_a_path_length(chain: Chain) -> None:
    root = chain.root
    constraints = extension(root, x509.BasicConstraints)
    usage = extension(root, x509.KeyUsage)

    assert root.subject.rfc4514_string() == "CN=astca Root CA,O=astca"
    assert root.issuer == root.subject
    assert root.version is x509.Version.v3
    assert (constraints.critical, constraints.value.ca, constraints.value.path_length) == (True, True, None)
    assert usage.critical
    assert (usage.value.key_cert_sign, usage.value.crl_sign, usage.value.digital_signature) == (
        True,
        True,
        False,
    )
    assert ski(root) == x509.SubjectKeyIdentifier.from_public_key(chain.root_signer.public_key()).digest
    assert aki(root) == ski(root)
    assert root.signature_algorithm_oid == SignatureAlgorithmOID.ECDSA_WITH_SHA256
    root.verify_directly_issued_by(root)


def test_the_issuer_ca_is_signed_by_the_root_with_path_length_two(chain: Chain) -> None:
    # Two CAs follow it on the platform path: a cross-certified tenant anchor, then a signer CA.
    issuer = chain.issuer

    assert issuer.subject.rfc4514_string() == "CN=astca Issuer CA,O=astca"
    assert issuer.issuer == chain.root.subject
    assert extension(issuer, x509.BasicConstraints).value.path_length == 2
    assert extension(issuer, x509.KeyUsage).value.key_cert_sign
    assert aki(issuer) == ski(chain.root)
    assert issuer.public_key() == chain.issuer_signer.public_key()
    issuer.verify_directly_issued_by(chain.root)


def test_a_signer_ca_names_its_tenant_and_id_and_ends_the_ca_path(chain: Chain) -> None:
    signer = chain.signer
    usage = extension(signer, x509.KeyUsage).value

    assert signer.subject.rfc4514_string() == f"2.5.4.5={SIGNER_ID},CN=Acme devices,OU=acme,O=astca"
    assert signer.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)[0].value == SIGNER_ID
    assert extension(signer, x509.BasicConstraints).critical
    assert extension(signer, x509.BasicConstraints).value.path_length == 0
    assert (usage.digital_signature, usage.key_cert_sign, usage.crl_sign) == (True, True, True)
    assert aki(signer) == ski(chain.issuer)
    signer.verify_directly_issued_by(chain.issuer)


def key_usage_bits(usage: x509.KeyUsage) -> set[str]:
    """The keyUsage bits set (encipher_only and decipher_only only mean something with key_agreement)."""
    bits = {bit.value for bit in KeyUsageName if bit.value not in ("encipher_only", "decipher_only")}
    named = {bit for bit in bits if getattr(usage, bit)}
    if usage.key_agreement:
        named |= {bit for bit in ("encipher_only", "decipher_only") if getattr(usage, bit)}
    return named


def assert_carries(certificate: x509.Certificate, profile: Profile) -> None:
    """``certificate`` holds exactly what ``profile`` says: extensions, criticality, usages, constraints, validity."""
    expected = [(x509.BasicConstraints.oid, True)]
    if profile.key_usage:
        expected.append((x509.KeyUsage.oid, True))
    if profile.extended_key_usage:
        expected.append((x509.ExtendedKeyUsage.oid, False))
    expected += [(x509.SubjectKeyIdentifier.oid, False), (x509.AuthorityKeyIdentifier.oid, False)]
    assert [(ext.oid, ext.critical) for ext in certificate.extensions] == expected
    constraints = extension(certificate, x509.BasicConstraints).value
    assert (constraints.ca, constraints.path_length) == (profile.is_ca, profile.path_length)
    assert key_usage_bits(extension(certificate, x509.KeyUsage).value) == set(profile.key_usage)
    assert certificate.not_valid_after_utc - certificate.not_valid_before_utc == profile.validity


@pytest.mark.parametrize("role", ["root", "issuer", "signer"])
def test_each_ca_certificate_carries_exactly_what_its_profile_says(chain: Chain, role: str) -> None:
    certificate, profile = {
        "root": (chain.root, ROOT_CA),
        "issuer": (chain.issuer, ISSUER_CA),
        "signer": (chain.signer, SIGNER_CA),
    }[role]

    assert_carries(certificate, profile)
    assert PROFILES[profile.name] is profile
    assert not profile.endpoints


def test_the_builder_reads_the_profile_not_a_copy_of_it(chain: Chain, new_signer: SignerFactory) -> None:
    # Given a (test-only) CA profile that differs from the issuer CA's in every field the builder reads
    odd = replace(
        ISSUER_CA,
        name="ODD_CA",
        validity=timedelta(days=42),
        path_length=3,
        key_usage=frozenset({KeyUsageName.KEY_CERT_SIGN, KeyUsageName.DIGITAL_SIGNATURE}),
        backdate=timedelta(minutes=7),
    )
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "odd")])
    now = clock.utcnow().replace(microsecond=0) + timedelta(hours=1)  # the backdate stays inside the root's

    certificate = ca_certificate(
        odd, subject, new_signer().public_key(), issuer=chain.root, issuer_signer=chain.root_signer, now=now
    )

    assert_carries(certificate, odd)
    assert certificate.not_valid_before_utc == now - timedelta(minutes=7)


def test_a_ca_certificate_needs_a_ca_profile_and_a_key_it_allows(
    chain: Chain, new_signer: SignerFactory
) -> None:
    device_profile = PROFILES["AST_DEVICE"]
    rsa_only = replace(
        SIGNER_CA, key_kinds=frozenset({kind for kind in SIGNER_CA.key_kinds if kind == "RSA"})
    )

    with pytest.raises(ValueError, match="not a CA profile"):
        ca_certificate(
            device_profile,
            chain.signer.subject,
            new_signer().public_key(),
            issuer=chain.issuer,
            issuer_signer=chain.issuer_signer,
        )
    with pytest.raises(ValueError, match="SIGNER_CA does not allow this"):
        ca_certificate(
            rsa_only,
            chain.signer.subject,
            new_signer().public_key(),
            issuer=chain.issuer,
            issuer_signer=chain.issuer_signer,
        )


def test_an_issuer_without_a_subject_key_identifier_issues_nothing(chain: Chain) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "no ski")])
    now = clock.utcnow()
    issuer = (
        x509.CertificateBuilder(
            subject_name=name,
            issuer_name=name,
            public_key=key.public_key(),
            serial_number=1,
            not_valid_before=now - timedelta(days=1),
            not_valid_after=now + timedelta(days=1),
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )

    with pytest.raises(Invalid, match="has no subject key identifier") as error:
        certificate_builder(
            SIGNER_CA,
            subject=chain.signer.subject,
            public_key=chain.signer_signer.public_key(),
            issuer=issuer,
            serial=2**100,
            not_before=now,
        )

    assert error.value.subject == "ca hierarchy"


def test_key_usage_sets_exactly_the_bits_named() -> None:
    assert key_usage_bits(key_usage(SIGNER_CA.key_usage)) == {
        "digital_signature",
        "key_cert_sign",
        "crl_sign",
    }
    assert key_usage_bits(key_usage(["key_agreement", "decipher_only"])) == {"key_agreement", "decipher_only"}
    with pytest.raises(ValueError, match="unknown keyUsage bits"):
        key_usage(["digital_signature", "non_repudiation"])


def test_serials_are_positive_random_and_at_least_64_bits(new_signer: SignerFactory) -> None:
    signer = new_signer()

    serials = [root_ca_certificate(signer).serial_number for _ in range(12)]

    assert len(set(serials)) == len(serials)
    assert all(2**64 < serial < 2**159 for serial in serials)


def test_validity_is_backdated_and_lasts_the_profile_default(chain: Chain) -> None:
    now = clock.utcnow()

    for certificate, profile in ((chain.root, ROOT_CA), (chain.issuer, ISSUER_CA), (chain.signer, SIGNER_CA)):
        not_before, not_after = certificate.not_valid_before_utc, certificate.not_valid_after_utc
        backdated = now - profile.backdate
        assert backdated - timedelta(seconds=5) <= not_before <= backdated + timedelta(seconds=1)
        assert not_after == not_before + profile.validity
    assert ROOT_CA.validity >= timedelta(days=20 * 365)
    assert ISSUER_CA.validity >= timedelta(days=10 * 365)
    assert SIGNER_CA.validity >= timedelta(days=5 * 365)
    assert ROOT_CA.backdate == ISSUER_CA.backdate == SIGNER_CA.backdate == BACKDATE


def test_validity_never_leaves_the_issuers(new_signer: SignerFactory) -> None:
    root_signer, issuer_signer, signer_signer = new_signer(), new_signer(), new_signer()
    root = root_ca_certificate(root_signer, profile=replace(ROOT_CA, validity=timedelta(days=400)))
    later = clock.utcnow() + timedelta(days=1)

    issuer = issuer_ca_certificate(issuer_signer.public_key(), root, root_signer, now=later)
    signer = signer_ca_certificate(
        tenant="acme",
        signer_id=SIGNER_ID,
        name="n",
        public_key=signer_signer.public_key(),
        issuer_certificate=issuer,
        issuer_signer=issuer_signer,
        now=clock.utcnow() - timedelta(days=2),
    )

    assert issuer.not_valid_after_utc == root.not_valid_after_utc
    assert signer.not_valid_after_utc == root.not_valid_after_utc
    # notBefore is the one given (made "now", less the backdate), not moved up to the issuer's
    assert signer.not_valid_before_utc < issuer.not_valid_before_utc


def test_no_certificate_outlives_an_expired_issuer(chain: Chain) -> None:
    with pytest.raises(PreconditionFailed) as error:
        signer_ca_certificate(
            tenant="acme",
            signer_id=SIGNER_ID,
            name="n",
            public_key=chain.signer_signer.public_key(),
            issuer_certificate=chain.issuer,
            issuer_signer=chain.issuer_signer,
            now=chain.issuer.not_valid_after_utc + timedelta(minutes=2),
        )

    assert (error.value.subject, error.value.state) == ("ca hierarchy", "expired")
    assert "no validity left for a SIGNER_CA certificate" in error.value.detail


def test_p384_keys_sign_with_sha384(new_signer: SignerFactory) -> None:
    chain = make_chain(new_signer, "ECC_NIST_P384")

    assert chain.issuer.signature_algorithm_oid == SignatureAlgorithmOID.ECDSA_WITH_SHA384
    assert chain.signer.signature_hash_algorithm is not None
    assert chain.signer.signature_hash_algorithm.name == "sha384"


# ---------------------------------------------------------------------------------------- signing


def test_a_certificate_over_4096_tbs_bytes_is_signed_as_a_digest(
    chain: Chain, sign_requests: list[dict[str, Any]]
) -> None:
    certificate = device_certificate(chain, sans=200)

    assert len(certificate.tbs_certificate_bytes) > 4096
    assert sign_requests[-1]["MessageType"] == "DIGEST"
    certificate.verify_directly_issued_by(chain.signer)


def test_the_issuer_certificate_must_hold_the_signing_key(chain: Chain) -> None:
    builder = x509.CertificateBuilder(
        subject_name=chain.signer.subject,
        issuer_name=chain.issuer.subject,
        public_key=chain.signer.public_key(),
        serial_number=x509.random_serial_number(),
        not_valid_before=chain.signer.not_valid_before_utc,
        not_valid_after=chain.signer.not_valid_after_utc,
    )

    with pytest.raises(Invalid, match="does not hold the signing key") as error:
        sign_certificate(builder, chain.root_signer, issuer=chain.issuer)

    assert error.value.subject == "ca hierarchy"


def test_lint_sees_the_tbs_before_kms_signs_and_can_stop_it(
    chain: Chain, sign_requests: list[dict[str, Any]]
) -> None:
    drafts: list[x509.Certificate] = []

    def refuse(draft: x509.Certificate) -> None:
        raise Invalid("certificate", "lint: refused")

    with pytest.raises(Invalid, match="lint: refused"):
        sign_certificate(_device_builder(chain), chain.signer_signer, issuer=chain.signer, lint=refuse)
    refused_requests = len(sign_requests)
    certificate = sign_certificate(
        _device_builder(chain), chain.signer_signer, issuer=chain.signer, lint=drafts.append
    )

    assert refused_requests == 0
    assert len(sign_requests) == 1
    assert certificate.tbs_certificate_bytes == drafts[0].tbs_certificate_bytes
    assert certificate.signature != drafts[0].signature


def _device_builder(chain: Chain) -> x509.CertificateBuilder:
    key = ec.generate_private_key(ec.SECP256R1())
    return x509.CertificateBuilder(
        subject_name=x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "device-2")]),
        issuer_name=chain.signer.subject,
        public_key=key.public_key(),
        serial_number=7,
        not_valid_before=chain.signer.not_valid_before_utc,
        not_valid_after=chain.signer.not_valid_after_utc,
    )


def test_a_self_signed_certificate_must_name_itself_as_issuer(chain: Chain) -> None:
    builder = x509.CertificateBuilder(
        subject_name=chain.root.subject,
        issuer_name=chain.issuer.subject,
        public_key=chain.root_signer.public_key(),
        serial_number=1,
        not_valid_before=chain.root.not_valid_before_utc,
        not_valid_after=chain.root.not_valid_after_utc,
    )

    with pytest.raises(Invalid, match="does not verify") as error:
        sign_certificate(builder, chain.root_signer)

    assert error.value.subject == "certificate"


# ---------------------------------------------------------------------------------------- subjects


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    name=st.text(min_size=1, max_size=64).filter(is_subject_text),
    tenant=st.from_regex(r"[a-z0-9]([a-z0-9_-]{0,61}[a-z0-9])?", fullmatch=True),
)
def test_any_name_and_tenant_are_carried_exactly(chain: Chain, name: str, tenant: str) -> None:
    signer = signer_ca_certificate(
        tenant=tenant,
        signer_id=SIGNER_ID,
        name=name,
        public_key=chain.signer_signer.public_key(),
        issuer_certificate=chain.issuer,
        issuer_signer=chain.issuer_signer,
    )

    parsed = x509.load_der_x509_certificate(signer.public_bytes(Encoding.DER))
    assert parsed.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == name
    assert parsed.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)[0].value == tenant
    parsed.verify_directly_issued_by(chain.issuer)


@pytest.mark.parametrize(
    ("tenant", "signer_id", "name"),
    [
        ("acme", SIGNER_ID, ""),
        ("acme", SIGNER_ID, "n" * 65),
        ("acme", SIGNER_ID, "\U00010000" * 17),
        ("acme", SIGNER_ID, "line\nbreak"),
        ("", SIGNER_ID, "n"),
        ("acme", "", "n"),
        ("acme", "x" * 65, "n"),
        ("acme", "ümlaut", "n"),
    ],
)
def test_names_a_certificate_cannot_carry_are_refused(
    chain: Chain, tenant: str, signer_id: str, name: str
) -> None:
    with pytest.raises(ValueError, match="must be 1-64"):
        signer_ca_certificate(
            tenant=tenant,
            signer_id=signer_id,
            name=name,
            public_key=chain.signer_signer.public_key(),
            issuer_certificate=chain.issuer,
            issuer_signer=chain.issuer_signer,
        )


# ---------------------------------------------------------------------------------------- openssl


@pytest.mark.parametrize("key_spec", ["ECC_NIST_P256", "ECC_NIST_P384", "RSA_2048"])
def test_openssl_verifies_the_chain_strictly(
    new_signer: SignerFactory, tmp_path: Path, key_spec: str
) -> None:
    chain = make_chain(new_signer, key_spec)
    root = write(tmp_path / "root.pem", chain.root)
    issuer = write(tmp_path / "issuer.pem", chain.issuer)
    untrusted = write(tmp_path / "untrusted.pem", chain.issuer, chain.signer)

    for target, intermediates in (
        (write(tmp_path / "signer.pem", chain.signer), issuer),
        (write(tmp_path / "device.pem", device_certificate(chain)), untrusted),
    ):
        result = openssl("verify", "-x509_strict", "-CAfile", root, "-untrusted", intermediates, target)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == f"{target}: OK"


def test_openssl_refuses_a_device_certificate_when_the_signer_is_not_in_the_path(
    chain: Chain, tmp_path: Path
) -> None:
    root = write(tmp_path / "root.pem", chain.root)
    issuer = write(tmp_path / "issuer.pem", chain.issuer)
    device = write(tmp_path / "device.pem", device_certificate(chain))

    result = openssl("verify", "-x509_strict", "-CAfile", root, "-untrusted", issuer, device)

    assert result.returncode != 0


def test_openssl_reads_the_signer_ca_as_intended(chain: Chain, tmp_path: Path) -> None:
    path = write(tmp_path / "signer.pem", chain.signer)

    text = openssl("x509", "-in", path, "-noout", "-text", "-nameopt", "show_type,sep_comma_plus_space")

    assert text.returncode == 0, text.stderr
    for expected in (
        "Version: 3 (0x2)",
        "Signature Algorithm: ecdsa-with-SHA256",
        "Issuer: O=UTF8STRING:astca, CN=UTF8STRING:astca Issuer CA",
        f"OU=UTF8STRING:acme, CN=UTF8STRING:Acme devices, serialNumber=PRINTABLESTRING:{SIGNER_ID}",
        "X509v3 Basic Constraints: critical",
        "CA:TRUE, pathlen:0",
        "X509v3 Key Usage: critical",
        "Digital Signature, Certificate Sign, CRL Sign",
        "X509v3 Subject Key Identifier",
        "X509v3 Authority Key Identifier",
    ):
        assert expected in text.stdout


def test_openssl_reads_the_der_cryptography_assembled(chain: Chain, tmp_path: Path) -> None:
    path = tmp_path / "root.der"
    path.write_bytes(chain.root.public_bytes(Encoding.DER))

    result = openssl("x509", "-inform", "DER", "-in", str(path), "-noout", "-fingerprint", "-sha256")

    assert result.returncode == 0, result.stderr
    expected = chain.root.fingerprint(hashes.SHA256()).hex(":").upper()
    assert result.stdout.strip().endswith(expected)
