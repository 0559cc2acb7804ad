"""JSON over HTTP(S) to the identity provider, with the configured trust and timeout.

Failures are catalog errors: cannot connect or time out is 5101003 IdpUnavailable, a body that is
not JSON 5101004 BadResponse; a non-200 status is ``IdpStatus`` for the caller to interpret. A
custom trust store that is missing is 51050021 TrustStoreRequired, one that does not exist 51050020
TrustStoreDoesNotExist. Details name no URL and no cause (both are logged): they reach callers who
have not authenticated yet.
"""

from __future__ import annotations

import json
import ssl
import urllib.error
import urllib.request
from functools import cached_property
from pathlib import Path

from aws_lambda_powertools import Logger

from astca import catalog
from astca.catalog import CaError

MAX_BODY = 1 << 20

logger = Logger()


class IdpStatus(Exception):
    """The IdP answered with a status other than 200."""

    def __init__(self, url: str, status: int) -> None:
        super().__init__(f"{url} answered {status}")
        self.url = url
        self.status = status


class IdpHttp:
    """Fetches JSON documents from the IdP."""

    def __init__(self, *, tls_mode: str, trust_store: str | None, timeout: float) -> None:
        self.tls_mode = tls_mode
        self.trust_store = trust_store
        self.timeout = timeout

    @cached_property
    def ssl_context(self) -> ssl.SSLContext:
        """The TLS context for the IdP: the system trust store, or the configured custom one."""
        if self.tls_mode != "custom":
            return ssl.create_default_context()
        if not self.trust_store:
            raise CaError(
                catalog.TRUST_STORE_REQUIRED,
                "ASTCA_IDP_TLS_MODE=custom needs ASTCA_IDP_TRUST_STORE (a PEM file)",
            )
        if not Path(self.trust_store).is_file():
            raise CaError(
                catalog.TRUST_STORE_DOES_NOT_EXIST, f"trust store {self.trust_store} does not exist"
            )
        return ssl.create_default_context(cafile=self.trust_store)

    def get_json(self, url: str) -> object:
        """GET ``url`` and parse its JSON body."""
        context = self.ssl_context if url.startswith("https:") else None
        request = urllib.request.Request(url, headers={"Accept": "application/json"})  # noqa: S310 - http(s) only
        try:
            with urllib.request.urlopen(request, timeout=self.timeout, context=context) as response:  # noqa: S310
                body = response.read(MAX_BODY + 1)
        except urllib.error.HTTPError as exc:
            raise IdpStatus(url, exc.code) from None
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            logger.error(
                "the IdP could not be reached", extra={"url": url, "cause": str(getattr(exc, "reason", exc))}
            )
            raise CaError(catalog.IDP_UNAVAILABLE, "the IdP could not be reached") from exc
        if len(body) > MAX_BODY:
            logger.error("the IdP's answer is too large", extra={"url": url})
            raise CaError(catalog.BAD_RESPONSE, f"the IdP's answer is larger than {MAX_BODY} bytes")
        try:
            return json.loads(body)
        except (ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
            logger.error("the IdP's answer is not JSON", extra={"url": url})
            raise CaError(catalog.BAD_RESPONSE, "the IdP's answer is not JSON") from exc
