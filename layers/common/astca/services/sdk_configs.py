"""Signed SDK configs: the tenant's current signer signs the config as a compact JWS, through KMS.

The token (``astca.jose.jws``): header ``alg`` (RS256 for the default RSA signer keys, ES256 or ES384
for P-256 or P-384 ones), ``typ`` JWT, ``kid`` the signer's id and ``x5c`` [signer CA, issuer CA]
(base64 DER; the root is the trust anchor the SDK already has, ``GET /v1/tenants/{t}/ca``); claims
the config as sent (``tlsBundle``, ``astUrl``, ``services``) plus ``iss``, ``sub`` (the tenant),
``iat`` and ``jti`` (a ULID). There is no ``exp``: a config is good while its chain is.

``iss`` is the service's URL: ``ASTCA_SERVICE_URL``, which the template sets to its ServiceUrl or
``https://{DomainName}``; without either, the API's own execute-api host, and only when API Gateway
says the request came in there (``requestContext.domainName`` is ``{apiId}.execute-api.…``). A
request's Host header never becomes ``iss``: whoever could set it would choose whom the SDK trusts.
With no URL to give, creating a config is 510500 (a deployment without ASTCA_SERVICE_URL behind a
custom domain is misconfigured).

The signer: the tenant's current-signer pointer, then the signer item (its key and certificate), and
the issuer CA from the bootstrap; cached per container for a minute. No signer, or one that FAILED,
is 5104043 SignerNotFoundForTenant; PENDING is 51030 SignerNotYetIssued (412); REVOKED is 51041
SignerRevoked. A cached signer may have been revoked since (revocation disables its key, so KMS
refuses to sign): a signing failure forgets the tenant's signer and looks again once, so a revoked
signer answers 51041; a failure with the signer as it stands now is 51031 SdkConfigSignError.
Warm, a config costs one KMS Sign and no database read.
"""

from __future__ import annotations

import base64
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from aws_lambda_powertools import Logger

from astca import catalog, clock, ids
from astca.catalog import CaError
from astca.jose.jws import MessageSigner, sign_compact
from astca.settings import get_settings
from astca.storage.dynamo import Table
from astca.storage.signer_records import SignerState
from astca.storage.signers import SignerRepository

logger = Logger()

SIGNER_CACHE_SECONDS = 60
REGISTERED_CLAIMS = frozenset({"iss", "sub", "iat", "jti"})
EXECUTE_API_HOST = re.compile(r"([a-z0-9]{10})\.execute-api\.[a-z0-9-]{1,32}\.amazonaws\.com(\.cn)?")


@dataclass(frozen=True)
class ConfigSigner:
    """The signer that signs a tenant's SDK configs: its id, KMS key, and chain (DER) up to the issuer CA."""

    id: str
    key_id: str
    chain: tuple[bytes, ...]
    not_after: datetime

    @property
    def x5c(self) -> list[str]:
        """The chain as a JWS ``x5c`` header (RFC 7515 4.1.6): standard base64 DER, signer first."""
        return [base64.b64encode(der).decode("ascii") for der in self.chain]


class ConfigSigners:
    """The current, issued signer of each tenant with its chain, cached per container for ``ttl`` seconds."""

    def __init__(
        self,
        signers: SignerRepository,
        issuer_der: Callable[[], bytes],
        *,
        ttl: float = SIGNER_CACHE_SECONDS,
    ) -> None:
        self.signers = signers
        self.issuer_der = issuer_der
        self.ttl = ttl
        self._cache: dict[str, tuple[float, ConfigSigner]] = {}

    def get(self, tenant: str) -> ConfigSigner:
        """The tenant's current signer if it is ISSUED (5104043, 51030, 51041 otherwise)."""
        cached = self._cache.get(tenant)
        if cached and time.monotonic() - cached[0] < self.ttl:
            return cached[1]
        found = self._load(tenant)
        self._cache[tenant] = (time.monotonic(), found)
        return found

    def forget(self, tenant: str) -> None:
        """Drop the tenant's cached signer (it may have been revoked or rotated away)."""
        self._cache.pop(tenant, None)

    def _load(self, tenant: str) -> ConfigSigner:
        from cryptography import x509  # noqa: PLC0415 - only a cold cache parses the certificate
        from cryptography.hazmat.primitives.serialization import Encoding  # noqa: PLC0415

        pointer = self.signers.pointer(tenant)
        if pointer is None or pointer.current_id is None or pointer.current_state is None:
            raise CaError(catalog.SIGNER_NOT_FOUND_FOR_TENANT, f"tenant {tenant} has no signer")
        _check_usable(tenant, pointer.current_id, pointer.current_state)
        signer = self.signers.get(tenant, pointer.current_id)
        if signer is None:
            raise CaError(catalog.SIGNER_NOT_FOUND_FOR_TENANT, f"tenant {tenant} has no signer")
        _check_usable(tenant, signer.id, signer.state)
        if not signer.certificate or not signer.kms_key_id:
            raise CaError(catalog.SIGNER_ERROR, f"signer {signer.id} is ISSUED without a certificate or key")
        try:
            certificate = x509.load_pem_x509_certificate(signer.certificate.encode("ascii"))
        except ValueError:
            raise CaError(catalog.SIGNER_ERROR, f"the certificate of signer {signer.id} is not PEM") from None
        return ConfigSigner(
            id=signer.id,
            key_id=signer.kms_key_id,
            chain=(certificate.public_bytes(Encoding.DER), self.issuer_der()),
            not_after=certificate.not_valid_after_utc,
        )


def _check_usable(tenant: str, signer_id: str, state: SignerState) -> None:
    if state is SignerState.PENDING:
        raise CaError(
            catalog.SIGNER_NOT_YET_ISSUED, f"signer {signer_id} of tenant {tenant} is not issued yet"
        )
    if state is SignerState.REVOKED:
        raise CaError(catalog.SIGNER_REVOKED, f"signer {signer_id} of tenant {tenant} is revoked")
    if state is SignerState.FAILED:
        raise CaError(
            catalog.SIGNER_NOT_FOUND_FOR_TENANT,
            f"tenant {tenant} has no usable signer: {signer_id} FAILED; create another",
        )


class SdkConfigService:
    """Signs SDK configs with the tenant's current signer."""

    def __init__(
        self,
        signers: ConfigSigners,
        key_signer: Callable[[str], MessageSigner],
        *,
        service_url: str | None,
        now: Callable[[], datetime] = clock.utcnow,
    ) -> None:
        self.signers = signers
        self.key_signer = key_signer
        self.service_url = service_url
        self.now = now

    def create(
        self, tenant: str, config: Mapping[str, Any], *, domain_name: str | None, api_id: str | None
    ) -> str:
        """``config`` (already validated) signed as a compact JWS by the tenant's current signer."""
        reserved = REGISTERED_CLAIMS & config.keys()
        if reserved:
            raise ValueError(f"a config may not set the claims {', '.join(sorted(reserved))}")
        issuer = self.issuer(domain_name, api_id)
        for attempt in (1, 2):
            try:
                return self._sign(tenant, config, issuer, self.signers.get(tenant))
            except CaError as error:
                if error.entry is not catalog.SIGNER_ERROR:
                    raise
                # The cached signer may have been revoked (its key disabled) or rotated away since it
                # was cached: look the current one up again and sign once more.
                self.signers.forget(tenant)
                if attempt == 2:
                    raise CaError(
                        catalog.SDK_CONFIG_SIGN_ERROR, f"the SDK config could not be signed: {error.detail}"
                    ) from error
        raise AssertionError("unreachable")  # pragma: no cover

    def issuer(self, domain_name: str | None, api_id: str | None) -> str:
        """The ``iss`` of configs: ASTCA_SERVICE_URL, else the API's execute-api host the request came in on."""
        if self.service_url:
            return self.service_url
        match = EXECUTE_API_HOST.fullmatch(domain_name or "")
        if match is None or match.group(1) != api_id:
            raise CaError(
                catalog.INTERNAL_ERROR,
                "the service has no URL to sign SDK configs with: ASTCA_SERVICE_URL is not set",
            )
        return f"https://{domain_name}"

    def _sign(self, tenant: str, config: Mapping[str, Any], issuer: str, signer: ConfigSigner) -> str:
        now = self.now()
        if now >= signer.not_after:
            raise CaError(
                catalog.SIGNER_ERROR,
                f"the certificate of signer {signer.id} expired at {clock.rfc3339(signer.not_after)}",
            )
        jti = ids.new_ulid()
        header = {"typ": "JWT", "kid": signer.id, "x5c": signer.x5c}
        claims = {**config, "iss": issuer, "sub": tenant, "iat": int(now.timestamp()), "jti": jti}
        token = sign_compact(header, claims, self.key_signer(signer.key_id))
        logger.info("SDK config signed", extra={"tenant": tenant, "signerId": signer.id, "jti": jti})
        return token


@cache
def sdk_config_service() -> SdkConfigService:
    """The SDK config service of this container: KMS signatures, the issuer CA from the bootstrap."""
    from cryptography.hazmat.primitives.serialization import Encoding  # noqa: PLC0415

    from astca.issuance.hierarchy import load_hierarchy  # noqa: PLC0415 - signing needs KMS
    from astca.issuance.kms import KmsSigner  # noqa: PLC0415

    settings = get_settings()
    table = Table(settings.table_name)

    def issuer_der() -> bytes:
        return load_hierarchy(table).issuer.certificate.public_bytes(Encoding.DER)

    return SdkConfigService(
        ConfigSigners(SignerRepository(table), issuer_der), KmsSigner, service_url=settings.service_url
    )
