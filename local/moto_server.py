"""moto's server without its per-request machinery: the same handlers and answers, kept-alive connections, and in-process calls.

moto's own server (``ThreadedMotoServer``) answers every request through werkzeug's development
server, moto's ``DomainDispatcherApplication`` (which finds the service by matching the host against
some 200 URL patterns, under a lock) and a Flask app per service (request context, URL map, CORS
hooks), and it closes every connection (werkzeug sends ``Connection: close`` and then waits up to
10 ms for the client to hang up): every boto3 call of every function opens a TCP connection and the
server starts a thread for it. Under load that was a third of the stack's CPU.

``MotoServer`` serves the same port with werkzeug's request handler (so the WSGI environ is exactly
the one moto's server builds, underscore-preserving headers included), but answers a signed request
to a service path that only one of the service's URL rules matches (``/`` of DynamoDB, DynamoDB
Streams, SQS, KMS, Secrets Manager, STS: what boto3 sends) by calling that rule's moto handler
directly, the way moto's Flask view does (``convert_to_flask_response``), and turning its answer
into the response Flask would send: the same status line, headers (the default Content-Type,
Content-Length) and body bytes, on a connection that stays open (HTTP/1.1 keep-alive). Everything
else (``/moto-api``, unsigned requests, S3-style paths, ``Expect: 100-continue``, chunked bodies)
goes to moto's own WSGI application unchanged. ``tests/local/test_moto_server.py`` compares the two
answer by answer.

``in_process(client)`` makes a boto3 client of the stack process itself (the pollers: Lambda's
side of AWS) call the same dispatch without a socket: botocore still serializes the request and
parses the answer, moto handles it exactly as when it comes over HTTP.
"""

from __future__ import annotations

import functools
import io
import json
import logging
import re
import socket
import sys
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.compat import HTTPHeaders
from werkzeug.serving import BaseWSGIServer, make_server

logger = logging.getLogger(__name__)

Handler = Callable[[Any, str, Any], Any]
Answer = tuple[str, list[tuple[str, str]], bytes]  # status line ("200 OK"), headers, body


@dataclass(frozen=True)
class Route:
    """A moto handler and the CORS options of the Flask app it belongs to (None: CORS disabled)."""

    handler: Handler
    cors: Any


_NO_ROUTE: Any = object()


class _Routes:
    """Which moto handler serves a signed request: by service (credential scope, X-Amz-Target) and path."""

    def __init__(self) -> None:
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

        self.application = DomainDispatcherApplication(create_backend_app)
        self._backends: dict[str, str | None] = {}
        self._routes: dict[tuple[str, str], Route | None] = {}
        self._lock = threading.Lock()

    def route(self, environ: dict[str, Any]) -> Route | None:
        """The handler moto's Flask app would call for this request, or None to leave it to that app."""
        path = environ["PATH_INFO"]
        if (
            not environ.get("HTTP_AUTHORIZATION")
            or path.startswith(("/moto-api", "/latest/"))
            or path == "/favicon.ico"
        ):
            return None
        host = self.application.infer_service_region_host(environ, path)
        if host is None:
            return None
        backend = self._backends.get(host, _NO_ROUTE)
        if backend is _NO_ROUTE:
            with self._lock:  # moto's dispatcher takes a lock around this too
                backend = self.application.get_backend_for_host(host)
            self._backends[host] = backend = str(backend) if backend else None
        if backend is None:
            return None
        key = (backend, path)
        if key not in self._routes:
            handler = _only_handler(backend, path)
            self._routes[key] = None if handler is None else Route(handler, self._cors(backend))
        return self._routes[key]

    def _cors(self, backend: str) -> Any:
        """The options flask-cors computed for the backend's app (moto applies CORS(app) to every one)."""
        from flask_cors.core import get_cors_options
        from moto.settings import DISABLE_GLOBAL_CORS

        if DISABLE_GLOBAL_CORS:
            return None
        with self._lock:
            app = self.application.app_instances.get(backend)
            if app is None:
                app = self.application.app_instances[backend] = self.application.create_app(backend)  # type: ignore[arg-type]
        return get_cors_options(app)


def _only_handler(backend_name: str, path: str) -> Handler | None:
    """The handler of the one URL rule of ``backend_name`` that matches ``path`` (None if not exactly one)."""
    from moto import backends
    from moto.core.base_backend import BackendDict
    from moto.core.models import DEFAULT_ACCOUNT_ID

    if path != "/":
        return None  # other paths keep Flask's own matching (strict slashes, converters)
    backend_dict = backends.get_backend(backend_name)  # type: ignore[call-overload]
    if isinstance(backend_dict, BackendDict):
        regions = backend_dict[DEFAULT_ACCOUNT_ID]
        backend = regions["us-east-1"] if "us-east-1" in regions else regions["aws"]
    else:
        backend = backend_dict["global"]
    matching = [handler for rule, handler in backend.url_paths.items() if re.fullmatch(rule, path)]
    return matching[0] if len(matching) == 1 else None


_routes_lock = threading.Lock()


@functools.cache
def _the_routes() -> _Routes:
    return _Routes()


def routes() -> _Routes:
    """The process's routes (moto's dispatcher, built once)."""
    with _routes_lock:
        return _the_routes()


def answer(route: Route, environ: dict[str, Any]) -> Answer:
    """Call the handler as moto's Flask view does and make the response Flask would: status, headers, body."""
    from botocore.exceptions import ClientError
    from flask import Response
    from flask_cors.core import get_cors_headers
    from moto.moto_api import recorder
    from moto.moto_server.werkzeug_app import BackendRequest
    from werkzeug.exceptions import HTTPException

    request = BackendRequest(environ)
    try:
        recorder._record_request(request)
        result = route.handler(request, request.raw_url, dict(request.headers))
    except ClientError as exc:
        result = 400, {}, exc.response["Error"]["Message"]
    except HTTPException as exc:  # Flask answers one that escapes the view with the exception's own response
        response = Response.force_type(exc.get_response(environ), environ)
    else:
        status, headers, content = result if len(result) == 3 else (200, {}, result)
        response = Response(response=content, status=status, headers=headers)
    if route.cors is not None:  # what flask-cors's after_request adds
        for name, value in get_cors_headers(route.cors, request.headers, request.method).items():
            response.headers.add(name, value)
    body, status_line, wsgi_headers = response.get_wsgi_response(environ)
    return status_line, list(wsgi_headers), b"".join(body)


class LeanRequestHandler:
    """Mixed into moto's werkzeug request handler: moto's handlers called directly, the connection kept."""

    server: BaseWSGIServer
    headers: Any
    rfile: io.BufferedIOBase
    wfile: io.BufferedIOBase
    request_version: str
    _headers_buffer: list[bytes]

    def setup(self) -> None:
        """No Nagle delay on the connection (moto's own answers are written in several pieces)."""
        super().setup()  # type: ignore[misc]
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # type: ignore[attr-defined]

    def run_wsgi(self) -> None:
        """Answer directly when one moto handler is the route; else moto's WSGI app as before."""
        environ: dict[str, Any] = self.make_environ()  # type: ignore[attr-defined]
        route = None
        if (
            "HTTP_TRANSFER_ENCODING" not in environ
            and self.headers.get("Expect", "").lower().strip(" \t") != "100-continue"
        ):
            try:
                route = routes().route(environ)
            except Exception:  # noqa: BLE001 - moto's own app answers it (its 500, say)
                route = None
        if route is None:
            super().run_wsgi()  # type: ignore[misc]
            return
        length = int(environ.get("CONTENT_LENGTH") or 0)
        environ["wsgi.input"] = io.BytesIO(self.rfile.read(length) if length else b"")
        try:
            status, headers, body = answer(route, environ)
        except Exception:
            logger.exception("moto failed on %s %s", environ["REQUEST_METHOD"], environ["PATH_INFO"])
            status, headers, body = _internal_error()
        self._write(status, headers, body)

    def _write(self, status: str, headers: Iterable[tuple[str, str]], body: bytes) -> None:
        """The response in one write: headers and body in separate segments would wait for a delayed ACK."""
        code, _, reason = status.partition(" ")
        self.send_response_only(int(code), reason)  # type: ignore[attr-defined]
        self.send_header("Server", self.version_string())  # type: ignore[attr-defined]  # as werkzeug's
        self.send_header("Date", self.date_time_string())  # type: ignore[attr-defined]
        for name, value in headers:
            self.send_header(name, value)  # type: ignore[attr-defined]
        self._headers_buffer.append(b"\r\n")
        if self.command != "HEAD":  # type: ignore[attr-defined]
            self._headers_buffer.append(body)
        self.wfile.write(b"".join(self._headers_buffer))
        self._headers_buffer = []

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """No access log (werkzeug's is silenced by the stack anyway)."""


def _internal_error() -> Answer:
    from werkzeug.exceptions import InternalServerError

    response = InternalServerError().get_response()
    body, status, headers = response.get_wsgi_response({"REQUEST_METHOD": "POST"})
    return status, list(headers), b"".join(body)


def _handler_class() -> type:
    from moto.moto_server.werkzeug_app import MotoRequestHandler

    return type("LeanMotoRequestHandler", (LeanRequestHandler, MotoRequestHandler), {})


class MotoServer:
    """moto on ``host``:``port``, its handlers called directly (see the module docstring): the local AWS."""

    name = "moto"

    def __init__(self, *, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Serve in a background thread; fails at once if the port is taken."""
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((self.host, self.port))
        application = routes().application
        self._server = make_server(self.host, self.port, application, True, request_handler=_handler_class())
        self._thread = threading.Thread(target=self._server.serve_forever, name="moto", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and close the listening socket."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join()


# In-process calls (the stack's own clients).


def in_process(client: Any) -> Any:
    """Make ``client`` (boto3, of the moto server's endpoint) call moto in this process, without a socket."""
    client.meta.events.register_first("before-send", _send_in_process)
    return client


def _send_in_process(request: AWSPreparedRequest, **_: Any) -> AWSResponse | None:
    environ = _environ(request)
    try:
        route = routes().route(environ)
    except Exception:  # noqa: BLE001 - over HTTP, moto's own app answers it
        route = None
    if route is None:
        return None  # botocore sends it over HTTP
    status, headers, body = answer(route, environ)
    response_headers = HTTPHeaders()
    for name, value in headers:
        response_headers[name] = value
    return AWSResponse(request.url, int(status.split(" ", 1)[0]), response_headers, _Raw(body))


def _environ(request: AWSPreparedRequest) -> dict[str, Any]:
    """The WSGI environ werkzeug's server would make of ``request`` (see ``make_environ``)."""
    from urllib.parse import unquote

    url = urlsplit(request.url)
    target = url.path + (f"?{url.query}" if url.query else "")
    raw: Any = request.body or b""
    body: bytes = (
        raw.encode()
        if isinstance(raw, str)
        else bytes(raw)
        if isinstance(raw, bytes | bytearray)
        else raw.read()
    )
    environ: dict[str, Any] = {
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": url.scheme,
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "REQUEST_METHOD": request.method,
        "SCRIPT_NAME": "",
        "PATH_INFO": unquote(url.path).encode().decode("latin-1"),
        "QUERY_STRING": url.query,
        "REQUEST_URI": target,
        "RAW_URI": target,
        "REMOTE_ADDR": "127.0.0.1",
        "REMOTE_PORT": 0,
        "SERVER_NAME": url.hostname or "127.0.0.1",
        "SERVER_PORT": str(url.port or 80),
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": url.netloc,
        "CONTENT_LENGTH": str(len(body)),
    }
    for name, raw in request.headers.items():
        if "_" in name:
            continue
        value = raw.decode() if isinstance(raw, bytes) else str(raw)
        key = name.upper().replace("-", "_")
        if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            key = f"HTTP_{key}"
        environ[key] = value.replace("\r\n", "")
    return environ


class _Raw(io.BytesIO):
    """A body botocore reads as it reads urllib3's (``stream``)."""

    def stream(self, **_: Any) -> Iterable[bytes]:
        contents = self.read()
        while contents:
            yield contents
            contents = self.read()


# The stack's own calls without botocore (the pollers: Lambda's side of AWS).


class JsonApi:
    """A JSON-protocol service of this process's moto, called as botocore sends it and answered in wire JSON.

    The pollers' calls (``receive_message``, ``get_records``, ...: the method names boto3 gives them)
    go through the same dispatch as every request (``answer``), with the headers botocore sends
    (X-Amz-Target, the credential scope moto takes the region and account from), but with no
    signing, no botocore serializer or parser on either side: an answer is the JSON moto wrote, as
    Lambda's own pollers see the service (blobs in base64, timestamps in epoch seconds). An error
    answer raises botocore's ``ClientError`` with the code botocore would read.
    """

    def __init__(self, service: str, *, region: str, endpoint_url: str, access_key: str = "testing") -> None:
        signing, self._target, self._content_type = _JSON_SERVICES[service]
        self._url = urlsplit(endpoint_url)
        self._authorization = (
            f"AWS4-HMAC-SHA256 Credential={access_key}/20200101/{region}/{signing}/aws4_request, "
            "SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=local"
        )

    def __getattr__(self, name: str) -> Callable[..., dict[str, Any]]:
        if name.startswith("_"):
            raise AttributeError(name)
        operation = "".join(part.title() for part in name.split("_"))
        return functools.partial(self.call, operation)

    def call(self, operation: str, **params: Any) -> dict[str, Any]:
        """``operation`` with ``params`` (its request members): the answer's JSON, or ClientError."""
        from botocore.exceptions import ClientError

        body = json.dumps(params).encode()
        environ: dict[str, Any] = {
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": self._url.scheme,
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            "REQUEST_METHOD": "POST",
            "SCRIPT_NAME": "",
            "PATH_INFO": "/",
            "QUERY_STRING": "",
            "REQUEST_URI": "/",
            "RAW_URI": "/",
            "REMOTE_ADDR": "127.0.0.1",
            "REMOTE_PORT": 0,
            "SERVER_NAME": self._url.hostname or "127.0.0.1",
            "SERVER_PORT": str(self._url.port or 80),
            "SERVER_PROTOCOL": "HTTP/1.1",
            "HTTP_HOST": self._url.netloc,
            "CONTENT_TYPE": self._content_type,
            "CONTENT_LENGTH": str(len(body)),
            "HTTP_X_AMZ_TARGET": f"{self._target}.{operation}",
            "HTTP_X_AMZ_DATE": "20200101T000000Z",
            "HTTP_AUTHORIZATION": self._authorization,
        }
        route = routes().route(environ)
        if route is None:
            raise RuntimeError(f"moto has no single handler for {self._target}.{operation}")
        status, headers, raw = answer(route, environ)
        document = json.loads(raw) if raw.strip() else {}
        code = int(status.split(" ", 1)[0])
        if code < 300:
            return dict(document)
        error = (
            dict(headers).get("x-amzn-query-error", "").split(";")[0]
            or str(document.get("__type", "") or dict(headers).get("X-Amzn-Errortype", "")).split("#")[-1]
        )
        message = document.get("message") or document.get("Message") or ""
        response: Any = {
            "Error": {"Code": error, "Message": message},
            "ResponseMetadata": {"HTTPStatusCode": code},
        }
        raise ClientError(response, operation)


# service: (signing name, X-Amz-Target prefix, content type), as botocore's models give them
_JSON_SERVICES = {
    "sqs": ("sqs", "AmazonSQS", "application/x-amz-json-1.0"),
    "dynamodbstreams": ("dynamodb", "DynamoDBStreams_20120810", "application/x-amz-json-1.0"),
    "dynamodb": ("dynamodb", "DynamoDB_20120810", "application/x-amz-json-1.0"),
}
