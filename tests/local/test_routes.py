"""local.routes matches requests to the template's routes as API Gateway does."""

from __future__ import annotations

import pytest

from local.routes import RouteTable
from local.template import HttpRoute

TABLE = RouteTable(
    [
        HttpRoute("GetSigner", "GET", "/v1/tenants/{tenant}/signers/{signerId}"),
        HttpRoute("GetCurrentSigner", "GET", "/v1/tenants/{tenant}/signers/current"),
        HttpRoute("ListSigners", "GET", "/v1/tenants/{tenant}/signers"),
        HttpRoute("CreateSigner", "POST", "/v1/tenants/{tenant}/signers"),
        HttpRoute("AnyFiles", "ANY", "/files/{path+}"),
        HttpRoute("GetFile", "GET", "/files/{path+}"),
    ]
)


@pytest.mark.parametrize(
    ("method", "path", "function", "parameters"),
    [
        ("GET", "/v1/tenants/acme/signers/01J", "GetSigner", {"tenant": "acme", "signerId": "01J"}),
        ("GET", "/v1/tenants/acme/signers/current", "GetCurrentSigner", {"tenant": "acme"}),
        ("GET", "/v1/tenants/acme/signers", "ListSigners", {"tenant": "acme"}),
        ("POST", "/v1/tenants/acme/signers", "CreateSigner", {"tenant": "acme"}),
        ("GET", "/files/a/b.txt", "GetFile", {"path": "a/b.txt"}),
        ("DELETE", "/files/a/b.txt", "AnyFiles", {"path": "a/b.txt"}),
        ("GET", "/v1/tenants/a%20b/signers", "ListSigners", {"tenant": "a b"}),
    ],
)
def test_the_most_specific_route_wins(
    method: str, path: str, function: str, parameters: dict[str, str]
) -> None:
    match = TABLE.match(method, path)

    assert match is not None
    assert (match.route.function, match.path_parameters) == (function, parameters)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("DELETE", "/v1/tenants/acme/signers"),
        ("GET", "/v1/tenants/acme"),
        ("GET", "/v1/tenants/acme/signers/01J/extra"),
        ("GET", "/v1/tenants//signers"),
        ("GET", "/files"),
    ],
)
def test_anything_else_has_no_route(method: str, path: str) -> None:
    assert TABLE.match(method, path) is None


def test_route_keys_are_api_gateways() -> None:
    assert HttpRoute("F", "GET", "/v1/tenants/{tenant}").route_key == "GET /v1/tenants/{tenant}"
    assert HttpRoute("F", "ANY", "$default").route_key == "$default"


def test_default_route_catches_what_nothing_else_does() -> None:
    table = RouteTable([HttpRoute("Default", "ANY", "$default"), HttpRoute("Health", "GET", "/v1/health")])

    health, other = table.match("GET", "/v1/health"), table.match("PUT", "/anything")

    assert health is not None
    assert health.route.function == "Health"
    assert other is not None
    assert other.route.function == "Default"
