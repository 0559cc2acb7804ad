"""Typed configuration read once from ``ASTCA_*`` environment variables and validated at init.

Every setting is an environment variable named ``ASTCA_`` + the field name in upper case. An unknown
``ASTCA_`` variable is an error too: a typo in a deployment should fail loudly, not fall back to a
default.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import cache
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from astca.domain.locations import CaLocations
from astca.domain.profiles import PROFILES

PREFIX = "ASTCA_"


class ConfigurationError(RuntimeError):
    """The environment does not hold a valid astca configuration."""


def _comma_separated(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


CommaSeparated = Annotated[tuple[str, ...], BeforeValidator(_comma_separated)]

# The longest lifetime a setting may give a requestable profile: 825 days, the most the CA/Browser
# Forum ever allowed an end-entity certificate (2018-2020); the shortest is a day.
VALIDITY_DAYS_LIMIT = 825
# Each requestable profile's own validity in days: its maximum lifetime unless a setting changes it.
PROFILE_VALIDITY_DAYS = {
    profile.name: profile.validity.days for profile in PROFILES.values() if profile.endpoints
}


def _profile_days(value: object) -> object:
    """``"AST_DEVICE=180,TLS_CLIENT_WITH_KEY=30"`` as a mapping (other values are left to the type)."""
    if not isinstance(value, str):
        return value
    pairs = [
        tuple(part.strip() for part in entry.partition("=")) for entry in value.split(",") if entry.strip()
    ]
    if any(not sep for _, sep, _ in pairs):
        raise ValueError("must be comma-separated PROFILE=DAYS pairs")
    names = [name for name, _, _ in pairs]
    if len(set(names)) < len(names):
        raise ValueError("names a profile more than once")
    return {name: days for name, _, days in pairs}


def _every_requestable_profile(days: dict[str, int]) -> dict[str, int]:
    """The maximum lifetime of every requestable profile: the one given, else the profile's own validity."""
    unknown = sorted(days.keys() - PROFILE_VALIDITY_DAYS.keys())
    if unknown:
        raise ValueError(
            f"{', '.join(unknown)}: not a requestable profile ({', '.join(sorted(PROFILE_VALIDITY_DAYS))})"
        )
    out_of_range = sorted(name for name, value in days.items() if not 1 <= value <= VALIDITY_DAYS_LIMIT)
    if out_of_range:
        raise ValueError(f"{', '.join(out_of_range)}: the days must be 1 to {VALIDITY_DAYS_LIMIT}")
    return PROFILE_VALIDITY_DAYS | days


ProfileDays = Annotated[
    dict[str, int], BeforeValidator(_profile_days), AfterValidator(_every_requestable_profile)
]

# The KMS key specs a CA key may have: the allow-list of astca.issuance.kms.ALGORITHMS.
CaKeySpec = Literal["ECC_NIST_P256", "ECC_NIST_P384", "RSA_2048", "RSA_3072", "RSA_4096"]


class Settings(BaseModel):
    """The service's configuration; one instance per container."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    table_name: str = Field(min_length=3, description="The single DynamoDB table")
    idempotency_table_name: str = Field(min_length=3, description="The Powertools idempotency table")
    signer_requests_queue_url: str = Field(min_length=1, description="SQS queue of topic signer.requested")
    certificate_requests_queue_url: str = Field(
        min_length=1, description="SQS queue of topic certificate.requested"
    )
    ca_events_queue_url: str = Field(min_length=1, description="SQS queue of the public ca-events topic")
    cursor_secret_arn: str = Field(
        min_length=1, description="Secrets Manager secret whose value keys the pagination cursors' MAC"
    )

    # identity (per-tenant OIDC: one Keycloak realm per tenant)
    oidc_base_url: str | None = Field(
        default=None,
        pattern=r"^https?://[^/?#\s]+(/[^?#\s]*)?$",
        description="Keycloak base URL; the issuer of tenant t is {base}/realms/{t} (may end in /auth)",
    )
    oidc_audience: CommaSeparated = Field(
        default=(), description="Audiences a token's aud must all include (comma-separated; default none)"
    )
    oidc_leeway_seconds: int = Field(
        default=30, ge=0, le=300, description="Clock skew allowed on exp/nbf/iat"
    )
    oidc_timeout_seconds: float = Field(default=3.0, gt=0, le=30, description="Timeout of IdP requests")
    oidc_jwks_refresh_seconds: int = Field(
        default=60, ge=1, description="Least time between JWKS refreshes of a realm on an unknown kid"
    )
    admin_role: str = Field(default="astca-admin", min_length=1, description="Realm or client role of admins")
    client_id_claim: str = Field(
        default="ast_client_id", min_length=1, description="Claim of the AST client id"
    )
    idp_tls_mode: Literal["system", "custom"] = Field(
        default="system", description="Trust for TLS to the IdP: the system store or a custom one"
    )
    idp_trust_store: str | None = Field(default=None, description="PEM bundle trusted in idp_tls_mode=custom")
    role_clients: CommaSeparated = Field(
        default=("astca-dev",),
        description="Client ids whose client roles (resource_access.<client>.roles) count, comma-separated; "
        "realm roles always count (default: the development client)",
    )
    client_cert_header: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9-]{1,64}$",
        description="Header a TLS terminator that overwrites it puts the client certificate in (Envoy XFCC or "
        "URL-encoded PEM); unset trusts no header. A certificate from it must come with a proof of possession",
    )
    mtls_domain_name: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$",
        max_length=253,
        description="The API's custom domain with mutual TLS, whose handshake proves a renewing device holds "
        "its key; unset (and no client_cert_header): renewal is refused",
    )

    # certificates
    enabled_profiles: CommaSeparated = Field(
        default=("AST_DEVICE", "TLS_CLIENT_WITH_KEY"),
        description="Profiles this issuer serves (comma-separated); others that exist are 51015 UnsupportedProfile",
    )
    max_validity_days: ProfileDays = Field(
        default_factory=dict,
        validate_default=True,  # completed with every requestable profile's own validity
        description="Longest lifetime (days) a certificate request may ask for in validityDays, and the "
        "lifetime of one that asks for none: comma-separated PROFILE=DAYS, each 1 to "
        f"{VALIDITY_DAYS_LIMIT}; a requestable profile not named keeps its own validity ("
        + ", ".join(f"{name} {days}" for name, days in PROFILE_VALIDITY_DAYS.items())
        + ")",
    )
    weak_keys_file: str | None = Field(
        default=None,
        description="Blocklist of weak RSA keys in openssl-vulnkey format (Debian CVE-2008-0166); unset skips the check",
    )

    # CA hierarchy (the bootstrap creates the root and issuer CA keys behind {prefix}/root and {prefix}/issuer)
    ca_alias_prefix: str = Field(
        default="alias/astca",
        pattern=r"^alias/[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*$",
        max_length=200,
        description="KMS alias prefix of the CA keys: {prefix}/root and {prefix}/issuer (never under alias/aws/)",
    )
    ca_key_spec: CaKeySpec = Field(
        default="ECC_NIST_P256",
        description="KMS key spec of CA keys the bootstrap creates (existing keys stay)",
    )
    signer_key_spec: CaKeySpec = Field(
        default="ECC_NIST_P256",
        description="KMS key spec of tenant signer keys: ECC_NIST_P256 by default, an all-EC chain of uniform "
        "strength; RSA_2048, whose KMS signatures cost a fifth of ECC's, is the cost option",
    )
    ca_url: str | None = Field(
        default=None,
        pattern=r"^https?://[^/?#@\s]+(/[^?#\s]*[^/?#\s])?$",
        max_length=256,
        description="Public base URL, no trailing slash, that certificates point relying parties at "
        "(AIA caIssuers) and that names devices (subjectAltName URI); astca.domain.locations. "
        "Needed by the workers that sign",
    )

    # SDK configs
    service_url: str | None = Field(
        default=None,
        pattern=r"^https://[^/?#@\s]+(/[^?#\s]*[^/?#\s])?$",
        max_length=512,
        description="The service's public https URL, no trailing slash: the iss of SDK configs "
        "(unset: https://{the request's domain name})",
    )

    # public keys (users register the public half of a device key; the IdP reads them)
    public_key_default_days: int = Field(
        default=365, ge=1, le=3650, description="Lifetime of a registered public key without expiresAt"
    )
    public_key_max_days: int = Field(
        default=730,
        ge=1,
        le=3650,
        validate_default=True,  # checked against the default lifetime even when unset
        description="Latest expiresAt a registration may ask for, in days from now",
    )
    key_reader_role: str = Field(
        default="astca-key-reader",
        min_length=1,
        description="Realm or client role that may read every public key of its tenant (the IdP's client)",
    )

    # session encryption (a session key is set up by key transport, then encrypts requests and answers)
    session_transport_key_id: str | None = Field(
        default=None,
        min_length=1,
        description="KMS key (id, ARN or alias) of the RSA key-transport key whose public key is the session JWKS",
    )
    session_wrapping_key_id: str | None = Field(
        default=None,
        min_length=1,
        description="Symmetric KMS key (id, ARN or alias) that wraps session keys at rest",
    )
    session_key_lifetime_seconds: int = Field(
        default=900, ge=60, le=86400, description="Lifetime of a session key (default 15 minutes)"
    )

    @field_validator("ca_alias_prefix")
    @classmethod
    def _not_an_aws_alias(cls, value: str) -> str:
        if value == "alias/aws" or value.startswith("alias/aws/"):
            raise ValueError("alias/aws/ is reserved for AWS managed keys")
        return value

    @field_validator("public_key_max_days")
    @classmethod
    def _not_below_the_default(cls, value: int, info: ValidationInfo) -> int:
        default = info.data.get("public_key_default_days")
        if default is not None and value < default:
            raise ValueError(f"must be at least {PREFIX}PUBLIC_KEY_DEFAULT_DAYS ({default})")
        return value


def load_settings(environ: Mapping[str, str]) -> Settings:
    """Build the settings from ``ASTCA_*`` variables, or raise ConfigurationError naming each problem."""
    # An empty variable means "not set", as CloudFormation passes an empty optional parameter.
    values = {
        key[len(PREFIX) :].lower(): value
        for key, value in environ.items()
        if key.startswith(PREFIX) and value != ""
    }
    try:
        return Settings.model_validate(values)
    except ValidationError as exc:
        problems = "; ".join(
            f"{PREFIX}{'.'.join(str(part) for part in error['loc']).upper()}: {error['msg']}"
            for error in exc.errors()
        )
        raise ConfigurationError(f"invalid astca configuration: {problems}") from None


def ca_locations(settings: Settings) -> CaLocations:
    """The URLs the signing workers write into certificates (ConfigurationError while ASTCA_CA_URL is unset)."""
    if settings.ca_url is None:
        raise ConfigurationError(
            f"invalid astca configuration: {PREFIX}CA_URL must be set where certificates are signed"
        )
    return CaLocations(settings.ca_url)


@cache
def get_settings() -> Settings:
    """The settings of this container, read from the process environment on first use."""
    return load_settings(os.environ)
