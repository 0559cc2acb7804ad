"""sign_compact: KMS keys of every signer key spec make JWSs that joserfc verifies; ECDSA DER becomes r || s.

The keys are KMS keys on the session's moto (Sign corrected by local/moto_kms.py); joserfc, an
independent JOSE implementation, is the verifier.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from hypothesis import given, settings
from hypothesis import strategies as st
from joserfc import jws
from joserfc.errors import BadSignatureError
from joserfc.jwk import ECKey, RSAKey

from astca import catalog
from astca.catalog import CaError
from astca.issuance.kms import ALGORITHMS, KmsKeys, KmsSigner, SigningAlgorithm
from astca.jose.jws import JWS_ALGORITHMS, base64url, ecdsa_raw_signature, sign_compact
from tests.functions.sdk_configs import SdkConfigRegistry

SPECS = [
    ("ECC_NIST_P256", "ES256", 64),
    ("ECC_NIST_P384", "ES384", 96),
    ("RSA_2048", "RS256", 256),
    ("RSA_3072", "RS256", 384),
    ("RSA_4096", "RS256", 512),
]
P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
P384_ORDER = int(
    "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC7634D81F4372DDF581A0DB248B0A77AECEC196ACCC52973", 16
)


def kms_signer(key_spec: str) -> KmsSigner:
    """A signer with a fresh KMS key of ``key_spec`` on this test's moto."""
    return KmsSigner(KmsKeys().create_signing_key(key_spec, f"jws test {key_spec}", {"astca:test": "jws"}))


def joserfc_key(signer: KmsSigner) -> ECKey | RSAKey:
    public_key = signer.public_key()
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        return ECKey.import_key(public_key)
    return RSAKey.import_key(public_key)


def verified(token: str, signer: KmsSigner, algorithm: str) -> jws.CompactSignature:
    """The token as joserfc reads it once the signature verified."""
    registry = SdkConfigRegistry(algorithms=[algorithm])
    return jws.deserialize_compact(token, joserfc_key(signer), registry=registry)


def test_every_signer_key_spec_has_a_jws_algorithm() -> None:
    assert set(JWS_ALGORITHMS) == set(ALGORITHMS)


@pytest.mark.parametrize(("key_spec", "algorithm", "signature_bytes"), SPECS)
def test_each_key_spec_signs_a_jws_that_joserfc_verifies(
    key_spec: str, algorithm: str, signature_bytes: int
) -> None:
    signer = kms_signer(key_spec)
    claims = {
        "sub": "acme",
        "iat": 1795694400,
        "nested": {"list": [1, "zwei", None, True]},
        "name": "Zürich ✓",
    }

    token = sign_compact({"typ": "JWT", "kid": "k1"}, claims, signer)

    compact = verified(token, signer, algorithm)
    assert compact.headers() == {"alg": algorithm, "typ": "JWT", "kid": "k1"}
    assert json.loads(compact.payload) == claims
    assert "=" not in token
    assert len(token.rsplit(".", 1)[1]) == len(base64url(b"\0" * signature_bytes))


@pytest.mark.parametrize(("key_spec", "algorithm"), [("ECC_NIST_P256", "ES256"), ("RSA_2048", "RS256")])
def test_a_signing_input_beyond_kms_raw_limit_is_signed_as_a_digest(key_spec: str, algorithm: str) -> None:
    signer = kms_signer(key_spec)
    claims = {"blob": "x" * 100_000}

    token = sign_compact({}, claims, signer)

    assert json.loads(verified(token, signer, algorithm).payload) == claims


def test_the_header_may_name_the_keys_algorithm_but_no_other() -> None:
    signer = kms_signer("ECC_NIST_P256")

    assert verified(sign_compact({"alg": "ES256"}, {}, signer), signer, "ES256")
    with pytest.raises(ValueError, match="RS256"):
        sign_compact({"alg": "RS256"}, {}, signer)


def test_a_token_verifies_only_under_its_own_key() -> None:
    signer, other = kms_signer("ECC_NIST_P256"), kms_signer("ECC_NIST_P256")
    token = sign_compact({}, {"sub": "acme"}, signer)

    with pytest.raises(BadSignatureError):
        verified(token, other, "ES256")


@dataclass
class FakeSigner:
    """A signer that answers what it is told to (for the failures KMS cannot be made to produce)."""

    key_spec: str
    signature: bytes
    messages: list[bytes] = field(default_factory=list)

    @property
    def algorithm(self) -> SigningAlgorithm:
        return SigningAlgorithm(self.key_spec, "KMS_NAME", "SHA256")

    def sign(self, message: bytes) -> bytes:
        self.messages.append(message)
        return self.signature


def test_a_key_spec_jws_cannot_use_is_a_signer_error() -> None:
    with pytest.raises(CaError) as error:
        sign_compact({}, {}, FakeSigner("ECC_SECG_P256K1", b"sig"))

    assert error.value.entry is catalog.SIGNER_ERROR
    assert "ECC_SECG_P256K1" in error.value.detail


@pytest.mark.parametrize(
    "signature",
    [b"", b"\x30\x00", b"not der", encode_dss_signature(1 << 256, 1), b"\x30\x06\x02\x01\xff\x02\x01\x01"],
    ids=["empty", "empty-sequence", "not-der", "r-too-long", "negative"],
)
def test_an_ecdsa_signature_that_is_not_a_der_pair_of_the_curve_is_a_signer_error(signature: bytes) -> None:
    with pytest.raises(CaError) as error:
        sign_compact({}, {}, FakeSigner("ECC_NIST_P256", signature))

    assert error.value.entry is catalog.SIGNER_ERROR


@given(
    st.sampled_from([(32, P256_ORDER), (48, P384_ORDER)]).flatmap(
        lambda curve: st.tuples(st.just(curve[0]), st.integers(1, curve[1] - 1), st.integers(1, curve[1] - 1))
    )
)
@settings(max_examples=300, deadline=None)
def test_der_to_raw_keeps_r_and_s_at_the_curves_fixed_width(case: tuple[int, int, int]) -> None:
    size, r, s = case

    raw = ecdsa_raw_signature(encode_dss_signature(r, s), size)

    assert len(raw) == 2 * size
    assert (int.from_bytes(raw[:size]), int.from_bytes(raw[size:])) == (r, s)


def test_claims_that_are_not_json_are_refused_before_anything_is_signed() -> None:
    signer = FakeSigner("RSA_2048", b"never used")
    unserializable: dict[str, Any] = {"nan": float("nan")}

    with pytest.raises(ValueError, match="JSON"):
        sign_compact({}, unserializable, signer)
    assert signer.messages == []
