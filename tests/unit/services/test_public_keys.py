"""Public keys on moto: password logins register a key they prove they hold, one thumbprint per tenant, owners
and key readers, expiry."""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from astca import catalog, clock
from astca.catalog import CaError
from astca.domain.public_keys import PublicKey
from astca.identity.principal import Principal
from astca.policy.public_keys import JwkPolicy
from astca.policy.weakkeys import WeakKeys
from astca.services.public_keys import PublicKeyService
from astca.storage import items
from astca.storage.dynamo import Table, deserialize
from astca.storage.public_keys import RETENTION_AFTER_EXPIRY, PublicKeyRepository
from local.resources import LocalResources
from tests.key_proofs import DeviceKey

START = datetime(2026, 11, 25, 12, 0, 0, tzinfo=UTC)
READER = "astca-key-reader"


class Clock:
    """A clock the test moves."""

    def __init__(self) -> None:
        self.moment = START

    def __call__(self) -> datetime:
        return self.moment


@pytest.fixture
def now() -> Clock:
    return Clock()


@pytest.fixture
def service(table: Table, now: Clock) -> PublicKeyService:
    policy = JwkPolicy(weak_keys=WeakKeys.disabled())
    return PublicKeyService(
        PublicKeyRepository(table),
        lambda: policy,
        default_lifetime=timedelta(days=365),
        max_lifetime=timedelta(days=730),
        reader_role=READER,
        now=now,
    )


def user(name: str = "alice", tenant: str = "acme", amr: tuple[str, ...] = ("pwd",)) -> Principal:
    return Principal(tenant=tenant, user_id=name, user_name=name, amr=amr)


def reader(tenant: str = "acme") -> Principal:
    """A service account of the IdP's client: the reader role, no password, perhaps no user."""
    return Principal(tenant=tenant, roles=frozenset({READER}))


def new_key(kind: str = "P-256") -> DeviceKey:
    return DeviceKey.generate(kind)


Register = Callable[..., PublicKey]


@pytest.fixture
def register(service: PublicKeyService, now: Clock) -> Register:
    """``register(tenant, principal, key, expires_at=None, jwk=None)``: with a proof by ``key`` made now."""

    def call(
        tenant: str,
        principal: Principal,
        key: DeviceKey,
        expires_at: str | None = None,
        *,
        jwk: dict[str, Any] | None = None,
    ) -> PublicKey:
        proof = key.proof(principal.user_id or "", tenant, iat=now().timestamp())
        return service.register(
            tenant, principal, key.public if jwk is None else jwk, expires_at, proof=proof
        )

    return call


def code(raised: pytest.ExceptionInfo[CaError]) -> int:
    return raised.value.entry.code


def fails(action: Callable[..., object], *args: Any) -> int:
    """The code of the CaError that ``action(*args)`` raises."""
    with pytest.raises(CaError) as raised:
        action(*args)
    return code(raised)


def scan(table: Table) -> list[dict[str, Any]]:
    return [deserialize(item) for item in boto3.client("dynamodb").scan(TableName=table.name)["Items"]]


def events(table: Table) -> list[tuple[str, dict[str, Any]]]:
    return sorted(
        (item["routingKey"], json.loads(item["payload"]))
        for item in scan(table)
        if item["PK"].startswith("OUTBOX#")
    )


# ---------------------------------------------------------------------------------------- registration


def test_a_password_user_registers_a_key_for_the_default_lifetime(
    register: Register, service: PublicKeyService, table: Table
) -> None:
    device = new_key()

    key = register("acme", user(), device)

    assert key.owner == "alice"
    assert key.jwk == {**device.public, "kid": key.kid}
    assert (clock.rfc3339(key.created_at), clock.rfc3339(key.expires_at)) == (
        "2026-11-25T12:00:00Z",
        "2027-11-25T12:00:00Z",
    )
    assert service.get("acme", user(), key.kid) == key
    items = {item["SK"]: item for item in scan(table) if item["PK"] == "TENANT#acme"}
    assert set(items) == {f"KEY#{key.kid}", f"USERKEY#alice#{key.kid}"}
    expected_ttl = int((START + timedelta(days=365) + RETENTION_AFTER_EXPIRY).timestamp())
    assert {item["expiresAtEpoch"] for item in items.values()} == {expected_ttl}
    assert events(table) == [
        (
            "public_key.registered",
            {
                "tenant": "acme",
                "kid": key.kid,
                "owner": "alice",
                "kty": "EC",
                "expiresAt": clock.rfc3339(key.expires_at),
                "possessionProven": True,
                "proofIat": int(START.timestamp()),
            },
        )
    ]


@pytest.mark.parametrize("amr", [(), ("otp",), ("hwk", "mfa"), ("PWD",)])
def test_without_a_password_in_amr_nothing_is_registered(
    register: Register, service: PublicKeyService, table: Table, amr: tuple[str, ...]
) -> None:
    assert fails(lambda: register("acme", user(amr=amr), new_key())) == (catalog.PASSWORD_AUTH_MISSING.code)
    assert scan(table) == []


def test_a_password_among_other_methods_is_enough(register: Register, service: PublicKeyService) -> None:
    assert register("acme", user(amr=("otp", "pwd")), new_key()).owner == "alice"


def test_a_token_without_a_user_registers_nothing(register: Register, service: PublicKeyService) -> None:
    principal = Principal(tenant="acme", amr=("pwd",))
    assert fails(lambda: register("acme", principal, new_key())) == catalog.MISSING_USER_ID.code


def test_the_password_is_checked_before_the_key(service: PublicKeyService) -> None:
    assert fails(lambda: service.register("acme", user(amr=()), {"kty": "oct"}, None, proof=None)) == (
        catalog.PASSWORD_AUTH_MISSING.code
    )
    assert (
        fails(lambda: service.register("acme", user(), {"kty": "oct"}, None, proof=None))
        == catalog.MALFORMED_FIELD.code
    )


@pytest.mark.parametrize(
    ("age", "accepted"), [(0, True), (300, True), (301, False), (-30, True), (-31, False)]
)
def test_a_proof_holds_from_30_seconds_ahead_to_300_seconds_after_its_iat(
    service: PublicKeyService, table: Table, age: int, accepted: bool
) -> None:
    key = new_key()
    proof = key.proof("alice", "acme", iat=(START - timedelta(seconds=age)).timestamp())

    def attempt() -> PublicKey:
        return service.register("acme", user(), key.public, None, proof=proof)

    if accepted:
        assert attempt().owner == "alice"
    else:
        assert fails(attempt) == catalog.MALFORMED_FIELD.code
        assert scan(table) == []


def test_without_a_proof_nothing_is_registered(service: PublicKeyService, table: Table) -> None:
    with pytest.raises(CaError) as raised:
        service.register("acme", user(), new_key().public, None, proof=None)

    assert raised.value.entry == catalog.MALFORMED_FIELD
    assert raised.value.detail.startswith("field 'proof' is required")
    assert scan(table) == []


@pytest.mark.parametrize(
    ("expires_at", "stored"),
    [
        ("2027-01-01T00:00:00Z", "2027-01-01T00:00:00Z"),
        ("2027-01-01T01:00:00.999+01:00", "2027-01-01T00:00:00Z"),
        ("2026-11-25T12:00:01Z", "2026-11-25T12:00:01Z"),
        ("2028-11-24T12:00:00Z", "2028-11-24T12:00:00Z"),  # exactly 730 days ahead
    ],
)
def test_expires_at_within_the_maximum_is_kept_to_the_second(
    register: Register, service: PublicKeyService, expires_at: str, stored: str
) -> None:
    assert clock.rfc3339(register("acme", user(), new_key(), expires_at).expires_at) == stored


@pytest.mark.parametrize(
    "expires_at",
    [
        "2026-11-25T12:00:00Z",
        "2026-11-25T12:00:00.5Z",
        "2020-01-01T00:00:00Z",
        "2028-11-24T12:00:01Z",
        "soon",
    ],
)
def test_expires_at_now_in_the_past_beyond_the_maximum_or_unreadable_is_malformed(
    register: Register, service: PublicKeyService, table: Table, expires_at: str
) -> None:
    assert fails(lambda: register("acme", user(), new_key(), expires_at)) == catalog.MALFORMED_FIELD.code
    assert scan(table) == []


# ---------------------------------------------------------------------------------------- one thumbprint per tenant


def test_a_thumbprint_is_registered_once_per_tenant(register: Register, service: PublicKeyService) -> None:
    device = new_key()
    first = register("acme", user("alice"), device)

    for principal in (user("alice"), user("bob")):
        assert fails(register, "acme", principal, device) == catalog.KEY_ALREADY_EXISTS.code
    with_kid = {**device.public, "kid": first.kid, "use": "sig"}  # the same key, written otherwise
    assert (
        fails(lambda: register("acme", user("bob"), device, jwk=with_kid)) == catalog.KEY_ALREADY_EXISTS.code
    )
    assert service.get("acme", user("alice"), first.kid) == first

    other_tenant = register("globex", user("bob", tenant="globex"), device)
    assert (other_tenant.kid, other_tenant.owner) == (first.kid, "bob")


def test_fifty_concurrent_registrations_of_one_key_store_it_once(
    register: Register, service: PublicKeyService, table: Table
) -> None:
    device = new_key("Ed25519")

    def attempt(index: int) -> int:
        try:
            register("acme", user(f"user{index}"), device)
        except CaError as error:
            return error.entry.code
        return 0

    with ThreadPoolExecutor(max_workers=16) as pool:
        outcomes = list(pool.map(attempt, range(50)))

    assert outcomes.count(0) == 1
    assert set(outcomes) - {0} == {catalog.KEY_ALREADY_EXISTS.code}
    winner = f"user{outcomes.index(0)}"
    keys = [item for item in scan(table) if item["PK"] == "TENANT#acme"]
    assert sorted(item["SK"].split("#")[0] for item in keys) == ["KEY", "USERKEY"]
    assert {item["owner"] for item in keys} == {winner}
    assert [routing_key for routing_key, _ in events(table)] == ["public_key.registered"]


# ---------------------------------------------------------------------------------------- reading


def test_only_the_owner_and_key_readers_read_a_key(register: Register, service: PublicKeyService) -> None:
    key = register("acme", user("alice"), new_key())

    assert service.get("acme", user("alice", amr=()), key.kid) == key
    assert service.get("acme", reader(), key.kid) == key
    assert fails(lambda: service.get("acme", user("bob"), key.kid)) == catalog.KEY_NOT_FOUND.code
    admin = Principal(tenant="acme", user_id="root", roles=frozenset({"astca-admin"}))
    assert fails(lambda: service.get("acme", admin, key.kid)) == catalog.KEY_NOT_FOUND.code
    assert (
        fails(lambda: service.get("acme", Principal(tenant="acme"), key.kid)) == catalog.MISSING_USER_ID.code
    )
    assert fails(lambda: service.get("globex", reader("globex"), key.kid)) == catalog.KEY_NOT_FOUND.code


@pytest.mark.parametrize("kid", ["", "x", "A" * 42, "A" * 44, "A" * 42 + "=", "../KEY#" + "A" * 36])
def test_a_kid_that_is_no_thumbprint_is_not_found(service: PublicKeyService, kid: str) -> None:
    assert fails(lambda: service.get("acme", reader(), kid)) == catalog.KEY_NOT_FOUND.code
    assert fails(lambda: service.delete("acme", user(), kid)) == catalog.KEY_NOT_FOUND.code


def test_an_expired_key_is_gone_for_its_readers_but_still_secret_for_others(
    register: Register, service: PublicKeyService, now: Clock
) -> None:
    key = register("acme", user("alice"), new_key(), "2026-11-25T13:00:00Z")
    now.moment = START + timedelta(minutes=59, seconds=59)
    assert service.get("acme", user("alice"), key.kid) == key

    now.moment = START + timedelta(hours=1)
    assert fails(lambda: service.get("acme", user("alice"), key.kid)) == catalog.KEY_EXPIRED.code
    assert fails(lambda: service.get("acme", reader(), key.kid)) == catalog.KEY_EXPIRED.code
    assert fails(lambda: service.get("acme", user("bob"), key.kid)) == catalog.KEY_NOT_FOUND.code


def test_an_expired_key_keeps_its_thumbprint_until_its_owner_deletes_it(
    register: Register, service: PublicKeyService, now: Clock
) -> None:
    device = new_key()
    key = register("acme", user(), device, "2026-11-26T00:00:00Z")
    now.moment = START + timedelta(days=2)
    assert fails(lambda: register("acme", user(), device)) == catalog.KEY_ALREADY_EXISTS.code

    service.delete("acme", user(), key.kid)

    assert clock.rfc3339(register("acme", user(), device).expires_at) == "2027-11-27T12:00:00Z"


# ---------------------------------------------------------------------------------------- lists


def test_a_user_lists_their_own_keys_a_page_at_a_time(
    register: Register, service: PublicKeyService, aws: LocalResources
) -> None:
    mine = sorted(register("acme", user("alice"), new_key()).kid for _ in range(3))
    register("acme", user("bob"), new_key())
    register("globex", user("alice", tenant="globex"), new_key())

    first, token = service.page("acme", user("alice"), limit="2", token=None, filter_text=None)
    rest, last = service.page("acme", user("alice"), limit="2", token=token, filter_text=None)

    assert [key.kid for key in first + rest] == mine
    assert (
        last is None or service.page("acme", user("alice"), limit="2", token=last, filter_text=None)[0] == []
    )
    assert fails(lambda: service.page("acme", user("bob"), limit="2", token=token, filter_text=None)) == (
        catalog.BAD_PAGINATION.code
    )


def test_an_owner_whose_id_looks_like_a_key_prefix_sees_only_their_keys(
    register: Register, service: PublicKeyService
) -> None:
    register("acme", user("a"), new_key())
    tricky = register("acme", user("a#"), new_key())
    also = register("acme", user("a%23"), new_key())

    keys, _ = service.page("acme", user("a"), limit=None, token=None, filter_text=None)
    assert [key.owner for key in keys] == ["a"]
    assert [
        key.kid for key in service.page("acme", user("a#"), limit=None, token=None, filter_text=None)[0]
    ] == [tricky.kid]
    assert [
        key.kid for key in service.page("acme", user("a%23"), limit=None, token=None, filter_text=None)[0]
    ] == [also.kid]


def test_lists_filter_by_type_and_dates(register: Register, service: PublicKeyService) -> None:
    ec_key = register("acme", user(), new_key(), "2027-01-01T00:00:00Z")
    ed_key = register("acme", user(), new_key("Ed25519"))

    def kids(filter_text: str) -> list[str]:
        keys, _ = service.page("acme", user(), limit=None, token=None, filter_text=filter_text)
        return [key.kid for key in keys]

    assert kids("kty eq 'EC'") == [ec_key.kid]
    assert kids("crv eq 'Ed25519'") == [ed_key.kid]
    assert kids("expiresAt gt '2027-06-01T00:00:00Z'") == [ed_key.kid]
    assert sorted(kids("createdAt le '2026-11-25T12:00:00Z'")) == sorted([ec_key.kid, ed_key.kid])


@pytest.mark.parametrize(
    ("query", "entry"),
    [
        ({"limit": "0"}, catalog.BAD_PAGINATION),
        ({"token": "forged"}, catalog.BAD_PAGINATION),
        ({"filter_text": "owner eq 'bob'"}, catalog.BAD_FILTER),
        ({"filter_text": "kty eq 'oct'"}, catalog.BAD_FILTER),
    ],
)
def test_bad_list_parameters(
    service: PublicKeyService, query: dict[str, str], entry: catalog.ErrorEntry
) -> None:
    arguments: dict[str, Any] = {"limit": None, "token": None, "filter_text": None, **query}
    assert fails(lambda: service.page("acme", user(), **arguments)) == entry.code


# ---------------------------------------------------------------------------------------- deletion


def test_an_owner_deletes_their_key_and_may_register_it_again(
    register: Register, service: PublicKeyService, table: Table
) -> None:
    device = new_key()
    key = register("acme", user(), device)

    service.delete("acme", user(amr=()), key.kid)

    assert fails(lambda: service.get("acme", user(), key.kid)) == catalog.KEY_NOT_FOUND.code
    assert service.page("acme", user(), limit=None, token=None, filter_text=None) == ([], None)
    assert [routing_key for routing_key, _ in events(table)] == [
        "public_key.deleted",
        "public_key.registered",
    ]
    assert ("public_key.deleted", {"tenant": "acme", "kid": key.kid, "owner": "alice"}) in events(table)
    assert register("acme", user("bob"), device).owner == "bob"


def test_nobody_deletes_another_users_key(register: Register, service: PublicKeyService) -> None:
    key = register("acme", user("alice"), new_key())

    for principal, tenant in ((user("bob"), "acme"), (user("alice", tenant="globex"), "globex")):
        assert fails(service.delete, tenant, principal, key.kid) == catalog.KEY_NOT_FOUND.code
    assert fails(lambda: service.delete("acme", reader(), key.kid)) == catalog.MISSING_USER_ID.code
    assert service.get("acme", user("alice"), key.kid) == key


def test_the_stored_record_reads_back(register: Register, service: PublicKeyService, table: Table) -> None:
    device = new_key()
    key = register("acme", user(), device, jwk={**device.public, "alg": "ES256", "key_ops": ["verify"]})
    item = table.get("TENANT#acme", f"KEY#{key.kid}")
    assert item is not None
    assert items.from_item(PublicKey, item) == key
    assert key.expired(key.expires_at)
    assert not key.expired(START)
