"""The client certificate comes from API Gateway's mTLS context or a trusted proxy's header."""

from __future__ import annotations

import datetime
import urllib.parse
from collections.abc import Mapping

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from hypothesis import given
from hypothesis import strategies as st

from astca import catalog
from astca.catalog import CaError
from astca.identity.mtls import client_certificate, xfcc_elements

HEADER = "X-Forwarded-Client-Cert"


def make_certificate(common_name: str = "device-1") -> x509.Certificate:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )


CERT = make_certificate()
PEM = CERT.public_bytes(serialization.Encoding.PEM).decode()


CONTEXT = {"requestContext": {"authentication": {"clientCert": {"clientCertPem": PEM}}}}


def from_header(event: Mapping[str, object], header: str = HEADER) -> x509.Certificate:
    presented = client_certificate(event, header=header, handshake=False)
    assert not presented.proven  # a header is never proof of the key
    return presented.certificate


def test_api_gateway_mutual_tls_context_is_proven_by_the_handshake() -> None:
    presented = client_certificate(CONTEXT, header=None, handshake=True)
    assert presented.certificate == CERT
    assert presented.proven


def test_the_context_counts_only_where_the_deployment_has_a_mutual_tls_domain() -> None:
    with pytest.raises(CaError) as raised:
        client_certificate(CONTEXT, header=HEADER, handshake=False)
    assert raised.value.entry is catalog.TLS_CLIENT_AUTH_MISSING


def test_no_header_is_trusted_by_default() -> None:
    """Seen: X-Forwarded-Client-Cert with a copy of a delivered certificate renewed it, with no token."""
    event = {"headers": {"x-forwarded-client-cert": urllib.parse.quote(PEM)}}
    with pytest.raises(CaError) as raised:
        client_certificate(event, header=None, handshake=True)
    assert raised.value.entry is catalog.TLS_CLIENT_AUTH_MISSING


def test_a_deployment_with_neither_takes_no_certificate() -> None:
    with pytest.raises(CaError) as raised:
        client_certificate(CONTEXT, header=None, handshake=False)
    assert raised.value.entry is catalog.UNAUTHORIZED


def test_nginx_url_encoded_pem_header() -> None:
    event = {"headers": {"x-forwarded-client-cert": urllib.parse.quote(PEM)}}
    assert from_header(event) == CERT


def test_envoy_xfcc_with_subject_commas_and_several_elements() -> None:
    other = urllib.parse.quote(make_certificate("proxy").public_bytes(serialization.Encoding.PEM).decode())
    value = (
        f'By=spiffe://astca/edge;Hash=abc;Cert="{urllib.parse.quote(PEM)}";Subject="CN=device-1,O=Acme, Inc.";'
        f'URI=spiffe://acme/device,By=spiffe://astca/inner;Cert="{other}"'
    )
    assert from_header({"headers": {HEADER: value}}) == CERT


def test_header_name_is_configurable() -> None:
    event = {"headers": {"ssl-client-cert": urllib.parse.quote(PEM)}}
    assert from_header(event, "SSL-Client-Cert") == CERT


@pytest.mark.parametrize(
    "event",
    [
        {},
        {"headers": {}},
        {"headers": {HEADER: "   "}},
        {"requestContext": {"authentication": {"clientCert": {"clientCertPem": ""}}}},
    ],
)
def test_missing_certificate_is_tls_client_auth_missing(event: dict[str, object]) -> None:
    with pytest.raises(CaError, match="carries no mTLS client certificate") as raised:
        client_certificate(event, header=HEADER, handshake=True)
    assert raised.value.entry is catalog.TLS_CLIENT_AUTH_MISSING


@pytest.mark.parametrize("value", ["garbage", 'By=x;Cert="not-a-pem"', urllib.parse.quote(PEM[:80])])
def test_unparseable_certificate_is_tls_client_auth_missing(value: str) -> None:
    with pytest.raises(CaError) as raised:
        from_header({"headers": {HEADER: value}})
    assert raised.value.entry is catalog.TLS_CLIENT_AUTH_MISSING


@given(st.text(max_size=200))
def test_any_header_value_gives_a_certificate_or_5104011(value: str) -> None:
    try:
        from_header({"headers": {HEADER: value}})
    except CaError as error:
        assert error.entry is catalog.TLS_CLIENT_AUTH_MISSING


def test_xfcc_quoted_values_keep_separators() -> None:
    assert xfcc_elements('Subject="a=b;c,d";URI=x,By=y') == [{"subject": "a=b;c,d", "uri": "x"}, {"by": "y"}]
