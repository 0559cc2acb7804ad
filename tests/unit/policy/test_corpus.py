"""Every corpus entry gives exactly its expected outcome under AST_DEVICE and TLS_CLIENT_WITH_KEY.

An outcome is the accepted key's kind, or the catalog entry with a fragment of its detail. The
corpus (tests/corpus/make_corpus.py) is made by openssl once per session; an entry without an
expectation here fails the suite, so the table and the corpus cannot drift apart.
"""

from __future__ import annotations

import base64
import re
import subprocess

import pytest

from astca import catalog
from astca.catalog import CaError, ErrorEntry
from astca.domain.profiles import AST_DEVICE, TLS_CLIENT_WITH_KEY, KeyKind, Profile
from astca.policy.csr import CsrPolicy, parse_csr
from tests.corpus.make_corpus import Corpus

Outcome = KeyKind | tuple[ErrorEntry, str]

MALFORMED, SIGNATURE = catalog.MALFORMED_FIELD, catalog.INVALID_CSR_SIGNATURE
KEY_TYPE, BAD_KEY, ALGORITHM = catalog.UNSUPPORTED_KEY_TYPE, catalog.BAD_KEY, catalog.UNSUPPORTED_ALGORITHM
ED25519_NOT_FOR_TLS = (KEY_TYPE, "Ed25519 keys are not accepted by TLS_CLIENT_WITH_KEY")

# entry -> (outcome under AST_DEVICE, outcome under TLS_CLIENT_WITH_KEY)
EXPECTED: dict[str, tuple[Outcome, Outcome]] = {
    # accepted, in every encoding a client may use
    "ec_p256": (KeyKind.EC_P256, KeyKind.EC_P256),
    "ec_p256_base64": (KeyKind.EC_P256, KeyKind.EC_P256),
    "ec_p256_base64url": (KeyKind.EC_P256, KeyKind.EC_P256),
    "ec_p256_crlf": (KeyKind.EC_P256, KeyKind.EC_P256),
    "ec_p384": (KeyKind.EC_P384, KeyKind.EC_P384),
    "rsa_2048": (KeyKind.RSA, KeyKind.RSA),
    "rsa_2048_base64_lines": (KeyKind.RSA, KeyKind.RSA),
    "rsa_3072": (KeyKind.RSA, KeyKind.RSA),
    "rsa_4096": (KeyKind.RSA, KeyKind.RSA),
    "rsa_new_label": (KeyKind.RSA, KeyKind.RSA),
    "rsa_pss_signature": (KeyKind.RSA, KeyKind.RSA),
    "ed25519": (KeyKind.ED25519, ED25519_NOT_FOR_TLS),
    # 5104002: not a certificate request
    "empty": ((MALFORMED, "it is empty"),) * 2,
    "whitespace": ((MALFORMED, "it is empty"),) * 2,
    "garbage": ((MALFORMED, "neither PEM nor base64"),) * 2,
    "garbage_base64": ((MALFORMED, "its DER is not a certificate request"),) * 2,
    "oversized": ((MALFORMED, "longer than 16384 characters"),) * 2,
    "pem_trailing_junk": ((MALFORMED, "text after its PEM block"),) * 2,
    "pem_leading_text": ((MALFORMED, "text before its PEM block"),) * 2,
    "two_pem_blocks": ((MALFORMED, "more than one PEM block"),) * 2,
    "pem_mismatched_labels": ((MALFORMED, "BEGIN and END lines differ"),) * 2,
    "pem_bad_base64": ((MALFORMED, "not valid base64"),) * 2,
    "pem_public_key": ((MALFORMED, "it is a PEM PUBLIC KEY"),) * 2,
    "base64_mixed_alphabets": ((MALFORMED, "mixes the standard and URL-safe"),) * 2,
    "certificate": ((MALFORMED, "it is a PEM CERTIFICATE,"),) * 2,
    "certificate_base64": ((MALFORMED, "it is an X.509 certificate"),) * 2,
    # 51013: signature algorithm or digest
    "rsa_sha1": ((ALGORITHM, "signed with sha1WithRSAEncryption"),) * 2,
    "rsa_md5": ((ALGORITHM, "signed with md5WithRSAEncryption"),) * 2,
    "ec_sha1": ((ALGORITHM, "signed with ecdsa-with-SHA1"),) * 2,
    "ec_sha3_256": ((ALGORITHM, "signed with id-ecdsa-with-sha3-256"),) * 2,
    "unknown_signature_algorithm": ((ALGORITHM, "signature algorithm 1.2.3.4 is not supported"),) * 2,
    # 51010: the signature
    "tampered_signature": ((SIGNATURE, "does not verify"),) * 2,
    # 51011: key type
    "dsa": ((KEY_TYPE, "DSA keys are not accepted"),) * 2,
    "ed448": ((KEY_TYPE, "Ed448 keys are not accepted"),) * 2,
    "x25519": ((KEY_TYPE, "X25519 key, which cannot sign"),) * 2,
    "unknown_key_algorithm": ((KEY_TYPE, "public key algorithm 1.2.3.4 is not supported"),) * 2,
    "ec_p521": ((KEY_TYPE, "curve secp521r1"),) * 2,
    "ec_secp256k1": ((KEY_TYPE, "curve secp256k1"),) * 2,
    "ec_explicit_params": ((KEY_TYPE, "explicit curve parameters"),) * 2,
    "ec_compressed_point": ((KEY_TYPE, "compressed point"),) * 2,
    "rsa_pss_key": ((KEY_TYPE, "id-RSASSA-PSS"),) * 2,
    # 51012: key quality
    "rsa_1024": ((BAD_KEY, "1024 bits; 2048 to 4096 bits are accepted"),) * 2,
    "rsa_2052": ((BAD_KEY, "2052 bits is not a whole number of bytes"),) * 2,
    "rsa_e3": ((BAD_KEY, "exponent is 3"),) * 2,
    "rsa_debian_weak": ((BAD_KEY, "known weak key"),) * 2,
    "rsa_roca": ((BAD_KEY, "ROCA"),) * 2,
    "rsa_fermat": ((BAD_KEY, "Fermat"),) * 2,
    "ec_point_off_curve": ((BAD_KEY, "does not decode"),) * 2,
    "ed25519_small_order": ((BAD_KEY, "small order"), ED25519_NOT_FOR_TLS),
}

PROFILES = (AST_DEVICE, TLS_CLIENT_WITH_KEY)
CASES = [
    pytest.param(name, profile, outcomes[index], id=f"{name}-{profile.name}")
    for name, outcomes in EXPECTED.items()
    for index, profile in enumerate(PROFILES)
]


def test_every_corpus_entry_has_an_expectation(corpus: Corpus) -> None:
    assert set(corpus.entries) == set(EXPECTED)


@pytest.mark.parametrize(("name", "profile", "expected"), CASES)
def test_entry_gives_its_expected_outcome(
    corpus: Corpus, policy: CsrPolicy, name: str, profile: Profile, expected: Outcome
) -> None:
    text = corpus.entries[name]
    if isinstance(expected, KeyKind):
        checked = policy.check(parse_csr(text), profile)
        assert checked.kind is expected
        return
    entry, fragment = expected
    with pytest.raises(CaError) as raised:
        policy.check(parse_csr(text), profile)
    assert raised.value.entry is entry, raised.value.detail
    assert fragment in raised.value.detail


@pytest.mark.parametrize(
    "name", [name for name, (outcome, _) in EXPECTED.items() if not isinstance(outcome, KeyKind)]
)
def test_no_detail_echoes_the_csr(corpus: Corpus, policy: CsrPolicy, name: str) -> None:
    text = corpus.entries[name]
    with pytest.raises(CaError) as raised:
        policy.check(parse_csr(text), AST_DEVICE)
    chunks = {text[i : i + 12] for i in range(0, max(len(text) - 12, 0), 4)}
    assert not [
        chunk
        for chunk in chunks
        if re.fullmatch(r"[A-Za-z0-9+/]{12}", chunk) and chunk in raised.value.detail
    ]


@pytest.mark.parametrize(
    "name", [name for name, (outcome, _) in EXPECTED.items() if isinstance(outcome, KeyKind)]
)
def test_the_checked_key_is_the_key_openssl_reads_from_the_csr(
    corpus: Corpus, policy: CsrPolicy, name: str
) -> None:
    # Given an accepted CSR, when openssl prints its public key
    text = corpus.entries[name]
    pem = text if text.startswith("-----") else _as_pem(text)
    printed = subprocess.run(
        ["openssl", "req", "-pubkey", "-noout"], input=pem.encode(), capture_output=True, check=True
    ).stdout
    # Then the SubjectPublicKeyInfo the worker gets is exactly that key
    spki = base64.b64decode("".join(printed.decode().splitlines()[1:-1]))
    assert policy.check(parse_csr(text), AST_DEVICE).spki_der == spki


def _as_pem(text: str) -> str:
    compact = "".join(text.split()).rstrip("=").replace("-", "+").replace("_", "/")
    der = base64.b64decode(compact + "=" * (-len(compact) % 4))
    body = base64.encodebytes(der).decode()
    return f"-----BEGIN CERTIFICATE REQUEST-----\n{body}-----END CERTIFICATE REQUEST-----\n"
