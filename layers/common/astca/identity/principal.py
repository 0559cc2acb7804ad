"""The caller as the service sees it, and the one way a function declares what it needs of the caller."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from astca import catalog
from astca.catalog import CaError, ErrorEntry
from astca.domain.names import subject_text_problem

if TYPE_CHECKING:
    from cryptography.x509 import Certificate


@dataclass(frozen=True)
class Needs:
    """What a function needs of its caller; checked before the request is validated or served."""

    token: bool = True
    admin: bool = False
    user_id: bool = False
    user_name: bool = False
    client_id: bool = False
    client_certificate: bool = False


@dataclass(frozen=True)
class Principal:
    """An authenticated caller of one tenant."""

    tenant: str
    user_id: str | None = None
    user_name: str | None = None
    client_id: str | None = None
    roles: frozenset[str] = frozenset()
    amr: tuple[str, ...] = ()
    client_certificate: Certificate | None = field(default=None, repr=False)
    client_certificate_proven: bool = False  # the TLS handshake proved its key (identity.mtls)

    @classmethod
    def from_claims(
        cls,
        tenant: str,
        claims: Mapping[str, Any],
        *,
        client_id_claim: str,
        role_clients: Sequence[str] = (),
    ) -> Principal:
        """The principal of a validated token: realm roles, ``role_clients``' client roles, amr, ids.

        A claim of the wrong type is refused, never coerced: 510401 for amr and the role claims, the
        claim's 510403x code for the ids.
        """
        return cls(
            tenant=tenant,
            user_id=_text(claims, "sub", catalog.MISSING_USER_ID),
            user_name=_text(claims, "preferred_username", catalog.MISSING_USER_NAME),
            client_id=_text(claims, client_id_claim, catalog.MISSING_CLIENT_ID),
            roles=frozenset(roles_of(claims, role_clients)),
            amr=tuple(_strings(claims.get("amr"), "amr")),
        )

    def require(self, needs: Needs, *, admin_role: str) -> None:
        """Raise the catalog's 403 for the first need this principal does not meet.

        An id that is needed may go into a certificate, so it must also be text a certificate can name
        (``policy.names``): this is checked here, when the request is made, not when it is signed.
        """
        if needs.admin and admin_role not in self.roles:
            raise CaError(catalog.FORBIDDEN, f"this operation needs the role {admin_role!r}")
        for needed, value, entry, what in (
            (needs.user_id, self.user_id, catalog.MISSING_USER_ID, "user id (sub)"),
            (needs.user_name, self.user_name, catalog.MISSING_USER_NAME, "user name (preferred_username)"),
            (needs.client_id, self.client_id, catalog.MISSING_CLIENT_ID, "AST client id"),
        ):
            if not needed:
                continue
            if not value:
                raise CaError(entry, f"the access token has no {what}")
            problem = subject_text_problem(value)
            if problem is not None:
                raise CaError(entry, f"the access token's {what} {problem}")


def roles_of(claims: Mapping[str, Any], clients: Sequence[str] = ()) -> set[str]:
    """Keycloak's realm roles (realm_access.roles) and the client roles of ``clients`` (resource_access.<c>.roles)."""
    roles = set(_roles(claims.get("realm_access"), "realm_access"))
    resource_access = claims.get("resource_access")
    if resource_access is None:
        return roles
    if not isinstance(resource_access, dict):
        raise CaError(catalog.UNAUTHORIZED, "the token's resource_access claim must be an object")
    for client in clients:
        roles.update(_roles(resource_access.get(client), f"resource_access.{client}"))
    return roles


def _roles(access: object, where: str) -> list[str]:
    if access is None:
        return []
    if not isinstance(access, dict):
        raise CaError(catalog.UNAUTHORIZED, f"the token's {where} claim must be an object")
    return _strings(access.get("roles"), f"{where}.roles")


def _strings(value: object, claim: str) -> list[str]:
    """A claim that must be a list of strings when present (never a string read character by character)."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise CaError(catalog.UNAUTHORIZED, f"the token's {claim} claim must be a list of strings")
    return value


def _text(claims: Mapping[str, Any], claim: str, entry: ErrorEntry) -> str | None:
    value = claims.get(claim)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise CaError(entry, f"the access token's {claim} claim must be a string")
    return value
