"""moto 5.2's DynamoDB and DynamoDB Streams, made to behave as DynamoDB does under load; ``local.resources`` applies it.

What moto does that DynamoDB never does, and what the patch does instead:

- **Requests interleave.** moto's ``UpdateItem`` reads the "old" item with one backend call and
  updates with another; an issuance that lands between the two made a delivery return a PENDING
  snapshot while its ISSUED condition passed (the client got 500 5105003, and the one-time delivery
  was used up). Patched, every DynamoDB request runs whole under one re-entrant lock, at the
  request handler (``mock_aws`` and the in-process moto server of ``make run`` alike), and the
  backend's own calls take the same lock (``local.state`` calls the backend directly).
- **Transactions copy the table.** moto's ``TransactWriteItems`` deep-copies every table it touches
  (O(table) per call: GBs after a few hundred certificates), applies the operations one by one
  (those after a failed condition too) and, if any failed, puts the copies back, erasing what
  others committed meanwhile and orphaning stream readers. Patched, all conditions are checked
  first: a failed one cancels with DynamoDB's reasons (and ``ALL_OLD`` items) without writing. Only
  then are the operations applied, with an undo log of the items they touch (one item each, not the
  table); should one still fail (moto's own validation), the items and the stream are put back.
- **Retries apply twice.** botocore gives every ``TransactWriteItems`` a ``ClientRequestToken`` and
  resends it on a retry (after a read timeout, say). DynamoDB applies a token once for ten minutes
  and answers a repeat with success; moto applied it again, and the repeat failed its own conditions
  (POST answered 500 5105001 "request not stored (None, ConditionalCheckFailed, None)" for a request
  that was stored). Patched, a repeated token within ten minutes answers as the first call did, and
  the same token with other items is ``IdempotentParameterMismatchException``.
- **Streams keep every record.** Patched, a stream record is released once every reader that has
  not yet read on has passed it and it is older than ``STREAM_RETENTION_SECONDS`` (DynamoDB keeps
  24 h; locally the records a poller consumed would only grow the process: at 50 certificates a
  second a minute of records, old and new images of every write, was 100+ MB). Shard iterators
  expire after 15 minutes, as DynamoDB's do; finding the iterators and the records to release
  costs what is released, not what the shard ever held.

The patch lives in the process: it reaches ``mock_aws`` and the in-process moto server of ``make run``.
"""

from __future__ import annotations

import functools
import hashlib
import json
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from moto.dynamodb.comparisons import get_filter_expression
from moto.dynamodb.exceptions import (
    ConditionalCheckFailed,
    DynamodbException,
    MockValidationException,
    MultipleTransactionsException,
    TooManyTransactionsException,
    TransactionCanceledException,
    TransactWriteSingleOpException,
)
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.table import StreamShard
from moto.dynamodb.responses import DynamoHandler
from moto.dynamodbstreams.models import ShardIterator

# Every request of the API the functions and tests use, whole, under the lock.
REQUESTS = (
    "put_item",
    "update_item",
    "delete_item",
    "get_item",
    "query",
    "scan",
    "batch_get_item",
    "batch_write_item",
    "transact_get_items",
    "transact_write_items",
)
BACKEND_CALLS = ("put_item", "update_item", "delete_item", "get_item", "query", "scan")
MAX_TRANSACTION_ITEMS = 100  # DynamoDB's limit
OPERATIONS = frozenset({"ConditionCheck", "Put", "Delete", "Update"})
TOKEN_WINDOW_SECONDS = 600.0  # DynamoDB's idempotency window of a ClientRequestToken
ITERATOR_LIFETIME_SECONDS = 900.0  # a shard iterator expires 15 minutes after it was issued
STREAM_RETENTION_SECONDS = 10.0  # a reader starting at TRIM_HORIZON sees the last 10 s
_lock = threading.RLock()
_tokens: OrderedDict[str, tuple[float, bytes, Any]] = (
    OrderedDict()
)  # token -> (expiry, items digest, response)


class IdempotentParameterMismatchException(DynamodbException):
    """DynamoDB's answer to a ClientRequestToken reused with other items."""

    error_type = "com.amazonaws.dynamodb.v20120810#IdempotentParameterMismatchException"

    def __init__(self) -> None:
        super().__init__(
            self.error_type,
            message="The request uses the same client token as a previous, but non-identical request.",
        )


def serialize_dynamodb() -> None:
    """Patch moto's DynamoDB and its streams (once per process; later calls do nothing)."""
    for name in REQUESTS:
        _patch(DynamoHandler, name, _locked)
    _patch(DynamoHandler, "transact_write_items", _idempotent)
    for name in BACKEND_CALLS:
        _patch(DynamoDBBackend, name, _locked)
    if not getattr(DynamoDBBackend.transact_write_items, "_astca_patched", False):
        DynamoDBBackend.transact_write_items = _mark(transact_write_items)  # type: ignore[method-assign]
    _patch(StreamShard, "add", _timed)
    _patch(StreamShard, "get", _from_horizon)
    _patch(ShardIterator, "__init__", _stamped)
    _patch(ShardIterator, "get", _releasing)


def _patch(owner: type, name: str, wrap: Callable[[Callable[..., Any]], Callable[..., Any]]) -> None:
    method = getattr(owner, name)
    if getattr(method, f"_astca_{wrap.__name__}", False):
        return
    wrapped = wrap(method)
    setattr(wrapped, f"_astca_{wrap.__name__}", True)
    setattr(owner, name, wrapped)


def _mark(method: Callable[..., Any]) -> Callable[..., Any]:
    method._astca_patched = True  # type: ignore[attr-defined]
    return method


def _locked(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def locked(*args: Any, **kwargs: Any) -> Any:
        with _lock:
            return method(*args, **kwargs)

    return locked


def _idempotent(handle: Callable[[DynamoHandler], Any]) -> Callable[[DynamoHandler], Any]:
    """A TransactWriteItems request whose ClientRequestToken was applied in the last ten minutes answers as then."""

    @functools.wraps(handle)
    def once(handler: DynamoHandler) -> Any:
        token = handler.body.get("ClientRequestToken")
        if not token:
            return handle(handler)
        requested = hashlib.sha256(
            json.dumps(handler.body.get("TransactItems"), sort_keys=True, default=repr).encode()
        ).digest()  # a digest, not the items: ten minutes of transactions would be GBs
        with _lock:
            now = time.monotonic()
            while _tokens and next(iter(_tokens.values()))[0] <= now:
                _tokens.popitem(last=False)
            if token in _tokens:
                _, applied, response = _tokens[token]
                if applied != requested:
                    raise IdempotentParameterMismatchException
                return response
            response = handle(handler)
            _tokens[token] = (now + TOKEN_WINDOW_SECONDS, requested, response)
            return response

    return once


def transact_write_items(backend: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
    """All conditions, then all writes, with an undo log of the touched items: atomic without copying a table."""
    with _lock:
        operations = _operations(backend, transact_items)
        reasons = _condition_failures(backend, operations)
        if reasons is not None:
            raise TransactionCanceledException(reasons)
        undo = [(op["TableName"], key, _snapshot(backend, op["TableName"], key)) for _, op, key in operations]
        marks = {name: len(shard.items) for name in _tables(operations) if (shard := _shard(backend, name))}
        for index, (op_type, op, key) in enumerate(operations):
            try:
                _apply(backend, op_type, op, key)
            except Exception as error:
                _restore(backend, undo, marks)
                if isinstance(error, MockValidationException):
                    raise
                errors: list[tuple[str | None, str | None, Any]] = [(None, None, None)] * len(operations)
                errors[index] = (type(error).__name__, str(error), None)
                raise TransactionCanceledException(errors) from error


def _operations(
    backend: DynamoDBBackend, transact_items: Sequence[Mapping[str, Any]]
) -> list[tuple[str, Mapping[str, Any], dict[str, Any]]]:
    """(type, operation, key) of each item, with moto's validation of the request as a whole."""
    if len(transact_items) > MAX_TRANSACTION_ITEMS:
        raise TooManyTransactionsException
    operations: list[tuple[str, Mapping[str, Any], dict[str, Any]]] = []
    targets: set[tuple[str, str]] = set()
    for entry in transact_items:
        if len(entry) != 1:
            raise TransactWriteSingleOpException
        ((op_type, op),) = entry.items()
        if op_type not in OPERATIONS:
            raise MockValidationException(f"Unsupported transaction operation {op_type}")
        key = _key(backend, op_type, op)
        target = (str(op["TableName"]), json.dumps(key, sort_keys=True, default=repr))
        if target in targets:
            raise MultipleTransactionsException
        targets.add(target)
        operations.append((op_type, op, key))
    return operations


def _condition_failures(
    backend: DynamoDBBackend, operations: Sequence[tuple[str, Mapping[str, Any], dict[str, Any]]]
) -> list[tuple[str | None, str | None, Any]] | None:
    """One cancellation reason per operation if a condition fails, else None."""
    reasons: list[tuple[str | None, str | None, Any]] = []
    for _, op, key in operations:
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
    return reasons if any(code is not None for code, _, _ in reasons) else None


def _apply(backend: DynamoDBBackend, op_type: str, op: Mapping[str, Any], key: dict[str, Any]) -> None:
    names, values = op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")
    if op_type == "Put":
        backend.put_item(
            op["TableName"], op["Item"], expression_attribute_names=names, expression_attribute_values=values
        )
    elif op_type == "Delete":
        backend.delete_item(
            op["TableName"], key, expression_attribute_names=names, expression_attribute_values=values
        )
    elif op_type == "Update":
        backend.update_item(
            op["TableName"],
            key,
            update_expression=op["UpdateExpression"],
            expression_attribute_names=names or {},
            expression_attribute_values=values or {},
        )


def _snapshot(backend: DynamoDBBackend, table_name: str, key: dict[str, Any]) -> dict[str, Any] | None:
    """The item's attributes as PutItem takes them (``Item.to_json`` builds new containers: no deep copy needed)."""
    item = backend.get_item(table_name, key)
    return None if item is None else dict(item.to_json()["Attributes"])


def _restore(
    backend: DynamoDBBackend,
    undo: Sequence[tuple[str, dict[str, Any], dict[str, Any] | None]],
    marks: Mapping[str, int],
) -> None:
    """Put the touched items back as they were, and drop the stream records the partial writes made."""
    for table_name, key, old in reversed(undo):
        if old is None:
            backend.delete_item(table_name, key)
        else:
            backend.put_item(table_name, old)
    for table_name, length in marks.items():
        shard = _shard(backend, table_name)
        if shard is not None:
            del shard.items[length:]
            del shard.__dict__.setdefault("_astca_times", [])[length:]


def _tables(operations: Sequence[tuple[str, Mapping[str, Any], dict[str, Any]]]) -> set[str]:
    return {str(op["TableName"]) for _, op, _ in operations}


def _shard(backend: DynamoDBBackend, table_name: str) -> StreamShard | None:
    return backend.get_table(table_name).stream_shard


def _key(backend: DynamoDBBackend, op_type: str, op: Mapping[str, Any]) -> dict[str, Any]:
    if op_type != "Put":
        return dict(op["Key"])
    table = backend.get_table(op["TableName"])
    attributes = op["Item"]
    key = {table.hash_key_attr: attributes[table.hash_key_attr]}
    if table.range_key_attr is not None:
        key[table.range_key_attr] = attributes[table.range_key_attr]
    return key


def _timed(add: Callable[..., None]) -> Callable[..., None]:
    """Stream records remember when they were written (for their release)."""

    @functools.wraps(add)
    def timed(shard: StreamShard, *args: Any) -> None:
        with _lock:
            add(shard, *args)
            times: list[float] = shard.__dict__.setdefault("_astca_times", [])
            times.extend([time.monotonic()] * (len(shard.items) - len(times)))

    return timed


def _from_horizon(get: Callable[..., list[dict[str, Any]]]) -> Callable[..., list[dict[str, Any]]]:
    """A read that starts before the oldest record kept starts at the oldest kept (the trim horizon)."""

    @functools.wraps(get)
    def from_horizon(shard: StreamShard, start: int, quantity: int) -> list[dict[str, Any]]:
        horizon = shard.starting_sequence_number + shard.__dict__.get("_astca_released", 0)
        return get(shard, max(start, horizon), quantity)

    return from_horizon


def _stamped(init: Callable[..., None]) -> Callable[..., None]:
    """A new shard iterator is noted with its creation time, in creation order, and as not yet read."""

    @functools.wraps(init)
    def stamped(iterator: ShardIterator, *args: Any, **kwargs: Any) -> None:
        init(iterator, *args, **kwargs)
        with _lock:
            iterator.__dict__["_astca_at"] = time.monotonic()
            _expiry(iterator.streams_backend).append((iterator.__dict__["_astca_at"], iterator))
            _unread(iterator.stream_shard).add(iterator)

    return stamped


def _expiry(backend: Any) -> deque[tuple[float, ShardIterator]]:
    queue: deque[tuple[float, ShardIterator]] = backend.__dict__.setdefault("_astca_expiry", deque())
    return queue


def _unread(shard: StreamShard) -> set[ShardIterator]:
    unread: set[ShardIterator] = shard.__dict__.setdefault("_astca_unread", set())
    return unread


def _releasing(get: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    """After a read, release what every unread iterator has passed and retention allows, and expired iterators."""

    @functools.wraps(get)
    def releasing(iterator: ShardIterator, limit: int = 1000) -> dict[str, Any]:
        with _lock:
            _unread(iterator.stream_shard).discard(iterator)
            answer = get(iterator, limit)
            release(iterator)
            return answer

    return releasing


def release(iterator: ShardIterator) -> None:
    """Release the records of ``iterator``'s shard that no reader can still need, and expire old iterators.

    O(what is released): iterators expire from the front of their creation order, and only the
    shard's unread iterators (usually none: a poller reads each iterator it gets) hold records back.
    """
    now = time.monotonic()
    shard, backend = iterator.stream_shard, iterator.streams_backend
    live, expiry = backend.shard_iterators, _expiry(backend)
    while expiry and expiry[0][0] < now - ITERATOR_LIFETIME_SECONDS:
        _, expired = expiry.popleft()
        live.pop(expired.arn, None)
        _unread(expired.stream_shard).discard(expired)
    positions = [it.sequence_number - shard.starting_sequence_number for it in _unread(shard)]
    times: list[float] = shard.__dict__.get("_astca_times", [])
    released: int = shard.__dict__.get("_astca_released", 0)
    upto = min([len(shard.items), *positions])
    while released < upto and released < len(times) and times[released] <= now - STREAM_RETENTION_SECONDS:
        shard.items[released] = None  # type: ignore[call-overload]
        released += 1
    shard.__dict__["_astca_released"] = released
