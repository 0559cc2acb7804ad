"""The registration authority's CSR checks: is this a certificate request, and may it be served?

``parse_csr`` takes the request's ``csr`` field: PEM (``CERTIFICATE REQUEST``, or the older ``NEW
CERTIFICATE REQUEST`` label) or the DER in base64 (standard or URL-safe alphabet, padding
optional), at most ``MAX_CSR_CHARS`` characters, surrounding whitespace ignored. Anything else is
5104002 MalformedField: text before or after the PEM block, several blocks, another PEM type,
bytes that are not a PKCS#10 request (or whose subject or requested extensions do not parse).

``CsrPolicy.check(csr, profile)`` then decides, in this order, each failure with its own code:

1. the signature algorithm is one astca knows and its digest is one of the profile's
   ``csr_hashes`` (Ed25519 has no separate digest): else 51013 UnsupportedAlgorithm;
2. the signature verifies with the CSR's public key: else 51010 InvalidCsrSignature. A key that
   cannot verify anything is reported as what it is: an unknown key algorithm or a key that cannot
   sign (X25519, X448) is 51011, a key that does not decode (an EC point off its curve) 51012;
3. the key's type is one the profile accepts, in its canonical encoding (rsaEncryption, a named
   curve, an uncompressed point): else 51011 UnsupportedKeyType;
4. the key's quality (``goodkey``): else 51012 BadKey.

The result, ``CheckedKey``, carries the key, its kind and its SubjectPublicKeyInfo in DER: the
bytes the issuing worker puts in the certificate. No detail ever echoes the CSR.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import x448, x25519
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes

from astca import catalog
from astca.catalog import CaError
from astca.domain.der import DerError, read_element
from astca.domain.profiles import KeyKind, Profile
from astca.policy.algorithms import signature_algorithm
from astca.policy.goodkey import FERMAT_ROUNDS, CertifiableKey, KeyPolicy
from astca.policy.weakkeys import WeakKeys, configured_weak_keys

MAX_CSR_CHARS = 16 * 1024

CSR_LABELS = frozenset({"CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST"})
# PEM types a client may send by mistake, named in the detail; any other label is not echoed.
_OTHER_LABELS = frozenset(
    {"CERTIFICATE", "PUBLIC KEY", "PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY", "X509 CRL", "PKCS7"}
)
# Whitespace inside the block is free: a PEM whose line breaks became spaces (or vanished) still parses.
_PEM = re.compile(r"-----BEGIN ([A-Z0-9 ]{1,64})-----(.*?)-----END ([A-Z0-9 ]{1,64})-----", re.DOTALL)
_BASE64 = re.compile(r"[A-Za-z0-9+/_-]+={0,2}")
_URL_SAFE = str.maketrans("-_", "+/")

SEQUENCE, OBJECT_IDENTIFIER = 0x30, 0x06
RSASSA_PSS_KEY = "1.2.840.113549.1.1.10"  # id-RSASSA-PSS as a key algorithm (RFC 4055)
EC_PUBLIC_KEY = "1.2.840.10045.2.1"  # id-ecPublicKey (RFC 5480)
_LOAD_ERRORS = (ValueError, UnsupportedAlgorithm, x509.DuplicateExtension, x509.UnsupportedGeneralNameType)


@dataclass(frozen=True)
class CheckedKey:
    """A CSR's public key that passed every check: the key, its kind, its SubjectPublicKeyInfo (DER)."""

    public_key: CertifiableKey
    kind: KeyKind
    spki_der: bytes


def _malformed(reason: str) -> CaError:
    return CaError(catalog.MALFORMED_FIELD, f"field 'csr' is not a PKCS#10 certificate request: {reason}")


def parse_csr(text: str) -> x509.CertificateSigningRequest:
    """The certificate request in ``text`` (PEM, or base64 DER), or 5104002 MalformedField."""
    if len(text) > MAX_CSR_CHARS:
        raise _malformed(f"it is longer than {MAX_CSR_CHARS} characters")
    text = text.strip()
    if not text:
        raise _malformed("it is empty")
    if text.startswith("-----"):
        der = _pem_der(text)
    elif "-----BEGIN " in text:
        raise _malformed("there is text before its PEM block")
    else:
        der = _base64_der(text)
    try:
        csr = x509.load_der_x509_csr(der)
    except x509.InvalidVersion:
        raise _malformed("its version is not v1 (0)") from None
    except _LOAD_ERRORS:
        try:
            x509.load_der_x509_certificate(der)
        except _LOAD_ERRORS:
            raise _malformed("its DER is not a certificate request") from None
        raise _malformed("it is an X.509 certificate") from None
    try:
        # cryptography decodes these on first use: decode them now, so that no later reader fails.
        _ = csr.subject.rfc4514_string(), csr.extensions
    except _LOAD_ERRORS:
        raise _malformed("its subject or requested extensions do not decode") from None
    return csr


def _pem_der(text: str) -> bytes:
    match = _PEM.match(text)  # a prefix match: what follows the block is judged below, by name
    if match is None:
        raise _malformed("it starts like PEM but has no well-formed BEGIN and END lines")
    begin, body, end = match.groups()
    if begin != end:
        raise _malformed("the labels of its PEM BEGIN and END lines differ")
    if begin not in CSR_LABELS:
        kind = f"a PEM {begin}" if begin in _OTHER_LABELS else "PEM of another type"
        raise _malformed(f"it is {kind}, not a PEM CERTIFICATE REQUEST")
    if match.end() != len(text):
        after = "it holds more than one PEM block" if "-----BEGIN " in text[match.end() :] else ""
        raise _malformed(after or "there is text after its PEM block")
    try:
        return base64.b64decode("".join(body.split()), validate=True)
    except ValueError:  # binascii.Error, or a character that is not ASCII
        raise _malformed("its PEM block is not valid base64") from None


def _base64_der(text: str) -> bytes:
    compact = "".join(text.split())
    if not _BASE64.fullmatch(compact):
        raise _malformed("it is neither PEM nor base64")
    if any(c in compact for c in "+/") and any(c in compact for c in "-_"):
        raise _malformed("it mixes the standard and URL-safe base64 alphabets")
    data = compact.rstrip("=").translate(_URL_SAFE)
    if len(data) % 4 == 1:
        raise _malformed("its base64 has an impossible length")
    return base64.b64decode(data + "=" * (-len(data) % 4), validate=True)


def check_signature_algorithm(csr: x509.CertificateSigningRequest, profile: Profile) -> None:
    """The CSR's signature algorithm is known and its digest one the profile accepts, else 51013."""
    name, digest = signature_algorithm(csr)
    if digest is not None and digest not in profile.csr_hashes:
        raise CaError(
            catalog.UNSUPPORTED_ALGORITHM,
            f"the CSR is signed with {name}; {profile.name} accepts the digests "
            f"{', '.join(sorted(profile.csr_hashes))}",
        )


def verified_public_key(csr: x509.CertificateSigningRequest) -> PublicKeyTypes:
    """The CSR's public key, once the CSR's signature verifies with it (else 51010, or 51011/51012)."""
    try:
        public_key = csr.public_key()
    except UnsupportedAlgorithm:
        raise CaError(
            catalog.UNSUPPORTED_KEY_TYPE,
            f"the CSR's public key algorithm {_requested_key(csr).algorithm} is not supported",
        ) from None
    except ValueError:
        raise CaError(
            catalog.BAD_KEY,
            "the CSR's public key does not decode (an EC point must lie on its curve, not at infinity)",
        ) from None
    for key_type, name in ((x25519.X25519PublicKey, "X25519"), (x448.X448PublicKey, "X448")):
        if isinstance(public_key, key_type):
            raise CaError(catalog.UNSUPPORTED_KEY_TYPE, f"the CSR's key is an {name} key, which cannot sign")
    try:
        valid = csr.is_signature_valid
    except _LOAD_ERRORS:
        valid = False
    if not valid:
        raise CaError(
            catalog.INVALID_CSR_SIGNATURE, "the CSR's signature does not verify with its public key"
        )
    return public_key


def certifiable_spki(csr: x509.CertificateSigningRequest, public_key: PublicKeyTypes) -> bytes:
    """The key's SubjectPublicKeyInfo (DER) if the CSR holds it in its canonical encoding, else 51011."""
    requested = _requested_key(csr)
    if requested.algorithm == RSASSA_PSS_KEY:
        raise CaError(
            catalog.UNSUPPORTED_KEY_TYPE,
            "RSA keys restricted to RSASSA-PSS (id-RSASSA-PSS) are not accepted; use an rsaEncryption key",
        )
    if requested.algorithm == EC_PUBLIC_KEY and requested.parameters_tag == SEQUENCE:
        raise CaError(
            catalog.UNSUPPORTED_KEY_TYPE,
            "EC keys with explicit curve parameters are not accepted; use a named curve",
        )
    if requested.algorithm == EC_PUBLIC_KEY and requested.point_form in (0x02, 0x03):
        raise CaError(catalog.UNSUPPORTED_KEY_TYPE, "EC keys with a compressed point are not accepted")
    spki = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    if requested.der != spki:
        raise CaError(
            catalog.UNSUPPORTED_KEY_TYPE, "the CSR's public key is not in its canonical DER encoding"
        )
    return spki


@dataclass(frozen=True)
class _RequestedKey:
    """The CSR's subjectPKInfo as it was sent, and the parts of it that cryptography's API does not show."""

    der: bytes
    algorithm: str  # dotted OID
    parameters_tag: int | None  # the tag of the algorithm's parameters, None when absent
    point_form: int | None  # the first octet of the key bits (EC: 4 uncompressed, 2 or 3 compressed)


def _requested_key(csr: x509.CertificateSigningRequest) -> _RequestedKey:
    try:
        # CertificationRequestInfo ::= SEQUENCE { version, subject, subjectPKInfo, attributes }
        _, info, _ = read_element(csr.tbs_certrequest_bytes)
        _, _, after_version = read_element(info)
        _, _, after_subject = read_element(info, after_version)
        _, spki, after_spki = read_element(info, after_subject)
        # SubjectPublicKeyInfo ::= SEQUENCE { algorithm SEQUENCE { OID, parameters OPTIONAL }, BIT STRING }
        _, algorithm, after_algorithm = read_element(spki)
        _, key_bits, _ = read_element(spki, after_algorithm)
        oid_tag, oid, after_oid = read_element(algorithm)
        parameters_tag = read_element(algorithm, after_oid)[0] if after_oid < len(algorithm) else None
    except DerError:
        return _RequestedKey(b"", "(undecodable)", None, None)
    return _RequestedKey(
        der=info[after_subject:after_spki],
        algorithm=_dotted(oid) if oid_tag == OBJECT_IDENTIFIER else "(undecodable)",
        parameters_tag=parameters_tag,
        point_form=key_bits[1] if len(key_bits) > 1 else None,
    )


def _dotted(oid: bytes) -> str:
    """An OBJECT IDENTIFIER's content octets as a dotted string (X.690 8.19)."""
    if not oid or oid[-1] & 0x80:
        return "(undecodable)"
    arcs, value = [], 0
    for byte in oid:
        value = value << 7 | byte & 0x7F
        if not byte & 0x80:
            arcs.append(value)
            value = 0
    first = min(arcs[0] // 40, 2)
    return ".".join(str(arc) for arc in (first, arcs[0] - 40 * first, *arcs[1:]))


class CsrPolicy:
    """Whether a parsed CSR may be served under a profile: ``check`` answers with its key or raises."""

    def __init__(self, *, weak_keys: WeakKeys | None = None, fermat_rounds: int = FERMAT_ROUNDS) -> None:
        # No list given: the one ASTCA_WEAK_KEYS_FILE names (read once per container), if any.
        self.weak_keys = weak_keys if weak_keys is not None else configured_weak_keys()
        self.fermat_rounds = fermat_rounds

    def check(self, csr: x509.CertificateSigningRequest, profile: Profile) -> CheckedKey:
        """The CSR's checked key, or the CaError of the first check it fails (see the module docstring)."""
        check_signature_algorithm(csr, profile)
        public_key = verified_public_key(csr)
        spki = certifiable_spki(csr, public_key)
        key_policy = KeyPolicy.for_profile(
            profile, weak_keys=self.weak_keys, fermat_rounds=self.fermat_rounds
        )
        kind = key_policy.check(public_key)
        if not isinstance(public_key, CertifiableKey):  # KeyPolicy refuses every other type
            raise CaError(catalog.UNSUPPORTED_KEY_TYPE, f"{type(public_key).__name__} keys are not accepted")
        return CheckedKey(public_key=public_key, kind=kind, spki_der=spki)
