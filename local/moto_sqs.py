"""moto 5.2's SQS, made to cost what SQS costs per request; ``local.resources`` applies it with the first queue.

What moto does, and what the patch does instead:

- **SendMessage scans the queue.** ``SQSBackend.send_message`` reads one attribute,
  ``ContentBasedDeduplication``, from ``Queue.attributes``, and that property computes every
  attribute, among them ApproximateNumberOfMessages, ...Delayed and ...NotVisible, each a pass over
  every message in the queue (with a clock read per message). A queue nobody consumes (ca-events
  has no local consumer and grows by two messages per certificate) made every send slower than the
  one before. Patched, while a SendMessage or SendMessageBatch runs, ``Queue.attributes`` leaves
  out those three counts (nothing in the send reads them); GetQueueAttributes and everything else
  get the full attributes, counts included, as before.
- **Deleted receipt handles are kept whole.** To answer a repeated DeleteMessage with success, as
  SQS does, moto keeps every receipt handle of every deleted message (185 characters each) in a set
  for the life of the queue. Patched, the set keeps a 16-byte digest of each handle instead; the
  answers are the same.

The patch lives in the process: it reaches ``mock_aws`` and the in-process moto server of
``make run``.
"""

from __future__ import annotations

import functools
import hashlib
import json
import threading
from collections.abc import Callable, Iterable, Iterator, MutableSet
from typing import Any

from moto.sqs.models import Queue, SQSBackend

COUNTS = frozenset(
    {
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesDelayed",
        "ApproximateNumberOfMessagesNotVisible",
    }
)
_sending = threading.local()
_moto_attributes: Callable[[Queue], dict[str, Any]] = Queue.attributes.fget  # type: ignore[attr-defined]


def correct_sqs() -> None:
    """Patch moto's SQS (once per process; later calls do nothing)."""
    if getattr(Queue, "_astca_patched", False):
        return
    Queue.attributes = property(_attributes)  # type: ignore[method-assign,assignment]
    Queue.__init__ = _with_digests(Queue.__init__)  # type: ignore[method-assign]
    SQSBackend.send_message = _send(SQSBackend.send_message)  # type: ignore[method-assign]
    SQSBackend.send_message_batch = _send(SQSBackend.send_message_batch)  # type: ignore[method-assign]
    Queue._astca_patched = True  # type: ignore[attr-defined]


def _attributes(queue: Queue) -> dict[str, Any]:
    """moto's attributes (its own code, in its order), without the O(queue) message counts while a send runs."""
    if not getattr(_sending, "active", False):
        return _moto_attributes(queue)
    cls = type(queue)
    result: dict[str, Any] = {}
    for attribute in cls.BASE_ATTRIBUTES:
        if attribute not in COUNTS:
            result[attribute] = getattr(queue, _property_name(attribute))
    if queue.fifo_queue:
        for attribute in cls.FIFO_ATTRIBUTES:
            result[attribute] = getattr(queue, _property_name(attribute))
    if queue.kms_master_key_id:  # type: ignore[attr-defined]
        for attribute in cls.KMS_ATTRIBUTES:
            result[attribute] = getattr(queue, _property_name(attribute))
    if queue.policy:
        result["Policy"] = queue.policy
    if queue.redrive_policy:
        result["RedrivePolicy"] = json.dumps(queue.redrive_policy)
    for key, value in result.items():
        if isinstance(value, bool):
            result[key] = str(value).lower()
    return result


@functools.cache
def _property_name(attribute: str) -> str:
    from moto.core.utils import camelcase_to_underscores

    return str(camelcase_to_underscores(attribute))


def _send(send: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(send)
    def sending(*args: Any, **kwargs: Any) -> Any:
        outer = getattr(_sending, "active", False)
        _sending.active = True
        try:
            return send(*args, **kwargs)
        finally:
            _sending.active = outer

    return sending


class DigestSet(MutableSet[str]):
    """A set of strings that keeps a 16-byte digest of each (membership as the strings')."""

    def __init__(self, values: Iterable[str | None] = ()) -> None:
        self._digests: set[bytes] = set()
        for value in values:
            self.add(value)  # type: ignore[arg-type]

    @staticmethod
    def _digest(value: object) -> bytes:
        return hashlib.blake2b(repr(value).encode(), digest_size=16).digest()

    def __contains__(self, value: object) -> bool:
        return self._digest(value) in self._digests

    def __iter__(self) -> Iterator[str]:
        raise TypeError("a DigestSet keeps digests only: it cannot list its members")

    def __len__(self) -> int:
        return len(self._digests)

    def add(self, value: str) -> None:
        """Add ``value``."""
        self._digests.add(self._digest(value))

    def discard(self, value: str) -> None:
        """Remove ``value`` if present."""
        self._digests.discard(self._digest(value))

    def update(self, values: Iterable[str | None]) -> None:
        """Add every one of ``values`` (moto adds a message's handles at once)."""
        for value in values:
            self.add(value)  # type: ignore[arg-type]


def _with_digests(init: Callable[..., None]) -> Callable[..., None]:
    @functools.wraps(init)
    def initialised(queue: Queue, *args: Any, **kwargs: Any) -> None:
        init(queue, *args, **kwargs)
        queue.deleted_messages = DigestSet(queue.deleted_messages)  # type: ignore[assignment]

    return initialised
