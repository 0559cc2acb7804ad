"""Turns an HTTP API event into a Principal that meets a function's Needs, or the catalog's 401/403."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from functools import cache
from typing import Any

from astca.identity.idp_http import IdpHttp
from astca.identity.oidc import RealmDirectory
from astca.identity.principal import Needs, Principal
from astca.identity.realms import checked_tenant
from astca.identity.tokens import TokenVerifier, bearer_token
from astca.settings import Settings, get_settings


class Authenticator:
    """Authenticates requests of every tenant; its realm caches live as long as the container."""

    def __init__(self, settings: Settings, verifier: TokenVerifier) -> None:
        self.settings = settings
        self.verifier = verifier

    def authenticate(self, event: Mapping[str, Any], needs: Needs) -> Principal:
        """The principal of ``event``, checked against ``needs``."""
        tenant = checked_tenant((event.get("pathParameters") or {}).get("tenant"))
        principal = Principal(tenant=tenant)
        if needs.token:
            headers = {key.lower(): value for key, value in (event.get("headers") or {}).items()}
            claims = self.verifier.verify(bearer_token(headers.get("authorization")), tenant)
            principal = Principal.from_claims(
                tenant,
                claims,
                client_id_claim=self.settings.client_id_claim,
                role_clients=self.settings.role_clients,
            )
            principal.require(needs, admin_role=self.settings.admin_role)
        if needs.client_certificate:
            from astca.identity.mtls import client_certificate  # noqa: PLC0415 - renewal alone takes one

            presented = client_certificate(
                event,
                header=self.settings.client_cert_header,
                handshake=self.settings.mtls_domain_name is not None,
            )
            principal = replace(
                principal,
                client_certificate=presented.certificate,
                client_certificate_proven=presented.proven,
            )
        return principal


def build_authenticator(settings: Settings) -> Authenticator:
    """An authenticator talking to the IdP the settings name."""
    http = IdpHttp(
        tls_mode=settings.idp_tls_mode,
        trust_store=settings.idp_trust_store,
        timeout=settings.oidc_timeout_seconds,
    )
    directory = RealmDirectory(
        settings.oidc_base_url, http, refresh_seconds=settings.oidc_jwks_refresh_seconds
    )
    verifier = TokenVerifier(
        directory, audience=settings.oidc_audience, leeway_seconds=settings.oidc_leeway_seconds
    )
    return Authenticator(settings, verifier)


@cache
def authenticator() -> Authenticator:
    """The authenticator of this container."""
    return build_authenticator(get_settings())
