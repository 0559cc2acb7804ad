"""What relying parties are given to trust, and the chains above each certificate: answered here and nowhere else.

Two paths lead from a device certificate to an anchor:

- the tenant path, device -> signer CA -> the tenant's anchor (its own self-signed root, ``TenantAnchor``):
  a relying party that trusts one tenant pins that anchor and accepts nothing of another tenant;
- the platform path, device -> signer CA -> the anchor cross-certified by the platform issuer ->
  issuer CA -> platform root: a relying party that serves every tenant trusts the root and reads the
  tenant from the certificate.

A signer issued before tenants had anchors (by the platform issuer itself) has only the platform
path, and its tenant no anchor until its next signer. Which path a signer is on is read from its own
certificate (its issuer is the platform issuer, or not), so a delivery reads no anchor for it.

Every chain handed out lists the certificates above the one it belongs to, nearest first:
``delivery_chain`` (what a device presents: both paths' intermediates), ``to_anchor`` (up to the
tenant path's anchor: the SDK config's ``x5c``) and ``platform_chain``. Anchors, once complete, and
the platform CAs never change: each is read once per container.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from astca import catalog, ids
from astca.catalog import CaError
from astca.domain.ca import TenantAnchor
from astca.domain.locations import ANCHOR, CROSS
from astca.identity.realms import checked_tenant
from astca.settings import get_settings
from astca.storage.anchors import AnchorRepository
from astca.storage.dynamo import Table
from astca.storage.signers import SignerRepository

if TYPE_CHECKING:
    from cryptography import x509

    from astca.issuance.hierarchy import CaHierarchy


@dataclass(frozen=True)
class TenantTrust:
    """A tenant's trust material (PEM): its anchor, the chain below it, its signers and the platform path."""

    tenant: str
    anchor: str | None  # None until the tenant's first signer (a legacy tenant's next) creates it
    chain: list[str]  # between a device of the current signer and ``anchor`` (or the platform root)
    signers: list[str]  # every issued, unrevoked signer CA
    platform_anchor: str  # the platform root
    platform_chain: list[str]  # above the current signer on the platform path


class TrustMaterial:
    """The tenant anchors and platform CAs, read once per container, and the chains they make."""

    def __init__(
        self,
        anchors: AnchorRepository,
        signers: SignerRepository,
        hierarchy: Callable[[], CaHierarchy],
    ) -> None:
        self.anchors = anchors
        self.signers = signers
        self.hierarchy = hierarchy
        self._anchors: dict[str, TenantAnchor] = {}
        self._issuers: dict[str, bytes] = {}  # signer PEM -> DER of its issuer name
        self._lock = threading.Lock()

    def anchor(self, tenant: str) -> TenantAnchor | None:
        """The tenant's complete anchor (cached), or None while it has none."""
        with self._lock:
            cached = self._anchors.get(tenant)
        if cached is not None:
            return cached
        anchor = self.anchors.get(tenant)
        if anchor is None or anchor.certificate is None or anchor.cross_certificate is None:
            return None
        with self._lock:
            self._anchors[tenant] = anchor
        return anchor

    def on_platform_issuer(self, signer_pem: str) -> bool:
        """Whether a signer CA was issued by the platform issuer itself (a signer from before tenant anchors)."""
        with self._lock:
            issuer = self._issuers.get(signer_pem)
        if issuer is None:
            issuer = _certificate(signer_pem).issuer.public_bytes()
            with self._lock:
                self._issuers[signer_pem] = issuer
        return issuer == self.hierarchy().issuer.certificate.subject.public_bytes()

    def platform_chain(self, tenant: str, signer_pem: str | None) -> list[str]:
        """The certificates above a signer CA (the tenant's current one: None) on the platform path."""
        issuer = self.hierarchy().issuer_pem
        if signer_pem is not None and self.on_platform_issuer(signer_pem):
            return [issuer]
        anchor = self.anchor(tenant)
        if anchor is None:
            if signer_pem is None:
                return [issuer]
            raise CaError(
                catalog.SIGNER_ERROR, f"the signer of tenant {tenant} has no complete anchor above it"
            )
        assert anchor.cross_certificate is not None
        return [anchor.cross_certificate, issuer]

    def to_anchor(self, signer_pem: str) -> list[str]:
        """A signer CA and what lies above it up to its tenant path's anchor (the platform root for a legacy signer)."""
        if self.on_platform_issuer(signer_pem):
            return [signer_pem, self.hierarchy().issuer_pem]
        return [signer_pem]

    def delivery_chain(self, tenant: str, signer_pem: str) -> list[str]:
        """What a device of this signer presents: the signer CA, then its platform path (the cross-certificate, the issuer CA)."""
        return [signer_pem, *self.platform_chain(tenant, signer_pem)]

    def tenant(self, tenant: str) -> TenantTrust:
        """Everything a relying party of ``tenant`` may trust or needs to build a path (GET /ca)."""
        pointer = self.signers.pointer(tenant)
        issued = self.signers.issued(tenant)
        signers = [signer.certificate for signer in issued if signer.certificate]
        current = next(
            (s.certificate for s in issued if pointer is not None and s.id == pointer.current_id), None
        )
        anchor = self.anchor(tenant)
        return TenantTrust(
            tenant=tenant,
            anchor=anchor.certificate if anchor else None,
            chain=self.to_anchor(current) if current else [],
            signers=signers,
            platform_anchor=self.hierarchy().root_pem,
            platform_chain=self.platform_chain(tenant, current),
        )

    def certificate_der(self, tenant: str | None, name: str) -> bytes:
        """The DER of a CA certificate served at its AIA URL (``astca.domain.locations``).

        Platform (``tenant`` None): ``root`` or ``issuer``. A tenant's: ``anchor``, ``cross`` or a signer
        id (revoked signers too: certificates they issued are still checked). 5104002 for a tenant that
        is not a realm name; 5104041 SignerNotFound for
        any other name or an unknown signer; 5104043 SignerNotFoundForTenant for a tenant with no anchor.
        """
        if tenant is None:
            hierarchy = self.hierarchy()
            pems = {"root": hierarchy.root_pem, "issuer": hierarchy.issuer_pem}
            if name not in pems:
                raise CaError(catalog.SIGNER_NOT_FOUND, f"there is no platform CA {name!r}: root or issuer")
            return _der(pems[name])
        tenant = checked_tenant(tenant)
        if name in (ANCHOR, CROSS):
            anchor = self.anchor(tenant)
            if anchor is None:
                raise CaError(catalog.SIGNER_NOT_FOUND_FOR_TENANT, f"tenant {tenant} has no trust anchor yet")
            pem = anchor.certificate if name == ANCHOR else anchor.cross_certificate
            assert pem is not None
            return _der(pem)
        signer = self.signers.get(tenant, name) if ids.is_ulid(name) else None
        if signer is None or signer.certificate is None:
            raise CaError(catalog.SIGNER_NOT_FOUND, f"tenant {tenant} has no signer CA certificate {name}")
        return _der(signer.certificate)


def _certificate(pem: str) -> x509.Certificate:
    from cryptography import x509  # noqa: PLC0415 - chains and trust material only

    return x509.load_pem_x509_certificate(pem.encode("ascii"))


def _der(pem: str) -> bytes:
    from cryptography.hazmat.primitives.serialization import Encoding  # noqa: PLC0415 - as in _certificate

    return _certificate(pem).public_bytes(Encoding.DER)


def _hierarchy() -> CaHierarchy:
    # The hierarchy (KMS and x509 issuance modules) is loaded by a request that answers trust material.
    from astca.services.hierarchy import ca_hierarchy  # noqa: PLC0415

    return ca_hierarchy()


@cache
def trust_material() -> TrustMaterial:
    """The trust material of this container."""
    table = Table(get_settings().table_name)
    return TrustMaterial(AnchorRepository(table), SignerRepository(table), _hierarchy)
