"""Tenants are Keycloak realms: the path segment is checked as a realm name before it reaches any URL."""

from __future__ import annotations

import re

from astca import catalog
from astca.catalog import CaError

# Lower-case letters, digits, '-' and '_', starting and ending with a letter or digit: no dots, slashes,
# percent signs or anything else that could change the meaning of the URL it is put in.
REALM_NAME = re.compile(r"[a-z0-9](?:[a-z0-9_-]{0,61}[a-z0-9])?")  # whole string: fullmatch


def checked_tenant(tenant: str | None) -> str:
    """The tenant path segment if it is a valid realm name, else 5104002 MalformedField."""
    if not isinstance(tenant, str) or not REALM_NAME.fullmatch(tenant):
        raise CaError(
            catalog.MALFORMED_FIELD,
            "path parameter 'tenant' must be a realm name: 1-63 lower-case letters, digits, '-' or '_', "
            "starting and ending with a letter or digit",
        )
    return tenant


def issuer_of(base_url: str | None, tenant: str) -> str:
    """The issuer URL of a tenant's realm: ``{base}/realms/{tenant}`` (5101001 when no base is set)."""
    if not base_url:
        raise CaError(
            catalog.ISSUER_NOT_CONFIGURED, "ASTCA_OIDC_BASE_URL is not set, so no realm issuer can be derived"
        )
    return f"{base_url.rstrip('/')}/realms/{checked_tenant(tenant)}"
