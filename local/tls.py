"""The local stack's HTTPS listener: API Gateway's mutual-TLS custom domain, on 127.0.0.1.

At start the stack makes a fresh P-256 server certificate for ``localhost``, ``127.0.0.1`` and ``::1``
(self-signed, valid a week), writes it to ``server_certificate_path(port)`` for clients to trust
(``curl --cacert``), and serves the same routes as the plain listener. The listener asks for a client
certificate but does not require one, and verifies one that is sent against the CA hierarchy of the
stack (the root and issuer CAs); the client sends the intermediates below them, as API Gateway
expects of a trust store that holds only the CAs: a device's ``--cert`` file is its certificate
followed by the chain ``GET /certificates/{id}`` delivered. A verified certificate reaches the
functions where API Gateway puts it, ``requestContext.authentication.clientCert``
(``local.events.mutual_tls_context``); a handshake that fails verification is refused, as API Gateway
refuses it.
"""

from __future__ import annotations

import ipaddress
import ssl
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

SERVER_NAMES = ("localhost",)
SERVER_ADDRESSES = ("127.0.0.1", "::1")
VALIDITY = timedelta(days=7)


def server_certificate_path(port: int) -> Path:
    """Where the stack listening on ``port`` writes its server certificate (PEM) for clients to trust."""
    return Path(tempfile.gettempdir()) / "astca-local" / str(port) / "server.pem"


def write_server_credentials(directory: Path) -> tuple[Path, Path]:
    """A fresh self-signed server certificate and its key in ``directory`` (the key readable by its owner only)."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "astca local stack")])
    alternative_names: list[x509.GeneralName] = [x509.DNSName(host) for host in SERVER_NAMES]
    alternative_names += [x509.IPAddress(ipaddress.ip_address(address)) for address in SERVER_ADDRESSES]
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=1))
        .not_valid_after(now + VALIDITY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName(alternative_names), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    certificate_path, key_path = directory / "server.pem", directory / "server.key"
    key_path.touch(mode=0o600)
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    certificate_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return certificate_path, key_path


def server_context(certificate_path: Path, key_path: Path, *, client_cas: str) -> ssl.SSLContext:
    """TLS 1.2+ server context that asks for an optional client certificate and verifies it against ``client_cas``."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(certificate_path, key_path)
    context.verify_mode = ssl.CERT_OPTIONAL
    context.load_verify_locations(cadata=client_cas)
    return context
