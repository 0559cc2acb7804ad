"""Session keys without HTTP: the cache, whose key a session is, which stored keys open, moto's KMS."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterator

import boto3
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID

from astca import catalog, clock, ids
from astca.catalog import CaError
from astca.domain.sessions import SessionKeyRecord, SessionOwner
from astca.identity.principal import Principal
from astca.services.sessions import (
    SessionKey,
    SessionKeyCache,
    SessionKeyService,
    session_owner,
    session_service,
)
from local.resources import LocalResources

NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
OWNER = SessionOwner("acme", "user-1", "client-1")


def key(session_key_id: str, *, minutes: int = 15, owner: SessionOwner = OWNER) -> SessionKey:
    return SessionKey(session_key_id, owner, NOW + dt.timedelta(minutes=minutes), secrets.token_bytes(32))


def test_the_cache_forgets_the_least_recently_used_key_first() -> None:
    cache = SessionKeyCache(max_entries=2)
    cache.put(key("a"))
    cache.put(key("b"))
    assert cache.get("a", NOW) is not None  # a is now the most recently used

    cache.put(key("c"))

    assert len(cache) == 2
    assert cache.get("b", NOW) is None
    assert cache.get("a", NOW) is not None
    assert cache.get("c", NOW) is not None


def test_the_cache_never_gives_a_key_past_its_expiry() -> None:
    cache = SessionKeyCache()
    cache.put(key("a", minutes=1))

    assert cache.get("a", NOW + dt.timedelta(seconds=59)) is not None
    assert cache.get("a", NOW + dt.timedelta(minutes=1)) is None
    assert len(cache) == 0


def test_a_key_never_shows_in_its_repr() -> None:
    session_key = key("a")

    assert session_key.key.hex() not in repr(session_key)
    assert repr(session_key.key) not in repr(session_key)


def certificate(
    tenant: str, *, user_id: str | None = "user-1", client_id: str = "client-1"
) -> x509.Certificate:
    private = ec.generate_private_key(ec.SECP256R1())
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, client_id)]
    if user_id:
        attributes.append(x509.NameAttribute(NameOID.USER_ID, user_id))
    attributes.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, tenant))
    name = x509.Name(attributes)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private.public_key())
        .serial_number(1)
        .not_valid_before(NOW)
        .not_valid_after(NOW + dt.timedelta(days=1))
        .sign(private, hashes.SHA256())
    )


def test_the_owner_of_a_token_is_its_user_and_client() -> None:
    assert session_owner(Principal("acme", user_id="user-1", client_id="client-1")) == OWNER
    assert session_owner(Principal("acme", user_id="user-1")) is None
    assert session_owner(Principal("acme", client_id="client-1")) is None


def test_the_owner_over_mtls_is_the_certificate_subject_of_this_tenant() -> None:
    assert session_owner(Principal("acme", client_certificate=certificate("acme"))) == OWNER
    assert session_owner(Principal("acme", client_certificate=certificate("globex"))) is None
    assert session_owner(Principal("acme", client_certificate=certificate("acme", user_id=None))) is None


def test_moto_decrypts_rsa_oaep_sha_256_as_kms_does(aws: LocalResources) -> None:
    kms = boto3.client("kms")
    key_id = "alias/astca/session-transport"
    public = serialization.load_der_public_key(kms.get_public_key(KeyId=key_id)["PublicKey"])
    assert isinstance(public, rsa.RSAPublicKey)
    plaintext = secrets.token_bytes(32)
    sha256 = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
    sha1 = padding.OAEP(mgf=padding.MGF1(hashes.SHA1()), algorithm=hashes.SHA1(), label=None)
    ciphertext = public.encrypt(plaintext, sha256)

    decrypted = kms.decrypt(KeyId=key_id, CiphertextBlob=ciphertext, EncryptionAlgorithm="RSAES_OAEP_SHA_256")
    assert decrypted["Plaintext"] == plaintext
    assert decrypted["EncryptionAlgorithm"] == "RSAES_OAEP_SHA_256"
    with pytest.raises(kms.exceptions.InvalidCiphertextException):  # padded for the other algorithm
        kms.decrypt(
            KeyId=key_id,
            CiphertextBlob=public.encrypt(plaintext, sha1),
            EncryptionAlgorithm="RSAES_OAEP_SHA_256",
        )
    with pytest.raises(kms.exceptions.InvalidKeyUsageException):
        kms.decrypt(KeyId=key_id, CiphertextBlob=ciphertext)
    with pytest.raises(kms.exceptions.InvalidCiphertextException):
        kms.decrypt(
            KeyId=key_id,
            CiphertextBlob=ciphertext[:-1] + bytes([ciphertext[-1] ^ 1]),
            EncryptionAlgorithm="RSAES_OAEP_SHA_256",
        )
    kms.disable_key(KeyId=aws.keys["SessionTransportKey"])
    with pytest.raises(kms.exceptions.DisabledException):
        kms.decrypt(KeyId=key_id, CiphertextBlob=ciphertext, EncryptionAlgorithm="RSAES_OAEP_SHA_256")


def test_moto_refuses_a_disabled_wrapping_key(aws: LocalResources) -> None:
    kms = boto3.client("kms")
    blob = kms.encrypt(
        KeyId="alias/astca/session-wrapping", Plaintext=b"k" * 32, EncryptionContext={"a": "b"}
    )

    kms.disable_key(KeyId=aws.keys["SessionWrappingKey"])

    with pytest.raises(kms.exceptions.DisabledException):
        kms.decrypt(CiphertextBlob=blob["CiphertextBlob"], EncryptionContext={"a": "b"})


@pytest.fixture
def service(aws: LocalResources) -> Iterator[SessionKeyService]:
    """The session key service of a fresh container."""
    session_service.cache_clear()
    yield session_service()
    session_service.cache_clear()


def test_a_stored_key_of_zero_bytes_is_never_opened(service: SessionKeyService) -> None:
    # Given a session whose stored key is 32 zero bytes (one stored before such keys were refused)
    now = clock.utcnow().replace(microsecond=0)
    session_key_id = ids.new_ulid()
    wrapped = service.wrapper.wrap(session_key_id, OWNER, bytes(32))
    record = SessionKeyRecord(session_key_id, OWNER, now, now + dt.timedelta(minutes=15), wrapped)
    service.repository.put(record)

    # When its owner opens it, then it is a stored key that does not unwrap to a usable key: 5104037
    with pytest.raises(CaError) as raised:
        service.open(record.id, OWNER)
    assert raised.value.entry is catalog.SESSION_KEY_DECRYPTION_FAILED
    assert len(service.cache) == 0
