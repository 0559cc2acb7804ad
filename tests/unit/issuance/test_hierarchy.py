"""bootstrap_ca creates the CA hierarchy once, and every later or concurrent run finds it unchanged."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding

from astca import aws, clock
from astca.domain.errors import Failed, Invalid, PreconditionFailed
from astca.issuance import hierarchy as hierarchy_module
from astca.issuance.certificates import root_ca_certificate
from astca.issuance.hierarchy import CA_TAG, bootstrap_ca, load_hierarchy
from astca.issuance.kms import KmsKeys, KmsSigner
from astca.settings import Settings, get_settings
from astca.storage.ca import CA_PK, CaRepository
from astca.storage.dynamo import Table
from local.resources import LocalResources


@pytest.fixture
def settings() -> Settings:
    return get_settings()


@pytest.fixture
def calls() -> Iterator[list[str]]:
    """The AWS operations (``kms.Sign``, ``dynamodb.PutItem`` ...) sent during the test."""
    sent: list[str] = []

    def record(model: Any, **_: Any) -> None:
        sent.append(f"{model.service_model.endpoint_prefix}.{model.name}")

    clients = (aws.kms(), aws.dynamodb())
    for client in clients:
        client.meta.events.register("before-call", record)
    try:
        yield sent
    finally:
        for client in clients:
            client.meta.events.unregister("before-call", record)


def kms_keys() -> list[str]:
    """The signing keys: the template's own keys (session encryption) encrypt."""
    kms = aws.kms()
    return sorted(
        key["KeyId"]
        for key in kms.list_keys()["Keys"]
        if kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyUsage"] == "SIGN_VERIFY"
    )


def alias_target(alias: str) -> str:
    return str(aws.kms().describe_key(KeyId=alias)["KeyMetadata"]["KeyId"])


def test_the_first_run_creates_both_keys_aliases_and_certificates(table: Table, settings: Settings) -> None:
    ca = bootstrap_ca(CaRepository(table), KmsKeys(), settings)

    assert settings.ca_alias_prefix == "alias/astca"
    assert alias_target("alias/astca/root") == ca.root.key_id
    assert alias_target("alias/astca/issuer") == ca.issuer_key_id
    assert kms_keys() == sorted([ca.root.key_id, ca.issuer.key_id])
    for role in (ca.root, ca.issuer):
        metadata = aws.kms().describe_key(KeyId=role.key_id)["KeyMetadata"]
        assert (metadata["KeySpec"], metadata["KeyUsage"], metadata["Arn"]) == (
            "ECC_NIST_P256",
            "SIGN_VERIFY",
            role.key_arn,
        )
        tags = aws.kms().list_resource_tags(KeyId=role.key_id)["Tags"]
        assert tags == [{"TagKey": CA_TAG, "TagValue": role.alias}]
    ca.issuer.certificate.verify_directly_issued_by(ca.root.certificate)
    assert ca.chain_pem == ca.issuer_pem + ca.root_pem


def test_the_certificates_are_stored_as_ca_items(table: Table, settings: Settings) -> None:
    ca = bootstrap_ca(CaRepository(table), KmsKeys(), settings)

    root, issuer = table.get(CA_PK, "ROOT"), table.get(CA_PK, "ISSUER")

    assert root is not None
    assert issuer is not None
    assert (root["keyId"], root["alias"], root["certificate"]) == (
        ca.root.key_id,
        "alias/astca/root",
        ca.root_pem,
    )
    assert (issuer["keyId"], issuer["keyArn"], issuer["certificate"]) == (
        ca.issuer_key_id,
        ca.issuer.key_arn,
        ca.issuer_pem,
    )
    assert root["createdAt"].endswith("Z")
    stored_root, stored_issuer = CaRepository(table).get("ROOT"), CaRepository(table).get("ISSUER")
    assert stored_root is not None
    assert stored_issuer is not None
    assert stored_issuer.details == {
        "keySpec": "ECC_NIST_P256",
        "serialNumber": format(ca.issuer.certificate.serial_number, "x"),
        "subject": "CN=astca Issuer CA,O=astca",
        "notBefore": clock.rfc3339(ca.issuer.certificate.not_valid_before_utc),
        "notAfter": clock.rfc3339(ca.issuer.certificate.not_valid_after_utc),
    }
    assert (stored_root.details or {})["keySpec"] == "ECC_NIST_P256"
    assert stored_root.created_at == ca.root.created_at


def test_a_second_run_changes_nothing(table: Table, settings: Settings, calls: list[str]) -> None:
    first = bootstrap_ca(CaRepository(table), KmsKeys(), settings)
    keys_before = kms_keys()
    calls.clear()

    second = bootstrap_ca(CaRepository(table), KmsKeys(), settings)

    assert second == first
    assert (second.root_pem, second.issuer_pem) == (first.root_pem, first.issuer_pem)
    assert kms_keys() == keys_before
    assert not {"kms.CreateKey", "kms.CreateAlias", "kms.Sign", "dynamodb.PutItem"} & set(calls), calls


def test_the_hierarchy_is_read_once_per_container(table: Table, settings: Settings, calls: list[str]) -> None:
    stored = bootstrap_ca(CaRepository(table), KmsKeys(), settings)
    hierarchy_module._hierarchies.clear()
    calls.clear()

    store = CaRepository(table)  # one store per container: its hierarchy is read once
    first, second = load_hierarchy(store), load_hierarchy(store)

    assert first == second == stored
    assert calls == ["dynamodb.GetItem", "dynamodb.GetItem"]


def test_each_store_has_its_own_cache_entry(table: Table, settings: Settings, calls: list[str]) -> None:
    bootstrap_ca(CaRepository(table), KmsKeys(), settings)
    calls.clear()

    first = load_hierarchy(CaRepository(table))
    second = load_hierarchy(CaRepository(table))

    assert first == second
    assert calls == ["dynamodb.GetItem"] * 4  # a store made per call is read per call: keep one per container


def test_the_bootstrap_fills_the_cache_of_its_store(
    table: Table, settings: Settings, calls: list[str]
) -> None:
    store = CaRepository(table)
    ca = bootstrap_ca(store, KmsKeys(), settings)
    calls.clear()

    assert load_hierarchy(store) is ca
    assert calls == []


def test_nothing_is_served_before_the_bootstrap(table: Table) -> None:
    with pytest.raises(PreconditionFailed) as error:
        load_hierarchy(CaRepository(table))

    assert (error.value.subject, error.value.state) == ("ca hierarchy", "not bootstrapped")
    assert "not bootstrapped" in error.value.detail


def test_a_run_that_stopped_after_creating_a_key_reuses_it(table: Table, settings: Settings) -> None:
    # Given a root key and alias, and no certificate (a run that died in between)
    keys = KmsKeys()
    root_key = keys.create_signing_key("ECC_NIST_P256", "left over", {CA_TAG: "alias/astca/root"})
    keys.ensure_alias("alias/astca/root", root_key)

    # When the bootstrap runs again
    ca = bootstrap_ca(CaRepository(table), keys, settings)

    # Then that key is the root's, and only the issuer key is new
    assert ca.root.key_id == root_key
    assert len(kms_keys()) == 2


class RacingKeys(KmsKeys):
    """A concurrent bootstrap aliases its own key just before this one's CreateAlias."""

    def __init__(self) -> None:
        self.winners: dict[str, str] = {}

    def ensure_alias(self, alias: str, key_id: str) -> str:
        if alias not in self.winners:
            winner = self.create_signing_key("ECC_NIST_P256", "the other run's", {CA_TAG: alias})
            super().ensure_alias(alias, winner)
            self.winners[alias] = winner
        return super().ensure_alias(alias, key_id)


def test_the_run_that_loses_the_alias_race_uses_the_winners_key(table: Table, settings: Settings) -> None:
    keys = RacingKeys()

    ca = bootstrap_ca(CaRepository(table), keys, settings)

    assert (ca.root.key_id, ca.issuer.key_id) == (
        keys.winners["alias/astca/root"],
        keys.winners["alias/astca/issuer"],
    )
    states = {key: aws.kms().describe_key(KeyId=key)["KeyMetadata"]["KeyState"] for key in kms_keys()}
    assert sorted(states.values()) == ["Enabled", "Enabled", "PendingDeletion", "PendingDeletion"]
    assert bootstrap_ca(CaRepository(table), KmsKeys(), settings) == ca


class RacingTable(Table):
    """A concurrent bootstrap stores its own certificate of the same key just before this one's PutItem."""

    def put(self, item: Mapping[str, Any], *, condition: str | None = None, values: Any = None) -> None:
        if item["SK"] == "ROOT" and self.get(CA_PK, "ROOT") is None:
            theirs = root_ca_certificate(KmsSigner(item["keyId"]))
            super().put({**item, "certificate": theirs.public_bytes(Encoding.PEM).decode()})
        super().put(item, condition=condition, values=values)


def test_the_run_that_loses_the_write_race_returns_the_stored_certificates(
    aws: LocalResources, settings: Settings
) -> None:
    table = RacingTable(aws.tables["Table"])

    ca = bootstrap_ca(CaRepository(table), KmsKeys(), settings)

    stored = table.get(CA_PK, "ROOT")
    assert stored is not None
    assert ca.root_pem == stored["certificate"]
    ca.issuer.certificate.verify_directly_issued_by(ca.root.certificate)
    assert load_hierarchy(CaRepository(Table(aws.tables["Table"]))) == ca


def test_a_lost_alias_is_restored_to_the_stored_key(table: Table, settings: Settings) -> None:
    ca = bootstrap_ca(CaRepository(table), KmsKeys(), settings)
    aws.kms().delete_alias(AliasName="alias/astca/issuer")

    again = bootstrap_ca(CaRepository(table), KmsKeys(), settings)

    assert again == ca
    assert alias_target("alias/astca/issuer") == ca.issuer_key_id


def test_an_alias_pointed_at_another_key_stops_the_bootstrap(table: Table, settings: Settings) -> None:
    bootstrap_ca(CaRepository(table), KmsKeys(), settings)
    other = KmsKeys().create_signing_key("ECC_NIST_P256", "other", {})
    aws.kms().update_alias(AliasName="alias/astca/root", TargetKeyId=other)

    with pytest.raises(Invalid) as error:
        bootstrap_ca(CaRepository(table), KmsKeys(), settings)

    assert error.value.subject == "ca hierarchy"
    assert "alias/astca/root names another key" in error.value.detail


def test_a_disabled_key_behind_the_alias_is_not_used(table: Table, settings: Settings) -> None:
    keys = KmsKeys()
    root_key = keys.create_signing_key("ECC_NIST_P256", "disabled", {})
    keys.ensure_alias("alias/astca/root", root_key)
    keys.disable(root_key)

    with pytest.raises(Failed) as error:
        bootstrap_ca(CaRepository(table), keys, settings)

    assert error.value.service == "kms"
    assert "the key behind alias/astca/root cannot sign (Disabled" in error.value.detail
    assert table.get(CA_PK, "ROOT") is None


def test_the_key_spec_applies_to_new_keys_only(table: Table, settings: Settings) -> None:
    p384 = settings.model_copy(update={"ca_key_spec": "ECC_NIST_P384", "ca_alias_prefix": "alias/astca-p384"})

    ca = bootstrap_ca(CaRepository(table), KmsKeys(), p384)
    again = bootstrap_ca(CaRepository(table), KmsKeys(), p384.model_copy(update={"ca_key_spec": "RSA_2048"}))

    public_key = ca.root.certificate.public_key()
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    assert public_key.curve.name == "secp384r1"
    assert again == ca
    assert alias_target("alias/astca-p384/root") == ca.root.key_id


def test_stored_certificates_that_do_not_chain_are_refused(table: Table, settings: Settings) -> None:
    ca = bootstrap_ca(CaRepository(table), KmsKeys(), settings)
    other_root = root_ca_certificate(KmsSigner(KmsKeys().create_signing_key("ECC_NIST_P256", "x", {})))
    item = table.get(CA_PK, "ROOT")
    assert item is not None
    table.put({**item, "certificate": other_root.public_bytes(Encoding.PEM).decode()})
    hierarchy_module._hierarchies.clear()

    with pytest.raises(Invalid, match="do not chain"):
        load_hierarchy(CaRepository(table))
    assert table.get(CA_PK, "ISSUER") == {**(table.get(CA_PK, "ISSUER") or {}), "keyId": ca.issuer_key_id}


def test_a_stored_certificate_that_is_not_pem_is_refused(table: Table, settings: Settings) -> None:
    bootstrap_ca(CaRepository(table), KmsKeys(), settings)
    item = table.get(CA_PK, "ISSUER")
    assert item is not None
    table.put({**item, "certificate": "-----BEGIN CERTIFICATE-----\nbroken\n-----END CERTIFICATE-----\n"})
    hierarchy_module._hierarchies.clear()

    with pytest.raises(Invalid, match="ISSUER CA certificate is not PEM"):
        load_hierarchy(CaRepository(table))


def test_the_issuer_signer_signs_with_the_issuer_key(table: Table, settings: Settings) -> None:
    ca = bootstrap_ca(CaRepository(table), KmsKeys(), settings)

    signer = ca.issuer.signer()

    assert signer.key_id == ca.issuer_key_id
    assert signer.public_key() == ca.issuer.certificate.public_key()
    assert ca.root.signer().public_key() == ca.root.certificate.public_key()
