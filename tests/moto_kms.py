"""moto 5.2's KMS Sign, corrected where astca depends on it; ``tests/conftest.py`` applies it for the session.

moto's Sign ignores MessageType, so a DIGEST is hashed a second time and the signature is over the
wrong bytes (astca's ``KmsSigner`` refuses such a signature, so this would only fail tests, never
pass a bad certificate). It also signs with disabled keys and keys pending deletion, and with
messages longer than KMS's 4096 bytes. Patched, Sign does what KMS documents:

- MessageType DIGEST: the message must be a digest as long as the algorithm's hash, and it is signed
  as it is (``Prehashed``), never hashed again; PSS uses a salt as long as the hash, as KMS does;
- a key that is not Enabled signs nothing: ``DisabledException`` for a disabled key,
  ``KMSInvalidStateException`` for any other state (pending deletion, ...);
- a message longer than 4096 bytes is a ``ValidationException``.

A RAW message that passes these checks goes to moto's own Sign.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, utils
from moto.core.exceptions import JsonRESTError
from moto.kms.exceptions import ValidationException
from moto.kms.responses import KmsResponse

MAX_MESSAGE_BYTES = 4096
_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "256": hashes.SHA256,
    "384": hashes.SHA384,
    "512": hashes.SHA512,
}
_moto_sign = KmsResponse.sign


class DisabledException(JsonRESTError):
    """KMS's answer when the key is disabled."""

    code = 400

    def __init__(self, message: str) -> None:
        super().__init__("DisabledException", message)


class KmsInvalidStateException(JsonRESTError):
    """KMS's answer when the key's state does not allow the operation."""

    code = 400

    def __init__(self, message: str) -> None:
        super().__init__("KMSInvalidStateException", message)


def _sign(self: KmsResponse) -> str:
    key_id = self._get_param("KeyId")
    message = self._get_param("Message")
    message_type = self._get_param("MessageType") or "RAW"
    algorithm = str(self._get_param("SigningAlgorithm"))
    self._validate_key_id(key_id)
    key = self.kms_backend.describe_key(key_id)
    if key.key_state == "Disabled":
        raise DisabledException(f"{key.arn} is disabled.")
    if key.key_state != "Enabled":
        raise KmsInvalidStateException(f"{key.arn} is {key.key_state}.")
    if len(message) > MAX_MESSAGE_BYTES:
        raise ValidationException("Message must be at most 4096 bytes long")
    if message_type != "DIGEST":
        return str(_moto_sign(self))
    if algorithm not in key.signing_algorithms:
        raise ValidationException(f"{algorithm} is not a signing algorithm of {key.arn}")
    hash_algorithm = _HASHES[algorithm.rsplit("_", 1)[-1]]()
    if len(message) != hash_algorithm.digest_size:
        raise ValidationException(f"a {algorithm} digest is {hash_algorithm.digest_size} bytes long")
    prehashed = utils.Prehashed(hash_algorithm)
    private_key: Any = getattr(key.private_key, "private_key")  # noqa: B009 - the cryptography key inside moto's wrapper
    if algorithm.startswith("ECDSA_"):
        signature = private_key.sign(message, ec.ECDSA(prehashed))
    elif algorithm.startswith("RSASSA_PSS_"):
        pss = padding.PSS(mgf=padding.MGF1(hash_algorithm), salt_length=hash_algorithm.digest_size)
        signature = private_key.sign(message, pss, prehashed)
    else:
        signature = private_key.sign(message, padding.PKCS1v15(), prehashed)
    return json.dumps(
        {"KeyId": key.arn, "Signature": base64.b64encode(signature).decode(), "SigningAlgorithm": algorithm}
    )


def patch_kms_sign() -> None:
    """Replace moto's KMS Sign with the corrected one (idempotent)."""
    KmsResponse.sign = _sign  # type: ignore[method-assign]
