"""moto 5.2's DynamoDB transactions, made atomic; ``local.resources`` applies the patch with the first table.

moto runs TransactWriteItems by deep-copying the tables it touches, applying the operations one by
one (those after a failed condition too) and, if any failed, putting the copies back. Two things go
wrong that DynamoDB never does:

- Nothing stops other requests meanwhile. Under concurrency (the gateway and moto server of
  ``make run`` are threaded, and tests race requests on purpose) a cancelled transaction restores
  tables as they were before it began, erasing what other requests committed in between: of fifty
  racing registrations of one key, one is told 201 and its key is gone.
- The copy put back carries its own copy of the table's stream. Stream readers (the relay's poller)
  hold iterators on the stream object that was replaced, which nothing writes to any more, and which
  holds the records of the cancelled writes: after the first cancelled transaction, outbox items are
  no longer relayed, and a cancelled one may be.

Patched, the backend serves one request at a time (one re-entrant lock around reads and writes), and a
transaction's conditions are all checked before anything is written: a transaction whose condition
fails is cancelled with DynamoDB's reasons (and ``ALL_OLD`` items) without touching a table, so moto's
restore never runs for it. Anything else (validation errors) is left to moto.

The patch lives in the process: it reaches ``mock_aws`` and the in-process moto server of ``make run``.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from moto.dynamodb.comparisons import get_filter_expression
from moto.dynamodb.exceptions import ConditionalCheckFailed, TransactionCanceledException
from moto.dynamodb.models import DynamoDBBackend

SERIALIZED = ("put_item", "update_item", "delete_item", "get_item", "query", "scan")
_lock = threading.RLock()


def serialize_dynamodb() -> None:
    """Patch moto's DynamoDB backend (once per process; later calls do nothing)."""
    for name in SERIALIZED:
        method = getattr(DynamoDBBackend, name)
        if not getattr(method, "_astca_patched", False):
            setattr(DynamoDBBackend, name, _patched(_serialized(method)))
    transact = DynamoDBBackend.transact_write_items
    if not getattr(transact, "_astca_patched", False):
        DynamoDBBackend.transact_write_items = _patched(_atomic(transact))  # type: ignore[method-assign]


def _patched(method: Callable[..., Any]) -> Callable[..., Any]:
    method._astca_patched = True  # type: ignore[attr-defined]
    return method


def _serialized(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def locked(*args: Any, **kwargs: Any) -> Any:
        with _lock:
            return method(*args, **kwargs)

    return locked


def _atomic(transact: Callable[..., None]) -> Callable[..., None]:
    @functools.wraps(transact)
    def atomic(backend: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
        with _lock:
            reasons = _condition_failures(backend, transact_items)
            if reasons is not None:
                raise TransactionCanceledException(reasons)
            transact(backend, transact_items)

    return atomic


def _condition_failures(
    backend: DynamoDBBackend, transact_items: Sequence[Mapping[str, Any]]
) -> list[tuple[str | None, str | None, Any]] | None:
    """One cancellation reason per operation if a condition fails, else None (moto then runs it all)."""
    reasons: list[tuple[str | None, str | None, Any]] = []
    try:
        for entry in transact_items:
            ((op_type, op),) = entry.items()
            key = _key(backend, op_type, op)
            current = backend.get_item(op["TableName"], key)
            condition = op.get("ConditionExpression")
            if condition is None or get_filter_expression(
                condition, op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")
            ).expr(current):
                reasons.append((None, None, None))
                continue
            old = current.to_json()["Attributes"] if current is not None else None
            if op.get("ReturnValuesOnConditionCheckFailure") != "ALL_OLD":
                old = None
            reasons.append(("ConditionalCheckFailed", ConditionalCheckFailed().message, old))
    except Exception:  # noqa: BLE001 - a malformed request: moto's own checks answer it
        return None
    return reasons if any(code is not None for code, _, _ in reasons) else None


def _key(backend: DynamoDBBackend, op_type: str, op: Mapping[str, Any]) -> dict[str, Any]:
    if op_type != "Put":
        return dict(op["Key"])
    table = backend.get_table(op["TableName"])
    attributes = op["Item"]
    key = {table.hash_key_attr: attributes[table.hash_key_attr]}
    if table.range_key_attr is not None:
        key[table.range_key_attr] = attributes[table.range_key_attr]
    return key
