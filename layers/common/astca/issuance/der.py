"""The few DER encodings that assembling a certificate from its parts needs (X.690, definite lengths)."""

from __future__ import annotations

SEQUENCE = 0x30
BIT_STRING = 0x03


class DerError(ValueError):
    """Bytes that are not the DER element they should be."""


def encode_length(length: int) -> bytes:
    """A DER length: short form below 128, else the long form with the fewest octets."""
    if length < 0x80:
        return bytes([length])
    octets = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(octets)]) + octets


def encode(tag: int, content: bytes) -> bytes:
    """One element: tag, length, content."""
    return bytes([tag]) + encode_length(len(content)) + content


def read_element(data: bytes, offset: int = 0) -> tuple[int, bytes, int]:
    """The element at ``offset``: its tag, its content and the offset just after it."""
    if offset + 2 > len(data):
        raise DerError("truncated element")
    tag, first = data[offset], data[offset + 1]
    position = offset + 2
    if first < 0x80:
        length = first
    else:
        count = first & 0x7F
        if count == 0 or count > 4 or position + count > len(data):
            raise DerError("unsupported or truncated length")
        length = int.from_bytes(data[position : position + count], "big")
        if length < 0x80 or data[position] == 0:
            raise DerError("length not in its shortest form")
        position += count
    end = position + length
    if end > len(data):
        raise DerError("truncated content")
    return tag, data[position:end], end


def certificate(tbs_certificate: bytes, signature_algorithm: bytes, signature: bytes) -> bytes:
    """Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue BIT STRING }."""
    return encode(SEQUENCE, tbs_certificate + signature_algorithm + encode(BIT_STRING, b"\x00" + signature))


def signature_algorithm_of(certificate_der: bytes) -> bytes:
    """The signatureAlgorithm element (tag and length included) of a DER certificate."""
    tag, content, end = read_element(certificate_der)
    if tag != SEQUENCE or end != len(certificate_der):
        raise DerError("not a certificate")
    tbs_tag, _, after_tbs = read_element(content)
    algorithm_tag, _, after_algorithm = read_element(content, after_tbs)
    if tbs_tag != SEQUENCE or algorithm_tag != SEQUENCE:
        raise DerError("not a certificate")
    return content[after_tbs:after_algorithm]
