"""An HTTP API gateway on 127.0.0.1: the template's routes, each served by its function.

``Gateway.handle`` turns a request into a payload v2 event (``local.events.http_event``), invokes the
function the route belongs to, and turns the function's answer into a response the way API Gateway
does: a dict with ``statusCode`` is a response (``isBase64Encoded`` bodies decoded, ``cookies`` sent
as Set-Cookie), anything else is a 200 JSON body. A request no route matches gets API Gateway's own
404 ``{"message":"Not Found"}``, and a handler that raises gets its 500 ``{"message":"Internal
Server Error"}`` (so does one that times out or whose worker dies: ``local.processes``). Local
pages (``/docs``) are served only where the template has no route.
"""

from __future__ import annotations

import base64
import json
import logging
import socket
import ssl
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from local.events import http_event, new_request_id
from local.functions import FunctionError, FunctionSet
from local.routes import RouteTable

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class HttpRequest:
    """A request as it reached the gateway."""

    method: str
    target: str
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    source_ip: str = "127.0.0.1"
    client_certificate: bytes | None = None  # DER, verified by the TLS handshake (local.tls)


@dataclass(frozen=True)
class HttpResponse:
    """A response to write back."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes


LocalPage = Callable[[str], HttpResponse]


def json_response(status: int, document: Any, *, content_type: str = "application/json") -> HttpResponse:
    """A response with a JSON body."""
    body = json.dumps(document, separators=(",", ":"))  # API Gateway's own messages are compact
    return HttpResponse(status, [("Content-Type", content_type)], body.encode())


def lambda_response(result: Any) -> HttpResponse:
    """The HTTP response API Gateway makes of a payload v2 handler's return value."""
    if not (isinstance(result, Mapping) and "statusCode" in result):
        return json_response(200, result)
    headers = [(str(name), str(value)) for name, value in (result.get("headers") or {}).items()]
    if not any(name.lower() == "content-type" for name, _ in headers):
        headers.append(("Content-Type", "application/json"))
    headers += [("Set-Cookie", str(cookie)) for cookie in result.get("cookies") or []]
    body = result.get("body") or ""
    raw = base64.b64decode(body) if result.get("isBase64Encoded") else str(body).encode()
    return HttpResponse(int(result["statusCode"]), headers, raw)


class Gateway:
    """Routes requests to functions exactly as the template declares them."""

    def __init__(
        self,
        routes: RouteTable,
        functions: FunctionSet,
        *,
        local_pages: Mapping[str, LocalPage] | None = None,
    ) -> None:
        self.routes = routes
        self.functions = functions
        self.local_pages = dict(local_pages or {})

    def handle(self, request: HttpRequest) -> HttpResponse:
        """Serve one request."""
        path, _, query = request.target.partition("?")
        request_id = new_request_id()
        match = self.routes.match(request.method, path)
        if match is None:
            page = self.local_pages.get(path) if request.method in ("GET", "HEAD") else None
            if page is None:
                return _with_request_id(json_response(404, {"message": "Not Found"}), request_id)
            try:
                return _with_request_id(page(query), request_id)
            except Exception:
                logger.exception("local page %s failed", path)
                return _with_request_id(json_response(500, {"message": "Internal Server Error"}), request_id)
        event = http_event(
            request.method,
            path,
            route_key=match.route.route_key,
            path_parameters=match.path_parameters,
            query=query,
            headers=request.headers,
            body=request.body or None,
            source_ip=request.source_ip,
            request_id=request_id,
            account_id=self.functions.resources.account_id,
            client_certificate=request.client_certificate,
        )
        try:
            response = lambda_response(self.functions[match.route.function].invoke(event))
        except FunctionError as error:  # its worker printed the traceback: the parent's is noise
            logger.error("%s failed on %s %s: %s", match.route.function, request.method, path, error)
            response = json_response(500, {"message": "Internal Server Error"})
        except Exception:
            logger.exception("%s failed on %s %s", match.route.function, request.method, path)
            response = json_response(500, {"message": "Internal Server Error"})
        return _with_request_id(response, request_id)


def _with_request_id(response: HttpResponse, request_id: str) -> HttpResponse:
    return HttpResponse(response.status, [*response.headers, ("apigw-requestid", request_id)], response.body)


class _RequestHandler(BaseHTTPRequestHandler):
    gateway: Gateway
    server_version = "astca-local"
    protocol_version = "HTTP/1.1"  # keep-alive, as API Gateway: a client's next request reuses its connection
    _headers_buffer: list[bytes]

    def _serve(self) -> None:
        started = time.perf_counter()
        request = HttpRequest(
            method=self.command,
            target=self.path,
            headers=list(self.headers.items()),
            body=self._read_body(),
            source_ip=self.client_address[0],
            client_certificate=self._client_certificate(),
        )
        response = self.gateway.handle(request)
        self.send_response(response.status)
        for name, value in response.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self._headers_buffer.append(b"\r\n")
        if self.command != "HEAD":
            self._headers_buffer.append(response.body)
        self.wfile.write(b"".join(self._headers_buffer))  # one write: a second segment would wait for an ACK
        self._headers_buffer = []
        elapsed = (time.perf_counter() - started) * 1000
        # The path only: the query carries certificates, cursors and filters.
        path = self.path.partition("?")[0]
        logger.info("%s %s -> %d (%.0f ms)", self.command, path, response.status, elapsed)

    def setup(self) -> None:
        """Complete the TLS handshake (if any) in this connection's thread, not in the accepting one."""
        if isinstance(self.request, ssl.SSLSocket):
            self.request.do_handshake()
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().setup()

    def _client_certificate(self) -> bytes | None:
        if isinstance(self.connection, ssl.SSLSocket):
            return self.connection.getpeercert(binary_form=True)
        return None

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve  # noqa: N815

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the default access log; ``_serve`` logs each request once."""


class _BurstServer(ThreadingHTTPServer):
    """A ThreadingHTTPServer that takes a burst of connections (the default backlog is 5, API Gateway's 200)."""

    request_queue_size = 256
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A refused TLS handshake or a dropped connection is the client's affair: one log line, no traceback."""
        if isinstance(sys.exception(), ssl.SSLError | ConnectionError):
            logger.info("connection from %s refused: %s", client_address[0], sys.exception())
            return
        super().handle_error(request, client_address)


class GatewayServer:
    """The gateway on a ThreadingHTTPServer: one thread per connection, stopped by ``stop``."""

    name = "gateway"

    def __init__(self, gateway: Gateway, *, host: str, port: int, tls: ssl.SSLContext | None = None) -> None:
        handler = type("GatewayRequestHandler", (_RequestHandler,), {"gateway": gateway})
        self._server = _BurstServer((host, port), handler)
        self.scheme = "http" if tls is None else "https"
        if tls is not None:
            self.name = "gateway-tls"
            self._server.socket = tls.wrap_socket(
                self._server.socket, server_side=True, do_handshake_on_connect=False
            )
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, name="gateway", daemon=True
        )

    @property
    def url(self) -> str:
        """The base URL the gateway listens on."""
        host, port = self._server.server_address[:2]
        return f"{self.scheme}://{host!s}:{port}"

    def start(self) -> None:
        """Serve in a background thread."""
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._server.shutdown()
        self._server.server_close()
