"""Proofs of possession: a short-lived compact JWS (RFC 7515) signed by the key whose possession it proves.

``verify_proof(token, key, typ=..., now=...)`` answers the proof's claims, or raises ``ProofError`` naming
the failed check; the caller decides what a failure means for its client (4002 for a key registration,
510401 for a renewal). What holds for every proof:

- the token is at most ``MAX_PROOF_CHARS`` long and is exactly three parts of base64url without padding
  (RFC 7515 section 2), so one proof has one spelling;
- its header's ``alg`` is the one algorithm family that fits ``key`` (ES256 for P-256, ES384 for P-384,
  ES512 for P-521, RS256/RS384/RS512/PS256/PS384/PS512 for RSA, EdDSA for Ed25519): never ``none``,
  never HMAC, and never a key named in the header (``jwk``, ``x5c``, ``jku`` and ``x5u`` are ignored);
- its header's ``typ`` is ``typ`` (compared case-insensitively, with or without ``application/``), so a
  proof made for one purpose is no proof for another;
- the signature verifies with ``key``;
- its claims are a JSON object whose ``iat`` is an integer no more than ``max_age`` seconds in the past
  and no more than ``leeway`` seconds in the future.

The purpose's own claims (whose key, for which request) are the caller's to check.
"""

from __future__ import annotations

import re
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes

from astca.domain.proofs import MAX_AGE_SECONDS, MAX_PROOF_CHARS

LEEWAY_SECONDS = 30

_EC_ALGORITHMS = {"secp256r1": "ES256", "secp384r1": "ES384", "secp521r1": "ES512"}
_RSA_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512")
_COMPACT = re.compile(r"[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*")


class ProofError(Exception):
    """A proof of possession that does not hold; its message names the failed check, never the input."""


def algorithms_for(key: PublicKeyTypes) -> tuple[str, ...]:
    """The JWS algorithms a signature by ``key`` may name (empty for a key type no proof is taken from)."""
    if isinstance(key, ec.EllipticCurvePublicKey):
        name = _EC_ALGORITHMS.get(key.curve.name)
        return (name,) if name else ()
    if isinstance(key, rsa.RSAPublicKey):
        return _RSA_ALGORITHMS
    if isinstance(key, ed25519.Ed25519PublicKey):
        return ("EdDSA",)
    return ()


def verify_proof(
    token: object,
    key: PublicKeyTypes,
    *,
    typ: str,
    now: float,
    max_age: int = MAX_AGE_SECONDS,
    leeway: int = LEEWAY_SECONDS,
) -> dict[str, Any]:
    """The claims of ``token``, a proof of type ``typ`` signed by ``key`` at most ``max_age`` seconds ago."""
    if not isinstance(token, str) or not token:
        raise ProofError("the proof must be a compact JWS")
    if len(token) > MAX_PROOF_CHARS:
        raise ProofError(f"the proof must be a compact JWS of at most {MAX_PROOF_CHARS} characters")
    if not _COMPACT.fullmatch(token):  # PyJWT also takes '=' padding: a second spelling of one signature
        raise ProofError("the proof must be a compact JWS: three base64url parts without padding")
    allowed = algorithms_for(key)
    if not allowed:
        raise ProofError("no proof can be taken from a key of this type")
    try:
        header = jwt.get_unverified_header(token)
    except (jwt.PyJWTError, RecursionError, ValueError):  # nesting and digit limits surface as these
        raise ProofError("the proof's header is not a JWS header") from None
    algorithm = header.get("alg")
    if algorithm not in allowed:
        raise ProofError(f"the proof's alg must be one of {', '.join(allowed)} for this key")
    if _media_type(header.get("typ")) != typ.lower():
        raise ProofError(f"the proof's typ must be {typ!r}")
    try:
        claims = jwt.decode(
            token,
            key,  # type: ignore[arg-type]  # PyJWT takes any cryptography public key it has an algorithm for
            algorithms=[algorithm],
            options={
                "verify_exp": False,
                "verify_nbf": False,
                "verify_iat": False,
                "verify_aud": False,
                "verify_sub": False,  # the purpose's claims are the caller's: a foreign sub is named so
                "verify_jti": False,
            },
        )
    except jwt.InvalidSignatureError:
        raise ProofError("the proof's signature does not verify with the key") from None
    except (jwt.PyJWTError, RecursionError, ValueError):
        raise ProofError("the proof is not a signed JWT with a JSON object as its claims") from None
    iat = claims.get("iat")
    if isinstance(iat, bool) or not isinstance(iat, int):
        raise ProofError("the proof's iat must be a whole number of seconds")
    if iat < now - max_age:
        raise ProofError(f"the proof is stale: iat is more than {max_age} seconds ago")
    if iat > now + leeway:
        raise ProofError("the proof's iat is in the future")
    return claims


def _media_type(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    lowered = value.lower()
    return lowered.removeprefix("application/")
