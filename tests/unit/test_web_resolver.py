"""Every failure a resolver built by ``create_app`` answers is problem+json with the catalog's status."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import BaseModel, Field

from astca import catalog
from astca.catalog import CaError
from astca.web import create_app, lambda_handler
from local.events import http_event
from local.functions import lambda_context


class Order(BaseModel):
    """A body with a required and a constrained field."""

    csr: str
    count: int = Field(default=1, ge=1, le=10)


app = create_app()


@app.post("/v1/tenants/<tenant>/orders")
def create_order(tenant: str, order: Order) -> dict[str, Any]:
    """Echo the order, or fail on purpose."""
    if order.csr == "conflict":
        raise CaError(catalog.SIGNER_ALREADY_EXISTS, f"tenant {tenant} already has one")
    if order.csr == "boom":
        raise RuntimeError("secret internal state")
    return {"tenant": tenant, "count": order.count}


handler = lambda_handler(app)


def call(body: str | None, content_type: str | None = "application/json") -> tuple[int, dict[str, str], Any]:
    headers = {"content-type": content_type} if content_type else {}
    event = http_event(
        "POST",
        "/v1/tenants/acme/orders",
        route_key="POST /v1/tenants/{tenant}/orders",
        path_parameters={"tenant": "acme"},
        headers=headers,
        body=body,
        request_id="req-42",
    )
    response = handler(event, lambda_context())
    return response["statusCode"], response["headers"], json.loads(response["body"])


def assert_problem(result: tuple[int, dict[str, str], Any], entry: catalog.ErrorEntry) -> dict[str, Any]:
    status, headers, body = result
    assert status == entry.http_status
    assert headers["Content-Type"] == "application/problem+json"
    assert body["code"] == entry.code
    assert body["name"] == entry.name
    assert body["requestId"] == "req-42"
    assert body["instance"] == "/v1/tenants/acme/orders"
    return dict(body)


def test_valid_request_is_served() -> None:
    assert call('{"csr": "x", "count": 2}')[::2] == (200, {"tenant": "acme", "count": 2})


def test_missing_field_is_4001_naming_it() -> None:
    body = assert_problem(call('{"count": 2}'), catalog.MISSING_FIELD)
    assert body["detail"] == "field 'csr' is required"


def test_wrong_type_is_4002() -> None:
    body = assert_problem(call('{"csr": "x", "count": 99}'), catalog.MALFORMED_FIELD)
    assert "count" in body["detail"]


@pytest.mark.parametrize("raw", ["{not json", "[1, 2]", '"text"'])
def test_unparseable_or_non_object_body_is_4005(raw: str) -> None:
    assert_problem(call(raw), catalog.MALFORMED_BODY)


@pytest.mark.parametrize(
    "content_type", ["application/x-www-form-urlencoded", "text/plain", "multipart/form-data"]
)
def test_a_body_that_is_not_json_is_4005(content_type: str) -> None:
    body = assert_problem(call("csr=x", content_type), catalog.MALFORMED_BODY)
    assert content_type in body["detail"]


def test_missing_body_is_not_a_422() -> None:
    status, _, body = call(None)
    assert status == 400
    assert body["errorCode"] in (4001, 4005)


def test_catalog_errors_keep_their_status_and_detail() -> None:
    body = assert_problem(call('{"csr": "conflict"}'), catalog.SIGNER_ALREADY_EXISTS)
    assert body["detail"] == "tenant acme already has one"


def test_unexpected_errors_are_510500_and_leak_nothing() -> None:
    status, _, body = call('{"csr": "boom"}')
    assert status == 500
    assert body["code"] == catalog.INTERNAL_ERROR.code
    assert "secret" not in json.dumps(body)
    assert "RuntimeError" not in json.dumps(body)
