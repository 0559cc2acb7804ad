"""The CA hierarchy's bootstrap, as the bootstrap custom resource runs it at deploy time."""

from __future__ import annotations

from functools import cache

from astca import catalog
from astca.catalog import CaError
from astca.domain.errors import DomainError
from astca.issuance.hierarchy import CaHierarchy, bootstrap_ca, load_hierarchy
from astca.issuance.kms import KmsKeys
from astca.settings import get_settings
from astca.storage.ca import CaRepository
from astca.storage.dynamo import Table


class HierarchyService:
    """Creates the root and issuer CA in KMS once; every later run finds them and changes nothing."""

    def __init__(self, store: CaRepository, keys: KmsKeys) -> None:
        self.store = store
        self.keys = keys

    @property
    def physical_id(self) -> str:
        """One hierarchy per table and alias prefix: the same physical id on every Create and Update."""
        return f"ca-hierarchy:{get_settings().ca_alias_prefix}"

    def bootstrap(self) -> dict[str, str]:
        """Bootstrap (idempotently) and return what ``!GetAtt`` can read; 5105003 SignerError if it cannot."""
        try:
            hierarchy = bootstrap_ca(self.store, self.keys, get_settings())
        except DomainError as error:
            raise CaError(catalog.SIGNER_ERROR, error.detail) from error
        return hierarchy_data(hierarchy)


def hierarchy_data(hierarchy: CaHierarchy) -> dict[str, str]:
    """The CA keys' ids and ARNs, as the custom resource's ``Data``."""
    return {
        "RootKeyId": hierarchy.root.key_id,
        "RootKeyArn": hierarchy.root.key_arn,
        "IssuerKeyId": hierarchy.issuer.key_id,
        "IssuerKeyArn": hierarchy.issuer.key_arn,
    }


@cache
def ca_store() -> CaRepository:
    """The CA items of this container's table."""
    return CaRepository(Table(get_settings().table_name))


def ca_hierarchy() -> CaHierarchy:
    """The bootstrap's root and issuer CA, read and checked once per container."""
    return load_hierarchy(ca_store())


@cache
def hierarchy_service() -> HierarchyService:
    """The hierarchy service of this container."""
    return HierarchyService(ca_store(), KmsKeys())
