"""Where certificates point relying parties: the one home of every URL the CA writes into a certificate.

All of them hang under the CA's public base URL (``ASTCA_CA_URL``):

- ``{base}/v1/ca/certificates/{root|issuer}``: the platform CA certificates, DER;
- ``{base}/v1/tenants/{t}/ca/certificates/{anchor|cross|<signer id>}``: a tenant's anchor, its
  cross-certificate by the platform issuer, and its signer CAs, DER. Each certificate's AIA
  caIssuers names the one of its issuer: a device its signer's, a signer its tenant's anchor, a
  cross-certificate the platform issuer, the platform issuer the root;
- ``{base}/v1/tenants/{t}/devices/{client id}/{user id}``: the URI a device certificate's
  subjectAltName names the device by, unique within the tenant (each identity value
  percent-encoded as UTF-8, so any value a subject may carry makes a valid RFC 3986 URI).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote

PlatformCa = Literal["root", "issuer"]
ANCHOR = "anchor"
CROSS = "cross"


@dataclass(frozen=True)
class CaLocations:
    """The URLs under one public base URL (no trailing slash)."""

    base_url: str

    def platform_certificate(self, name: PlatformCa) -> str:
        """Where the platform root or issuer certificate is served."""
        return f"{self.base_url}/v1/ca/certificates/{name}"

    def tenant_certificate(self, tenant: str, name: str) -> str:
        """Where a tenant's anchor (``ANCHOR``), cross-certificate (``CROSS``) or signer CA (its id) is served."""
        return f"{self.base_url}/v1/tenants/{quote(tenant, safe='')}/ca/certificates/{quote(name, safe='')}"

    def device(self, tenant: str, client_id: str, user_id: str) -> str:
        """The URI that names a device (client id and user id) of a tenant."""
        parts = (quote(value, safe="") for value in (tenant, client_id, user_id))
        tenant_part, client_part, user_part = parts
        return f"{self.base_url}/v1/tenants/{tenant_part}/devices/{client_part}/{user_part}"
