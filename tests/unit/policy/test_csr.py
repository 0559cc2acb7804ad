"""parse_csr's encodings and limits, and CsrPolicy's order of checks, on the corpus and built CSRs."""

from __future__ import annotations

import base64
import dataclasses

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPrivateKeyTypes
from cryptography.x509.oid import NameOID

from astca import catalog
from astca.catalog import CaError, ErrorEntry
from astca.domain.profiles import AST_DEVICE, TLS_CLIENT_WITH_KEY, KeyKind
from astca.policy import csr as csr_module
from astca.policy.algorithms import signature_algorithm
from astca.policy.csr import MAX_CSR_CHARS, CsrPolicy, parse_csr
from astca.policy.weakkeys import WeakKeys
from tests.corpus.make_corpus import Corpus

POLICY = CsrPolicy(weak_keys=WeakKeys.disabled())


def build(
    key: CertificateIssuerPrivateKeyTypes,
    digest: hashes.SHA224 | hashes.SHA256 | hashes.SHA384 | None = None,
    rsa_padding: padding.PSS | None = None,
) -> x509.CertificateSigningRequest:
    builder = x509.CertificateSigningRequestBuilder().subject_name(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "device")])
    )
    return builder.sign(key, digest, rsa_padding=rsa_padding)


def der(csr: x509.CertificateSigningRequest) -> bytes:
    return csr.public_bytes(serialization.Encoding.DER)


def with_flipped_signature(csr: x509.CertificateSigningRequest) -> x509.CertificateSigningRequest:
    data = bytearray(der(csr))
    data[-5] ^= 0x40  # inside the signature BIT STRING, the last element
    return x509.load_der_x509_csr(bytes(data))


def raises(entry: ErrorEntry, match: str = "") -> pytest.RaisesContext[CaError]:  # type: ignore[name-defined]
    return pytest.raises(CaError, match=f"^{entry.name}: .*{match}")


# --- parse_csr ---


def test_pem_with_either_label_and_any_line_breaks_parses(corpus: Corpus) -> None:
    pem = corpus.entries["ec_p256"]
    expected = parse_csr(pem)
    body = pem.replace("CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST")
    for text in (pem, body, pem.replace("\n", "\r\n"), f"\n\n  {pem}  \n", pem.replace("\n", " ")):
        assert parse_csr(text) == expected


def test_base64_der_parses_in_both_alphabets_with_or_without_padding(corpus: Corpus) -> None:
    expected = parse_csr(corpus.entries["rsa_2048"])
    data = der(expected)
    assert len(data) % 3, "the test needs DER whose base64 has padding"
    standard, url_safe = base64.b64encode(data).decode(), base64.urlsafe_b64encode(data).decode()
    assert "+" in standard or "/" in standard, "the test needs both alphabets to differ"
    for text in (
        standard,
        standard.rstrip("="),
        url_safe,
        url_safe.rstrip("="),
        base64.encodebytes(data).decode(),
    ):
        assert parse_csr(text) == expected


def test_the_size_limit_counts_every_character(corpus: Corpus) -> None:
    pem = corpus.entries["ec_p256"]
    padded = pem + " " * (MAX_CSR_CHARS - len(pem))
    assert parse_csr(padded) == parse_csr(pem)
    with raises(catalog.MALFORMED_FIELD, "longer than 16384 characters"):
        parse_csr(padded + " ")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "it is empty"),
        ("-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n", "no well-formed BEGIN and END lines"),
        ("-----BEGIN CERTIFICATE REQUEST-----\n-----END CERTIFICATE REQUEST-----", "its DER is not"),
        ("-----BEGIN SECRET THING-----\nAAAA\n-----END SECRET THING-----", "it is PEM of another type"),
        ("MIIB!", "neither PEM nor base64"),
        ("QUJDRA=", "its DER is not"),  # padding optional, so wrong padding is too
        ("QUJDR", "impossible length"),
        ('{"csr": 1}', "neither PEM nor base64"),
    ],
)
def test_text_that_is_not_a_request_is_malformed(text: str, reason: str) -> None:
    with raises(catalog.MALFORMED_FIELD, reason) as raised:
        parse_csr(text)
    assert raised.value.detail.startswith("field 'csr' is not a PKCS#10 certificate request: ")


def test_an_unknown_pem_label_is_not_echoed() -> None:
    with raises(catalog.MALFORMED_FIELD) as raised:
        parse_csr("-----BEGIN MY SECRET-----\nAAAA\n-----END MY SECRET-----")
    assert "SECRET" not in raised.value.detail


def test_requested_extensions_that_do_not_decode_are_malformed() -> None:
    # Given a request whose extensionRequest holds a subjectAltName that is not a GeneralNames
    key = ec.generate_private_key(ec.SECP256R1())
    san = x509.UnrecognizedExtension(x509.ObjectIdentifier("2.5.29.17"), b"\x04\x00")
    request = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([]))
        .add_extension(san, critical=False)
        .sign(key, hashes.SHA256())
    )
    # Then parsing it already says so, before anything reads the extensions
    with raises(catalog.MALFORMED_FIELD, "requested extensions do not decode"):
        parse_csr(base64.b64encode(der(request)).decode())


# --- CsrPolicy: each check and their order ---


def test_a_good_request_gives_its_key_kind_and_spki() -> None:
    key = ec.generate_private_key(ec.SECP384R1())
    checked = POLICY.check(build(key, hashes.SHA384()), AST_DEVICE)
    assert checked.kind is KeyKind.EC_P384
    assert checked.spki_der == key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert checked.public_key == key.public_key()


def test_the_digests_come_from_the_profile() -> None:
    request = build(ec.generate_private_key(ec.SECP256R1()), hashes.SHA256())
    only_sha384 = dataclasses.replace(AST_DEVICE, name="ONLY_SHA384", csr_hashes=frozenset({"sha384"}))
    with raises(catalog.UNSUPPORTED_ALGORITHM, "ecdsa-with-SHA256; ONLY_SHA384 accepts the digests sha384"):
        POLICY.check(request, only_sha384)
    assert POLICY.check(request, AST_DEVICE).kind is KeyKind.EC_P256


def test_rsassa_pss_is_judged_by_its_digest() -> None:
    key = rsa.generate_private_key(65537, 2048)
    cases: tuple[tuple[hashes.SHA224 | hashes.SHA256, bool], ...] = (
        (hashes.SHA256(), True),
        (hashes.SHA224(), False),
    )
    for digest, accepted in cases:
        pss = padding.PSS(mgf=padding.MGF1(digest), salt_length=digest.digest_size)
        request = build(key, digest, rsa_padding=pss)
        if accepted:
            assert POLICY.check(request, TLS_CLIENT_WITH_KEY).kind is KeyKind.RSA
        else:
            with raises(catalog.UNSUPPORTED_ALGORITHM, "RSASSA-PSS with sha224"):
                POLICY.check(request, TLS_CLIENT_WITH_KEY)


def test_the_algorithm_is_checked_before_the_signature(corpus: Corpus) -> None:
    # (cryptography 50 refuses to sign with SHA-1: the request comes from openssl)
    request = with_flipped_signature(parse_csr(corpus.entries["ec_sha1"]))
    with raises(catalog.UNSUPPORTED_ALGORITHM, "SHA1"):
        POLICY.check(request, AST_DEVICE)


def test_the_signature_is_checked_before_the_key_type() -> None:
    request = with_flipped_signature(build(dsa.generate_private_key(2048), hashes.SHA256()))
    with raises(catalog.INVALID_CSR_SIGNATURE):
        POLICY.check(request, AST_DEVICE)


def test_the_key_type_is_checked_before_the_key_quality(corpus: Corpus) -> None:
    request = parse_csr(corpus.entries["rsa_1024"])
    ec_only = dataclasses.replace(AST_DEVICE, name="EC_ONLY", key_kinds=frozenset({KeyKind.EC_P256}))
    with raises(catalog.UNSUPPORTED_KEY_TYPE, "RSA keys are not accepted by EC_ONLY"):
        POLICY.check(request, ec_only)
    with raises(catalog.BAD_KEY, "1024 bits"):
        POLICY.check(request, AST_DEVICE)


def test_an_md5_signature_is_named_without_cryptography_raising(corpus: Corpus) -> None:
    request = parse_csr(corpus.entries["rsa_md5"])
    assert signature_algorithm(request) == ("md5WithRSAEncryption", "md5")
    with raises(catalog.UNSUPPORTED_ALGORITHM, "md5WithRSAEncryption"):
        POLICY.check(request, AST_DEVICE)


def test_the_weak_key_list_is_the_configured_one_by_default(
    corpus: Corpus, monkeypatch: pytest.MonkeyPatch
) -> None:
    listed = WeakKeys.load(corpus.weak_keys_file)
    monkeypatch.setattr(csr_module, "configured_weak_keys", lambda: listed)
    with raises(catalog.BAD_KEY, "known weak key"):
        CsrPolicy().check(parse_csr(corpus.entries["rsa_debian_weak"]), AST_DEVICE)
    assert CsrPolicy(weak_keys=WeakKeys.disabled()).check(
        parse_csr(corpus.entries["rsa_debian_weak"]), AST_DEVICE
    )
