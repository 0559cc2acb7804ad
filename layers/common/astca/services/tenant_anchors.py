"""A tenant's trust anchor, made once: its own root CA key in KMS, its self-signed certificate and the platform issuer's cross-certificate.

The issue_signer worker calls ``ensure`` before it issues a signer, so the anchor comes with a
tenant's first signer (and with a legacy tenant's next one). Each step is idempotent and decided by a
condition (``storage.anchors``): the KMS key is claimed first, so of two workers one key wins and the
other is scheduled for deletion; the certificates are stored once, conditional on that key. A run
stopped between the steps is completed by the next. The anchor never changes afterwards: signers come
and go beneath it. Failures are the typed outcomes of KMS (``Transient`` is retried by the queue),
the store, and ValueError for a tenant a certificate cannot name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from astca import clock
from astca.domain.ca import TenantAnchor
from astca.domain.locations import CaLocations
from astca.issuance.certificates import cross_certificate, tenant_root_certificate
from astca.issuance.kms import KmsSigner
from astca.storage.anchors import AnchorRepository

if TYPE_CHECKING:
    from astca.issuance.hierarchy import CaCertificate

ORPHAN_KEY_DELETION_DAYS = 7  # a key that lost the claim signed nothing: KMS's shortest window


class AnchorKeys(Protocol):
    """What anchors need of KMS."""

    def create_signing_key(self, key_spec: str, description: str, tags: Mapping[str, str]) -> str:
        """Create an asymmetric signing key and return its id."""

    def schedule_deletion(self, key_id: str, days: int = 30) -> None:
        """Schedule a key's deletion."""


@dataclass(frozen=True)
class IssuingAnchor:
    """A complete tenant anchor, ready to sign: its certificate and its KMS key."""

    certificate: x509.Certificate
    key_id: str

    def signer(self) -> KmsSigner:
        """A signer with the anchor's key."""
        return KmsSigner(self.key_id)


class TenantAnchors:
    """Makes each tenant's anchor once and hands it out to sign signer CAs."""

    def __init__(
        self,
        repository: AnchorRepository,
        keys: AnchorKeys,
        platform_issuer: Callable[[], CaCertificate],
        *,
        key_spec: str,
        locations: CaLocations,
        now: Callable[[], datetime] = clock.utcnow,
    ) -> None:
        self.repository = repository
        self.keys = keys
        self.platform_issuer = platform_issuer
        self.key_spec = key_spec
        self.locations = locations
        self.now = now

    def ensure(self, tenant: str) -> IssuingAnchor:
        """The tenant's anchor, made (key, certificate, cross-certificate) where it is missing."""
        anchor = self.repository.get(tenant) or self._claim(tenant)
        if anchor.certificate is None:
            anchor = self._complete(anchor)
        assert anchor.certificate is not None
        certificate = x509.load_pem_x509_certificate(anchor.certificate.encode("ascii"))
        return IssuingAnchor(certificate, anchor.key_id)

    def _claim(self, tenant: str) -> TenantAnchor:
        key_id = self.keys.create_signing_key(
            self.key_spec,
            description=f"astca tenant root CA of {tenant}",
            tags={"astca:tenant": tenant, "astca:role": "tenant-root"},
        )
        anchor = self.repository.claim(tenant, key_id, now=self.now())
        if anchor.key_id != key_id:  # a concurrent worker claimed its key first
            self.keys.schedule_deletion(key_id, days=ORPHAN_KEY_DELETION_DAYS)
        return anchor

    def _complete(self, anchor: TenantAnchor) -> TenantAnchor:
        root = tenant_root_certificate(anchor.tenant, KmsSigner(anchor.key_id), now=self.now())
        issuer = self.platform_issuer()
        cross = cross_certificate(
            root,
            issuer.certificate,
            issuer.signer(),
            now=self.now(),
            ca_issuers=self.locations.platform_certificate("issuer"),
        )
        pem = root.public_bytes(Encoding.PEM).decode("ascii")
        event = {
            "tenant": anchor.tenant,
            "serial": format(root.serial_number, "x"),
            "subject": root.subject.rfc4514_string(),
            "certificate": pem,
        }
        return self.repository.complete(
            anchor,
            certificate=pem,
            cross_certificate=cross.public_bytes(Encoding.PEM).decode("ascii"),
            event=("tenant_anchor.created", event),
        )
