"""The template's HttpApi routes matched to requests as API Gateway matches them.

A path template's ``{name}`` matches one segment and ``{name+}`` the rest of the path. When several
routes match, the most specific wins, as in API Gateway: segment by segment a literal beats a
parameter and a parameter beats a greedy one, an exact method beats ANY, and ``$default`` comes last.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import unquote

from local.template import HttpRoute

_PARAMETER = re.compile(r"^\{([^}+]+)(\+?)\}$")
LITERAL, PARAMETER, GREEDY = 0, 1, 2


@dataclass(frozen=True)
class RouteMatch:
    """A request matched to a route, with the path parameters it binds."""

    route: HttpRoute
    path_parameters: dict[str, str]


@dataclass(frozen=True)
class _CompiledRoute:
    route: HttpRoute
    pattern: re.Pattern[str] | None
    names: tuple[str, ...]
    rank: tuple[int, ...]


def _compile(route: HttpRoute) -> _CompiledRoute:
    if route.path == "$default":
        return _CompiledRoute(route, None, (), (GREEDY + 1,))
    parts: list[str] = []
    names: list[str] = []
    rank: list[int] = []
    for segment in route.path.strip("/").split("/"):
        parameter = _PARAMETER.match(segment)
        if parameter is None:
            parts.append(re.escape(segment))
            rank.append(LITERAL)
        elif parameter.group(2):
            parts.append("(.+)")
            names.append(parameter.group(1))
            rank.append(GREEDY)
        else:
            parts.append("([^/]+)")
            names.append(parameter.group(1))
            rank.append(PARAMETER)
    return _CompiledRoute(route, re.compile("/" + "/".join(parts)), tuple(names), tuple(rank))


class RouteTable:
    """The routes a gateway serves; nothing else exists."""

    def __init__(self, routes: Iterable[HttpRoute]) -> None:
        compiled = [_compile(route) for route in routes]
        self._routes = sorted(compiled, key=lambda item: (item.rank, item.route.method == "ANY"))

    @property
    def routes(self) -> list[HttpRoute]:
        """The routes, most specific first."""
        return [item.route for item in self._routes]

    def match(self, method: str, path: str) -> RouteMatch | None:
        """The route that serves ``method path`` (path without the query), or None: API Gateway's 404."""
        for item in self._routes:
            if item.route.method not in (method.upper(), "ANY"):
                continue
            if item.pattern is None:
                return RouteMatch(item.route, {})
            found = item.pattern.fullmatch(path)
            if found is not None:
                values = [unquote(value) for value in found.groups()]
                return RouteMatch(item.route, dict(zip(item.names, values, strict=True)))
        return None
