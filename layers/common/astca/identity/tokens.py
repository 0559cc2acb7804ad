"""Access-token validation for one tenant: every failure is 510401 Unauthorized naming the failed check.

Order of checks: bearer header, decodable, asymmetric algorithm, an access token (not an ID, refresh
or logout token), realm of the token vs the tenant of the path, then (after discovery) issuer,
signature, exp/nbf/iat with leeway, and audience. The checks that need no IdP come first, so a token
that cannot be valid costs no IdP call.

An access token is one whose header ``typ``, if present, is ``JWT`` or ``at+jwt`` (RFC 9068; Keycloak
writes ``JWT``) and whose ``typ`` claim, if present, is ``Bearer`` (Keycloak writes ``ID``, ``Refresh``
and ``Logout`` into its other tokens; a logout token's header says ``logout+jwt``).
"""

from __future__ import annotations

import functools
import json
import math
import time
from collections.abc import Callable, Sequence
from typing import Any

import jwt

from astca import catalog
from astca.catalog import CaError, echo
from astca.identity.oidc import ASYMMETRIC_ALGORITHMS, RealmDirectory

MAX_TOKEN_CHARS = 16384
ACCESS_TOKEN_HEADER_TYPES = frozenset({"jwt", "at+jwt", "application/at+jwt"})
ACCESS_TOKEN_CLAIM_TYPE = "Bearer"  # noqa: S105 - a token type, not a secret


def unauthorized(detail: str) -> CaError:
    """510401 Unauthorized with ``detail`` naming the failed check."""
    return CaError(catalog.UNAUTHORIZED, detail)


def bearer_token(authorization: str | None) -> str:
    """The token of an ``Authorization: Bearer <token>`` header."""
    if not authorization:
        raise unauthorized("the Authorization header is missing")
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise unauthorized("the Authorization header is not a Bearer token")
    if len(token) > MAX_TOKEN_CHARS:
        raise unauthorized(f"the token is longer than {MAX_TOKEN_CHARS} characters")
    return token.strip()


class TokenVerifier:
    """Validates access tokens against the realm of the tenant they are presented to."""

    def __init__(
        self,
        directory: RealmDirectory,
        *,
        audience: Sequence[str] = (),
        leeway_seconds: int = 30,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.directory = directory
        self.audience = tuple(audience)
        self.leeway = leeway_seconds
        self.now = now

    def verify(self, token: str, tenant: str) -> dict[str, Any]:
        """The claims of ``token`` if it is valid for ``tenant``; 510401 (or a 100x code) otherwise."""
        try:  # parsed once; the signature is checked below over the same bytes
            parsed = _PARSER.decode_complete(token, options={"verify_signature": False})
        except (jwt.PyJWTError, RecursionError, ValueError):  # nesting and digit limits surface as these
            raise unauthorized("the token could not be decoded as a JWT") from None
        header, unverified = parsed["header"], parsed["payload"]
        algorithm = header.get("alg")
        if algorithm not in ASYMMETRIC_ALGORITHMS:
            raise unauthorized(
                f"the token's algorithm {echo(algorithm)} is not allowed (asymmetric algorithms only)"
            )
        _check_access_token(header, unverified)
        self._check_realm(unverified.get("iss"), tenant)
        realm = self.directory.realm(tenant)
        if unverified.get("iss") != realm.issuer:
            raise unauthorized(f"the token's issuer {echo(unverified.get('iss'))} is not the realm's issuer")
        kid = header.get("kid")
        jwk = self.directory.signing_key(tenant, kid if isinstance(kid, str) else None)
        if jwk is None:
            raise unauthorized("the token's signature does not match the realm's keys (unknown key id)")
        self._verify_signature(token, parsed["signature"], jwk, algorithm)
        claims: dict[str, Any] = unverified
        self._check_times(claims)
        self._check_audience(claims)
        return claims

    @staticmethod
    def _check_realm(issuer: object, tenant: str) -> None:
        if isinstance(issuer, str) and "/realms/" in issuer:
            realm = issuer.rsplit("/realms/", 1)[1]
            if realm != tenant:
                raise unauthorized(
                    f"the token is from realm {echo(realm)}, not from tenant {tenant!r} of the path"
                )

    @staticmethod
    def _verify_signature(token: str, signature: bytes, jwk: dict[str, Any], algorithm: str) -> None:
        if jwk.get("alg") not in (None, algorithm):
            raise unauthorized("the token's signature does not match the realm's keys (algorithm differs)")
        try:
            key = _public_key(json.dumps(jwk, sort_keys=True), algorithm)
            valid = key.Algorithm.verify(token.rsplit(".", 1)[0].encode("ascii"), key.key, signature)
        except (
            jwt.PyJWTError,
            ValueError,
            TypeError,
        ):  # a JWKS member of the wrong type is TypeError/ValueError
            raise unauthorized("the token's signature does not match the realm's keys") from None
        if not valid:
            raise unauthorized("the token's signature does not match the realm's keys")

    def _check_times(self, claims: dict[str, Any]) -> None:
        now = self.now()
        exp, nbf, iat = claims.get("exp"), claims.get("nbf"), claims.get("iat")
        for name, value in (("exp", exp), ("nbf", nbf), ("iat", iat)):
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value)
            ):
                raise unauthorized(f"the token's {name} claim is not a number")
        if exp is None:
            raise unauthorized("the token has no exp claim")
        if now > exp + self.leeway:
            raise unauthorized("the token has expired (exp)")
        if nbf is not None and now < nbf - self.leeway:
            raise unauthorized("the token is not valid yet (nbf)")
        if iat is not None and iat > now + self.leeway:
            raise unauthorized("the token was issued in the future (iat)")

    def _check_audience(self, claims: dict[str, Any]) -> None:
        if not self.audience:
            return
        aud = claims.get("aud")
        values = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
        present = {value for value in values if isinstance(value, str)}
        missing = [value for value in self.audience if value not in present]
        if missing:
            raise unauthorized(f"the token's audience lacks {', '.join(missing)}")


def _check_access_token(header: dict[str, Any], claims: dict[str, Any]) -> None:
    """510401 unless the token says it is an access token (or says nothing of its type)."""
    header_type = header.get("typ")
    if header_type is not None and (
        not isinstance(header_type, str) or header_type.lower() not in ACCESS_TOKEN_HEADER_TYPES
    ):
        raise unauthorized(f"the token is not an access token (its header typ is {echo(header_type)})")
    claim_type = claims.get("typ")
    if claim_type is not None and claim_type != ACCESS_TOKEN_CLAIM_TYPE:
        raise unauthorized(f"the token is not an access token (its typ claim is {echo(claim_type)})")


_PARSER = jwt.PyJWT()


@functools.lru_cache(maxsize=64)
def _public_key(jwk_json: str, algorithm: str) -> jwt.PyJWK:
    """The realm key of a JWK (its JSON) for ``algorithm``, built once per container (keys come from the realm's JWKS)."""
    return jwt.PyJWK(json.loads(jwk_json), algorithm=algorithm)
