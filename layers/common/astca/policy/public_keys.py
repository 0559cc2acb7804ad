"""Registration policy for users' public keys: is this JWK a public key the IdP may verify assertions with?

One entry point, ``JwkPolicy.check(jwk)``: the key as it will be stored (``PublicJwk``, with its RFC 7638
thumbprint and the key itself, which verifies the registration's proof of possession), or 4002
MalformedField with a detail naming the problem. Accepted are EC P-256 and P-384,
RSA of 2048 to 4096 bits (whole bytes) and Ed25519 (OKP), and each must pass the quality checks of a
CSR's key (``policy.goodkey``: RSA exponent 65537, no small factor, not a perfect power, no ROCA
fingerprint, not Fermat-factorable, not on the weak-key list; EC points on their curve; Ed25519 not of
small order). Private members (d, p, q, dp, dq, qi, oth, k) are refused even beside a valid public key,
and so are symmetric (``oct``) keys.

One key, one thumbprint: the thumbprint decides uniqueness, so only the canonical encoding of a key is
accepted. Members are base64url without padding in their one canonical form; RSA ``n`` and ``e`` have
no leading zero octet (RFC 7518 6.3.1); EC ``x`` and ``y`` are the full size of a coordinate and
reduced modulo the field prime (RFC 7518 6.2.1: the key read back gives the same numbers); an Ed25519
``x`` encodes y below the field prime (RFC 8032 5.1.3). Without this, one key sent with a leading
zero, or with a coordinate plus p, would register again under another thumbprint.

The stored JWK holds the thumbprint's required members, ``kid`` (the thumbprint: a ``kid`` sent must
be it), and ``alg`` (one that fits the key), ``use`` (``sig``) and ``key_ops`` (``["verify"]``) when
sent; any other member is dropped.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes

from astca import catalog
from astca.catalog import CaError
from astca.domain.profiles import KeyKind
from astca.domain.public_keys import KEY_TYPES
from astca.policy.goodkey import FERMAT_ROUNDS, KeyPolicy, check_rsa_exponent, check_rsa_size
from astca.policy.weakkeys import WeakKeys, configured_weak_keys

# RFC 7638 section 3.2 (and RFC 8037 section 2 for OKP): the members a thumbprint is computed over.
REQUIRED_MEMBERS: dict[str, tuple[str, ...]] = {
    "EC": ("crv", "kty", "x", "y"),
    "RSA": ("e", "kty", "n"),
    "OKP": ("crv", "kty", "x"),
    "oct": ("k", "kty"),
}
PRIVATE_MEMBERS = ("d", "p", "q", "dp", "dq", "qi", "oth", "k")


RSA_MIN_BITS = 2048
RSA_MAX_BITS = 4096
MAX_MEMBER_CHARS = 1024  # a 4096-bit modulus is 683 characters

_EC_CURVES: dict[str, tuple[ec.EllipticCurve, int]] = {
    "P-256": (ec.SECP256R1(), 32),
    "P-384": (ec.SECP384R1(), 48),
}
_ALGORITHMS: dict[str, frozenset[str]] = {
    "RSA": frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"}),
    "P-256": frozenset({"ES256"}),
    "P-384": frozenset({"ES384"}),
    "Ed25519": frozenset({"EdDSA", "Ed25519"}),  # RFC 8037's name and RFC 9864's fully specified one
}
_ED25519_P = 2**255 - 19
_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")


@dataclass(frozen=True)
class PublicJwk:
    """An accepted public key: the JWK as stored, its key type and curve, its RFC 7638 thumbprint, the key."""

    jwk: dict[str, Any]
    kty: str
    crv: str | None
    thumbprint: str
    public_key: PublicKeyTypes


def thumbprint(jwk: Mapping[str, Any]) -> str:
    """The RFC 7638 SHA-256 thumbprint: the required members, sorted, as JSON without whitespace, base64url."""
    required = REQUIRED_MEMBERS.get(str(jwk.get("kty")))
    if required is None:
        raise ValueError(f"no thumbprint is defined for kty {jwk.get('kty')!r}")
    canonical = json.dumps(
        {name: jwk[name] for name in required}, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return base64url(hashlib.sha256(canonical.encode("utf-8")).digest())


def base64url(data: bytes) -> str:
    """``data`` as base64url without padding (RFC 7515 section 2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class JwkPolicy:
    """Which public keys users may register, and the quality every one must have."""

    def __init__(self, *, weak_keys: WeakKeys | None = None, fermat_rounds: int = FERMAT_ROUNDS) -> None:
        self.key_policy = KeyPolicy(
            key_kinds=frozenset(KeyKind),
            rsa_min_bits=RSA_MIN_BITS,
            rsa_max_bits=RSA_MAX_BITS,
            weak_keys=weak_keys if weak_keys is not None else configured_weak_keys(),
            fermat_rounds=fermat_rounds,
            profile_name="public key registration",
        )

    def check(self, jwk: Mapping[str, Any]) -> PublicJwk:
        """The key as it will be stored, or 4002 MalformedField naming the problem."""
        private = [name for name in PRIVATE_MEMBERS if name in jwk]
        if private:
            raise _malformed(f"private key member {', '.join(private)}: register the public key only")
        kty = jwk.get("kty")
        if kty is None:
            raise _malformed("member kty is required")
        if kty == "oct":
            raise _malformed("symmetric (oct) keys are not accepted")
        if kty not in KEY_TYPES:
            raise _malformed(f"kty {_shown(kty)} is not accepted (EC, RSA or OKP)")
        for name in REQUIRED_MEMBERS[kty]:
            if name not in jwk:
                raise _malformed(f"member {name} is required for kty {kty}")
            if not isinstance(jwk[name], str):
                raise _malformed(f"member {name} must be a string")
        members = {name: str(jwk[name]) for name in REQUIRED_MEMBERS[kty]}
        crv = members.get("crv")
        public_key = _load(members)
        try:
            self.key_policy.check(public_key)
        except CaError as error:
            raise _malformed(error.detail) from None
        kid = thumbprint(members)
        stored: dict[str, Any] = {**members, "kid": kid, **_optional_members(jwk, crv or kty, kid)}
        return PublicJwk(jwk=stored, kty=kty, crv=crv, thumbprint=kid, public_key=public_key)


def _load(members: Mapping[str, str]) -> PublicKeyTypes:
    """The key of canonically encoded members, read back to the same numbers (4002 otherwise)."""
    match members["kty"]:
        case "RSA":
            return _rsa(members)
        case "EC":
            return _ec(members)
        case _:
            return _okp(members)


def _rsa(members: Mapping[str, str]) -> rsa.RSAPublicKey:
    n, e = _unsigned(members, "n"), _unsigned(members, "e")
    try:
        check_rsa_size(n, RSA_MIN_BITS, RSA_MAX_BITS)  # before cryptography builds anything of it
        check_rsa_exponent(e)
        return rsa.RSAPublicNumbers(e, n).public_key()
    except CaError as error:
        raise _malformed(error.detail) from None
    except ValueError:
        raise _malformed("not a valid RSA public key") from None


def _ec(members: Mapping[str, str]) -> ec.EllipticCurvePublicKey:
    crv = members["crv"]
    if crv not in _EC_CURVES:
        raise _malformed(f"EC curve {_shown(crv)} is not accepted (P-256 or P-384)")
    curve, size = _EC_CURVES[crv]
    x, y = (int.from_bytes(_octets(members, name, size=size), "big") for name in ("x", "y"))
    try:
        public_key = ec.EllipticCurvePublicNumbers(x, y, curve).public_key()
    except ValueError:
        raise _malformed(f"x and y are not a point on {crv}") from None
    numbers = public_key.public_numbers()
    if (numbers.x, numbers.y) != (x, y):  # OpenSSL reduces coordinates modulo p: x + p is x
        raise _malformed(f"x and y are not reduced coordinates of a point on {crv}")
    return public_key


def _okp(members: Mapping[str, str]) -> ed25519.Ed25519PublicKey:
    crv = members["crv"]
    if crv != "Ed25519":
        raise _malformed(f"OKP curve {_shown(crv)} is not accepted (Ed25519)")
    raw = _octets(members, "x", size=32)
    if int.from_bytes(raw, "little") & (2**255 - 1) >= _ED25519_P:
        raise _malformed("x is not a canonical Ed25519 point encoding")
    return ed25519.Ed25519PublicKey.from_public_bytes(raw)


def _octets(members: Mapping[str, str], name: str, *, size: int | None = None) -> bytes:
    """The bytes of a base64url member in its one canonical encoding (and of ``size`` bytes when given)."""
    text = members[name]
    if len(text) > MAX_MEMBER_CHARS:
        raise _malformed(f"member {name} is longer than {MAX_MEMBER_CHARS} characters")
    if not _BASE64URL.fullmatch(text) or len(text) % 4 == 1:
        raise _malformed(f"member {name} is not base64url without padding")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise _malformed(f"member {name} is not base64url without padding") from None
    if base64url(data) != text:
        raise _malformed(f"member {name} is not in canonical base64url (unused bits set)")
    if size is not None and len(data) != size:
        raise _malformed(f"member {name} must be {size} bytes, not {len(data)}")
    return data


def _unsigned(members: Mapping[str, str], name: str) -> int:
    """An RSA integer member: big-endian, at least one octet, no leading zero octet (RFC 7518 6.3.1)."""
    data = _octets(members, name)
    if not data or data[0] == 0:
        raise _malformed(f"member {name} must be the shortest big-endian encoding of a positive integer")
    return int.from_bytes(data, "big")


def _optional_members(jwk: Mapping[str, Any], key_name: str, kid: str) -> dict[str, Any]:
    """The kid, alg, use and key_ops checks; the members kept besides the required ones and kid."""
    kept: dict[str, Any] = {}
    if "kid" in jwk and jwk["kid"] != kid:
        raise _malformed(f"kid must be the key's RFC 7638 thumbprint ({kid}) or left out")
    if "alg" in jwk:
        allowed = _ALGORITHMS[key_name]
        if not isinstance(jwk["alg"], str) or jwk["alg"] not in allowed:
            raise _malformed(f"alg {_shown(jwk['alg'])} does not fit the key ({', '.join(sorted(allowed))})")
        kept["alg"] = jwk["alg"]
    if "use" in jwk:
        if jwk["use"] != "sig":
            raise _malformed("use must be 'sig': the key verifies signed assertions")
        kept["use"] = "sig"
    if "key_ops" in jwk:
        if jwk["key_ops"] != ["verify"]:
            raise _malformed("key_ops must be ['verify']: the key verifies signed assertions")
        kept["key_ops"] = ["verify"]
    return kept


def _shown(value: object) -> str:
    """A caller's value in a detail message: JSON, at most 40 characters."""
    text = json.dumps(value, ensure_ascii=True)
    return text if len(text) <= 40 else text[:40] + "..."


def _malformed(problem: str) -> CaError:
    return CaError(catalog.MALFORMED_FIELD, f"field 'jwk': {problem}")
