"""What every model of the HTTP contract shares: camelCase JSON names, RFC 3339 timestamps, one page of a list.

``CamelModel`` names each field in JSON by its camelCase form (``created_at`` is ``createdAt``), for
reading and for writing; Python code may also construct a model by field name. Its schema is built when
the model is first used, not when its module loads (``defer_build``): a function builds only the models
it uses, and a request body only once, in the validation that Powertools builds for it. ``Timestamp`` is an
aware datetime that JSON shows as ``clock.rfc3339`` does: UTC, to the second, with a trailing Z
("2026-12-03T09:00:00Z"). ``Page[T]`` is one page of a list endpoint: its items and the token of the
next page. A list names its page by subclassing it with a docstring and nothing else
(``class SignerList(Page[SignerView])``), which gives its OpenAPI component that name and description.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, PlainSerializer, WithJsonSchema
from pydantic.alias_generators import to_camel

from astca import clock


class CamelModel(BaseModel):
    """A model whose JSON names are the camelCase forms of its field names; it takes no other members."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        serialize_by_alias=True,
        extra="forbid",
        defer_build=True,
    )


Timestamp = Annotated[
    AwareDatetime,
    PlainSerializer(clock.rfc3339, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]
"""An instant, in JSON an RFC 3339 UTC string to the second (``clock.rfc3339``); naive datetimes are refused."""


class Page[T: BaseModel](CamelModel):
    """One page of a list, and the token that asks for the page after it (null on the last page)."""

    items: list[T]
    next_token: str | None = None
