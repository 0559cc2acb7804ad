"""The local HTTPS listener: a real TLS handshake, an optional client certificate, API Gateway's mTLS context."""

from __future__ import annotations

import datetime
import http.client
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from local.events import http_event
from local.gateway import Gateway, GatewayServer, HttpRequest, HttpResponse
from local.tls import server_context, write_server_credentials


def certificate(
    name: str, key: Any, issuer: tuple[x509.Name, Any] | None = None, *, ca: bool = False
) -> x509.Certificate:
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    issuer_name, issuer_key = issuer or (subject, key)
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .sign(issuer_key, hashes.SHA256())
    )


class Recording:
    """Stands in for the gateway: remembers each request, answers 200."""

    def __init__(self) -> None:
        self.requests: list[HttpRequest] = []

    def handle(self, request: HttpRequest) -> HttpResponse:
        self.requests.append(request)
        return HttpResponse(200, [("Content-Type", "application/json")], b"{}")


@pytest.fixture
def pki(tmp_path: Path) -> dict[str, Any]:
    ca_key, device_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = certificate("local test CA", ca_key, ca=True)
    device = certificate("device-1", device_key, (ca.subject, ca_key))
    stranger_key = ec.generate_private_key(ec.SECP256R1())
    stranger = certificate("device-1", stranger_key)  # the same name, signed by nobody the listener trusts
    files = {}
    for name, cert, key in (("device", device, device_key), ("stranger", stranger, stranger_key)):
        (tmp_path / f"{name}.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        (tmp_path / f"{name}.key").write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        files[name] = (tmp_path / f"{name}.pem", tmp_path / f"{name}.key")
    return {"ca": ca, "device": device, "files": files}


@pytest.fixture
def listener(pki: dict[str, Any], tmp_path: Path) -> Iterator[tuple[GatewayServer, Recording, Path]]:
    server_certificate, server_key = write_server_credentials(tmp_path / "server")
    context = server_context(
        server_certificate, server_key, client_cas=pki["ca"].public_bytes(serialization.Encoding.PEM).decode()
    )
    recording = Recording()
    server = GatewayServer(cast(Gateway, recording), host="127.0.0.1", port=0, tls=context)
    server.start()
    yield server, recording, server_certificate
    server.stop()


def get(server: GatewayServer, trusted: Path, client: tuple[Path, Path] | None = None) -> int:
    context = ssl.create_default_context(cafile=str(trusted))
    if client is not None:
        context.load_cert_chain(*client)
    host, port = server.url.removeprefix("https://").rsplit(":", 1)
    connection = http.client.HTTPSConnection(host, int(port), context=context, timeout=5)
    try:
        connection.request("GET", "/v1/health?secret=1")
        return connection.getresponse().status
    finally:
        connection.close()


def test_a_verified_client_certificate_reaches_the_gateway(
    listener: tuple[GatewayServer, Recording, Path], pki: dict[str, Any]
) -> None:
    server, recording, trusted = listener
    assert server.url.startswith("https://127.0.0.1:")

    assert get(server, trusted, pki["files"]["device"]) == 200

    (request,) = recording.requests
    assert request.client_certificate == pki["device"].public_bytes(serialization.Encoding.DER)


def test_the_client_certificate_is_optional(listener: tuple[GatewayServer, Recording, Path]) -> None:
    server, recording, trusted = listener
    assert get(server, trusted) == 200
    assert recording.requests[0].client_certificate is None


def test_a_certificate_no_trusted_ca_issued_fails_the_handshake(
    listener: tuple[GatewayServer, Recording, Path], pki: dict[str, Any]
) -> None:
    server, recording, trusted = listener
    with pytest.raises((ssl.SSLError, ConnectionError)):
        get(server, trusted, pki["files"]["stranger"])
    assert recording.requests == []


def test_the_certificate_goes_where_api_gateway_puts_it(pki: dict[str, Any]) -> None:
    der = pki["device"].public_bytes(serialization.Encoding.DER)
    event = http_event("POST", "/v1/tenants/acme/certificates/renew", client_certificate=der)
    context = event["requestContext"]["authentication"]["clientCert"]
    assert x509.load_pem_x509_certificate(context["clientCertPem"].encode()) == pki["device"]
    assert context["subjectDN"] == "CN=device-1"
    assert context["serialNumber"] == format(pki["device"].serial_number, "x")
    assert "authentication" not in http_event("GET", "/v1/health")["requestContext"]


def test_the_server_key_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    _, key = write_server_credentials(tmp_path)
    assert key.stat().st_mode & 0o077 == 0
