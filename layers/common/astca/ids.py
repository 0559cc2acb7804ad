"""ULIDs: 128-bit ids, 48 bits of milliseconds then 80 random bits, in Crockford base32 (26 chars)."""

from __future__ import annotations

import re
import secrets
import time

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
ULID_PATTERN = re.compile(r"[0-7][0-9A-HJKMNP-TV-Z]{25}")  # whole string: fullmatch


def new_ulid(now_ms: int | None = None) -> str:
    """A fresh ULID; ids made later sort after earlier ones (to the millisecond)."""
    millis = time.time_ns() // 1_000_000 if now_ms is None else now_ms
    if not 0 <= millis < 1 << 48:
        raise ValueError("a ULID's time is 48 bits of milliseconds since the epoch")
    value = (millis << 80) | secrets.randbits(80)
    chars = []
    for _ in range(26):
        chars.append(_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def is_ulid(value: str) -> bool:
    """Whether ``value`` is a well-formed ULID (upper case, 26 chars, within 128 bits)."""
    return bool(ULID_PATTERN.fullmatch(value))
