"""Properties of parse_csr and CsrPolicy on arbitrary and on mutated input.

- parse_csr never raises anything but CaError(MalformedField), whatever text it is given.
- A one-byte change to a good CSR's DER never gives a request that passes with the change inside
  the signed CertificationRequestInfo: it fails with a CSR code, or the change was outside the
  signed bytes (the outer header, the signature algorithm, the signature's own encoding).
"""

from __future__ import annotations

import base64

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from astca import catalog
from astca.catalog import CaError
from astca.domain.der import read_element
from astca.domain.profiles import AST_DEVICE
from astca.policy.csr import CsrPolicy, parse_csr
from tests.corpus.make_corpus import Corpus

CSR_ERRORS = {
    catalog.MALFORMED_FIELD,
    catalog.INVALID_CSR_SIGNATURE,
    catalog.UNSUPPORTED_KEY_TYPE,
    catalog.BAD_KEY,
    catalog.UNSUPPORTED_ALGORITHM,
}
BASES = ("ec_p256", "rsa_2048", "ed25519", "rsa_pss_signature")
FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def parses_or_is_malformed(text: str) -> None:
    try:
        parse_csr(text)
    except CaError as error:
        assert error.entry is catalog.MALFORMED_FIELD


@given(st.text(max_size=3000))
@FAST
def test_any_text_parses_or_is_malformed(text: str) -> None:
    parses_or_is_malformed(text)


@given(st.binary(max_size=2000))
@FAST
def test_any_bytes_as_base64_pem_or_latin1_parse_or_are_malformed(data: bytes) -> None:
    encoded = base64.b64encode(data).decode("ascii")
    for text in (
        encoded,
        base64.urlsafe_b64encode(data).decode("ascii").rstrip("="),
        f"-----BEGIN CERTIFICATE REQUEST-----\n{encoded}\n-----END CERTIFICATE REQUEST-----\n",
        data.decode("latin-1"),
    ):
        parses_or_is_malformed(text)


@given(st.text(max_size=500), st.sampled_from(["CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST", "X"]))
@FAST
def test_any_text_inside_pem_armour_parses_or_is_malformed(body: str, label: str) -> None:
    parses_or_is_malformed(f"-----BEGIN {label}-----\n{body}\n-----END {label}-----\n")


def _der(corpus: Corpus, name: str) -> bytes:
    return base64.b64decode("".join(corpus.entries[name].strip().splitlines()[1:-1]))


def _signed_span(der: bytes) -> range:
    """Where the CertificationRequestInfo (tag and length included) lies in a CSR's DER."""
    _, content, end = read_element(der)
    start = end - len(content)
    _, _, info_end = read_element(der, start)
    return range(start, info_end)


@given(data=st.data(), name=st.sampled_from(BASES))
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_a_one_byte_change_inside_the_signed_bytes_never_passes(
    corpus: Corpus, policy: CsrPolicy, data: st.DataObject, name: str
) -> None:
    der = _der(corpus, name)
    position = data.draw(st.integers(0, len(der) - 1), label="position")
    value = data.draw(st.integers(0, 255).filter(lambda byte: byte != der[position]), label="value")
    changed = der[:position] + bytes([value]) + der[position + 1 :]
    try:
        policy.check(parse_csr(base64.b64encode(changed).decode()), AST_DEVICE)
    except CaError as error:
        assert error.entry in CSR_ERRORS
    else:
        assert position not in _signed_span(der)


@pytest.mark.parametrize("name", BASES)
def test_flipping_any_bit_of_the_signed_bytes_is_refused(
    corpus: Corpus, policy: CsrPolicy, name: str
) -> None:
    der = _der(corpus, name)
    for position in _signed_span(der):
        for bit in (0x01, 0x80):
            changed = der[:position] + bytes([der[position] ^ bit]) + der[position + 1 :]
            with pytest.raises(CaError) as raised:
                policy.check(parse_csr(base64.b64encode(changed).decode()), AST_DEVICE)
            assert raised.value.entry in CSR_ERRORS


def test_trailing_bytes_after_the_der_are_malformed(corpus: Corpus) -> None:
    with pytest.raises(CaError) as raised:
        parse_csr(base64.b64encode(_der(corpus, "ec_p256") + b"\x00").decode())
    assert raised.value.entry is catalog.MALFORMED_FIELD
