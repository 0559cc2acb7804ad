"""What every list endpoint shares: the ``limit`` parameter, and the catalog entries of bad filters and cursors."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from astca import catalog
from astca.catalog import CaError
from astca.domain.errors import Invalid
from astca.storage.filters import FILTER
from astca.storage.pagination import CURSOR

DEFAULT_LIMIT = 25
MAX_LIMIT = 100
_LIMIT_PATTERN = re.compile(r"[0-9]{1,3}")


def parse_limit(raw: str | None, default: int = DEFAULT_LIMIT) -> int:
    """The page size asked for by the ``limit`` query parameter (``default`` when absent); 5104003 if invalid."""
    if raw is None:
        return default
    if not _LIMIT_PATTERN.fullmatch(raw) or not 1 <= int(raw) <= MAX_LIMIT:
        shown = raw if len(raw) <= 20 else raw[:20] + "..."
        raise CaError(
            catalog.BAD_PAGINATION, f"limit must be a whole number from 1 to {MAX_LIMIT}, got {shown!r}"
        )
    return int(raw)


@contextmanager
def list_errors() -> Iterator[None]:
    """A filter that does not parse is 5104004 BadFilter; a cursor that is not ours is 5104003 BadPagination."""
    try:
        yield
    except Invalid as error:
        if error.subject == FILTER:
            raise CaError(catalog.BAD_FILTER, error.detail) from error
        if error.subject == CURSOR:
            raise CaError(catalog.BAD_PAGINATION, error.detail) from error
        raise
