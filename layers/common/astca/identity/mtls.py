"""The mTLS client certificate of a request: API Gateway's mutual-TLS context or a trusted proxy's header.

API Gateway (custom domain with mutual TLS) puts the verified certificate in
``requestContext.authentication.clientCert.clientCertPem``. Behind a TLS terminator, the configured
header carries it: Envoy's XFCC form (``By=...;Hash=...;Cert="<url-encoded PEM>"``) or a URL-encoded
PEM as nginx's ``$ssl_client_escaped_cert``. Only a terminator the service trusts may set it.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping
from typing import Any

from cryptography import x509

from astca import catalog
from astca.catalog import CaError


def client_certificate(event: Mapping[str, Any], header: str) -> x509.Certificate:
    """The client certificate of an HTTP API event; 5104011 TlsClientAuthMissing if absent or unparseable."""
    pem = _from_request_context(event) or _from_header(event, header)
    if not pem:
        raise CaError(catalog.TLS_CLIENT_AUTH_MISSING, "the request carries no mTLS client certificate")
    try:
        return x509.load_pem_x509_certificate(pem.encode())
    except ValueError:
        raise CaError(
            catalog.TLS_CLIENT_AUTH_MISSING, "the mTLS client certificate could not be parsed"
        ) from None


def _from_request_context(event: Mapping[str, Any]) -> str | None:
    authentication = (event.get("requestContext") or {}).get("authentication") or {}
    pem = (authentication.get("clientCert") or {}).get("clientCertPem")
    return pem if isinstance(pem, str) and pem.strip() else None


def _from_header(event: Mapping[str, Any], header: str) -> str | None:
    if not header:
        return None
    headers = {key.lower(): value for key, value in (event.get("headers") or {}).items()}
    value = headers.get(header.lower())
    if not isinstance(value, str) or not value.strip():
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
