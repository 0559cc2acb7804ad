"""PKI helpers shared by tests: openssl as the independent verifier, and throwaway certificates."""

from __future__ import annotations

import datetime
import subprocess
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def openssl_verify(
    folder: Path, *, root: str, chain: list[str], leaf: str, purpose: str | None = None
) -> None:
    """Assert that ``openssl verify -x509_strict`` accepts ``leaf`` under ``root`` through ``chain`` (PEM)."""
    (folder / "root.pem").write_text(root)
    (folder / "chain.pem").write_text("".join(chain))
    (folder / "leaf.pem").write_text(leaf)
    command = ["openssl", "verify", "-x509_strict", "-CAfile", "root.pem"]
    if chain:
        command += ["-untrusted", "chain.pem"]
    if purpose:
        command += ["-purpose", purpose]
    verified = subprocess.run([*command, "leaf.pem"], cwd=folder, capture_output=True, text=True, check=False)
    assert verified.returncode == 0, verified.stdout + verified.stderr


def self_signed(
    common_name: str = "stranger", *, days: int = 1, key: ec.EllipticCurvePrivateKey | None = None
) -> str:
    """A self-signed P-256 certificate (PEM, of ``key`` or a fresh one) that no CA of the service issued."""
    key = key or ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=days))
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM).decode()
