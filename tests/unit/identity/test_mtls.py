"""The client certificate comes from API Gateway's mTLS context or a trusted proxy's header."""

from __future__ import annotations

import datetime
import urllib.parse

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


def test_api_gateway_mutual_tls_context() -> None:
    event = {"requestContext": {"authentication": {"clientCert": {"clientCertPem": PEM}}}}
    assert client_certificate(event, HEADER) == CERT


def test_nginx_url_encoded_pem_header() -> None:
    event = {"headers": {"x-forwarded-client-cert": urllib.parse.quote(PEM)}}
    assert client_certificate(event, HEADER) == CERT


def test_envoy_xfcc_with_subject_commas_and_several_elements() -> None:
    other = urllib.parse.quote(make_certificate("proxy").public_bytes(serialization.Encoding.PEM).decode())
    value = (
        f'By=spiffe://astca/edge;Hash=abc;Cert="{urllib.parse.quote(PEM)}";Subject="CN=device-1,O=Acme, Inc.";'
        f'URI=spiffe://acme/device,By=spiffe://astca/inner;Cert="{other}"'
    )
    assert client_certificate({"headers": {HEADER: value}}, HEADER) == CERT


def test_header_name_is_configurable() -> None:
    event = {"headers": {"ssl-client-cert": urllib.parse.quote(PEM)}}
    assert client_certificate(event, "SSL-Client-Cert") == CERT


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
        client_certificate(event, HEADER)
    assert raised.value.entry is catalog.TLS_CLIENT_AUTH_MISSING


@pytest.mark.parametrize("value", ["garbage", 'By=x;Cert="not-a-pem"', urllib.parse.quote(PEM[:80])])
def test_unparseable_certificate_is_tls_client_auth_missing(value: str) -> None:
    with pytest.raises(CaError) as raised:
        client_certificate({"headers": {HEADER: value}}, HEADER)
    assert raised.value.entry is catalog.TLS_CLIENT_AUTH_MISSING


def test_header_is_ignored_when_disabled() -> None:
    with pytest.raises(CaError):
        client_certificate({"headers": {HEADER: urllib.parse.quote(PEM)}}, "")


@given(st.text(max_size=200))
def test_any_header_value_gives_a_certificate_or_5104011(value: str) -> None:
    try:
        client_certificate({"headers": {HEADER: value}}, HEADER)
    except CaError as error:
        assert error.entry is catalog.TLS_CLIENT_AUTH_MISSING


def test_xfcc_quoted_values_keep_separators() -> None:
    assert xfcc_elements('Subject="a=b;c,d";URI=x,By=y') == [{"subject": "a=b;c,d", "uri": "x"}, {"by": "y"}]
