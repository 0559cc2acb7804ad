"""Pagination of list endpoints: the ``limit`` parameter and opaque, encrypted ``nextToken`` cursors.

A cursor is ``base64url(version || nonce || AES-256-GCM(key, nonce, payload, aad))`` without padding,
where ``payload`` is the compact JSON of DynamoDB's LastEvaluatedKey, ``nonce`` 96 random bits, the key
HKDF-SHA256 of the cursor secret (info ``CURSOR_KEY_INFO``) and ``aad`` is ``version || len(scope) ||
scope``. The scope names what the cursor pages (for example ``"TENANT#acme|SIGNER#|<filter
fingerprint>"``), so a cursor from one tenant, list or filter is refused on another. Cursors are
encrypted and authenticated: a client can neither read the key inside nor change it. They do not
expire, being positions rather than grants (every request is authorised on its own). Rotating the
secret invalidates the cursors in flight, as does a new format ``VERSION``: their clients start the
list over. The AEAD is imported when a codec is made, so functions that never page never load it.

A ``nextToken`` that is not one of ours for this list is ``Invalid`` "cursor"; a cursor key that cannot
be loaded is ``Failed`` "secretsmanager".
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
from collections.abc import Mapping

from aws_lambda_powertools import Logger
from botocore.exceptions import BotoCoreError

from astca import settings
from astca.domain.errors import Failed, Invalid

CURSOR = "cursor"  # the subject of every Invalid this module raises
MAX_TOKEN_CHARS = 2048
MIN_KEY_BYTES = 32
SECRET_MAX_AGE_SECONDS = 300
VERSION = b"\x02"  # 1 was HMAC-SHA256 over a readable payload
CURSOR_KEY_INFO = b"astca pagination cursor v2"
NONCE_BYTES = 12
TAG_BYTES = 16

_TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]+")
_INVALID_CURSOR = "nextToken is not valid for this list"

StartKey = dict[str, str | int]

logger = Logger()


class CursorCodec:
    """Turns LastEvaluatedKeys into encrypted ``nextToken`` strings bound to a scope, and back."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) < MIN_KEY_BYTES:
            raise ValueError(f"the cursor key must be at least {MIN_KEY_BYTES} bytes")
        from cryptography.hazmat.primitives import hashes  # noqa: PLC0415 - only paging loads the AEAD
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # noqa: PLC0415
        from cryptography.hazmat.primitives.kdf.hkdf import HKDF  # noqa: PLC0415

        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=CURSOR_KEY_INFO).derive(secret)
        self._aead = AESGCM(key)

    def encode(self, last_key: Mapping[str, str | int], *, scope: str) -> str:
        """The ``nextToken`` that resumes the list ``scope`` after ``last_key``."""
        if not _is_start_key(last_key):
            raise TypeError("a cursor key maps attribute names to str or int values")
        payload = json.dumps(last_key, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, payload, _associated_data(scope))
        token = base64.urlsafe_b64encode(VERSION + nonce + sealed).rstrip(b"=").decode()
        if len(token) > MAX_TOKEN_CHARS:
            raise ValueError(f"the cursor would be longer than {MAX_TOKEN_CHARS} characters")
        return token

    def decode(self, token: str, *, scope: str) -> StartKey:
        """The LastEvaluatedKey in ``token`` if this codec made it for ``scope``; ``Invalid`` if not."""
        from cryptography.exceptions import InvalidTag  # noqa: PLC0415 - loaded with the AEAD already

        if len(token) > MAX_TOKEN_CHARS or not _TOKEN_PATTERN.fullmatch(token):
            raise Invalid(CURSOR, _INVALID_CURSOR)
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        except binascii.Error:
            raise Invalid(CURSOR, _INVALID_CURSOR) from None
        # Only the canonical encoding is accepted, so no two tokens decode to the same bytes.
        if base64.urlsafe_b64encode(raw).rstrip(b"=").decode() != token:
            raise Invalid(CURSOR, _INVALID_CURSOR)
        version, nonce, sealed = raw[:1], raw[1 : 1 + NONCE_BYTES], raw[1 + NONCE_BYTES :]
        if version != VERSION or len(sealed) < TAG_BYTES:
            raise Invalid(CURSOR, _INVALID_CURSOR)
        try:
            last_key = json.loads(self._aead.decrypt(nonce, sealed, _associated_data(scope)))
        except (InvalidTag, ValueError):
            raise Invalid(CURSOR, _INVALID_CURSOR) from None
        if not _is_start_key(last_key):
            raise Invalid(CURSOR, _INVALID_CURSOR)
        return dict(last_key)


def _associated_data(scope: str) -> bytes:
    scope_bytes = scope.encode()
    return VERSION + len(scope_bytes).to_bytes(4, "big") + scope_bytes


def _is_start_key(value: object) -> bool:
    return (
        isinstance(value, Mapping)
        and len(value) > 0
        and all(
            isinstance(name, str) and isinstance(entry, str | int) and not isinstance(entry, bool)
            for name, entry in value.items()
        )
    )


def cursor_codec(secret_id: str | None = None) -> CursorCodec:
    """The codec keyed by the cursor secret (``Settings.cursor_secret_arn`` unless named), cached 5 minutes.

    Call it when a request needs a cursor, not at import: containers that never page never fetch the
    secret. Powertools keeps the value for ``SECRET_MAX_AGE_SECONDS``, so a rotation reaches every
    container within that time.
    """
    from aws_lambda_powertools.utilities import parameters  # noqa: PLC0415 - only paging needs it

    name = secret_id or settings.get_settings().cursor_secret_arn
    try:
        value = parameters.get_secret(name, max_age=SECRET_MAX_AGE_SECONDS)
        key = value.encode() if isinstance(value, str) else value
        if not isinstance(key, bytes):
            raise TypeError(f"secret value is a {type(value).__name__}")
        return CursorCodec(key)
    except (parameters.exceptions.GetParameterError, BotoCoreError, TypeError, ValueError) as exc:
        # The cause names the failure (not found, access denied, too short); it never holds the value.
        logger.error(
            "cannot key the pagination cursors",
            extra={"secretId": name, "errorType": type(exc).__name__, "cause": str(exc)},
        )
        raise Failed("secretsmanager", "pagination is unavailable: the cursor key cannot be loaded") from exc
