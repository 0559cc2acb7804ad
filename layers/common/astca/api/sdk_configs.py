"""SDK config requests and responses.

The request is the config itself, checked here and signed as sent: ``tlsBundle`` (1-50 X.509
certificates, each base64 DER of at most 8 KiB that parses), ``astUrl`` and each service's ``url``
(https, a host, no user info or fragment, at most 2048 characters) and ``services`` (0-50, names 1-64
characters, each name once). A value that breaks a rule is 4002 MalformedField naming the field, a
missing one 4001 MissingField.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import AfterValidator, ConfigDict, Field, field_validator

from astca.api.base import CamelModel

MAX_CERTIFICATES = 50
MAX_CERTIFICATE_BYTES = 8 * 1024
MAX_SERVICES = 50
MAX_URL_LENGTH = 2048
_HOST_LABEL = r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)"
HOST_NAME = re.compile(rf"{_HOST_LABEL}(\.{_HOST_LABEL})*\.?")  # whole strings: fullmatch
_BASE64 = re.compile(r"[A-Za-z0-9+/]+={0,2}")


def certificate_der(value: str) -> str:
    """Check that ``value`` is base64 of a DER X.509 certificate of at most 8 KiB (ValueError otherwise)."""
    from cryptography import x509  # noqa: PLC0415 - only this function parses certificates

    if not _BASE64.fullmatch(value) or len(value) % 4:
        raise ValueError("must be standard base64 (padded, no line breaks) of a DER certificate")
    try:
        der = base64.b64decode(value, validate=True)
    except binascii.Error:
        raise ValueError("must be standard base64 of a DER certificate") from None
    if len(der) > MAX_CERTIFICATE_BYTES:
        raise ValueError(f"a certificate may have at most {MAX_CERTIFICATE_BYTES} bytes of DER")
    try:
        x509.load_der_x509_certificate(der)
    except ValueError:
        raise ValueError("is not a DER X.509 certificate") from None
    return value


def https_url(value: str) -> str:
    """Check that ``value`` is an absolute https URL with a host, no user info and no fragment."""
    if any(char.isspace() or not char.isprintable() for char in value):
        raise ValueError("must be an https URL without spaces or control characters")
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
    except ValueError as error:
        raise ValueError(f"is not a URL ({error})") from None
    if parts.scheme != "https":
        raise ValueError("must be an https URL")
    host = parts.hostname or ""
    if "@" in parts.netloc or parts.fragment or "#" in value:
        raise ValueError("must be an https URL without user info or fragment")
    if not (HOST_NAME.fullmatch(host) or _is_ip_address(host)):
        raise ValueError("must be an https URL with a host name or IP address")
    return value


def _is_ip_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


Base64Certificate = Annotated[
    str,
    Field(min_length=4, max_length=4 * -(-MAX_CERTIFICATE_BYTES // 3), description="base64 DER"),
    AfterValidator(certificate_der),
]
HttpsUrl = Annotated[str, Field(min_length=9, max_length=MAX_URL_LENGTH), AfterValidator(https_url)]


class SdkService(CamelModel):
    """A service the SDK talks to: its name and https URL."""

    name: str = Field(min_length=1, max_length=64, pattern=r"^[\w][\w .:/-]*$")
    url: HttpsUrl


class SdkConfigRequest(CamelModel):
    """POST /sdkconfig: the config to sign, as the SDK will read it (JSON names only, no Python names)."""

    model_config = ConfigDict(populate_by_name=False, extra="forbid")

    tls_bundle: list[Base64Certificate] = Field(
        min_length=1,
        max_length=MAX_CERTIFICATES,
        description="Certificates the SDK trusts for TLS: base64 DER, 1-50",
    )
    ast_url: HttpsUrl = Field(description="The AST service's https URL")
    services: list[SdkService] = Field(default_factory=list, max_length=MAX_SERVICES)

    @field_validator("services")
    @classmethod
    def _names_once(cls, services: list[SdkService]) -> list[SdkService]:
        names = [service.name for service in services]
        if len(names) != len(set(names)):
            raise ValueError("each service name may appear once")
        return services

    def claims(self) -> dict[str, Any]:
        """The config as the token's claims: the fields as sent, in camelCase."""
        return self.model_dump(by_alias=True, mode="json")


class SdkConfigView(CamelModel):
    """A signed SDK config."""

    sdk_config: str = Field(
        description="JWS Compact Serialization signed by the tenant's signer, x5c = [signer CA, issuer CA]",
    )
