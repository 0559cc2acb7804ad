"""The mTLS client certificate of a request: API Gateway's mutual-TLS context or a trusted terminator's header.

API Gateway (a custom domain with mutual TLS) puts the certificate whose key the TLS handshake proved
in ``requestContext.authentication.clientCert.clientCertPem``; no client can write that field. It is
read only where the deployment has such a domain (``ASTCA_MTLS_DOMAIN_NAME``), and such a certificate
is ``proven``. Behind a TLS terminator that overwrites it, the header ``ASTCA_CLIENT_CERT_HEADER``
carries the certificate: Envoy's XFCC form (``By=...;Hash=...;Cert="<url-encoded PEM>"``) or a
URL-encoded PEM as nginx's ``$ssl_client_escaped_cert``. By default no header is trusted, and a
certificate from a header is never ``proven``: anyone can copy a certificate, so the service then asks
for a signature by its key as well (``services.certificates``). A deployment with neither answers
510401: it offers no way to show a certificate.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography import x509

from astca import catalog
from astca.catalog import CaError

MAX_HEADER_CHARS = 16384


@dataclass(frozen=True)
class PresentedCertificate:
    """A client certificate and whether the TLS handshake proved its key (else only a header carried it)."""

    certificate: x509.Certificate
    proven: bool


def client_certificate(
    event: Mapping[str, Any], *, header: str | None, handshake: bool
) -> PresentedCertificate:
    """The client certificate of an HTTP API event (510401 if the deployment takes none, 5104011 if absent).

    ``handshake`` says the deployment has a mutual-TLS domain; ``header`` names the one header trusted.
    """
    if not handshake and not header:
        raise CaError(
            catalog.UNAUTHORIZED,
            "this deployment takes no client certificates: it has no mutual-TLS domain and trusts no "
            "client certificate header",
        )
    pem = _from_request_context(event) if handshake else None
    proven = pem is not None
    if pem is None and header:
        pem = _from_header(event, header)
    if not pem:
        raise CaError(catalog.TLS_CLIENT_AUTH_MISSING, "the request carries no mTLS client certificate")
    try:
        certificate = x509.load_pem_x509_certificate(pem.encode())
    except ValueError:
        raise CaError(
            catalog.TLS_CLIENT_AUTH_MISSING, "the mTLS client certificate could not be parsed"
        ) from None
    return PresentedCertificate(certificate, proven=proven)


def _from_request_context(event: Mapping[str, Any]) -> str | None:
    authentication = (event.get("requestContext") or {}).get("authentication") or {}
    pem = (authentication.get("clientCert") or {}).get("clientCertPem")
    return pem if isinstance(pem, str) and pem.strip() else None


def _from_header(event: Mapping[str, Any], header: str) -> str | None:
    headers = {key.lower(): value for key, value in (event.get("headers") or {}).items()}
    value = headers.get(header.lower())
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_HEADER_CHARS:
        return None
    if "cert=" not in value.lower():
        return urllib.parse.unquote(value.strip())
    # Envoy XFCC: the first element is the client that connected to the outermost proxy.
    first = xfcc_elements(value)[0]
    cert = first.get("cert")
    return urllib.parse.unquote(cert) if cert else None


def xfcc_elements(value: str) -> list[dict[str, str]]:
    """Parse an XFCC header: elements split by ',', pairs by ';', values optionally double-quoted."""
    elements: list[dict[str, str]] = [{}]
    key, buffer, quoted, escaped = "", "", False, False
    for char in value + ";":
        if escaped:
            buffer, escaped = buffer + char, False
        elif char == "\\" and quoted:
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif quoted:
            buffer += char
        elif char == "=" and not key:
            key, buffer = buffer.strip().lower(), ""
        elif char in ";,":
            if key:
                elements[-1][key] = buffer.strip()
            key, buffer = "", ""
            if char == ",":
                elements.append({})
        else:
            buffer += char
    return [element for element in elements if element] or [{}]
