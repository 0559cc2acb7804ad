"""verify_proof: a proof of possession holds only if the key it names signed it, for its purpose, just now.

Proofs are made with jwcrypto (``tests/key_proofs.py``), a JOSE library astca does not use; forgeries
(``none``, HMAC, another curve's alg) are written by hand, as a forger would.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, x25519
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jwcrypto import jwk, jws

from astca.domain.proofs import MAX_PROOF_CHARS
from astca.jose.proof import ProofError, algorithms_for, verify_proof
from tests.key_proofs import KEY_PROOF_TYPE, DeviceKey, b64url, compact

NOW = 1_800_000_000
SUB, TENANT = "00000000-0000-4000-8000-00000000d001", "acme"
KEYS = {kind: DeviceKey.generate(kind) for kind in ("P-256", "P-384", "RSA", "Ed25519")}
KEYS["P-521"] = DeviceKey(jwk.JWK.generate(kty="EC", crv="P-521"), "ES512")
ALLOWED_FOR = {
    "P-256": "ES256",
    "P-384": "ES384",
    "P-521": "ES512",
    "RSA": "RS256, RS384, RS512, PS256, PS384, PS512",
    "Ed25519": "EdDSA",
}


def verify(
    token: object, key: DeviceKey | None = None, *, now: float = NOW, typ: str = KEY_PROOF_TYPE
) -> Any:
    """``verify_proof`` with the P-256 key unless told otherwise."""
    return verify_proof(token, (key or KEYS["P-256"]).public_key, typ=typ, now=now)


def fails(token: object, key: DeviceKey | None = None, **options: Any) -> str:
    """The message of the ProofError that ``token`` gets."""
    with pytest.raises(ProofError) as raised:
        verify(token, key, **options)
    return str(raised.value)


def proof(key: DeviceKey | None = None, **options: Any) -> str:
    """A proof by ``key`` (P-256) for SUB in TENANT at NOW unless ``options`` say otherwise."""
    return (key or KEYS["P-256"]).proof(SUB, TENANT, **({"iat": NOW} | options))


def signed(payload: bytes, key: DeviceKey | None = None, header: dict[str, Any] | None = None) -> str:
    """Any ``payload`` signed by ``key`` (P-256), with the proof's header unless ``header`` is given."""
    key = key or KEYS["P-256"]
    token = jws.JWS(payload)
    protected = header or {"alg": key.alg, "typ": KEY_PROOF_TYPE}
    token.add_signature(key.private, alg=protected["alg"], protected=json.dumps(protected))
    return str(token.serialize(compact=True))


def claims(**overrides: Any) -> dict[str, Any]:
    return {"sub": SUB, "tenant": TENANT, "iat": NOW} | overrides


# ---------------------------------------------------------------------------------------- proofs that hold


@pytest.mark.parametrize(
    ("kind", "alg"),
    [
        ("P-256", "ES256"),
        ("P-384", "ES384"),
        ("P-521", "ES512"),
        *[("RSA", alg) for alg in ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512")],
        ("Ed25519", "EdDSA"),
    ],
)
def test_a_fresh_proof_by_the_key_gives_its_claims(kind: str, alg: str) -> None:
    key = KEYS[kind]

    assert verify(proof(key, alg=alg), key) == claims()


@pytest.mark.parametrize("iat", [NOW - 300, NOW - 1, NOW, NOW + 30])
def test_a_proof_holds_from_30_seconds_ahead_to_300_seconds_old(iat: int) -> None:
    assert verify(proof(iat=iat))["iat"] == iat


@pytest.mark.parametrize("typ", [KEY_PROOF_TYPE, "application/astca-key-proof+jwt", "ASTCA-Key-Proof+JWT"])
def test_typ_is_a_media_type_with_or_without_its_application_prefix(typ: str) -> None:
    assert verify(proof(header={"typ": typ})) == claims()


def test_the_purposes_claims_come_back_as_signed_for_the_caller_to_check() -> None:
    token = proof(claims={"sub": 5, "jti": ["x"], "exp": NOW - 3600, "aud": "elsewhere", "extra": {"a": 1}})

    assert verify(token) == claims(sub=5, jti=["x"], exp=NOW - 3600, aud="elsewhere", extra={"a": 1})


# ---------------------------------------------------------------------------------------- time


@pytest.mark.parametrize("iat", [NOW - 301, NOW - 600, 0, -(2**70)])
def test_a_proof_older_than_300_seconds_is_stale(iat: int) -> None:
    assert fails(proof(iat=iat)) == "the proof is stale: iat is more than 300 seconds ago"


@pytest.mark.parametrize("iat", [NOW + 31, NOW + 600, 2**70])
def test_a_proof_from_the_future_is_refused(iat: int) -> None:
    assert fails(proof(iat=iat)) == "the proof's iat is in the future"


@pytest.mark.parametrize("iat", [None, float(NOW), True, str(NOW), [NOW]])
def test_iat_must_be_a_whole_number(iat: Any) -> None:
    token = signed(json.dumps(claims(iat=iat) if iat is not None else {"sub": SUB}).encode())

    assert fails(token) == "the proof's iat must be a whole number of seconds"


# ---------------------------------------------------------------------------------------- the algorithm


@pytest.mark.parametrize(
    ("kind", "alg"),
    [
        ("P-256", "ES384"),
        ("P-256", "ES512"),
        ("P-256", "RS256"),
        ("P-256", "EdDSA"),
        ("P-384", "ES256"),
        ("RSA", "ES256"),
        ("RSA", "EdDSA"),
        ("Ed25519", "ES256"),
        ("Ed25519", "Ed25519"),
        ("P-256", "es256"),
        ("P-256", None),
        ("P-256", ["ES256"]),
    ],
)
def test_an_alg_that_does_not_fit_the_key_is_refused(kind: str, alg: Any) -> None:
    token = compact({"alg": alg, "typ": KEY_PROOF_TYPE}, claims(), b"\x01" * 64)

    assert fails(token, KEYS[kind]) == f"the proof's alg must be one of {ALLOWED_FOR[kind]} for this key"


def test_a_real_signature_by_a_key_of_another_curve_is_refused() -> None:
    assert fails(proof(KEYS["P-384"])) == "the proof's alg must be one of ES256 for this key"


@pytest.mark.parametrize("signature", [b"", b"\x00" * 64])
def test_alg_none_is_refused(signature: bytes) -> None:
    token = compact({"alg": "none", "typ": KEY_PROOF_TYPE}, claims(), signature)

    assert fails(token) == "the proof's alg must be one of ES256 for this key"


@pytest.mark.parametrize("kind", ["P-256", "RSA", "Ed25519"])
@pytest.mark.parametrize("encoding", ["pem", "der", "jwk"])
def test_hs256_with_the_public_key_as_its_secret_is_refused(kind: str, encoding: str) -> None:
    key = KEYS[kind]
    secret = {
        "pem": key.private.export_to_pem(private_key=False),
        "der": key.public_key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        ),
        "jwk": key.private.export_public().encode(),
    }[encoding]
    for alg, digest in (("HS256", hashlib.sha256), ("HS512", hashlib.sha512)):
        unsigned = compact({"alg": alg, "typ": KEY_PROOF_TYPE}, claims()).removesuffix(".")
        token = f"{unsigned}.{b64url(hmac.new(secret, unsigned.encode(), digest).digest())}"

        assert fails(token, key) == f"the proof's alg must be one of {ALLOWED_FOR[kind]} for this key"


@pytest.mark.parametrize(
    "public_key",
    [
        x25519.X25519PrivateKey.generate().public_key(),
        ec.generate_private_key(ec.SECP224R1()).public_key(),
        ec.generate_private_key(ec.SECP256K1()).public_key(),
    ],
    ids=["X25519", "P-224", "secp256k1"],
)
def test_no_proof_is_taken_from_a_key_without_a_fitting_algorithm(public_key: Any) -> None:
    assert algorithms_for(public_key) == ()
    with pytest.raises(ProofError, match="no proof can be taken from a key of this type"):
        verify_proof(proof(), public_key, typ=KEY_PROOF_TYPE, now=NOW)


# ---------------------------------------------------------------------------------------- typ and signature


@pytest.mark.parametrize(
    "typ", [None, "JWT", "at+jwt", "astca-renewal+jwt", "astca-key-proof", "application/jwt", 5, ["x"]]
)
def test_a_proof_of_another_type_is_refused(typ: Any) -> None:
    header = {"alg": "ES256"} | ({} if typ is None else {"typ": typ})
    token = signed(json.dumps(claims()).encode(), header=header)

    assert fails(token) == "the proof's typ must be 'astca-key-proof+jwt'"


def test_a_proof_for_one_purpose_is_no_proof_for_another() -> None:
    assert fails(proof(), typ="astca-renewal+jwt") == "the proof's typ must be 'astca-renewal+jwt'"


def test_a_signature_by_another_key_is_refused() -> None:
    other = DeviceKey.generate("P-256")

    assert fails(proof(other)) == "the proof's signature does not verify with the key"


def test_a_key_named_in_the_header_is_ignored() -> None:
    forger = DeviceKey.generate("P-256")
    header = {"alg": "ES256", "typ": KEY_PROOF_TYPE, "jwk": forger.public, "jku": "https://forger.example/"}

    token = signed(json.dumps(claims()).encode(), forger, header)

    assert fails(token) == "the proof's signature does not verify with the key"


@pytest.mark.parametrize("payload", [b"[1, 2]", b'"claims"', b"null", b"not json", b"\xff\xfe"])
def test_claims_must_be_a_json_object(payload: bytes) -> None:
    assert fails(signed(payload)) == "the proof is not a signed JWT with a JSON object as its claims"


def test_an_unencoded_payload_is_refused() -> None:
    header = {"alg": "ES256", "typ": KEY_PROOF_TYPE, "b64": False, "crit": ["b64"]}
    token = compact(header, claims(), b"\x01" * 64)

    with pytest.raises(ProofError):
        verify(token)


@pytest.mark.parametrize("crit", [["exp"], [], "b64", [5]])
def test_an_unknown_or_malformed_critical_header_is_refused(crit: Any) -> None:
    token = compact({"alg": "ES256", "typ": KEY_PROOF_TYPE, "crit": crit}, claims(), b"\x01" * 64)

    assert fails(token) == "the proof's header is not a JWS header"


# ---------------------------------------------------------------------------------------- shape and size


@pytest.mark.parametrize("token", [None, b"a.b.c", 5, ["a.b.c"], ""])
def test_a_proof_must_be_a_string(token: object) -> None:
    assert fails(token) == "the proof must be a compact JWS"


@pytest.mark.parametrize(
    "token",
    [
        "a.b",
        "a.b.c.d",
        "nodots",
        proof() + "==",
        proof().replace(".", "=.", 1),
        proof()[:5] + "+" + proof()[6:],
        proof()[:5] + "/" + proof()[6:],
        " " + proof(),
        proof() + "\n",
        proof().replace(".", ". ", 1),
        "é.b.c",
    ],
)
def test_a_proof_has_three_base64url_parts_without_padding(token: str) -> None:
    assert fails(token) == "the proof must be a compact JWS: three base64url parts without padding"


def test_a_proof_longer_than_the_limit_is_refused_before_it_is_read() -> None:
    assert fails("a." + "b" * MAX_PROOF_CHARS + ".c") == (
        f"the proof must be a compact JWS of at most {MAX_PROOF_CHARS} characters"
    )
    assert "at most" not in fails("a." + "b" * (MAX_PROOF_CHARS - 4) + ".c")


def test_a_deeply_nested_header_is_refused_without_recursing_out() -> None:
    header = '{"alg": "ES256", "x": ' + "[" * 2900 + "]" * 2900 + "}"
    token = f"{b64url(header.encode())}.{b64url(json.dumps(claims()).encode())}.{b64url(b'x' * 64)}"
    assert len(token) <= MAX_PROOF_CHARS

    assert fails(token) == "the proof's header is not a JWS header"


def test_deeply_nested_claims_are_refused_without_recursing_out() -> None:
    payload = b'{"iat": ' + b"[" * 2500 + b"]" * 2500 + b"}"

    assert fails(signed(payload)) == "the proof is not a signed JWT with a JSON object as its claims"


@pytest.mark.parametrize(
    "header", [b"[1]", b'"alg"', b"{", b"\xff", b'{"alg": "ES256", "kid": 5}', b"1" * 5000]
)
def test_a_header_that_is_no_jws_header_is_refused(header: bytes) -> None:
    token = f"{b64url(header)}.{b64url(json.dumps(claims()).encode())}.{b64url(b'x' * 64)}"

    assert fails(token) == "the proof's header is not a JWS header"


def test_no_message_quotes_the_proof() -> None:
    marker = "MARKER-" + "x" * 20
    tokens = [
        compact({"alg": marker, "typ": KEY_PROOF_TYPE}, claims()),
        compact({"alg": "ES256", "typ": marker}, claims()),
        proof(claims={"iat": marker}),
        marker,
    ]

    for token in tokens:
        assert "MARKER" not in fails(token)


# ---------------------------------------------------------------------------------------- anything else

GOOD = proof(iat=NOW)


def edits(token: str) -> st.SearchStrategy[str]:
    """Tokens one edit away from ``token``: a character flipped, inserted or dropped, truncated, parts swapped."""
    positions = st.integers(min_value=0, max_value=len(token) - 1)
    characters = st.characters(codec="utf-8") | st.sampled_from("AB_-.=+/ ")
    parts = token.split(".")
    return st.one_of(
        st.builds(lambda at, char: token[:at] + char + token[at + 1 :], positions, characters),
        st.builds(lambda at, char: token[:at] + char + token[at:], positions, characters),
        st.builds(lambda at: token[:at] + token[at + 1 :], positions),
        st.builds(lambda at: token[:at], positions),
        st.builds(lambda at: token[at + 1 :], positions),
        st.permutations(parts).map(".".join),
        st.lists(st.sampled_from(parts), min_size=1, max_size=4).map(".".join),
    ).filter(lambda edited: edited != token)


@given(token=edits(GOOD))
@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_every_edit_of_a_proof_is_a_proof_error(token: str) -> None:
    with pytest.raises(ProofError):
        verify(token)


@given(
    token=st.text(max_size=200)
    | st.from_regex(r"[A-Za-z0-9_-]{0,40}\.[A-Za-z0-9_-]{0,40}\.[A-Za-z0-9_-]{0,40}", fullmatch=True)
)
@settings(max_examples=300, deadline=None)
def test_any_text_is_a_proof_error(token: str) -> None:
    with pytest.raises(ProofError):
        verify(token)
