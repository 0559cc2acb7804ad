"""The CA hierarchy: a root CA and an issuer CA whose keys live in KMS, created once by ``bootstrap_ca``.

``bootstrap_ca`` is idempotent. The KMS aliases ``{prefix}/root`` and ``{prefix}/issuer`` name the
keys: a key behind an existing alias is reused, a missing one is created (tagged ``astca:ca`` =
its alias) and aliased. The alias is the race guard between concurrent runs: the run whose
CreateAlias loses schedules its own new key for deletion and uses the alias's. Certificates are
stored once (``storage.ca``); a second run finds them, checks that each alias still names the
certificate's key, and returns what is stored without writing anything. Deleting a CA key is an
operator's decision and is never done here.

``load_hierarchy`` is the reader for everyone else: the stored certificates, checked to chain, cached
per container (they never change after the bootstrap).
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.serialization import Encoding

from astca import catalog, clock
from astca.catalog import CaError
from astca.issuance.certificates import issuer_ca_certificate, root_ca_certificate
from astca.issuance.kms import KeyInfo, KmsKeys, KmsSigner
from astca.settings import Settings
from astca.storage.ca import CaRecord, CaRepository, CaRole
from astca.storage.dynamo import Table

CA_TAG = "astca:ca"  # on every CA key the bootstrap creates: the alias it was created for
ORPHAN_KEY_DELETION_DAYS = 7  # a key that lost the alias race signed nothing: KMS's shortest window

_hierarchies: dict[str, CaHierarchy] = {}


@dataclass(frozen=True)
class CaCertificate:
    """One CA: its certificate and the KMS key that signs for it."""

    role: CaRole
    key_id: str
    key_arn: str
    alias: str
    certificate: x509.Certificate
    created_at: str

    @property
    def pem(self) -> str:
        """The certificate as PEM."""
        return self.certificate.public_bytes(Encoding.PEM).decode("ascii")

    def signer(self) -> KmsSigner:
        """A signer with this CA's key."""
        return KmsSigner(self.key_id)

    @classmethod
    def from_record(cls, record: CaRecord) -> CaCertificate:
        """The CA a stored record describes (SignerError if its certificate does not parse)."""
        try:
            certificate = x509.load_pem_x509_certificate(record.certificate_pem.encode("ascii"))
        except ValueError:
            raise CaError(
                catalog.SIGNER_ERROR, f"the stored {record.role} CA certificate is not PEM"
            ) from None
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


def bootstrap_ca(table: Table, keys: KmsKeys, settings: Settings) -> CaHierarchy:
    """Create what is missing of the CA hierarchy (keys, aliases, certificates) and return it; idempotent."""
    repository = CaRepository(table)
    prefix = settings.ca_alias_prefix
    root_record = repository.get("ROOT")
    if root_record is None:
        root_key = _ca_key(keys, f"{prefix}/root", settings.ca_key_spec, "root")
        certificate = root_ca_certificate(KmsSigner(root_key.key_id))
        root_record = repository.put_once(_record("ROOT", root_key, f"{prefix}/root", certificate))
    root = _checked(keys, root_record)
    issuer_record = repository.get("ISSUER")
    if issuer_record is None:
        issuer_key = _ca_key(keys, f"{prefix}/issuer", settings.ca_key_spec, "issuer")
        certificate = issuer_ca_certificate(
            KmsSigner(issuer_key.key_id).public_key(), root.certificate, root.signer()
        )
        issuer_record = repository.put_once(_record("ISSUER", issuer_key, f"{prefix}/issuer", certificate))
    hierarchy = _chained(root, _checked(keys, issuer_record))
    _hierarchies[table.name] = hierarchy
    return hierarchy


def load_hierarchy(table: Table) -> CaHierarchy:
    """The stored CA hierarchy, cached per container (SignerError before the bootstrap stored it)."""
    cached = _hierarchies.get(table.name)
    if cached is not None:
        return cached
    repository = CaRepository(table)
    root, issuer = repository.get("ROOT"), repository.get("ISSUER")
    if root is None or issuer is None:
        raise CaError(catalog.SIGNER_ERROR, "the CA hierarchy is not bootstrapped yet")
    hierarchy = _chained(CaCertificate.from_record(root), CaCertificate.from_record(issuer))
    _hierarchies[table.name] = hierarchy
    return hierarchy


def forget_hierarchies() -> None:
    """Empty the per-container cache of ``load_hierarchy`` (tests whose table starts empty again)."""
    _hierarchies.clear()


def _ca_key(keys: KmsKeys, alias: str, key_spec: str, role: str) -> KeyInfo:
    """The usable key behind ``alias``, created and aliased if there is none."""
    key = keys.describe(alias)
    if key is None:
        created = keys.create_signing_key(key_spec, f"astca {role} CA ({alias})", {CA_TAG: alias})
        aliased = keys.ensure_alias(alias, created)
        if aliased != created:  # a concurrent bootstrap aliased its key first: use that one
            keys.schedule_deletion(created, days=ORPHAN_KEY_DELETION_DAYS)
        key = keys.describe(aliased)
    if key is None or not key.enabled or key.key_usage != "SIGN_VERIFY":
        state = "gone" if key is None else f"{key.state}, {key.key_usage}"
        raise CaError(catalog.SIGNER_ERROR, f"the key behind {alias} cannot sign ({state})")
    return key


def _record(role: CaRole, key: KeyInfo, alias: str, certificate: x509.Certificate) -> CaRecord:
    return CaRecord(
        role=role,
        key_id=key.key_id,
        key_arn=key.arn,
        alias=alias,
        certificate_pem=certificate.public_bytes(Encoding.PEM).decode("ascii"),
        created_at=clock.rfc3339(clock.utcnow()),
        details={
            "keySpec": key.key_spec,
            "serialNumber": format(certificate.serial_number, "x"),
            "subject": certificate.subject.rfc4514_string(),
            "notBefore": clock.rfc3339(certificate.not_valid_before_utc),
            "notAfter": clock.rfc3339(certificate.not_valid_after_utc),
        },
    )


def _checked(keys: KmsKeys, record: CaRecord) -> CaCertificate:
    """The stored CA, once its alias names its key (restored if missing) and the key is the certificate's."""
    ca = CaCertificate.from_record(record)
    aliased = keys.describe(record.alias)
    aliased_id = keys.ensure_alias(record.alias, record.key_id) if aliased is None else aliased.key_id
    if aliased_id != record.key_id:
        raise CaError(
            catalog.SIGNER_ERROR, f"{record.alias} names another key than the stored {record.role} CA's"
        )
    if ca.signer().public_key() != ca.certificate.public_key():
        raise CaError(catalog.SIGNER_ERROR, f"the {record.role} CA certificate is not of its KMS key")
    return ca


def _chained(root: CaCertificate, issuer: CaCertificate) -> CaHierarchy:
    try:
        root.certificate.verify_directly_issued_by(root.certificate)
        issuer.certificate.verify_directly_issued_by(root.certificate)
    except (ValueError, TypeError, InvalidSignature):
        raise CaError(catalog.SIGNER_ERROR, "the stored CA certificates do not chain") from None
    return CaHierarchy(root=root, issuer=issuer)
