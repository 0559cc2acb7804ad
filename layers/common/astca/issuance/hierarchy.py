"""The CA hierarchy: a root CA and an issuer CA whose keys live in KMS, created once by ``bootstrap_ca``.

``bootstrap_ca`` is idempotent. The KMS aliases ``{prefix}/root`` and ``{prefix}/issuer`` name the
keys: a key behind an existing alias is reused, a missing one is created (tagged ``astca:ca`` =
its alias) and aliased. The alias is the race guard between concurrent runs: the run whose
CreateAlias loses schedules its own new key for deletion and uses the alias's. Certificates are
stored once (a ``CaStore``: ``storage.ca.CaRepository``); the issuer's AIA names the root's URL
when ``ASTCA_CA_URL`` is set; a second run finds them, checks that each
alias still names the certificate's key, and returns what is stored without writing anything.
Deleting a CA key is an operator's decision and is never done here.

``load_hierarchy`` is the reader for everyone else: the stored certificates, checked to chain, cached
per container and store (they never change after the bootstrap): keep one store per container.

Failures are typed outcomes: KMS's ``Transient("kms")`` / ``Failed("kms")`` (a key behind an alias
that cannot sign is ``Failed("kms")``); a hierarchy not bootstrapped yet is
``PreconditionFailed("ca hierarchy", state="not bootstrapped")``; stored certificates that do not
parse, do not chain, or are not of the keys their aliases name are ``Invalid("ca hierarchy")``.
The store's own failures pass through as the store raises them.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.serialization import Encoding

from astca import clock
from astca.domain.ca import CaRecord, CaRole
from astca.domain.errors import Failed, Invalid, PreconditionFailed
from astca.domain.locations import CaLocations
from astca.issuance.certificates import issuer_ca_certificate, root_ca_certificate
from astca.issuance.kms import KeyInfo, KmsKeys, KmsSigner
from astca.settings import Settings

CA_TAG = "astca:ca"  # on every CA key the bootstrap creates: the alias it was created for
ORPHAN_KEY_DELETION_DAYS = 7  # a key that lost the alias race signed nothing: KMS's shortest window


class CaStore(Protocol):
    """Where the CA records are kept, each written once (``storage.ca.CaRepository``)."""

    def get(self, role: CaRole) -> CaRecord | None:
        """The stored CA of ``role``, or None."""
        ...

    def put_once(self, record: CaRecord) -> CaRecord:
        """Store ``record`` unless a CA of its role is stored; the record stored afterwards."""
        ...


# Per container, per store: a store dropped by its owner drops its entry.
_hierarchies: weakref.WeakKeyDictionary[CaStore, CaHierarchy] = weakref.WeakKeyDictionary()


@dataclass(frozen=True)
class CaCertificate:
    """One CA: its certificate and the KMS key that signs for it."""

    role: CaRole
    key_id: str
    key_arn: str
    alias: str
    certificate: x509.Certificate
    created_at: datetime

    @property
    def pem(self) -> str:
        """The certificate as PEM."""
        return self.certificate.public_bytes(Encoding.PEM).decode("ascii")

    def signer(self) -> KmsSigner:
        """A signer with this CA's key."""
        return KmsSigner(self.key_id)

    @classmethod
    def from_record(cls, record: CaRecord) -> CaCertificate:
        """The CA a stored record describes; ``Invalid("ca hierarchy")`` if its certificate is not PEM."""
        try:
            certificate = x509.load_pem_x509_certificate(record.certificate.encode("ascii"))
        except ValueError:
            raise Invalid("ca hierarchy", f"the stored {record.role} CA certificate is not PEM") from None
        return cls(record.role, record.key_id, record.key_arn, record.alias, certificate, record.created_at)


@dataclass(frozen=True)
class CaHierarchy:
    """The root CA and the issuer CA it signed."""

    root: CaCertificate
    issuer: CaCertificate

    @property
    def root_pem(self) -> str:
        """The root CA certificate (the trust anchor) as PEM."""
        return self.root.pem

    @property
    def issuer_pem(self) -> str:
        """The issuer CA certificate as PEM."""
        return self.issuer.pem

    @property
    def issuer_key_id(self) -> str:
        """The KMS key id of the issuer CA, which signs the tenants' signer CAs."""
        return self.issuer.key_id

    @property
    def chain_pem(self) -> str:
        """The issuer CA then the root CA, as PEM: the chain above a signer CA."""
        return self.issuer.pem + self.root.pem


def bootstrap_ca(store: CaStore, keys: KmsKeys, settings: Settings) -> CaHierarchy:
    """Create what is missing of the CA hierarchy (keys, aliases, certificates) and return it; idempotent.

    The outcomes of the module docstring; a partial run (a key made, no certificate stored) is
    completed by the next.
    """
    prefix = settings.ca_alias_prefix
    root_record = store.get("ROOT")
    if root_record is None:
        root_key = _ca_key(keys, f"{prefix}/root", settings.ca_key_spec, "root")
        certificate = root_ca_certificate(KmsSigner(root_key.key_id))
        root_record = store.put_once(_record("ROOT", root_key, f"{prefix}/root", certificate))
    root = _checked(keys, root_record)
    issuer_record = store.get("ISSUER")
    if issuer_record is None:
        issuer_key = _ca_key(keys, f"{prefix}/issuer", settings.ca_key_spec, "issuer")
        certificate = issuer_ca_certificate(
            KmsSigner(issuer_key.key_id).public_key(),
            root.certificate,
            root.signer(),
            ca_issuers=CaLocations(settings.ca_url).platform_certificate("root") if settings.ca_url else None,
        )
        issuer_record = store.put_once(_record("ISSUER", issuer_key, f"{prefix}/issuer", certificate))
    hierarchy = _chained(root, _checked(keys, issuer_record))
    _hierarchies[store] = hierarchy
    return hierarchy


def load_hierarchy(store: CaStore) -> CaHierarchy:
    """The stored CA hierarchy, cached per container and store.

    ``PreconditionFailed("ca hierarchy", state="not bootstrapped")`` before the bootstrap stored both
    CAs (nothing can be issued until it runs); ``Invalid("ca hierarchy")`` when what is stored does
    not parse or chain.
    """
    cached = _hierarchies.get(store)
    if cached is not None:
        return cached
    root, issuer = store.get("ROOT"), store.get("ISSUER")
    if root is None or issuer is None:
        raise PreconditionFailed(
            "ca hierarchy", "the CA hierarchy is not bootstrapped yet", state="not bootstrapped"
        )
    hierarchy = _chained(CaCertificate.from_record(root), CaCertificate.from_record(issuer))
    _hierarchies[store] = hierarchy
    return hierarchy


def _ca_key(keys: KmsKeys, alias: str, key_spec: str, role: str) -> KeyInfo:
    """The usable key behind ``alias``, created and aliased if there is none.

    ``Failed("kms")`` when the key behind the alias cannot sign (disabled, pending deletion, gone, not
    a signing key): an operator must repair the alias, a retry would find the same key.
    """
    key = keys.describe(alias)
    if key is None:
        created = keys.create_signing_key(key_spec, f"astca {role} CA ({alias})", {CA_TAG: alias})
        aliased = keys.ensure_alias(alias, created)
        if aliased != created:  # a concurrent bootstrap aliased its key first: use that one
            keys.schedule_deletion(created, days=ORPHAN_KEY_DELETION_DAYS)
        key = keys.describe(aliased)
    if key is None or not key.enabled or key.key_usage != "SIGN_VERIFY":
        state = "gone" if key is None else f"{key.state}, {key.key_usage}"
        raise Failed("kms", f"the key behind {alias} cannot sign ({state})")
    return key


def _record(role: CaRole, key: KeyInfo, alias: str, certificate: x509.Certificate) -> CaRecord:
    return CaRecord(
        role=role,
        key_id=key.key_id,
        key_arn=key.arn,
        alias=alias,
        certificate=certificate.public_bytes(Encoding.PEM).decode("ascii"),
        created_at=clock.utcnow().replace(microsecond=0),
        details={
            "keySpec": key.key_spec,
            "serialNumber": format(certificate.serial_number, "x"),
            "subject": certificate.subject.rfc4514_string(),
            "notBefore": clock.rfc3339(certificate.not_valid_before_utc),
            "notAfter": clock.rfc3339(certificate.not_valid_after_utc),
        },
    )


def _checked(keys: KmsKeys, record: CaRecord) -> CaCertificate:
    """The stored CA, once its alias names its key (restored if missing) and the key is the certificate's.

    ``Invalid("ca hierarchy")`` when the alias names another key or the key is not the certificate's.
    """
    ca = CaCertificate.from_record(record)
    aliased = keys.describe(record.alias)
    aliased_id = keys.ensure_alias(record.alias, record.key_id) if aliased is None else aliased.key_id
    if aliased_id != record.key_id:
        raise Invalid("ca hierarchy", f"{record.alias} names another key than the stored {record.role} CA's")
    if ca.signer().public_key() != ca.certificate.public_key():
        raise Invalid("ca hierarchy", f"the {record.role} CA certificate is not of its KMS key")
    return ca


def _chained(root: CaCertificate, issuer: CaCertificate) -> CaHierarchy:
    """Root and issuer once the root is self-signed and signed the issuer; ``Invalid("ca hierarchy")`` else."""
    try:
        root.certificate.verify_directly_issued_by(root.certificate)
        issuer.certificate.verify_directly_issued_by(root.certificate)
    except (ValueError, TypeError, InvalidSignature):
        raise Invalid("ca hierarchy", "the stored CA certificates do not chain") from None
    return CaHierarchy(root=root, issuer=issuer)
