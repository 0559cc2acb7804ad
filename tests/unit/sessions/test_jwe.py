"""astca.jose.jwe against jwcrypto, an independent JOSE implementation: both shapes, and what each refuses."""

from __future__ import annotations

import json
import secrets

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from jwcrypto import jwe as cjwe
from jwcrypto import jwk as cjwk
from jwcrypto.common import base64url_decode, base64url_encode

from astca.jose import jwe

OAEP_256 = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
KEY = secrets.token_bytes(32)
KID = "01KAX3Z6F8Q9W2M4N7P5R3T1V9"


@pytest.fixture(scope="module")
def transport() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def client_jwe(plaintext: bytes, header: dict[str, str], key: cjwk.JWK) -> str:
    token = cjwe.JWE(plaintext, protected=json.dumps(header))
    token.add_recipient(key)
    return str(token.serialize(compact=True))


def oct_key(key: bytes = KEY) -> cjwk.JWK:
    return cjwk.JWK(kty="oct", k=base64url_encode(key))


def test_the_public_jwk_is_the_key_with_its_thumbprint(transport: rsa.RSAPrivateKey) -> None:
    public = jwe.public_jwk(transport.public_key())

    assert set(public) == {"kty", "n", "e", "kid", "use", "alg"}
    assert (public["use"], public["alg"]) == ("enc", "RSA-OAEP-256")
    assert cjwk.JWK(**public).thumbprint() == public["kid"]


def test_key_transport_unwraps_through_the_callable_only(transport: rsa.RSAPrivateKey) -> None:
    public = jwe.public_jwk(transport.public_key())
    compact = client_jwe(
        KEY, {"alg": "RSA-OAEP-256", "enc": "A256GCM", "kid": public["kid"]}, cjwk.JWK(**public)
    )
    seen: list[bytes] = []

    def unwrap(encrypted_key: bytes) -> bytes:
        seen.append(encrypted_key)
        return transport.decrypt(encrypted_key, OAEP_256)

    assert jwe.unwrap_key_transport(compact, public, unwrap) == KEY
    assert len(seen) == 1
    assert len(seen[0]) == 256


@pytest.mark.parametrize(
    "header",
    [
        {"alg": "RSA-OAEP", "enc": "A256GCM"},
        {"alg": "RSA-OAEP-256", "enc": "A128CBC-HS256"},
        {"alg": "RSA-OAEP-256", "enc": "A256GCM", "zip": "DEF"},
        {"alg": "RSA-OAEP-256", "enc": "A256GCM", "kid": "another key"},
    ],
    ids=["rsa-oaep", "cbc", "zip", "kid"],
)
def test_key_transport_refuses_other_algorithms_and_keys(
    transport: rsa.RSAPrivateKey, header: dict[str, str]
) -> None:
    public = jwe.public_jwk(transport.public_key())
    compact = client_jwe(KEY, header, cjwk.JWK(**public))

    with pytest.raises(jwe.JweError):
        jwe.unwrap_key_transport(compact, public, lambda key: transport.decrypt(key, OAEP_256))


def test_key_transport_with_a_wrong_cek_does_not_decrypt(transport: rsa.RSAPrivateKey) -> None:
    public = jwe.public_jwk(transport.public_key())
    compact = client_jwe(KEY, {"alg": "RSA-OAEP-256", "enc": "A256GCM"}, cjwk.JWK(**public))

    with pytest.raises(jwe.JweError):
        jwe.unwrap_key_transport(compact, public, lambda _: secrets.token_bytes(32))
    with pytest.raises(jwe.JweError):
        jwe.unwrap_key_transport(compact, public, lambda _: b"short")


def test_an_unwrap_failure_propagates_as_raised(transport: rsa.RSAPrivateKey) -> None:
    public = jwe.public_jwk(transport.public_key())
    compact = client_jwe(KEY, {"alg": "RSA-OAEP-256", "enc": "A256GCM"}, cjwk.JWK(**public))

    def refuse(_: bytes) -> bytes:
        raise LookupError("KMS said no")

    with pytest.raises(LookupError):
        jwe.unwrap_key_transport(compact, public, refuse)


def test_direct_round_trips_with_jwcrypto() -> None:
    request = client_jwe(
        b'{"csr": "x"}', {"alg": "dir", "enc": "A256GCM", "kid": KID, "cty": "application/json"}, oct_key()
    )

    decrypted = jwe.decrypt_direct(request, KEY, kid=KID)
    answer = jwe.encrypt_direct(b'{"ok": true}', KEY, kid=KID, content_type="application/problem+json")

    assert decrypted.plaintext == b'{"csr": "x"}'
    assert decrypted.header["cty"] == "application/json"
    token = cjwe.JWE()
    token.deserialize(answer, key=oct_key())
    assert token.payload == b'{"ok": true}'
    assert token.jose_header == {
        "alg": "dir",
        "enc": "A256GCM",
        "kid": KID,
        "cty": "application/problem+json",
    }


def test_each_answer_has_a_fresh_iv() -> None:
    first = jwe.encrypt_direct(b"{}", KEY, kid=KID, content_type=None).split(".")
    second = jwe.encrypt_direct(b"{}", KEY, kid=KID, content_type=None).split(".")

    assert first[1] == second[1] == ""  # dir: no encrypted key
    assert first[2] != second[2]


def flip(compact: str, segment: int) -> str:
    parts = compact.split(".")
    raw = bytearray(base64url_decode(parts[segment]))
    raw[0] ^= 1
    parts[segment] = base64url_encode(bytes(raw))
    return ".".join(parts)


@pytest.mark.parametrize(
    ("make", "why"),
    [
        (lambda c: flip(c, 3), "ciphertext"),
        (lambda c: flip(c, 4), "tag"),
        (lambda c: flip(c, 2), "iv"),
        (lambda c: c.replace(".", "..", 1), "segments"),
        (lambda _: "not a jwe", "garbage"),
        (lambda _: client_jwe(b"{}", {"alg": "dir", "enc": "A256GCM", "kid": "other"}, oct_key()), "kid"),
        (lambda _: client_jwe(b"{}", {"alg": "dir", "enc": "A256GCM"}, oct_key()), "no kid"),
        (
            lambda _: client_jwe(
                b"{}", {"alg": "dir", "enc": "A256GCM", "kid": KID}, oct_key(secrets.token_bytes(32))
            ),
            "key",
        ),
        (lambda _: client_jwe(b"{}", {"alg": "A256KW", "enc": "A256GCM", "kid": KID}, oct_key()), "alg"),
        (
            lambda _: client_jwe(
                b"{}", {"alg": "dir", "enc": "A256GCM", "kid": KID, "zip": "DEF"}, oct_key()
            ),
            "zip",
        ),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_direct_refuses_what_does_not_decrypt(make: object, why: str) -> None:
    good = client_jwe(b"{}", {"alg": "dir", "enc": "A256GCM", "kid": KID}, oct_key())

    with pytest.raises(jwe.JweError) as refused:
        jwe.decrypt_direct(make(good), KEY, kid=KID)  # type: ignore[operator]

    assert KEY.hex() not in str(refused.value)


def test_an_error_message_never_echoes_the_input() -> None:
    secret = "eyJzZWNyZXQiOiJ0b3Agc2VjcmV0In0"
    with pytest.raises(jwe.JweError) as refused:
        jwe.decrypt_direct(f"{secret}.x.y.z.w", KEY, kid=KID)

    assert secret not in str(refused.value)
