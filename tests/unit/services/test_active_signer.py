"""The one active-signer model: one table from the current signer's state to every caller's answer."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

from astca import catalog
from astca.catalog import CaError
from astca.domain.errors import Failed, PreconditionFailed
from astca.domain.signers import Signer, SignerPointer, SignerState
from astca.services.active_signer import OUTCOMES, ActiveSigner, ActiveSigners, blocks_creation, refusal
from tests.pki import self_signed

NOW = datetime(2026, 12, 3, tzinfo=UTC)


@dataclass
class FakeSigners:
    """A tenant's pointer and signers, counting reads."""

    signers: dict[str, Signer] = field(default_factory=dict)
    current: str | None = None
    reads: int = 0

    def pointer(self, tenant: str) -> SignerPointer | None:  # noqa: ARG002 - one tenant
        self.reads += 1
        if self.current is None:
            return None
        return SignerPointer(current_id=self.current, current_state=self.signers[self.current].state)

    def get(self, tenant: str, signer_id: str) -> Signer | None:  # noqa: ARG002 - one tenant
        return self.signers.get(signer_id)


def _signer(signer_id: str, state: SignerState) -> Signer:
    return Signer(
        tenant="acme",
        id=signer_id,
        name="devices",
        state=state,
        generation=1,
        created_at=NOW,
        updated_at=NOW,
        certificate=self_signed("signer") if state is SignerState.ISSUED else None,
        kms_key_id="key-" + signer_id if state is SignerState.ISSUED else None,
    )


def _service(fake: FakeSigners, clock: list[float] | None = None) -> ActiveSigners:
    ticks = clock if clock is not None else [0.0]
    return ActiveSigners(fake, ttl=60, monotonic=lambda: ticks[0])  # type: ignore[arg-type]


def test_every_state_has_one_answer() -> None:
    assert set(OUTCOMES) == {*SignerState, None}
    assert OUTCOMES[SignerState.ISSUED] is None


@pytest.mark.parametrize("state", [SignerState.PENDING, SignerState.FAILED, SignerState.REVOKED, None])
def test_the_request_path_and_the_signing_path_give_the_same_answer(state: SignerState | None) -> None:
    fake = FakeSigners()
    if state is not None:
        fake.signers["s1"] = _signer("s1", state)
        fake.current = "s1"
    accepted = refusal("acme", state.value if state else None)  # what a request's accept condition found
    with pytest.raises(CaError) as loaded:  # what the worker and SDK configs load
        _service(fake).get("acme")
    assert accepted is not None
    assert loaded.value.entry is accepted.entry is OUTCOMES[state]


def test_a_failed_signer_is_5104043_everywhere() -> None:
    assert OUTCOMES[SignerState.FAILED] is catalog.SIGNER_NOT_FOUND_FOR_TENANT
    assert refusal("acme", "FAILED") is not None
    assert refusal("acme", "FAILED").entry is catalog.SIGNER_NOT_FOUND_FOR_TENANT  # type: ignore[union-attr]


def test_an_unknown_state_is_no_signer() -> None:
    error = refusal("acme", "SOMETHING-NEW")
    assert error is not None
    assert error.entry is catalog.SIGNER_NOT_FOUND_FOR_TENANT


def test_the_signer_is_cached_and_read_again_after_the_ttl() -> None:
    fake = FakeSigners({"s1": _signer("s1", SignerState.ISSUED)}, current="s1")
    ticks = [0.0]
    signers = _service(fake, ticks)
    assert signers.get("acme").id == "s1"
    assert signers.get("acme").id == "s1"
    assert fake.reads == 1
    ticks[0] = 61.0
    signers.get("acme")
    assert fake.reads == 2


@pytest.mark.parametrize(
    "failure", [Failed("kms", "DisabledException"), PreconditionFailed("signer", "left ISSUED")]
)
def test_a_cached_signer_that_fails_is_looked_up_once_more(failure: Exception) -> None:
    fake = FakeSigners({"s1": _signer("s1", SignerState.ISSUED)}, current="s1")
    signers = _service(fake)
    signers.get("acme")  # cached
    fake.signers["s2"] = _signer("s2", SignerState.ISSUED)
    fake.current = "s2"  # rotated meanwhile
    used: list[str] = []

    def sign(signer: ActiveSigner) -> str:
        used.append(signer.id)
        if signer.id == "s1":
            raise failure
        return signer.id

    assert signers.signing("acme", sign) == "s2"
    assert used == ["s1", "s2"]


def test_a_revoked_cached_signer_answers_51041() -> None:
    fake = FakeSigners({"s1": _signer("s1", SignerState.ISSUED)}, current="s1")
    signers = _service(fake)
    signers.get("acme")
    fake.signers["s1"] = _signer("s1", SignerState.REVOKED)

    def sign(_: ActiveSigner) -> str:
        raise Failed("kms", "DisabledException")

    with pytest.raises(CaError) as raised:
        signers.signing("acme", sign)
    assert raised.value.entry is catalog.SIGNER_REVOKED


def test_a_fresh_signer_that_fails_is_not_tried_twice() -> None:
    fake = FakeSigners({"s1": _signer("s1", SignerState.ISSUED)}, current="s1")
    calls: list[str] = []

    def sign(signer: ActiveSigner) -> str:
        calls.append(signer.id)
        raise Failed("kms", "AccessDeniedException")

    with pytest.raises(Failed):
        _service(fake).signing("acme", sign)
    assert calls == ["s1"]


@pytest.mark.parametrize(
    ("pointer", "blocks"),
    [
        (None, False),
        (SignerPointer(current_id="s", current_state=SignerState.ISSUED), True),
        (SignerPointer(current_id="s", current_state=SignerState.PENDING), True),
        (SignerPointer(current_id="s", current_state=SignerState.FAILED), False),
        (SignerPointer(current_id="s", current_state=SignerState.REVOKED), False),
        (SignerPointer(current_id="s", current_state=SignerState.REVOKED, pending_id="t"), True),
    ],
)
def test_a_signer_in_service_blocks_creating_another(pointer: SignerPointer | None, blocks: bool) -> None:
    assert blocks_creation(pointer) is blocks
