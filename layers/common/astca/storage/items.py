"""The one record <-> item convention of the single table.

A record (a frozen dataclass of ``astca.domain``) is stored as one attribute per field, named in
camelCase (``created_at`` -> ``createdAt``). Timestamps are aware datetimes in records and RFC 3339
strings in items; enums are stored by value; a nested record (a certificate's ``DeviceSubject``, a
session key's ``SessionOwner``) is stored flat, its fields beside the outer ones; None is not
stored. Keys, index keys, TTLs and the item ``type`` are the repository's, added beside.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from datetime import datetime
from enum import Enum
from functools import cache
from typing import Any, Literal, get_args, get_origin

from astca import clock


def attribute_name(field_name: str) -> str:
    """The item attribute of a record field: camelCase."""
    head, *rest = field_name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def encode(value: Any) -> Any:
    """One field value as the table stores it."""
    if isinstance(value, datetime):
        return clock.rfc3339(value)
    if isinstance(value, Enum):
        return value.value
    return value


def to_item(record: Any) -> dict[str, Any]:
    """The attributes of ``record`` (None fields left out, nested records flattened)."""
    item: dict[str, Any] = {}
    for field in dataclasses.fields(record):
        value = getattr(record, field.name)
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            item.update(to_item(value))
        elif value is not None:
            item[attribute_name(field.name)] = encode(value)
    return item


def from_item[R](cls: type[R], item: typing.Mapping[str, Any]) -> R:
    """The record of type ``cls`` an item holds (extra attributes are ignored)."""
    values: dict[str, Any] = {}
    for name, kind, optional, has_default in _fields(typing.cast("Any", cls)):
        if isinstance(kind, type) and dataclasses.is_dataclass(kind):
            values[name] = from_item(kind, item)
            continue
        raw = item.get(attribute_name(name))
        if raw is None:
            if not (optional or has_default):
                raise KeyError(attribute_name(name))
            if not has_default:
                values[name] = None
            continue
        values[name] = _decode(kind, raw)
    return cls(**values)


_DECODERS: dict[Any, Any] = {
    datetime: lambda raw: clock.parse_rfc3339(str(raw)),
    bytes: bytes,
    int: int,
    str: str,
}


def _decode(kind: Any, raw: Any) -> Any:
    if kind in _DECODERS:
        return _DECODERS[kind](raw)
    if isinstance(kind, type) and issubclass(kind, Enum):
        return kind(raw)
    if get_origin(kind) is Literal:
        return str(raw)
    if get_origin(kind) is dict or kind is dict:
        return dict(raw)
    return raw


@cache
def _fields(cls: Any) -> tuple[tuple[str, Any, bool, bool], ...]:
    """(name, type, may be None, has a default) of each field of a record class."""
    hints = typing.get_type_hints(cls)
    found = []
    for field in dataclasses.fields(cls):
        kind = hints[field.name]
        args = get_args(kind)
        optional = get_origin(kind) in (typing.Union, types.UnionType) and type(None) in args
        has_default = field.default is not dataclasses.MISSING
        if get_origin(kind) in (typing.Union, types.UnionType):
            kind = next(arg for arg in args if arg is not type(None))
        found.append((field.name, kind, optional, has_default))
    return tuple(found)
