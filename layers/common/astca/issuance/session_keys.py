"""Session keys through KMS: wrapping a session key for storage, and the key-transport key that delivers it.

``SessionKeyWrapper`` wraps the 32-byte session key with KMS Encrypt under the wrapping key, with an
encryption context binding purpose, tenant, session key id, user id and client id
(``encryption_context``); unwrapping is KMS Decrypt with the same context, so a stored key whose
owner was changed no longer unwraps: KMS refuses the context. The table part (the item that holds the
wrapped key) is ``storage.sessions``.

``TransportKey`` is the service's key-transport key (RSA, ENCRYPT_DECRYPT): it decrypts the encrypted
key of a key-transport JWE with RSAES_OAEP_SHA_256; its private half never leaves KMS. Its public key
is read once per instance (hold one per container).

Outcomes (``astca.domain.errors``): KMS refusing a ciphertext (InvalidCiphertextException,
IncorrectKeyException, InvalidKeyUsageException, or AccessDeniedException, which is how KMS refuses
a context the key policy does not allow) is ``Invalid("session key")``: that ciphertext will never
decrypt. Every other KMS failure goes through ``kms.kms_errors``: ``Transient("kms")`` (throttled,
5xx, no answer: retry) or ``Failed("kms")``. A key that is not configured, or a transport key that is
not an RSA encryption key, is ``Failed("kms")``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from astca import aws
from astca.domain.errors import Failed, Invalid
from astca.domain.sessions import SessionKeyRecord, SessionOwner
from astca.issuance.kms import kms_error_code, kms_errors

PURPOSE = "astca-session-key"
TRANSPORT_ALGORITHM: Literal["RSAES_OAEP_SHA_256"] = "RSAES_OAEP_SHA_256"
# KMS error codes that say "this ciphertext does not decrypt (here, with this context)", not "KMS failed".
REFUSED_CIPHERTEXT = frozenset(
    {
        "InvalidCiphertextException",
        "IncorrectKeyException",
        "InvalidKeyUsageException",
        "AccessDeniedException",
    }
)


def encryption_context(session_key_id: str, owner: SessionOwner) -> dict[str, str]:
    """What the wrapped key is bound to (KMS checks it on every unwrap; IAM conditions name its keys)."""
    return {
        "purpose": PURPOSE,
        "tenant": owner.tenant,
        "sessionKeyId": session_key_id,
        "userId": owner.user_id,
        "clientId": owner.client_id,
    }


@contextmanager
def ciphertext_errors(operation: str) -> Iterator[None]:
    """``kms_errors``, but KMS refusing the ciphertext is ``Invalid("session key")``."""
    try:
        with kms_errors(operation):
            yield
    except Failed as error:
        if kms_error_code(error) in REFUSED_CIPHERTEXT:
            raise Invalid("session key", error.detail) from error.__cause__
        raise


class SessionKeyWrapper:
    """Wraps session keys for storage and unwraps them, with the KMS wrapping key (symmetric, ENCRYPT_DECRYPT)."""

    def __init__(self, wrapping_key_id: str | None) -> None:
        self.wrapping_key_id = wrapping_key_id

    def wrap(self, session_key_id: str, owner: SessionOwner, key: bytes) -> bytes:
        """The KMS Encrypt ciphertext of ``key``, bound to ``session_key_id`` and ``owner``.

        ``Failed("kms")`` when no wrapping key is configured or KMS refuses; ``Transient("kms")`` when
        it is throttled or does not answer.
        """
        if not self.wrapping_key_id:
            raise Failed("kms", "no session wrapping key is configured")
        with kms_errors("Encrypt"):
            response = aws.kms().encrypt(
                KeyId=self.wrapping_key_id,
                Plaintext=key,
                EncryptionContext=encryption_context(session_key_id, owner),
            )
        return response["CiphertextBlob"]

    def unwrap(self, record: SessionKeyRecord) -> bytes:
        """The plaintext key of ``record`` (KMS Decrypt with its context).

        ``Invalid("session key")`` when KMS refuses the ciphertext or its context (the record was
        changed, or is not such a key); ``Transient("kms")`` / ``Failed("kms")`` otherwise.
        """
        context = encryption_context(record.id, record.owner)
        with ciphertext_errors("Decrypt"):
            if self.wrapping_key_id:  # a symmetric ciphertext names its key; when known, insist on it
                response = aws.kms().decrypt(
                    KeyId=self.wrapping_key_id, CiphertextBlob=record.wrapped_key, EncryptionContext=context
                )
            else:
                response = aws.kms().decrypt(CiphertextBlob=record.wrapped_key, EncryptionContext=context)
        return response["Plaintext"]


class TransportKey:
    """The service's key-transport key in KMS (RSA, ENCRYPT_DECRYPT): its public half and CEK decryption."""

    def __init__(self, key_id: str | None) -> None:
        self.key_id = key_id
        self._public: rsa.RSAPublicKey | None = None

    def public_key(self) -> rsa.RSAPublicKey:
        """The public key (GetPublicKey once per instance).

        ``Failed("kms")`` when no key is configured, KMS refuses, or the key is not an RSA encryption
        key; ``Transient("kms")`` when KMS is throttled or does not answer.
        """
        if self._public is None:
            with kms_errors("GetPublicKey"):
                response = aws.kms().get_public_key(KeyId=self._key_id())
            public = serialization.load_der_public_key(response["PublicKey"])
            if not isinstance(public, rsa.RSAPublicKey) or response.get("KeyUsage") != "ENCRYPT_DECRYPT":
                raise Failed("kms", "the session transport key is not an RSA encryption key")
            self._public = public
        return self._public

    def decrypt(self, encrypted_key: bytes) -> bytes:
        """KMS Decrypt of a JWE's encrypted key with RSAES_OAEP_SHA_256.

        ``Invalid("session key")`` when KMS cannot decrypt it; ``Failed("kms")`` when no key is
        configured or KMS refuses otherwise; ``Transient("kms")`` when it is throttled or does not answer.
        """
        key_id = self._key_id()
        with ciphertext_errors("Decrypt"):
            response = aws.kms().decrypt(
                KeyId=key_id, CiphertextBlob=encrypted_key, EncryptionAlgorithm=TRANSPORT_ALGORITHM
            )
        return response["Plaintext"]

    def _key_id(self) -> str:
        if not self.key_id:
            raise Failed("kms", "no session transport key is configured")
        return self.key_id
