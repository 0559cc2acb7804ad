"""local.gateway serves the template's routes the way API Gateway does, over a real socket too."""

from __future__ import annotations

import base64
import http.client
import json
import logging
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from local.docs import docs_pages
from local.functions import FunctionError, LocalFunctions
from local.gateway import Gateway, GatewayServer, HttpRequest, lambda_response
from local.resources import LocalResources
from local.routes import RouteTable
from local.template import Template

TEMPLATE = Template.load()


@pytest.fixture
def functions(aws: LocalResources) -> LocalFunctions:
    return LocalFunctions(aws)


@pytest.fixture
def gateway(functions: LocalFunctions) -> Gateway:
    pages = docs_pages(lambda: {"openapi": "3.1.0", "info": {"title": "astca", "version": "0"}, "paths": {}})
    return Gateway(RouteTable(TEMPLATE.routes()), functions, local_pages=pages)


def test_a_template_route_is_served_by_its_function(gateway: Gateway) -> None:
    response = gateway.handle(HttpRequest("GET", "/v1/health"))

    assert response.status == 200
    assert json.loads(response.body) == {"status": "ok"}
    assert ("Content-Type", "application/json") in response.headers
    assert any(name == "apigw-requestid" for name, _ in response.headers)


@pytest.mark.parametrize(("method", "target"), [("GET", "/v1/nothing"), ("POST", "/v1/health"), ("GET", "/")])
def test_what_the_template_does_not_route_is_api_gateways_404(
    gateway: Gateway, method: str, target: str
) -> None:
    response = gateway.handle(HttpRequest(method, target))

    assert (response.status, json.loads(response.body)) == (404, {"message": "Not Found"})


def test_a_handler_that_raises_is_api_gateways_500(
    gateway: Gateway, functions: LocalFunctions, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(event: dict[str, Any]) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(functions["HealthFunction"], "invoke", fail)

    response = gateway.handle(HttpRequest("GET", "/v1/health"))

    assert (response.status, json.loads(response.body)) == (500, {"message": "Internal Server Error"})


def test_a_function_that_times_out_is_api_gateways_500_logged_in_one_line(
    gateway: Gateway,
    functions: LocalFunctions,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def time_out(event: dict[str, Any]) -> Any:
        raise FunctionError(
            {"errorType": "Sandbox.Timedout", "errorMessage": "Task timed out after 10.00 seconds"}
        )

    monkeypatch.setattr(functions["HealthFunction"], "invoke", time_out)

    response = gateway.handle(HttpRequest("GET", "/v1/health"))

    assert (response.status, json.loads(response.body)) == (500, {"message": "Internal Server Error"})
    (record,) = [record for record in caplog.records if record.name == "local.gateway"]
    assert "Sandbox.Timedout: Task timed out" in record.getMessage()
    assert record.exc_info is None  # the worker printed its own traceback


def test_docs_are_local_pages(gateway: Gateway) -> None:
    html = gateway.handle(HttpRequest("GET", "/docs"))
    script = gateway.handle(HttpRequest("GET", "/docs/swagger-ui-bundle.min.js"))
    document = gateway.handle(HttpRequest("GET", "/openapi.json"))

    assert html.status == 200
    assert b"swagger-ui" in html.body
    assert script.status == 200
    assert len(script.body) > 100_000
    assert json.loads(document.body)["info"]["title"] == "astca"


def test_a_handler_answer_becomes_the_response_as_api_gateway_reads_it() -> None:
    binary = lambda_response(
        {
            "statusCode": 201,
            "headers": {"Content-Type": "image/png"},
            "cookies": ["a=1; Secure"],
            "body": base64.b64encode(b"\x89PNG").decode(),
            "isBase64Encoded": True,
        }
    )
    plain = lambda_response({"hello": "world"})

    assert (binary.status, binary.body) == (201, b"\x89PNG")
    assert ("Set-Cookie", "a=1; Secure") in binary.headers
    assert (plain.status, json.loads(plain.body)) == (200, {"hello": "world"})


@pytest.fixture
def server(gateway: Gateway) -> Iterator[GatewayServer]:
    running = GatewayServer(gateway, host="127.0.0.1", port=0)
    running.start()
    yield running
    running.stop()


def test_the_server_passes_the_request_to_the_function_as_a_v2_event(
    server: GatewayServer, functions: LocalFunctions, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[dict[str, Any]] = []

    def echo(event: dict[str, Any]) -> Any:
        seen.append(event)
        return {"statusCode": 200, "body": "ok"}

    monkeypatch.setattr(functions["HealthFunction"], "invoke", echo)
    host, port = server.url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=5)

    connection.request(
        "GET",
        "/v1/health?x=1&x=2",
        body=b"\x00\x01",
        headers={"Content-Type": "application/octet-stream", "Cookie": "c=1", "X-Trace": "t"},
    )
    response = connection.getresponse()

    assert (response.status, response.read()) == (200, b"ok")
    connection.request("GET", "/v1/health")  # the same connection: the gateway keeps it alive
    assert connection.getresponse().read() == b"ok"
    event = seen[0]
    assert event["routeKey"] == "GET /v1/health"
    assert event["queryStringParameters"] == {"x": "1,2"}
    assert event["cookies"] == ["c=1"]
    assert event["headers"]["x-trace"] == "t"
    assert event["isBase64Encoded"]
    assert base64.b64decode(event["body"]) == b"\x00\x01"
    assert event["requestContext"]["http"]["sourceIp"] == "127.0.0.1"


def test_the_access_log_names_the_path_but_never_the_query(
    server: GatewayServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="local.gateway")
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as connection:
        connection.sendall(
            b"GET /v1/health?nextToken=SECRET-CURSOR&filter=serial HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        # The server logs before it closes the connection: reading to EOF waits for it.
        answer = b"".join(iter(lambda: connection.recv(65536), b""))

    assert answer.startswith(b"HTTP/1.1 200")
    (line,) = [record.getMessage() for record in caplog.records if record.name == "local.gateway"]
    assert line.startswith("GET /v1/health -> 200 (")
    assert "SECRET-CURSOR" not in caplog.text
    assert "?" not in line


def test_a_local_page_that_fails_is_a_500_not_a_dropped_connection(functions: LocalFunctions) -> None:
    def broken(query: str) -> Any:
        raise TypeError("not serializable")

    gateway = Gateway(RouteTable(TEMPLATE.routes()), functions, local_pages={"/docs": broken})

    response = gateway.handle(HttpRequest("GET", "/docs"))

    assert (response.status, json.loads(response.body)) == (500, {"message": "Internal Server Error"})
