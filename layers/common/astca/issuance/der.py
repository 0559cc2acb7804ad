"""A certificate assembled from its parts, and the part of a draft it takes (DER primitives: ``astca.domain.der``)."""

from __future__ import annotations

from astca.domain.der import BIT_STRING, SEQUENCE, DerError, encode, read_element

# encode and read_element are astca.domain.der's; named here until tests/corpus/make_corpus.py imports them there.
__all__ = ["certificate", "signature_algorithm_of"]


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
