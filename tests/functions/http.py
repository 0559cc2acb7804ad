"""Calling an HTTP function in-process as API Gateway would, for function-level tests."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from local.events import http_event
from local.functions import lambda_context


@dataclass(frozen=True)
class Answer:
    """What a function answered."""

    status: int
    headers: dict[str, str]
    body: Any


def call(
    function: ModuleType,
    method: str,
    route: str,
    *,
    params: dict[str, str],
    token: str | None = None,
    body: Any = None,
    query: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    client_certificate: bytes | None = None,
) -> Answer:
    """Invoke ``function``'s handler for ``method route`` with the path ``params`` filled in.

    ``client_certificate`` (DER) arrives as API Gateway's mutual-TLS domain passes a verified one.
    """
    path = re.sub(r"\{(\w+)\}", lambda match: params[match.group(1)], route)
    sent = dict(headers or {})
    if token:
        sent["authorization"] = f"Bearer {token}"
    if body is not None:
        sent.setdefault("content-type", "application/json")
    event = http_event(
        method,
        path,
        route_key=f"{method} {route}",
        path_parameters=params,
        headers=sent,
        query=query,
        body=json.dumps(body) if body is not None else None,
        client_certificate=client_certificate,
    )
    response = function.lambda_handler(event, lambda_context())
    raw = response.get("body") or ""
    return Answer(response["statusCode"], response.get("headers") or {}, json.loads(raw) if raw else None)
