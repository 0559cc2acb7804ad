"""PKI helpers of the tests: openssl, pkilint and GnuTLS certtool as independent verifiers; throwaway certificates."""

from __future__ import annotations

import datetime
import re
import subprocess
import sys
from collections.abc import Sequence
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


def openssl_verdict(
    folder: Path, *, trusted: str, untrusted: Sequence[str], leaf: str, options: Sequence[str] = ()
) -> subprocess.CompletedProcess[str]:
    """What ``openssl verify -x509_strict <options>`` answers for ``leaf`` under ``trusted`` through ``untrusted`` (PEM)."""
    (folder / "trusted.pem").write_text(trusted)
    (folder / "leaf.pem").write_text(leaf)
    command = ["openssl", "verify", "-x509_strict", *options, "-CAfile", "trusted.pem"]
    if untrusted:  # openssl refuses an -untrusted file without a certificate
        (folder / "untrusted.pem").write_text("".join(untrusted))
        command += ["-untrusted", "untrusted.pem"]
    return subprocess.run([*command, "leaf.pem"], cwd=folder, capture_output=True, text=True, check=False)


def openssl_error(verdict: subprocess.CompletedProcess[str]) -> int | None:
    """The X509_V_ERR code ``openssl verify`` reported (``error 20 at 1 depth lookup: ...``), or None."""
    found = re.search(r"^error (\d+) at \d+ depth lookup", verdict.stdout + verdict.stderr, re.MULTILINE)
    return int(found.group(1)) if found else None


def pkilint_report(folder: Path, pem: str, *, severity: str = "WARNING") -> subprocess.CompletedProcess[str]:
    """pkilint's RFC 5280 certificate lint (its ``lint_pkix_cert`` command) of ``pem``, findings from ``severity`` up.

    It exits with the number of such findings (0: clean), and prints them.
    """
    (folder / "linted.pem").write_text(pem)
    command = [sys.executable, "-m", "pkilint.bin.lint_pkix_cert", "lint", "-s", severity, "linted.pem"]
    return subprocess.run(command, cwd=folder, capture_output=True, text=True, check=False)


def certtool_verify(
    folder: Path, *, trusted: str, chain: Sequence[str], profile: str, purpose: str
) -> subprocess.CompletedProcess[str]:
    """GnuTLS ``certtool --verify`` of ``chain`` (PEM, leaf first) under ``trusted``, at a security ``profile``."""
    (folder / "certtool-ca.pem").write_text(trusted)
    (folder / "certtool-chain.pem").write_text("".join(chain))
    command = [
        "certtool", "--verify", f"--verify-profile={profile}", f"--verify-purpose={purpose}",
        "--load-ca-certificate", "certtool-ca.pem", "--infile", "certtool-chain.pem",
    ]  # fmt: skip
    return subprocess.run(command, cwd=folder, capture_output=True, text=True, check=False)
