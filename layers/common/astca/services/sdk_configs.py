"""Signed SDK configs: the tenant's current signer signs the config as a compact JWS, through KMS.

The token (``astca.jose.jws``): header ``alg`` (RS256 for the default RSA signer keys, ES256 or ES384
for P-256 or P-384 ones), ``typ`` JWT, ``kid`` the signer's id and ``x5c``: the signer CA, which the tenant's anchor issued
(base64 DER; the anchor itself, which the SDK pins, is left out: ``GET /v1/tenants/{t}/ca``; a
signer from before anchors is followed by the platform issuer, up to the platform root); claims
the config as sent (``tlsBundle``, ``astUrl``, ``services``) plus ``iss``, ``sub`` (the tenant),
``iat`` and ``jti`` (a ULID). There is no ``exp``: a config is good while its chain is.

``iss`` is the service's URL: ``ASTCA_SERVICE_URL``, which the template sets to its ServiceUrl or
``https://{DomainName}``; without either, the API's own execute-api host, and only when API Gateway
says the request came in there (``requestContext.domainName`` is ``{apiId}.execute-api.…``). A
request's Host header never becomes ``iss``: whoever could set it would choose whom the SDK trusts.
With no URL to give, creating a config is 510500 (a deployment without ASTCA_SERVICE_URL behind a
custom domain is misconfigured).

The signer is the tenant's active signer (``services.active_signer``: its table decides 5104043,
51030 or 51041, its cache serves it, and a cached signer revoked since is looked up again once, so a
revoked signer answers 51041); the issuer CA comes from the bootstrap. A failure to sign with the
signer as it stands now is 51031 SdkConfigSignError. Warm, a config costs one KMS Sign and no
database read.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from functools import cache
from typing import Any

from aws_lambda_powertools import Logger
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from astca import catalog, clock, ids
from astca.catalog import CaError
from astca.domain.errors import Failed, Invalid, PreconditionFailed
from astca.issuance.kms import KmsSigner
from astca.jose.jws import MessageSigner, sign_compact
from astca.services.active_signer import ActiveSigner, ActiveSigners, active_signers
from astca.services.trust import trust_material
from astca.settings import get_settings

logger = Logger()

REGISTERED_CLAIMS = frozenset({"iss", "sub", "iat", "jti"})
EXECUTE_API_HOST = re.compile(r"([a-z0-9]{10})\.execute-api\.[a-z0-9-]{1,32}\.amazonaws\.com(\.cn)?")


def x5c(chain: tuple[bytes, ...]) -> list[str]:
    """A chain as a JWS ``x5c`` header (RFC 7515 4.1.6): standard base64 DER, signer first."""
    return [base64.b64encode(der).decode("ascii") for der in chain]


class SdkConfigService:
    """Signs SDK configs with the tenant's current signer."""

    def __init__(
        self,
        signers: ActiveSigners,
        key_signer: Callable[[str], MessageSigner],
        chain: Callable[[str], tuple[bytes, ...]],
        *,
        service_url: str | None,
        now: Callable[[], datetime] = clock.utcnow,
    ) -> None:
        self.signers = signers
        self.key_signer = key_signer
        self.chain = chain
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
        try:
            return self.signers.signing(tenant, lambda signer: self._sign(tenant, config, issuer, signer))
        except (Failed, Invalid, PreconditionFailed) as error:
            raise CaError(
                catalog.SDK_CONFIG_SIGN_ERROR, f"the SDK config could not be signed: {error.detail}"
            ) from error

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

    def _sign(self, tenant: str, config: Mapping[str, Any], issuer: str, signer: ActiveSigner) -> str:
        now = self.now()
        if now >= signer.not_after:
            raise PreconditionFailed(
                "signer",
                f"the certificate of signer {signer.id} expired at {clock.rfc3339(signer.not_after)}",
                state="EXPIRED",
            )
        jti = ids.new_ulid()
        header = {"typ": "JWT", "kid": signer.id, "x5c": x5c(self.chain(signer.certificate_pem))}
        claims = {**config, "iss": issuer, "sub": tenant, "iat": int(now.timestamp()), "jti": jti}
        token = sign_compact(header, claims, self.key_signer(signer.key_id))
        logger.info("SDK config signed", extra={"tenant": tenant, "signerId": signer.id, "jti": jti})
        return token


@cache
def sdk_config_service() -> SdkConfigService:
    """The SDK config service of this container: KMS signatures, the issuer CA from the bootstrap."""

    def chain(signer_pem: str) -> tuple[bytes, ...]:
        return tuple(
            x509.load_pem_x509_certificate(pem.encode("ascii")).public_bytes(Encoding.DER)
            for pem in trust_material().to_anchor(signer_pem)
        )

    return SdkConfigService(active_signers(), KmsSigner, chain, service_url=get_settings().service_url)
