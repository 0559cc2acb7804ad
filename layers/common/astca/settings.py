"""Typed configuration read once from ``ASTCA_*`` environment variables and validated at init.

Every setting is an environment variable named ``ASTCA_`` + the field name in upper case. An unknown
``ASTCA_`` variable is an error too: a typo in a deployment should fail loudly, not fall back to a
default.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import cache

from pydantic import BaseModel, ConfigDict, Field, ValidationError

PREFIX = "ASTCA_"


class ConfigurationError(RuntimeError):
    """The environment does not hold a valid astca configuration."""


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


def load_settings(environ: Mapping[str, str]) -> Settings:
    """Build the settings from ``ASTCA_*`` variables, or raise ConfigurationError naming each problem."""
    values = {key[len(PREFIX) :].lower(): value for key, value in environ.items() if key.startswith(PREFIX)}
    try:
        return Settings.model_validate(values)
    except ValidationError as exc:
        problems = "; ".join(
            f"{PREFIX}{'.'.join(str(part) for part in error['loc']).upper()}: {error['msg']}"
            for error in exc.errors()
        )
        raise ConfigurationError(f"invalid astca configuration: {problems}") from None


@cache
def get_settings() -> Settings:
    """The settings of this container, read from the process environment on first use."""
    return load_settings(os.environ)
