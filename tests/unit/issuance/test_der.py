"""The DER primitives (astca.domain.der) and the certificate assembly (astca.issuance.der): exactly what
cryptography itself encodes, and nothing that is not DER."""

from __future__ import annotations

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID
from hypothesis import given
from hypothesis import strategies as st

from astca import clock
from astca.domain import der as primitives
from astca.issuance import der


@given(length=st.integers(min_value=0, max_value=2**32 - 1))
def test_a_length_reads_back_as_itself(length: int) -> None:
    encoded = primitives.encode_length(length)
    content = b"\x00" * min(length, 300)

    if length <= 300:
        assert primitives.read_element(bytes([0x04]) + encoded + content) == (
            0x04,
            content,
            1 + len(encoded) + length,
        )
    assert (len(encoded) == 1) is (length < 128)


def test_a_certificate_is_reassembled_byte_for_byte() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "der")])
    now = clock.utcnow()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now)
        .sign(key, hashes.SHA256())
    )
    original = certificate.public_bytes(Encoding.DER)

    rebuilt = der.certificate(
        certificate.tbs_certificate_bytes, der.signature_algorithm_of(original), certificate.signature
    )

    assert rebuilt == original


@pytest.mark.parametrize(
    "data",
    [b"", b"\x30", b"\x30\x05\x00", b"\x30\x81\x05\x00\x00\x00\x00\x00", b"\x30\x84\x00\x00\x00\x01\x00"],
    ids=["empty", "no length", "short content", "long form for a short length", "leading zero octets"],
)
def test_what_is_not_der_is_refused(data: bytes) -> None:
    with pytest.raises(primitives.DerError):
        primitives.read_element(data)


def test_a_sequence_that_is_not_a_certificate_is_refused() -> None:
    with pytest.raises(primitives.DerError):
        der.signature_algorithm_of(primitives.encode(primitives.SEQUENCE, primitives.encode(0x02, b"\x01")))
