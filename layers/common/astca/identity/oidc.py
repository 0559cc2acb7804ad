"""OIDC discovery and JWKS per realm, fetched on first use and cached for the container's life.

The JWKS of a realm is fetched again when a token names a ``kid`` it does not hold, at most once per
``refresh_seconds`` per realm, so a rotated key is picked up and a flood of bogus kids cannot
hammer the IdP. Discovery failures are the catalog's 100x codes. A realm whose discovery failed for a
reason other than an unreachable IdP (no such realm, a misconfigured one) is remembered as failed for
``refresh_seconds`` too, so however many requests name a realm the IdP does not have, it costs at most
one IdP call per realm per interval; at most ``MAX_FAILED_REALMS`` such realms are remembered, the
oldest forgotten first. Details never carry the IdP's URLs (they are logged): an unauthenticated
caller learns the failure, not the service's internal addresses.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from aws_lambda_powertools import Logger

from astca import catalog
from astca.catalog import CaError
from astca.identity.idp_http import IdpStatus
from astca.identity.realms import issuer_of

logger = Logger()

# Asymmetric signature algorithms only: "none" and the HMAC family are never accepted.
ASYMMETRIC_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)
ASYMMETRIC_KEY_TYPES = frozenset({"RSA", "EC", "OKP"})
MAX_FAILED_REALMS = 4096


class JsonFetcher(Protocol):
    """Fetches a JSON document."""

    def get_json(self, url: str) -> object:
        """GET ``url`` and return its parsed JSON."""


@dataclass
class Realm:
    """What the service knows of one realm: its issuer, JWKS location and signing keys by kid."""

    issuer: str
    jwks_uri: str
    keys: dict[str, dict[str, Any]] = field(default_factory=dict)
    refreshed_at: float = float("-inf")


class RealmDirectory:
    """Discovers realms and caches their configuration and keys."""

    def __init__(
        self,
        base_url: str | None,
        fetcher: JsonFetcher,
        *,
        refresh_seconds: float = 60,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.base_url = base_url
        self.fetcher = fetcher
        self.refresh_seconds = refresh_seconds
        self.monotonic = monotonic
        self._realms: dict[str, Realm] = {}
        self._failed: OrderedDict[str, tuple[float, CaError]] = OrderedDict()

    def realm(self, tenant: str) -> Realm:
        """The realm of ``tenant``, discovered on first use (a failed discovery is remembered a while)."""
        realm = self._realms.get(tenant)
        if realm is not None:
            return realm
        failed = self._failed.get(tenant)
        if failed is not None and self.monotonic() - failed[0] < self.refresh_seconds:
            raise CaError(failed[1].entry, failed[1].detail)
        try:
            realm = self._discover(tenant)
            self._refresh_keys(realm)
        except CaError as error:
            if error.entry is not catalog.IDP_UNAVAILABLE:
                self._remember_failure(tenant, error)
            raise
        self._failed.pop(tenant, None)
        self._realms[tenant] = realm
        return realm

    def _remember_failure(self, tenant: str, error: CaError) -> None:
        self._failed[tenant] = (self.monotonic(), error)
        self._failed.move_to_end(tenant)
        while len(self._failed) > MAX_FAILED_REALMS:
            self._failed.popitem(last=False)

    def signing_key(self, tenant: str, kid: str | None) -> dict[str, Any] | None:
        """The JWK with ``kid`` (the only key when the token names none), refreshing once if unknown."""
        realm = self.realm(tenant)
        key = _pick(realm.keys, kid)
        if key is None and self.monotonic() - realm.refreshed_at >= self.refresh_seconds:
            self._refresh_keys(realm)
            key = _pick(realm.keys, kid)
        return key

    def _discover(self, tenant: str) -> Realm:
        expected = issuer_of(self.base_url, tenant)
        url = f"{expected}/.well-known/openid-configuration"
        document = self._fetch(url, what="OIDC discovery", missing_realm=tenant)
        issuer = document.get("issuer")
        if issuer != expected:
            logger.error(
                "discovered issuer differs from the expected one",
                extra={
                    "expectedIssuer": expected,
                    "discoveredIssuer": issuer,
                    "hint": "set the realm's Frontend URL in Keycloak to the base URL the service is "
                    "configured with (ASTCA_OIDC_BASE_URL), then restart the service",
                },
            )
            raise CaError(
                catalog.ISSUER_MISMATCH,
                f"realm {tenant!r} announces another issuer than the service expects (see the log)",
            )
        jwks_uri = document.get("jwks_uri")
        if not isinstance(jwks_uri, str) or not jwks_uri.startswith(("https://", "http://")):
            raise CaError(catalog.UNSUPPORTED_FLOW, f"realm {tenant!r} announces no usable jwks_uri")
        algorithms = document.get("id_token_signing_alg_values_supported")
        if isinstance(algorithms, list) and not ASYMMETRIC_ALGORITHMS.intersection(algorithms):
            raise CaError(
                catalog.UNSUPPORTED_FLOW,
                f"realm {tenant!r} offers no asymmetric signing algorithm (offers {algorithms})",
            )
        return Realm(issuer=expected, jwks_uri=jwks_uri)

    def _refresh_keys(self, realm: Realm) -> None:
        document = self._fetch(realm.jwks_uri, what="JWKS")
        keys = document.get("keys")
        if not isinstance(keys, list):
            logger.error("the realm's JWKS has no 'keys' list", extra={"url": realm.jwks_uri})
            raise CaError(catalog.BAD_RESPONSE, "the realm's JWKS has no 'keys' list")
        realm.keys = {
            str(key.get("kid", "")): key
            for key in keys
            if isinstance(key, dict)
            and key.get("kty") in ASYMMETRIC_KEY_TYPES
            and key.get("use", "sig") == "sig"
        }
        realm.refreshed_at = self.monotonic()

    def _fetch(self, url: str, *, what: str, missing_realm: str | None = None) -> Mapping[str, Any]:
        try:
            document = self.fetcher.get_json(url)
        except CaError:
            raise
        except IdpStatus as exc:
            if exc.status == 404 and missing_realm is not None:
                raise CaError(
                    catalog.REALM_DOES_NOT_EXIST, f"the IdP has no realm {missing_realm!r}"
                ) from None
            logger.error("the IdP answered an unexpected status", extra={"url": url, "status": exc.status})
            raise CaError(catalog.UNEXPECTED_ERROR, f"{what} answered HTTP {exc.status}") from None
        except Exception as exc:
            logger.exception("unexpected failure talking to the IdP", extra={"url": url})
            raise CaError(catalog.GENERAL_ERROR, f"{what} failed unexpectedly") from exc
        if not isinstance(document, dict):
            logger.error("the IdP's answer is not a JSON object", extra={"url": url})
            raise CaError(catalog.BAD_RESPONSE, f"{what} is not a JSON object")
        return document


def _pick(keys: Mapping[str, dict[str, Any]], kid: str | None) -> dict[str, Any] | None:
    if kid is None:
        return next(iter(keys.values())) if len(keys) == 1 else None
    return keys.get(kid)
