"""The message every topic carries: an outbox item's id, routing key, time and payload."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Envelope(BaseModel):
    """One event as it travels from the outbox through a queue to a consumer."""

    model_config = ConfigDict(frozen=True, populate_by_name=True)

    id: str = Field(min_length=1, description="The outbox item's ULID; the idempotency key of consumers")
    routing_key: str = Field(alias="routingKey")
    occurred_at: str = Field(alias="occurredAt")
    payload: dict[str, Any]

    def to_json(self) -> str:
        """The message body."""
        return self.model_dump_json(by_alias=True)
