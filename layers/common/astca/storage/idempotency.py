"""Requests made once per ``Idempotency-Key``: Powertools Idempotency on the idempotency table.

A repeated key with the same request answers what the first one answered (for 24 hours); the same
key with a different request is ``Conflict`` "idempotency key"; a repeat while the first is still
running is ``PreconditionFailed`` with state IN_PROGRESS (the service answers 503 with Retry-After).
Only requests that carry the header pay the extra round trips.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyPersistenceLayerError,
    IdempotencyValidationError,
)

from astca.domain.errors import Conflict, PreconditionFailed, Transient
from astca.settings import get_settings

KEY_TTL_SECONDS = 24 * 3600
IDEMPOTENCY_KEY = "idempotency key"  # the subject of what this module raises
IN_PROGRESS = "IN_PROGRESS"
CONFIG = IdempotencyConfig(
    event_key_jmespath="key", payload_validation_jmespath="request", expires_after_seconds=KEY_TTL_SECONDS
)


@cache
def _store() -> DynamoDBPersistenceLayer:
    return DynamoDBPersistenceLayer(table_name=get_settings().idempotency_table_name)


def once(key: str, request: Mapping[str, Any], run: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """``run()`` the first time ``key`` is seen with ``request``; its stored answer every other time."""

    def perform(*, call: dict[str, Any]) -> dict[str, Any]:  # noqa: ARG001 - Powertools hashes it
        return run()

    guarded = idempotent_function(
        perform, data_keyword_argument="call", persistence_store=_store(), config=CONFIG
    )
    try:
        result: dict[str, Any] = guarded(call={"key": key, "request": dict(request)})
    except IdempotencyValidationError:
        raise Conflict(
            IDEMPOTENCY_KEY, "header 'Idempotency-Key' was already used with a different request"
        ) from None
    except IdempotencyAlreadyInProgressError:
        raise PreconditionFailed(
            IDEMPOTENCY_KEY,
            "a request with this Idempotency-Key is still being processed; retry shortly",
            state=IN_PROGRESS,
        ) from None
    except IdempotencyPersistenceLayerError as exc:
        raise Transient("dynamodb", "the idempotency record could not be read or written") from exc
    return result
