"""The one record <-> item convention: camelCase attributes, RFC 3339 timestamps, flat nested records."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from astca.domain.ca import CaRecord
from astca.domain.certificates import CertificateRecord, CertificateState, DeviceSubject
from astca.domain.public_keys import PublicKey
from astca.domain.sessions import SessionKeyRecord, SessionOwner
from astca.domain.signers import Signer, SignerPointer, SignerState
from astca.storage import items

NOW = datetime(2026, 12, 3, 9, 30, 15, tzinfo=UTC)
moments = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31), timezones=st.just(UTC)
).map(lambda moment: moment.replace(microsecond=0))
texts = st.text(st.characters(codec="utf-8"), min_size=1, max_size=20)


def test_attributes_are_camel_case_and_timestamps_rfc_3339() -> None:
    signer = Signer("acme", "S1", "devices", SignerState.ISSUED, 2, NOW, NOW, issued_at=NOW, kms_key_id="k")
    assert items.to_item(signer) == {
        "tenant": "acme",
        "id": "S1",
        "name": "devices",
        "state": "ISSUED",
        "generation": 2,
        "createdAt": "2026-12-03T09:30:15Z",
        "updatedAt": "2026-12-03T09:30:15Z",
        "issuedAt": "2026-12-03T09:30:15Z",
        "kmsKeyId": "k",
    }


def test_a_nested_record_is_stored_flat() -> None:
    record = CertificateRecord(
        "acme",
        "C1",
        CertificateState.PENDING,
        "AST_DEVICE",
        "ab",
        NOW,
        DeviceSubject("client", "user"),
        NOW,
        NOW,
    )
    item = items.to_item(record)
    assert (item["clientId"], item["userId"]) == ("client", "user")
    assert "subject" not in item
    assert items.from_item(CertificateRecord, item) == record


@given(
    tenant=texts,
    name=texts,
    state=st.sampled_from(SignerState),
    generation=st.integers(1, 10**6),
    created=moments,
    issued=st.none() | moments,
    certificate=st.none() | texts,
)
def test_signers_survive_the_round_trip(
    tenant: str,
    name: str,
    state: SignerState,
    generation: int,
    created: datetime,
    issued: datetime | None,
    certificate: str | None,
) -> None:
    signer = Signer(
        tenant, "S", name, state, generation, created, created, issued_at=issued, certificate=certificate
    )
    assert items.from_item(Signer, items.to_item(signer)) == signer


@given(created=moments, lifetime=st.integers(1, 10**7), wrapped=st.binary(min_size=1, max_size=64))
def test_every_record_kind_survives_the_round_trip(created: datetime, lifetime: int, wrapped: bytes) -> None:
    expires = created + timedelta(seconds=lifetime)
    records = [
        SessionKeyRecord("K", SessionOwner("acme", "user", "client"), created, expires, wrapped),
        PublicKey(
            "acme",
            "kid",
            {"kty": "OKP", "crv": "Ed25519", "x": "AA"},
            "user",
            "OKP",
            "Ed25519",
            created,
            expires,
        ),
        CaRecord("ROOT", "key", "arn", "alias/astca/root", "PEM", created, {"serial": "01"}),
        SignerPointer("S1", SignerState.ISSUED, None, 3, 7),
    ]
    for record in records:
        assert items.from_item(type(record), items.to_item(record)) == record


def test_timestamps_in_items_are_read_back_as_aware_datetimes() -> None:
    record = items.from_item(SignerPointer, {"currentId": "S1", "currentState": "PENDING"})
    assert record == SignerPointer("S1", SignerState.PENDING)
    signer = items.from_item(
        Signer,
        {
            "tenant": "t",
            "id": "S",
            "name": "n",
            "state": "FAILED",
            "generation": 1,
            "createdAt": "2026-12-03T09:30:15Z",
            "updatedAt": "2026-12-03T09:30:15+00:00",
        },
    )
    assert signer.created_at == signer.updated_at == NOW
    assert signer.created_at.tzinfo is not None
