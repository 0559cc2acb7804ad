"""One page of a list endpoint: a key-range query, an optional filter, and an opaque cursor bound to both."""

from __future__ import annotations

from dataclasses import dataclass

from astca.storage.dynamo import Item, Table
from astca.storage.filters import Filter
from astca.storage.pagination import cursor_codec


@dataclass(frozen=True)
class Page:
    """Items of one page and the token of the next one (None on the last page)."""

    items: list[Item]
    next_token: str | None


def list_page(
    table: Table, *, pk: str, sk_prefix: str, limit: int, token: str | None, where: Filter | None
) -> Page:
    """Query one page under ``pk``/``sk_prefix``; the cursor only resumes this very list and filter."""
    scope = f"{pk}|{sk_prefix}|{where.fingerprint() if where else ''}"
    start = cursor_codec().decode(token, scope=scope) if token else None
    items, last = table.query(
        pk=pk,
        sk_prefix=sk_prefix,
        limit=limit,
        start_key=start,
        where=where.to_dynamodb() if where else None,
    )
    next_token = cursor_codec().encode(last, scope=scope) if last else None
    return Page(items=items, next_token=next_token)
