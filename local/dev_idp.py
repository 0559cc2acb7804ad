"""A development identity provider with Keycloak's paths, for `make run` only (never deployed).

Any realm name works: ``/realms/{realm}/.well-known/openid-configuration``,
``/realms/{realm}/protocol/openid-connect/certs`` and ``/realms/{realm}/protocol/openid-connect/token``
(password grant, client ``astca-dev``). Three users: ``admin``/``admin`` with the admin role, and
``device``/``device`` with ``amr: ["pwd"]``, an AST client id and a preferred_username, and
``service``/``service``, shaped like a Keycloak service account (the identity provider's client):
the key reader role as a client role, no ``amr`` (it never typed a password). Tokens are ES256,
signed by a key per realm made at start-up, valid for five minutes.
"""

from __future__ import annotations

import json
import os
import threading
import time
import urllib.parse
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec

from astca.identity.realms import REALM_NAME

CLIENT_ID = "astca-dev"
TOKEN_LIFETIME = 300


@dataclass(frozen=True)
class DevUser:
    """A user of every development realm."""

    password: str
    subject: str
    claims: dict[str, Any]


def dev_users(admin_role: str, key_reader_role: str = "astca-key-reader") -> dict[str, DevUser]:
    """The development users."""
    return {
        "admin": DevUser(
            password="admin",  # noqa: S106 - documented development credentials
            subject="00000000-0000-4000-8000-00000000a001",
            claims={"preferred_username": "admin", "realm_access": {"roles": [admin_role]}, "amr": ["pwd"]},
        ),
        "device": DevUser(
            password="device",  # noqa: S106 - documented development credentials
            subject="00000000-0000-4000-8000-00000000d001",
            claims={
                "preferred_username": "device",
                "ast_client_id": "astca-dev-device",
                "realm_access": {"roles": ["device"]},
                "amr": ["pwd"],
            },
        ),
        "service": DevUser(
            password="service",  # noqa: S106 - documented development credentials
            subject="00000000-0000-4000-8000-00000000c001",
            claims={
                "preferred_username": "service-account-astca-idp",
                "resource_access": {
                    "astca-dev": {"roles": [key_reader_role]}
                },  # a role of the service's client
            },
        ),
    }


class DevIdp:
    """Realms, their keys and the token endpoint."""

    def __init__(self, base_url: str, *, admin_role: str, key_reader_role: str = "astca-key-reader") -> None:
        self.base_url = base_url.rstrip("/")
        self.users = dev_users(admin_role, key_reader_role)
        self._keys: dict[str, ec.EllipticCurvePrivateKey] = {}
        self._lock = threading.Lock()

    def key(self, realm: str) -> ec.EllipticCurvePrivateKey:
        """The signing key of ``realm``, made on first use."""
        with self._lock:
            return self._keys.setdefault(realm, ec.generate_private_key(ec.SECP256R1()))

    def issuer(self, realm: str) -> str:
        """The issuer URL of ``realm``."""
        return f"{self.base_url}/realms/{realm}"

    def discovery(self, realm: str) -> dict[str, Any]:
        """The realm's OpenID configuration."""
        issuer = self.issuer(realm)
        return {
            "issuer": issuer,
            "jwks_uri": f"{issuer}/protocol/openid-connect/certs",
            "token_endpoint": f"{issuer}/protocol/openid-connect/token",
            "grant_types_supported": ["password"],
            "response_types_supported": ["token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["ES256"],
            "token_endpoint_auth_methods_supported": ["none"],
        }

    def jwks(self, realm: str) -> dict[str, Any]:
        """The realm's public keys."""
        jwk: dict[str, Any] = jwt.algorithms.ECAlgorithm.to_jwk(self.key(realm).public_key(), as_dict=True)
        return {"keys": [{**jwk, "kid": f"{realm}-dev", "alg": "ES256", "use": "sig"}]}

    def token(self, realm: str, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        """The token endpoint: status and JSON body, with Keycloak's error names."""
        if form.get("grant_type") != "password":
            return 400, {"error": "unsupported_grant_type", "error_description": "only the password grant"}
        if form.get("client_id") != CLIENT_ID:
            return 401, {"error": "invalid_client", "error_description": f"use client_id={CLIENT_ID}"}
        user = self.users.get(form.get("username", ""))
        if user is None or form.get("password") != user.password:
            return 401, {"error": "invalid_grant", "error_description": "Invalid user credentials"}
        now = int(time.time())
        claims = {
            "iss": self.issuer(realm),
            "sub": user.subject,
            "aud": "account",
            "azp": CLIENT_ID,
            "typ": "Bearer",
            "iat": now,
            "exp": now + TOKEN_LIFETIME,
            "jti": str(uuid.uuid4()),
            "scope": "openid profile",
            **user.claims,
        }
        token = jwt.encode(claims, self.key(realm), algorithm="ES256", headers={"kid": f"{realm}-dev"})
        return 200, {"access_token": token, "token_type": "Bearer", "expires_in": TOKEN_LIFETIME}


class _Handler(BaseHTTPRequestHandler):
    idp: DevIdp

    def do_GET(self) -> None:
        realm, rest = self._route()
        if realm and rest == ".well-known/openid-configuration":
            self._json(200, self.idp.discovery(realm))
        elif realm and rest == "protocol/openid-connect/certs":
            self._json(200, self.idp.jwks(realm))
        else:
            self._json(404, {"error": "Realm does not exist"})

    def do_POST(self) -> None:
        realm, rest = self._route()
        if not realm or rest != "protocol/openid-connect/token":
            self._json(404, {"error": "Realm does not exist"})
            return
        length = min(int(self.headers.get("Content-Length") or 0), 16_384)
        form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode("utf-8", "replace")))
        self._json(*self.idp.token(realm, form))

    def _route(self) -> tuple[str | None, str]:
        path = urllib.parse.urlsplit(self.path).path
        if not path.startswith("/realms/"):
            return None, ""
        realm, _, rest = path.removeprefix("/realms/").partition("/")
        return (realm, rest) if REALM_NAME.fullmatch(realm) else (None, "")

    def _json(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        """Requests are not logged: tokens travel in them."""


class DevIdpServer(ThreadingHTTPServer):
    """The development IdP's HTTP server; ``idp`` is the IdP it serves (its realms' keys sign tokens)."""

    idp: DevIdp
    request_queue_size = (
        128  # socketserver's 5 resets connections when clients arrive at once, as Keycloak does not
    )


def serve(port: int, *, host: str = "127.0.0.1") -> DevIdpServer:
    """Start the development IdP in a daemon thread and return its server (``shutdown()`` stops it)."""
    idp = DevIdp(
        f"http://{host}:{port}",
        admin_role=os.environ.get("ASTCA_ADMIN_ROLE", "astca-admin"),
        key_reader_role=os.environ.get("ASTCA_KEY_READER_ROLE", "astca-key-reader"),
    )
    handler = type("DevIdpHandler", (_Handler,), {"idp": idp})
    server = DevIdpServer((host, port), handler)
    server.idp = idp
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="dev-idp", daemon=True).start()
    return server
