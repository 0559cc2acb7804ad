"""Fixtures of the issuance tests: KMS keys on the session's moto, the CA hierarchy, and what Sign was sent.

``ca`` here bootstraps the hierarchy with ``issuance.hierarchy.bootstrap_ca`` itself (the session-wide
``ca`` of tests/conftest.py runs the bootstrap function, whose service layer these tests do not test).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from astca import aws
from astca.issuance.hierarchy import bootstrap_ca
from astca.issuance.kms import KmsKeys, KmsSigner
from astca.settings import get_settings
from astca.storage.ca import CaRepository
from astca.storage.dynamo import Table
from local.resources import LocalResources


@pytest.fixture
def keys() -> KmsKeys:
    """Key management on the empty moto of this test (conftest's autouse ``_fresh_backends``)."""
    return KmsKeys()


@pytest.fixture
def ca(aws: LocalResources) -> LocalResources:
    """``aws`` with the CA hierarchy bootstrapped in its table (root and issuer CA keys in KMS)."""
    bootstrap_ca(CaRepository(Table(aws.tables["Table"])), KmsKeys(), get_settings())
    return aws


@pytest.fixture
def new_signer(keys: KmsKeys) -> Callable[..., KmsSigner]:
    """Make a signer with a fresh KMS key (ECC_NIST_P256 unless told)."""

    def make(key_spec: str = "ECC_NIST_P256") -> KmsSigner:
        return KmsSigner(keys.create_signing_key(key_spec, f"test {key_spec}", {"astca:test": "yes"}))

    return make


@pytest.fixture
def sign_requests() -> Iterator[list[dict[str, Any]]]:
    """The parameters of every KMS Sign request this test sends, in order."""
    sent: list[dict[str, Any]] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        sent.append(dict(params))

    events = aws.kms().meta.events
    events.register("provide-client-params.kms.Sign", record)
    try:
        yield sent
    finally:
        events.unregister("provide-client-params.kms.Sign", record)
