"""Session key wrapping and the key-transport key: KMS round trips, the context binding, and typed outcomes.

The template's own keys on moto (SessionWrappingKey: symmetric; SessionTransportKey: RSA, ENCRYPT_DECRYPT;
local/moto_kms.py makes moto decrypt RSAES_OAEP_SHA_256 as KMS does).
"""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from botocore.stub import Stubber
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from astca import aws, clock
from astca.domain.errors import DomainError, Failed, Invalid, Transient
from astca.domain.sessions import SessionKeyRecord, SessionOwner
from astca.issuance.session_keys import (
    PURPOSE,
    SessionKeyWrapper,
    TransportKey,
    encryption_context,
)
from local.resources import LocalResources

OWNER = SessionOwner(tenant="acme", user_id="user-1", client_id="client-1")
SESSION_KEY_ID = "01KAX3Z6F8Q9W2M4N7P5R3T1V1"


def record(
    wrapped: bytes, owner: SessionOwner = OWNER, session_key_id: str = SESSION_KEY_ID
) -> SessionKeyRecord:
    now = clock.utcnow().replace(microsecond=0)
    return SessionKeyRecord(session_key_id, owner, now, now + timedelta(hours=1), wrapped)


@pytest.fixture
def wrapper(aws: LocalResources) -> SessionKeyWrapper:
    return SessionKeyWrapper(aws.keys["SessionWrappingKey"])


@pytest.fixture
def transport(aws: LocalResources) -> TransportKey:
    return TransportKey(aws.keys["SessionTransportKey"])


def oaep() -> padding.OAEP:
    return padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)


# ---------------------------------------------------------------------------------------- wrapping


def test_a_wrapped_key_unwraps_for_its_own_record(wrapper: SessionKeyWrapper) -> None:
    key = os.urandom(32)

    wrapped = wrapper.wrap(SESSION_KEY_ID, OWNER, key)

    assert key not in wrapped
    assert wrapper.unwrap(record(wrapped)) == key
    assert SessionKeyWrapper(None).unwrap(record(wrapped)) == key  # a symmetric ciphertext names its key


def test_the_context_binds_purpose_owner_and_id() -> None:
    assert encryption_context(SESSION_KEY_ID, OWNER) == {
        "purpose": PURPOSE,
        "tenant": "acme",
        "sessionKeyId": SESSION_KEY_ID,
        "userId": "user-1",
        "clientId": "client-1",
    }


@pytest.mark.parametrize(
    "changed",
    [
        {"owner": SessionOwner("other", "user-1", "client-1")},
        {"owner": SessionOwner("acme", "user-2", "client-1")},
        {"owner": SessionOwner("acme", "user-1", "client-2")},
        {"session_key_id": "01KAX3Z6F8Q9W2M4N7P5R3T1V2"},
    ],
    ids=["tenant", "user", "client", "id"],
)
def test_a_record_whose_owner_or_id_changed_does_not_unwrap(
    wrapper: SessionKeyWrapper, changed: dict[str, object]
) -> None:
    wrapped = wrapper.wrap(SESSION_KEY_ID, OWNER, os.urandom(32))

    with pytest.raises(Invalid) as error:
        wrapper.unwrap(record(wrapped, **changed))  # type: ignore[arg-type]

    assert error.value.subject == "session key"
    assert "KMS Decrypt failed (InvalidCiphertextException)" in error.value.detail


def test_no_wrapping_key_is_failed() -> None:
    with pytest.raises(Failed, match="no session wrapping key is configured") as error:
        SessionKeyWrapper(None).wrap(SESSION_KEY_ID, OWNER, os.urandom(32))

    assert error.value.service == "kms"


@pytest.mark.parametrize(
    ("operation", "code", "kind", "subject"),
    [
        ("encrypt", "ThrottlingException", Transient, "kms"),
        ("encrypt", "DisabledException", Failed, "kms"),
        ("decrypt", "ThrottlingException", Transient, "kms"),
        ("decrypt", "KMSInternalException", Transient, "kms"),
        ("decrypt", "DisabledException", Failed, "kms"),
        ("decrypt", "IncorrectKeyException", Invalid, "session key"),
        ("decrypt", "InvalidKeyUsageException", Invalid, "session key"),
        ("decrypt", "AccessDeniedException", Invalid, "session key"),
    ],
)
def test_kms_failures_are_typed(
    wrapper: SessionKeyWrapper, operation: str, code: str, kind: type[DomainError], subject: str
) -> None:
    def call() -> bytes:
        if operation == "encrypt":
            return wrapper.wrap(SESSION_KEY_ID, OWNER, os.urandom(32))
        return wrapper.unwrap(record(b"wrapped"))

    with Stubber(aws.kms()) as stubber:
        stubber.add_client_error(operation, service_error_code=code)
        with pytest.raises(DomainError) as error:
            call()

    assert type(error.value) is kind
    assert error.value.subject == subject
    assert f"failed ({code})" in error.value.detail


# ---------------------------------------------------------------------------------------- transport key


def test_the_transport_key_decrypts_what_its_public_half_encrypted(transport: TransportKey) -> None:
    cek = os.urandom(32)

    public_key = transport.public_key()

    assert public_key is transport.public_key()
    assert public_key.key_size >= 2048
    assert transport.decrypt(public_key.encrypt(cek, oaep())) == cek


def test_a_ciphertext_the_transport_key_cannot_decrypt_is_invalid(transport: TransportKey) -> None:
    with pytest.raises(Invalid, match=r"KMS Decrypt failed \(InvalidCiphertextException\)") as error:
        transport.decrypt(b"\x00" * 256)

    assert error.value.subject == "session key"


def test_a_disabled_transport_key_is_failed(transport: TransportKey) -> None:
    ciphertext = transport.public_key().encrypt(os.urandom(32), oaep())
    assert transport.key_id is not None
    aws.kms().disable_key(KeyId=transport.key_id)

    with pytest.raises(Failed, match=r"KMS Decrypt failed \(DisabledException\)"):
        transport.decrypt(ciphertext)


def test_a_key_that_is_not_an_rsa_encryption_key_is_failed() -> None:
    signing_key = aws.kms().create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]

    with pytest.raises(Failed, match="not an RSA encryption key"):
        TransportKey(signing_key).public_key()


def test_a_throttled_get_public_key_is_transient_and_read_again_later(transport: TransportKey) -> None:
    with Stubber(aws.kms()) as stubber:
        stubber.add_client_error("get_public_key", service_error_code="ThrottlingException")
        with pytest.raises(Transient, match=r"KMS GetPublicKey failed \(ThrottlingException\)"):
            transport.public_key()

    assert transport.public_key().key_size >= 2048


@pytest.mark.parametrize("call", ["public_key", "decrypt"])
def test_no_transport_key_is_failed(call: str) -> None:
    transport = TransportKey(None)

    with pytest.raises(Failed, match="no session transport key is configured") as error:
        transport.public_key() if call == "public_key" else transport.decrypt(b"x")

    assert error.value.service == "kms"
