"""What Lambda makes of a function's answer to an SQS or stream batch (ReportBatchItemFailures).

An answer without failures (no ``batchItemFailures``, an empty or null list, no answer at all) is
a success. Listed item identifiers (message ids for SQS, sequence numbers for streams) are the
failures. An answer Lambda cannot read (not an object, an empty or unknown identifier) fails the
whole batch.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def failed_items(answer: Any, identifiers: Sequence[str]) -> list[str]:
    """The identifiers that failed, in batch order (all of them when the answer is malformed)."""
    if answer is None:
        return []
    if not isinstance(answer, Mapping):
        return list(identifiers)
    failures = answer.get("batchItemFailures")
    if not failures:
        return []
    if not isinstance(failures, list):
        return list(identifiers)
    failed: set[str] = set()
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, Mapping) else None
        if not identifier or identifier not in identifiers:
            return list(identifiers)
        failed.add(str(identifier))
    return [identifier for identifier in identifiers if identifier in failed]
