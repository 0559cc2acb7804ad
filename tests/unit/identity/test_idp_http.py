"""Talking to the IdP over real sockets: unreachable, slow, not JSON, statuses, and TLS trust."""

from __future__ import annotations

import datetime
import ipaddress
import socket
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from astca import catalog
from astca.catalog import CaError
from astca.identity.idp_http import IdpHttp, IdpStatus


class Answers(BaseHTTPRequestHandler):
    """Answers by path: /json, /garbage, /status/<n>, /slow."""

    def do_GET(self) -> None:
        if self.path == "/slow":
            threading.Event().wait(2)
            return
        status, body = 200, b'{"ok": true}'
        if self.path == "/garbage":
            body = b"<html>not json</html>"
        elif self.path.startswith("/status/"):
            status, body = int(self.path.rsplit("/", 1)[1]), b"{}"
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Keep test output quiet."""


class Server(ThreadingHTTPServer):
    """A test server whose request threads do not hold up shutdown."""

    daemon_threads = True


def serve(server: ThreadingHTTPServer) -> Iterator[str]:
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def http_server() -> Iterator[str]:
    yield from serve(Server(("127.0.0.1", 0), Answers))


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """A self-signed certificate for 127.0.0.1: (cert, key, trust store)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test idp")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path, cert_path


@pytest.fixture(scope="module")
def https_server(tls: tuple[Path, Path, Path]) -> Iterator[str]:
    server = Server(("127.0.0.1", 0), Answers)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tls[0], tls[1])
    server.socket = context.wrap_socket(server.socket, server_side=True)
    yield from serve(server)


def client(mode: str = "system", trust_store: str | None = None, timeout: float = 0.5) -> IdpHttp:
    return IdpHttp(tls_mode=mode, trust_store=trust_store, timeout=timeout)


def code_of(call: object) -> catalog.ErrorEntry:
    with pytest.raises(CaError) as raised:
        call()  # type: ignore[operator]
    return raised.value.entry


def test_json_is_parsed(http_server: str) -> None:
    assert client().get_json(f"http://{http_server}/json") == {"ok": True}


def test_closed_port_is_idp_unavailable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    assert code_of(lambda: client().get_json(f"http://127.0.0.1:{port}/")) is catalog.IDP_UNAVAILABLE


def test_timeout_is_idp_unavailable(http_server: str) -> None:
    assert (
        code_of(lambda: client(timeout=0.2).get_json(f"http://{http_server}/slow")) is catalog.IDP_UNAVAILABLE
    )


def test_body_that_is_not_json_is_bad_response(http_server: str) -> None:
    assert code_of(lambda: client().get_json(f"http://{http_server}/garbage")) is catalog.BAD_RESPONSE


@pytest.mark.parametrize("status", [404, 500])
def test_statuses_are_left_to_the_caller(http_server: str, status: int) -> None:
    with pytest.raises(IdpStatus) as raised:
        client().get_json(f"http://{http_server}/status/{status}")
    assert raised.value.status == status


def test_custom_tls_without_a_trust_store_is_trust_store_required(https_server: str) -> None:
    call = lambda: client("custom").get_json(f"https://{https_server}/json")  # noqa: E731
    assert code_of(call) is catalog.TRUST_STORE_REQUIRED


def test_custom_tls_with_a_missing_file_is_trust_store_does_not_exist(
    https_server: str, tmp_path: Path
) -> None:
    call = lambda: client("custom", str(tmp_path / "nope.pem")).get_json(f"https://{https_server}/json")  # noqa: E731
    assert code_of(call) is catalog.TRUST_STORE_DOES_NOT_EXIST


def test_custom_trust_store_is_trusted(https_server: str, tls: tuple[Path, Path, Path]) -> None:
    assert client("custom", str(tls[2])).get_json(f"https://{https_server}/json") == {"ok": True}


def test_system_trust_refuses_an_unknown_certificate(https_server: str) -> None:
    assert code_of(lambda: client().get_json(f"https://{https_server}/json")) is catalog.IDP_UNAVAILABLE
