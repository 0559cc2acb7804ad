"""Fixtures of the issuance tests: KMS keys on the session's moto, and a record of what Sign was sent."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from astca import aws
from astca.issuance.kms import KmsKeys, KmsSigner


@pytest.fixture
def keys() -> KmsKeys:
    """Key management on the empty moto of this test (conftest's autouse ``_fresh_backends``)."""
    return KmsKeys()


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
