"""``limit`` is 1-100 and a ``nextToken`` is unreadable and only works, untouched, on the list it was made for."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities.parameters.constants import DEFAULT_PROVIDERS
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from hypothesis import given
from hypothesis import strategies as st
from moto import mock_aws

from astca import catalog, settings
from astca.catalog import CaError
from astca.domain.errors import Failed, Invalid
from astca.ids import new_ulid
from astca.services.lists import parse_limit
from astca.storage import pagination
from astca.storage.pagination import CURSOR, MAX_TOKEN_CHARS, CursorCodec, cursor_codec

KEY = bytes(range(32))
SCOPE = "TENANT#acme|SIGNER#|"
CODEC = CursorCodec(KEY)
REGION = "eu-central-1"

start_keys = st.dictionaries(
    st.text(min_size=1, max_size=12),
    st.text(max_size=40) | st.integers(-(2**70), 2**70),
    min_size=1,
    max_size=4,
)
scopes = st.text(max_size=60)


def _bad_pagination(token: str, scope: str = SCOPE, codec: CursorCodec = CODEC) -> Invalid:
    with pytest.raises(Invalid) as raised:
        codec.decode(token, scope=scope)
    assert raised.value.subject == CURSOR
    assert raised.value.detail == "nextToken is not valid for this list"
    return raised.value


def _sealed(payload: bytes, scope: str = SCOPE, *, version: bytes = b"\x02") -> str:
    """A token made the way the module docstring says, around a payload of our choosing."""
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"astca pagination cursor v2").derive(
        KEY
    )
    nonce = os.urandom(12)
    aad = version + len(scope.encode()).to_bytes(4, "big") + scope.encode()
    sealed = AESGCM(key).encrypt(nonce, payload, aad)
    return base64.urlsafe_b64encode(version + nonce + sealed).rstrip(b"=").decode()


def _raw(token: str) -> bytes:
    return base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))


def _token(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


# -------------------------------------------------------------------------------------------- limit


@pytest.mark.parametrize(("raw", "expected"), [(None, 25), ("1", 1), ("25", 25), ("100", 100), ("007", 7)])
def test_limit_takes_whole_numbers_from_1_to_100(raw: str | None, expected: int) -> None:
    assert parse_limit(raw) == expected


def test_limit_defaults_to_the_endpoints_own_default() -> None:
    assert parse_limit(None, default=50) == 50


@pytest.mark.parametrize(
    "raw", ["", "0", "101", "1000", "-1", "+5", " 5", "5 ", "1.0", "1e2", "ten", "٣", "²"]
)
def test_limit_outside_1_to_100_is_bad_pagination(raw: str) -> None:
    with pytest.raises(CaError) as raised:
        parse_limit(raw)
    assert raised.value.entry is catalog.BAD_PAGINATION
    assert raised.value.entry.code == 510004003
    assert "limit must be a whole number from 1 to 100" in raised.value.detail
    assert repr(raw) in raised.value.detail


def test_a_long_bad_limit_is_not_echoed_whole() -> None:
    with pytest.raises(CaError) as raised:
        parse_limit("9" * 5000)
    assert len(raised.value.detail) < 100


@given(st.text(max_size=8))
def test_limit_is_a_number_in_range_or_bad_pagination(raw: str) -> None:
    try:
        limit = parse_limit(raw)
    except CaError as error:
        assert error.entry is catalog.BAD_PAGINATION
    else:
        assert 1 <= limit <= 100
        assert raw == str(limit).zfill(len(raw))


# -------------------------------------------------------------------------------------------- cursors


@given(last_key=start_keys, scope=scopes)
def test_a_cursor_round_trips_its_key_in_its_scope(last_key: dict[str, str | int], scope: str) -> None:
    token = CODEC.encode(last_key, scope=scope)
    assert CODEC.decode(token, scope=scope) == last_key
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


@given(last_key=start_keys, data=st.data())
def test_changing_any_one_character_breaks_the_cursor(
    last_key: dict[str, str | int], data: st.DataObject
) -> None:
    token = CODEC.encode(last_key, scope=SCOPE)
    index = data.draw(st.integers(0, len(token) - 1), label="index")
    replacement = data.draw(st.characters().filter(lambda char: char != token[index]), label="replacement")
    _bad_pagination(token[:index] + replacement + token[index + 1 :])


@pytest.mark.parametrize("length", [1, 2])
def test_only_the_canonical_base64_of_a_cursor_is_accepted(length: int) -> None:
    # Given a cursor whose last character carries bits that base64 decoders ignore
    token = next(
        token
        for token in (CODEC.encode({"PK": "x" * size}, scope=SCOPE) for size in range(8))
        if len(token) % 4 == length + 1
    )
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    # When only those bits change, the bytes decoded stay the same
    twin = token[:-1] + alphabet[alphabet.index(token[-1]) ^ 1]
    assert base64.urlsafe_b64decode(twin + "==") == base64.urlsafe_b64decode(token + "==")
    # Then the twin is refused all the same
    _bad_pagination(twin)


@given(last_key=start_keys, data=st.data())
def test_a_truncated_or_extended_cursor_is_refused(
    last_key: dict[str, str | int], data: st.DataObject
) -> None:
    token = CODEC.encode(last_key, scope=SCOPE)
    cut = data.draw(st.integers(0, len(token) - 1), label="cut")
    _bad_pagination(token[:cut])
    _bad_pagination(token + data.draw(st.text(min_size=1, max_size=4), label="suffix"))


@given(last_key=start_keys, scope=scopes, other=scopes)
def test_a_cursor_is_refused_in_another_scope(last_key: dict[str, str | int], scope: str, other: str) -> None:
    if other != scope:
        _bad_pagination(CODEC.encode(last_key, scope=scope), scope=other)


def test_a_cursor_of_one_tenant_is_refused_for_another() -> None:
    token = CODEC.encode({"PK": "TENANT#acme", "SK": "SIGNER#01J"}, scope="TENANT#acme|SIGNER#|")
    _bad_pagination(token, scope="TENANT#evil|SIGNER#|")
    _bad_pagination(token, scope="TENANT#acme|CERT#|")
    _bad_pagination(token, scope="TENANT#acme|SIGNER#|3f2a")


def test_a_cursor_made_with_another_key_is_refused() -> None:
    token = CursorCodec(b"k" * 32).encode({"PK": "p"}, scope=SCOPE)
    _bad_pagination(token)


@given(st.text(max_size=300) | st.from_regex(r"[A-Za-z0-9_-]{0,200}", fullmatch=True))
def test_garbage_is_only_ever_bad_pagination(garbage: str) -> None:
    _bad_pagination(garbage)


def test_an_oversized_cursor_is_refused_before_it_is_decoded() -> None:
    _bad_pagination("A" * (MAX_TOKEN_CHARS + 1))


@given(last_key=start_keys, data=st.data())
def test_flipping_any_bit_of_a_cursor_breaks_it(last_key: dict[str, str | int], data: st.DataObject) -> None:
    raw = bytearray(_raw(CODEC.encode(last_key, scope=SCOPE)))
    bit = data.draw(st.integers(0, 8 * len(raw) - 1), label="bit")
    raw[bit // 8] ^= 1 << (bit % 8)
    _bad_pagination(_token(bytes(raw)))


@given(last_key=start_keys)
def test_a_cursor_shows_nothing_of_the_key_it_carries(last_key: dict[str, str | int]) -> None:
    token = CODEC.encode(last_key, scope=SCOPE)
    raw = _raw(token)
    payload = json.dumps(last_key, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()
    assert payload not in raw
    for name, value in last_key.items():
        for text in {name, str(value)}:
            if len(text) >= 6:  # shorter ones may turn up by chance
                assert text.encode() not in raw
                assert text not in token
    assert CODEC.encode(last_key, scope=SCOPE) != token  # a fresh nonce every time: pages are not linkable


def test_a_cursor_of_a_tenants_key_does_not_name_the_tenant() -> None:
    token = CODEC.encode({"PK": "TENANT#acme", "SK": "SIGNER#01JABCDEF"}, scope=SCOPE)
    for text in (b"TENANT", b"acme", b"SIGNER", b"01JABCDEF", b'"PK"'):
        assert text not in _raw(token)
        assert text.decode() not in token


def test_a_cursor_of_the_earlier_readable_format_is_refused() -> None:
    payload = b'{"PK":"TENANT#acme","SK":"SIGNER#1"}'
    message = b"\x01" + len(SCOPE.encode()).to_bytes(4, "big") + SCOPE.encode() + payload
    tag = hmac.new(KEY, message, hashlib.sha256).digest()
    _bad_pagination(_token(b"\x01" + tag + payload))
    _bad_pagination(_sealed(payload, version=b"\x01"))


@pytest.mark.parametrize("cut", [1, 12, 13, 28])
def test_a_cursor_too_short_to_hold_nonce_and_tag_is_refused(cut: int) -> None:
    raw = _raw(CODEC.encode({"PK": "p"}, scope=SCOPE))
    _bad_pagination(_token(raw[:cut]))


@pytest.mark.parametrize(
    "payload",
    [b"not json", b"\xff\xfe", b"[1]", b"{}", b'{"PK":1.5}', b'{"PK":true}', b'{"PK":null}', b'{"PK":["a"]}'],
)
def test_a_sealed_cursor_must_still_hold_a_key_of_strings_and_integers(payload: bytes) -> None:
    _bad_pagination(_sealed(payload))


def test_the_sealed_form_matches_the_documented_format() -> None:
    token = _sealed(b'{"PK":"TENANT#acme","SK":"SIGNER#1"}')
    assert CODEC.decode(token, scope=SCOPE) == {"PK": "TENANT#acme", "SK": "SIGNER#1"}
    _bad_pagination(_sealed(b'{"PK":"TENANT#acme","SK":"SIGNER#1"}', scope="TENANT#evil|SIGNER#|"))


@pytest.mark.parametrize("last_key", [{}, {"PK": True}, {"PK": 1.5}, {"PK": None}, {"PK": b"x"}])
def test_only_keys_of_strings_and_integers_can_be_encoded(last_key: dict[str, Any]) -> None:
    with pytest.raises(TypeError, match="str or int"):
        CODEC.encode(last_key, scope=SCOPE)


def test_a_key_too_long_for_a_cursor_cannot_be_encoded() -> None:
    with pytest.raises(ValueError, match="longer than 2048"):
        CODEC.encode({"PK": "x" * 2000}, scope=SCOPE)


def test_the_cursor_secret_must_be_at_least_32_bytes() -> None:
    with pytest.raises(ValueError, match="at least 32 bytes"):
        CursorCodec(b"k" * 31)


# -------------------------------------------------------------------------------------------- factory


SecretFactory = Callable[[str | bytes], str]


@pytest.fixture
def new_secret(monkeypatch: pytest.MonkeyPatch) -> Iterator[SecretFactory]:
    """Makes Secrets Manager secrets on moto (uniquely named), with an empty Powertools cache."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.delitem(DEFAULT_PROVIDERS, "secrets", raising=False)
    with mock_aws():
        client = boto3.client("secretsmanager", region_name=REGION)

        def create(value: str | bytes) -> str:
            name = f"cursor-{new_ulid()}"
            if isinstance(value, str):
                return client.create_secret(Name=name, SecretString=value)["ARN"]
            return client.create_secret(Name=name, SecretBinary=value)["ARN"]

        yield create


def test_the_factory_keys_the_codec_with_the_secret(new_secret: SecretFactory) -> None:
    token = cursor_codec(new_secret("s" * 64)).encode({"PK": "p"}, scope=SCOPE)
    assert CursorCodec(b"s" * 64).decode(token, scope=SCOPE) == {"PK": "p"}


def test_the_factory_takes_a_binary_secret(new_secret: SecretFactory) -> None:
    codec = cursor_codec(new_secret(KEY))
    assert codec.decode(CODEC.encode({"PK": 1}, scope=SCOPE), scope=SCOPE) == {"PK": 1}


def test_the_factory_reads_the_secret_named_in_the_settings(
    new_secret: SecretFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    arn = new_secret(KEY)
    monkeypatch.setattr(settings, "get_settings", lambda: SimpleNamespace(cursor_secret_arn=arn))
    assert cursor_codec().decode(CODEC.encode({"PK": "p"}, scope=SCOPE), scope=SCOPE) == {"PK": "p"}


@pytest.mark.parametrize("secret", ["missing", "too short"])
def test_a_secret_that_cannot_key_cursors_is_an_internal_error_that_never_shows_it(
    secret: str, new_secret: SecretFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    logged: list[tuple[str, dict[str, Any]]] = []
    monkeypatch.setattr(pagination.logger, "error", lambda message, extra: logged.append((message, extra)))
    name = f"cursor-{new_ulid()}" if secret == "missing" else new_secret("hunter2")
    with pytest.raises(Failed) as raised:
        cursor_codec(name)
    assert raised.value.service == "secretsmanager"
    assert raised.value.detail == "pagination is unavailable: the cursor key cannot be loaded"
    [(message, extra)] = logged
    assert message == "cannot key the pagination cursors"
    assert extra["secretId"] == name
    assert "hunter2" not in repr(extra)
    assert extra["errorType"] == ("GetParameterError" if secret == "missing" else "ValueError")
