"""Session encryption of HTTP requests and answers: the middleware behind ``web.lambda_handler(encrypted=True)``.

A request asks for it with the header ``X-Session-Key-Id`` (a GET without a body too) or the content
type ``application/jose``. After the caller is authenticated (a session key is bound to its owner),
``EncryptedExchange.open`` loads that key; ``decrypt_request`` turns the compact JWE body (dir,
A256GCM, ``kid`` = the header's id) into the plain JSON event the resolver validates; ``seal`` turns
whatever the resolver answered, success or problem+json, into a compact JWE under the same key
(dir, A256GCM, ``kid``, ``cty`` = the answer's content type) sent as ``application/jose``.

What stays in the clear: the status, and headers such as ``Location`` and ``Retry-After``; an answer
without a body (204) has nothing to encrypt. Errors raised before the key is known (401/403 of the
caller's checks, 5104036, 5104037) cannot be encrypted and are plain problem+json; from then on every
answer is encrypted, 51061 DecryptionError included. An answer that cannot be encrypted is a plain
51060 EncryptionError. Keys, JWEs and bodies are never logged. This module, and with it the JOSE
library, is imported only when a request asks for encryption.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools.utilities.data_classes.api_gateway_proxy_event import APIGatewayProxyEventV2

from astca import catalog
from astca.catalog import CaError
from astca.identity.principal import Principal
from astca.jose import jwe
from astca.services.sessions import SessionKey, session_owner, session_service

SESSION_KEY_HEADER = "x-session-key-id"  # as astca.web, which sits above this module, names it too
JOSE = jwe.JOSE_CONTENT_TYPE
DEFAULT_CONTENT_TYPE = "application/json"


class EncryptedExchange:
    """One request and its answer under one session key."""

    def __init__(self, session_key: SessionKey) -> None:
        self.session_key = session_key

    @classmethod
    def open(cls, event: Mapping[str, Any], principal: Principal) -> EncryptedExchange:
        """The exchange under the key ``X-Session-Key-Id`` names, if ``principal`` holds it (5104036, 5104037)."""
        session_key_id = str(_headers(event).get(SESSION_KEY_HEADER, "")).strip()
        if not session_key_id:
            raise CaError(
                catalog.SESSION_KEY_NOT_FOUND,
                "an encrypted request names its session key in X-Session-Key-Id",
            )
        return cls(session_service().open(session_key_id, session_owner(principal)))

    def decrypt_request(self, event: dict[str, Any]) -> dict[str, Any]:
        """The event with its JWE body decrypted (51061 if it does not decrypt); a request without a body as it is."""
        headers = _headers(event)
        body = event.get("body")
        if not body:
            if _media_type(headers) == JOSE:
                raise CaError(catalog.DECRYPTION_ERROR, "the application/jose body is empty")
            return event
        if _media_type(headers) != JOSE:
            raise CaError(
                catalog.DECRYPTION_ERROR, "a request with X-Session-Key-Id sends its body as application/jose"
            )
        try:
            compact = (
                base64.b64decode(body, validate=True).decode("ascii")
                if event.get("isBase64Encoded")
                else body
            )
            decrypted = jwe.decrypt_direct(str(compact), self.session_key.key, kid=self.session_key.id)
            text = decrypted.plaintext.decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, jwe.JweError) as error:
            raise CaError(catalog.DECRYPTION_ERROR, _why(error)) from None
        content_type = str(decrypted.header.get("cty") or DEFAULT_CONTENT_TYPE)
        headers.pop("content-length", None)
        headers["content-type"] = content_type
        return {**event, "headers": dict(headers), "body": text, "isBase64Encoded": False}

    def seal(self, answer: Mapping[str, Any]) -> dict[str, Any]:
        """The answer with its body encrypted under the session key (51060 EncryptionError if it cannot be).

        The answer is a proxy result built from a Powertools ``Response`` (by the resolver or by
        ``web.problem_response``), which names its content type ``Content-Type``.
        """
        body = answer.get("body")
        if not body:
            return dict(answer)
        headers = dict(answer.get("headers") or {})
        content_type = headers.pop("Content-Type", DEFAULT_CONTENT_TYPE)
        try:
            plaintext = base64.b64decode(body) if answer.get("isBase64Encoded") else str(body).encode("utf-8")
            compact = jwe.encrypt_direct(
                plaintext, self.session_key.key, kid=self.session_key.id, content_type=str(content_type)
            )
        except (binascii.Error, UnicodeEncodeError, jwe.JweError) as error:
            raise CaError(catalog.ENCRYPTION_ERROR, "the answer could not be encrypted") from error
        headers["Content-Type"] = JOSE
        return {**answer, "headers": headers, "body": compact, "isBase64Encoded": False}


def _headers(event: Mapping[str, Any]) -> dict[str, str]:
    """The request's headers as Powertools reads them (``web.request_headers``): a fresh dict ignoring case."""
    return APIGatewayProxyEventV2(dict(event)).headers


def _media_type(headers: Mapping[str, str]) -> str:
    return str(headers.get("content-type", "")).partition(";")[0].strip().lower()


def _why(error: Exception) -> str:
    if isinstance(error, jwe.JweError):
        return str(error)
    if isinstance(error, UnicodeDecodeError):
        return "the decrypted body is not UTF-8"
    return "the body is not a compact JWE"
