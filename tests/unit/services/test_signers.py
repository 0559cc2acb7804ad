"""The signer lifecycle on moto: one current signer per tenant, rotation, revocation, deletion, isolation."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest

from astca import catalog, clock
from astca.catalog import CaError
from astca.domain.signers import Signer, SignerState
from astca.services.signers import SignerService
from astca.storage.dynamo import Table, deserialize
from astca.storage.signers import SignerRepository
from tests.pki import self_signed


class FakeKeys:
    """Records what the lifecycle asked of KMS."""

    def __init__(self) -> None:
        self.disabled: list[str] = []
        self.deleted: list[str] = []

    def disable(self, key_id: str) -> None:
        self.disabled.append(key_id)

    def schedule_deletion(self, key_id: str) -> None:
        self.deleted.append(key_id)


@pytest.fixture
def keys() -> FakeKeys:
    return FakeKeys()


@pytest.fixture
def service(table: Table, keys: FakeKeys) -> SignerService:
    return SignerService(SignerRepository(table), lambda: keys)


def code(error: pytest.ExceptionInfo[CaError]) -> int:
    return error.value.entry.code


def issue(service: SignerService, signer: Signer, key_id: str = "key-1") -> Signer:
    """Do what the issue_signer worker does, with a stand-in certificate."""
    repository = service.repository
    assert repository.attach_key(signer, key_id)
    pointer = repository.pointer(signer.tenant)
    assert pointer is not None
    repository.mark_issued(
        signer, pointer, certificate=self_signed(), serial="0a", now=clock.utcnow(), events=[]
    )
    return service.get(signer.tenant, signer.id)


def outbox(table: Table) -> list[tuple[str, dict[str, object]]]:
    """The events in the table's outbox, by routing key."""
    scanned = map(deserialize, boto3.client("dynamodb").scan(TableName=table.name)["Items"])
    events = [
        (item["routingKey"], json.loads(item["payload"]))
        for item in scanned
        if item["PK"].startswith("OUTBOX#")
    ]
    return sorted(events, key=lambda event: event[0])


def test_a_new_signer_is_pending_current_and_requested(service: SignerService, table: Table) -> None:
    signer = service.create("acme", "Acme devices")
    assert (signer.state, signer.generation, signer.name) == (SignerState.PENDING, 1, "Acme devices")
    assert service.current("acme") == signer
    assert outbox(table) == [
        (
            "signer.created",
            {
                "tenant": "acme",
                "signerId": signer.id,
                "name": "Acme devices",
                "generation": 1,
                "rotate": False,
            },
        ),
        ("signer.requested", {"tenant": "acme", "signerId": signer.id}),
    ]


def test_a_second_signer_is_refused_while_one_is_pending_or_issued(service: SignerService) -> None:
    first = service.create("acme", "one")
    with pytest.raises(CaError) as pending:
        service.create("acme", "two")
    assert code(pending) == catalog.SIGNER_ALREADY_EXISTS.code
    issue(service, first)
    with pytest.raises(CaError) as issued:
        service.create("acme", "two")
    assert code(issued) == catalog.SIGNER_ALREADY_EXISTS.code


def test_after_revocation_a_new_signer_may_be_created(service: SignerService, keys: FakeKeys) -> None:
    first = issue(service, service.create("acme", "one"))
    revoked = service.revoke("acme", first.id, "superseded")
    assert revoked.state is SignerState.REVOKED
    assert revoked.revocation_reason == "superseded"
    assert keys.disabled == ["key-1"]
    second = service.create("acme", "two")
    assert second.generation == 2
    assert service.current("acme").id == second.id


def test_revoking_twice_is_signer_revoked(service: SignerService) -> None:
    signer = service.create("acme", "one")
    service.revoke("acme", signer.id, "unspecified")
    with pytest.raises(CaError) as again:
        service.revoke("acme", signer.id, "unspecified")
    assert code(again) == catalog.SIGNER_REVOKED.code


def test_rotation_adds_a_successor_that_takes_over_once_issued(service: SignerService) -> None:
    first = issue(service, service.create("acme", "one"))
    successor = service.create("acme", "two", rotate=True)
    assert service.current("acme").id == first.id  # the predecessor serves until the successor is issued
    with pytest.raises(CaError) as twice:
        service.create("acme", "three", rotate=True)
    assert code(twice) == catalog.SIGNER_ALREADY_EXISTS.code
    issue(service, successor, key_id="key-2")
    assert service.current("acme").id == successor.id
    assert service.get("acme", first.id).state is SignerState.ISSUED  # valid until revoked


def test_rotation_needs_an_issued_current_signer(service: SignerService) -> None:
    with pytest.raises(CaError) as none:
        service.create("acme", "x", rotate=True)
    assert code(none) == catalog.SIGNER_NOT_FOUND_FOR_TENANT.code
    service.create("acme", "one")
    with pytest.raises(CaError) as pending:
        service.create("acme", "x", rotate=True)
    assert code(pending) == catalog.SIGNER_NOT_YET_ISSUED.code


def test_an_unused_signer_is_deleted_and_its_key_scheduled_for_deletion(
    service: SignerService, keys: FakeKeys
) -> None:
    signer = issue(service, service.create("acme", "one"))
    service.delete("acme", signer.id)
    assert keys.deleted == ["key-1"]
    with pytest.raises(CaError) as gone:
        service.get("acme", signer.id)
    assert code(gone) == catalog.SIGNER_NOT_FOUND.code
    with pytest.raises(CaError) as no_current:
        service.current("acme")
    assert code(no_current) == catalog.SIGNER_NOT_FOUND_FOR_TENANT.code


def test_a_signer_that_issued_anything_cannot_be_deleted(
    service: SignerService, table: Table, keys: FakeKeys
) -> None:
    signer = issue(service, service.create("acme", "one"))
    table.update(
        "TENANT#acme", f"USAGE#SIGNER#{signer.id}", update="ADD issuedCount :one", values={":one": 1}
    )
    with pytest.raises(CaError) as in_use:
        service.delete("acme", signer.id)
    assert code(in_use) == catalog.SIGNER_ALREADY_IN_USE.code
    assert keys.deleted == []
    assert service.get("acme", signer.id).state is SignerState.ISSUED


def test_other_tenants_signers_are_invisible(service: SignerService) -> None:
    signer = service.create("acme", "one")
    with pytest.raises(CaError) as other:
        service.get("globex", signer.id)
    assert code(other) == catalog.SIGNER_NOT_FOUND.code
    with pytest.raises(CaError) as revoke:
        service.revoke("globex", signer.id, "unspecified")
    assert code(revoke) == catalog.SIGNER_NOT_FOUND.code
    assert service.page("globex", limit=None, token=None, filter_text=None) == ([], None)


@pytest.mark.parametrize("signer_id", ["nope", "../x", "01ARZ3NDEKTSV4RRFFQ69G5FA"])
def test_ids_that_are_no_ulid_are_not_found(service: SignerService, signer_id: str) -> None:
    with pytest.raises(CaError) as missing:
        service.get("acme", signer_id)
    assert code(missing) == catalog.SIGNER_NOT_FOUND.code


def test_fifty_concurrent_creations_make_exactly_one_signer(service: SignerService) -> None:
    def attempt(index: int) -> int:
        try:
            service.create("acme", f"signer {index}")
        except CaError as error:
            return error.entry.code
        return 0

    with ThreadPoolExecutor(max_workers=16) as pool:
        outcomes = list(pool.map(attempt, range(50)))
    assert outcomes.count(0) == 1
    assert set(outcomes) - {0} <= {catalog.SIGNER_ALREADY_EXISTS.code, catalog.SIGNER_CREATION_CONFLICT.code}
    signers, _ = service.repository.page("acme", limit=100, token=None, where=None)
    assert len(signers) == 1
