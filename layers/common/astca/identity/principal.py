"""The caller as the service sees it, and the one way a function declares what it needs of the caller."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from astca import catalog
from astca.catalog import CaError

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

    @classmethod
    def from_claims(cls, tenant: str, claims: Mapping[str, Any], *, client_id_claim: str) -> Principal:
        """The principal of a validated token: realm and client roles, amr, ids."""
        return cls(
            tenant=tenant,
            user_id=_text(claims.get("sub")),
            user_name=_text(claims.get("preferred_username")),
            client_id=_text(claims.get(client_id_claim)),
            roles=frozenset(roles_of(claims)),
            amr=tuple(str(method) for method in claims.get("amr", ()) if isinstance(method, str)),
        )

    def require(self, needs: Needs, *, admin_role: str) -> None:
        """Raise the catalog's 403 for the first need this principal does not meet."""
        if needs.admin and admin_role not in self.roles:
            raise CaError(catalog.FORBIDDEN, f"this operation needs the role {admin_role!r}")
        if needs.user_id and not self.user_id:
            raise CaError(catalog.MISSING_USER_ID, "the access token has no user id (sub)")
        if needs.user_name and not self.user_name:
            raise CaError(catalog.MISSING_USER_NAME, "the access token has no user name (preferred_username)")
        if needs.client_id and not self.client_id:
            raise CaError(catalog.MISSING_CLIENT_ID, "the access token has no AST client id")


def roles_of(claims: Mapping[str, Any]) -> set[str]:
    """Keycloak's realm roles (realm_access.roles) and client roles (resource_access.*.roles)."""
    roles: set[str] = set()
    realm_access = claims.get("realm_access")
    if isinstance(realm_access, dict):
        roles.update(role for role in realm_access.get("roles", ()) if isinstance(role, str))
    resource_access = claims.get("resource_access")
    if isinstance(resource_access, dict):
        for client in resource_access.values():
            if isinstance(client, dict):
                roles.update(role for role in client.get("roles", ()) if isinstance(role, str))
    return roles


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
