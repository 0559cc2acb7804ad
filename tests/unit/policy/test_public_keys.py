"""The public key policy: RFC 7638 thumbprints, accepted keys, every refusal 4002, one key one thumbprint."""

from __future__ import annotations

import base64
import json
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from astca import catalog
from astca.catalog import CaError
from astca.policy.public_keys import PRIVATE_MEMBERS, JwkPolicy, PublicJwk, base64url, thumbprint
from astca.policy.weakkeys import WeakKeys, fingerprint

# RFC 7638 section 3.1: the example RSA key and its SHA-256 thumbprint.
RFC7638_KEY = {
    "kty": "RSA",
    "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECP"
    "ebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQ"
    "MicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr"
    "3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
    "e": "AQAB",
    "alg": "RS256",
    "kid": "2011-04-29",
}
RFC7638_THUMBPRINT = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
# RFC 8037 appendix A.2 and A.3: the example Ed25519 public key and its thumbprint.
RFC8037_KEY = {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}
RFC8037_THUMBPRINT = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"

P256_P = 2**256 - 2**224 + 2**192 + 2**96 - 1
P256_B = 0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B
ED25519_P = 2**255 - 19
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def policy() -> JwkPolicy:
    return JwkPolicy(weak_keys=WeakKeys.disabled())


def public_jwk(key: Any) -> dict[str, Any]:
    """A public JWK as PyJWT writes it (what a client library would send)."""
    algorithm = {
        rsa.RSAPublicKey: jwt.algorithms.RSAAlgorithm,
        ec.EllipticCurvePublicKey: jwt.algorithms.ECAlgorithm,
        ed25519.Ed25519PublicKey: jwt.algorithms.OKPAlgorithm,
    }
    for key_type, writer in algorithm.items():
        if isinstance(key, key_type):
            jwk: dict[str, Any] = writer.to_jwk(key, as_dict=True)  # type: ignore[attr-defined]
            return jwk
    raise TypeError(type(key))


@pytest.fixture(scope="module")
def keys() -> dict[str, dict[str, Any]]:
    """Public JWKs of freshly generated keys of every accepted kind."""
    return {
        "P-256": public_jwk(ec.generate_private_key(ec.SECP256R1()).public_key()),
        "P-384": public_jwk(ec.generate_private_key(ec.SECP384R1()).public_key()),
        "RSA": public_jwk(rsa.generate_private_key(65537, 2048).public_key()),
        "Ed25519": public_jwk(ed25519.Ed25519PrivateKey.generate().public_key()),
    }


def refused(policy: JwkPolicy, jwk: dict[str, Any]) -> str:
    """The detail of the 4002 that ``jwk`` gets."""
    with pytest.raises(CaError) as raised:
        policy.check(jwk)
    assert raised.value.entry is catalog.MALFORMED_FIELD, raised.value
    return raised.value.detail


def b64(number: int, size: int) -> str:
    return base64url(number.to_bytes(size, "big"))


# ---------------------------------------------------------------------------------------- thumbprints


def test_the_rfc7638_example_thumbprint() -> None:
    assert thumbprint(RFC7638_KEY) == RFC7638_THUMBPRINT


def test_the_rfc8037_ed25519_example_thumbprint() -> None:
    assert thumbprint(RFC8037_KEY) == RFC8037_THUMBPRINT


def test_the_example_keys_are_accepted_with_their_thumbprint_as_kid(policy: JwkPolicy) -> None:
    rsa_key = policy.check({**RFC7638_KEY, "kid": RFC7638_THUMBPRINT})
    assert (rsa_key.thumbprint, rsa_key.jwk["kid"], rsa_key.jwk["alg"]) == (
        RFC7638_THUMBPRINT,
        RFC7638_THUMBPRINT,
        "RS256",
    )
    assert policy.check(RFC8037_KEY) == PublicJwk(
        jwk={**RFC8037_KEY, "kid": RFC8037_THUMBPRINT},
        kty="OKP",
        crv="Ed25519",
        thumbprint=RFC8037_THUMBPRINT,
        public_key=ed25519.Ed25519PublicKey.from_public_bytes(
            base64.urlsafe_b64decode(RFC8037_KEY["x"] + "=")
        ),
    )


def test_a_thumbprint_covers_only_the_required_members_in_any_order() -> None:
    shuffled = dict(reversed(list({**RFC7638_KEY, "use": "sig", "x5c": ["..."]}.items())))
    assert thumbprint(shuffled) == RFC7638_THUMBPRINT


def test_no_thumbprint_for_an_unknown_key_type() -> None:
    with pytest.raises(ValueError, match="kty"):
        thumbprint({"kty": "XYZ"})


# ---------------------------------------------------------------------------------------- accepted keys


@pytest.mark.parametrize(
    ("name", "kty"), [("P-256", "EC"), ("P-384", "EC"), ("RSA", "RSA"), ("Ed25519", "OKP")]
)
def test_generated_keys_of_every_kind_are_accepted(
    policy: JwkPolicy, keys: dict[str, dict[str, Any]], name: str, kty: str
) -> None:
    accepted = policy.check(keys[name])
    assert accepted.kty == kty
    assert accepted.crv == (None if kty == "RSA" else name)
    assert accepted.thumbprint == thumbprint(keys[name])
    assert accepted.jwk == {**keys[name], "kid": accepted.thumbprint}


@pytest.mark.parametrize(
    "private",
    [
        ec.generate_private_key(ec.SECP256R1()),
        ec.generate_private_key(ec.SECP384R1()),
        rsa.generate_private_key(65537, 2048),
        ed25519.Ed25519PrivateKey.generate(),
    ],
    ids=["P-256", "P-384", "RSA", "Ed25519"],
)
def test_an_accepted_key_is_the_key_the_jwk_names(policy: JwkPolicy, private: Any) -> None:
    # the key a registration's proof of possession is verified with
    assert policy.check(public_jwk(private.public_key())).public_key == private.public_key()


@pytest.mark.parametrize(
    ("name", "alg"), [("P-256", "ES256"), ("P-384", "ES384"), ("RSA", "PS256"), ("Ed25519", "EdDSA")]
)
def test_alg_use_and_key_ops_that_fit_are_kept_and_other_members_dropped(
    policy: JwkPolicy, keys: dict[str, dict[str, Any]], name: str, alg: str
) -> None:
    extra = {"alg": alg, "use": "sig", "key_ops": ["verify"], "x5c": ["MIIB"], "ext": True, "note": "mine"}
    accepted = policy.check({**keys[name], **extra})
    assert accepted.jwk == {
        **keys[name],
        "kid": accepted.thumbprint,
        "alg": alg,
        "use": "sig",
        "key_ops": ["verify"],
    }


# ---------------------------------------------------------------------------------------- refusals


@pytest.mark.parametrize("member", PRIVATE_MEMBERS)
def test_any_private_member_is_refused_even_beside_a_valid_public_key(
    policy: JwkPolicy, keys: dict[str, dict[str, Any]], member: str
) -> None:
    assert "private key member" in refused(policy, {**keys["P-256"], member: "AQAB"})


def test_a_private_jwk_as_a_library_writes_it_is_refused(policy: JwkPolicy) -> None:
    private = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(ec.generate_private_key(ec.SECP256R1())))
    assert "private key member d" in refused(policy, private)


@pytest.mark.parametrize(
    ("jwk", "fragment"),
    [
        ({}, "kty is required"),
        ({"kty": "oct"}, "symmetric"),
        ({"kty": "XYZ"}, 'kty "XYZ" is not accepted'),
        ({"kty": ["RSA"]}, "is not accepted"),
        ({"kty": "RSA", "e": "AQAB"}, "member n is required"),
        ({"kty": "EC", "crv": "P-256", "x": 5, "y": "AA"}, "member x must be a string"),
        ({"kty": "EC", "crv": "P-521", "x": "AA", "y": "AA"}, 'curve "P-521"'),
        ({"kty": "EC", "crv": "secp256k1", "x": "AA", "y": "AA"}, 'curve "secp256k1"'),
    ],
)
def test_malformed_jwks_are_refused(policy: JwkPolicy, jwk: dict[str, Any], fragment: str) -> None:
    assert fragment in refused(policy, jwk)


@pytest.mark.parametrize("curve", ["Ed448", "X25519", "X448"])
def test_other_okp_curves_are_refused(policy: JwkPolicy, curve: str) -> None:
    assert f'OKP curve "{curve}"' in refused(policy, {**RFC8037_KEY, "crv": curve})


def test_weak_rsa_keys_are_refused_as_goodkey_would() -> None:
    small = public_jwk(rsa.generate_private_key(65537, 1024).public_key())
    strong = rsa.generate_private_key(65537, 2048).public_key()
    listed = JwkPolicy(weak_keys=WeakKeys.from_lines([fingerprint(strong.public_numbers().n)]))

    assert "1024 bits" in refused(listed, small)
    assert "known weak key" in refused(listed, public_jwk(strong))
    three = {**public_jwk(strong), "e": "Aw"}
    assert "exponent is 3" in refused(listed, three)
    even = {**public_jwk(strong), "n": b64((strong.public_numbers().n // 2) * 2, 256)}
    assert "even" in refused(listed, even)


def test_an_ec_point_off_the_curve_is_refused(policy: JwkPolicy, keys: dict[str, dict[str, Any]]) -> None:
    jwk = keys["P-256"]
    y = int.from_bytes(base64.urlsafe_b64decode(jwk["y"] + "=="), "big")
    assert "not a point on P-256" in refused(policy, {**jwk, "y": b64(y ^ 1, 32)})


def test_small_order_ed25519_keys_are_refused(policy: JwkPolicy) -> None:
    identity = (1).to_bytes(32, "little")
    assert "small order" in refused(policy, {**RFC8037_KEY, "x": base64url(identity)})


def test_an_ed25519_key_must_be_32_bytes(policy: JwkPolicy) -> None:
    assert "must be 32 bytes" in refused(policy, {**RFC8037_KEY, "x": base64url(bytes(31))})


@pytest.mark.parametrize(
    ("member", "value", "fragment"),
    [
        ("kid", "my-own-kid", "kid must be the key's RFC 7638 thumbprint"),
        ("alg", "ES384", 'alg "ES384" does not fit the key (ES256)'),
        ("alg", "none", "does not fit"),
        ("alg", ["ES256"], "does not fit"),
        ("use", "enc", "use must be 'sig'"),
        ("key_ops", ["sign"], "key_ops must be ['verify']"),
        ("key_ops", "verify", "key_ops must be ['verify']"),
    ],
)
def test_optional_members_that_do_not_fit_are_refused(
    policy: JwkPolicy, keys: dict[str, dict[str, Any]], member: str, value: Any, fragment: str
) -> None:
    assert fragment in refused(policy, {**keys["P-256"], member: value})


def test_long_members_are_refused_before_decoding(policy: JwkPolicy) -> None:
    assert "longer than 1024" in refused(policy, {"kty": "RSA", "n": "A" * 100_000, "e": "AQAB"})


def test_an_rsa_modulus_beyond_4096_bits_is_refused_before_it_is_loaded(policy: JwkPolicy) -> None:
    assert "4104 bits" in refused(policy, {"kty": "RSA", "n": b64(2**4103 + 1, 513), "e": "AQAB"})


# ---------------------------------------------------------------------------------------- one key, one thumbprint


def test_an_rsa_modulus_with_a_leading_zero_octet_is_refused(
    policy: JwkPolicy, keys: dict[str, dict[str, Any]]
) -> None:
    jwk = keys["RSA"]
    padded = base64url(b"\x00" + base64.urlsafe_b64decode(jwk["n"] + "=="))
    assert "shortest big-endian encoding" in refused(policy, {**jwk, "n": padded})
    assert "shortest big-endian encoding" in refused(policy, {**jwk, "e": "AAEAAQ"})


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        (lambda text: text + "=", "not base64url without padding"),
        (lambda text: text.replace("_", "/").replace("-", "+") + "/+", "not base64url without padding"),
        (lambda text: text[:-1] + ALPHABET[ALPHABET.index(text[-1]) ^ 1], "canonical base64url"),
    ],
)
def test_only_the_canonical_base64url_encoding_is_accepted(
    policy: JwkPolicy, change: Any, fragment: str
) -> None:
    # "11qY...URo": 43 characters for 32 bytes, so the last character carries two unused bits
    x = RFC8037_KEY["x"]
    assert fragment in refused(policy, {**RFC8037_KEY, "x": change(x)})


def test_ec_coordinates_must_be_full_size(policy: JwkPolicy, keys: dict[str, dict[str, Any]]) -> None:
    jwk = keys["P-384"]
    short = base64url(base64.urlsafe_b64decode(jwk["x"] + "==")[1:])
    assert "must be 48 bytes" in refused(policy, {**jwk, "x": short})


def test_an_ec_coordinate_plus_p_is_refused_though_openssl_reduces_it(policy: JwkPolicy) -> None:
    # A point with x below 2^224, so that x + p still fits in 32 bytes (p = 3 mod 4: one exponentiation).
    for x in range(1, 1000):
        rhs = (x**3 - 3 * x + P256_B) % P256_P
        y = pow(rhs, (P256_P + 1) // 4, P256_P)
        if y * y % P256_P == rhs:
            break
    jwk = {"kty": "EC", "crv": "P-256", "x": b64(x, 32), "y": b64(y, 32)}
    assert policy.check(jwk).crv == "P-256"

    assert "not reduced coordinates" in refused(policy, {**jwk, "x": b64(x + P256_P, 32)})


def test_a_non_canonical_ed25519_encoding_is_refused(policy: JwkPolicy) -> None:
    y = 2 + ED25519_P  # y = 2, encoded as y + p
    assert "canonical Ed25519" in refused(policy, {**RFC8037_KEY, "x": base64url(y.to_bytes(32, "little"))})


# ---------------------------------------------------------------------------------------- properties

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=10,
)
MEMBER_NAMES = st.sampled_from(["kty", "crv", "x", "y", "n", "e", "kid", "alg", "use", "key_ops", "d", "x5c"])


def accepted_or_malformed(policy: JwkPolicy, jwk: dict[str, Any]) -> PublicJwk | None:
    try:
        return policy.check(jwk)
    except CaError as error:
        assert error.entry is catalog.MALFORMED_FIELD, error
        return None


@given(st.dictionaries(MEMBER_NAMES | st.text(max_size=8), JSON, max_size=8))
@FAST
def test_any_json_object_is_a_key_or_malformed(policy: JwkPolicy, jwk: dict[str, Any]) -> None:
    accepted_or_malformed(policy, jwk)


@given(
    name=st.sampled_from(["P-256", "P-384", "RSA", "Ed25519"]),
    changes=st.dictionaries(
        MEMBER_NAMES | st.text(max_size=8), JSON | st.sampled_from(["AQAB", "sig"]), max_size=3
    ),
    removed=st.sets(MEMBER_NAMES, max_size=2),
)
@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
def test_a_changed_key_is_the_same_key_or_malformed(
    policy: JwkPolicy,
    keys: dict[str, dict[str, Any]],
    name: str,
    changes: dict[str, Any],
    removed: set[str],
) -> None:
    jwk = {member: value for member, value in {**keys[name], **changes}.items() if member not in removed}
    accepted = accepted_or_malformed(policy, jwk)
    if accepted is not None:  # then the key itself is unchanged: one key, one thumbprint
        assert accepted.thumbprint == thumbprint(keys[name])
        assert accepted.jwk["kid"] == accepted.thumbprint
        assert not set(accepted.jwk) & set(PRIVATE_MEMBERS)
