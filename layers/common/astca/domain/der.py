"""The few DER (X.690, definite lengths) primitives astca reads and writes by hand: one element at a time.

The CSR checks read the parts of a request that cryptography's API does not show (the key as it was
sent); the issuer assembles a certificate from its TBS, algorithm and KMS signature
(``astca.issuance.der``). Both use these, so they live at the bottom, below either.
"""

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
