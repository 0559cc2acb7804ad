"""moto 5.2's KMS Decrypt, corrected for RSA encryption keys; ``local.resources`` applies it with the first KMS key.

moto's Decrypt takes every ciphertext for one of its own symmetric blobs and ignores
EncryptionAlgorithm, so what a client encrypted to an RSA key's public half (the session
key-transport key: RSAES_OAEP_SHA_256) never decrypts on moto, while it does on KMS; moto also
decrypts with disabled keys. Patched, Decrypt does what KMS documents:

- a ciphertext for an RSA ENCRYPT_DECRYPT key needs the KeyId and one of the key's algorithms
  (RSAES_OAEP_SHA_1 or RSAES_OAEP_SHA_256; others are InvalidKeyUsageException): it is decrypted with
  OAEP(MGF1(hash), hash) by the key's private half, and one that does not decrypt is
  InvalidCiphertextException; an EncryptionContext is a ValidationException (asymmetric keys take none);
- a key that is not Enabled decrypts nothing: DisabledException, or KMSInvalidStateException for any
  other state (pending deletion, ...);
- a symmetric ciphertext goes to moto's own Decrypt, which checks the encryption context.

The patch lives in the process: it reaches ``mock_aws`` and the in-process moto server of ``make run``,
not a moto server in another process. ``tests/`` gets it through the provisioner like ``make run``.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from moto.core.exceptions import JsonRESTError
from moto.kms.exceptions import InvalidCiphertextException, ValidationException
from moto.kms.responses import KmsResponse

RSA_ALGORITHMS: dict[str, type[hashes.HashAlgorithm]] = {
    "RSAES_OAEP_SHA_1": hashes.SHA1,
    "RSAES_OAEP_SHA_256": hashes.SHA256,
}
_moto_decrypt = KmsResponse.decrypt


class _KmsError(JsonRESTError):
    code = 400

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(error_type, message)


def _check_enabled(key: Any) -> None:
    if key.key_state == "Disabled":
        raise _KmsError("DisabledException", f"{key.arn} is disabled.")
    if key.key_state != "Enabled":
        raise _KmsError("KMSInvalidStateException", f"{key.arn} is {key.key_state}.")


def _decrypt(self: KmsResponse) -> str:
    key_id = self._get_param("KeyId")
    if not key_id:
        return _symmetric(self)
    self._validate_key_id(key_id)
    key = self.kms_backend.describe_key(key_id)
    if not str(key.key_spec).startswith("RSA_"):
        return _symmetric(self)
    _check_enabled(key)
    algorithm = str(self._get_param("EncryptionAlgorithm") or "SYMMETRIC_DEFAULT")
    if key.key_usage != "ENCRYPT_DECRYPT" or algorithm not in RSA_ALGORITHMS:
        raise _KmsError(
            "InvalidKeyUsageException", f"{algorithm} is not an encryption algorithm of {key.arn}"
        )
    if self._get_param("EncryptionContext"):
        raise ValidationException("EncryptionContext is not supported with asymmetric KMS keys")
    ciphertext = self._get_param("CiphertextBlob")  # moto decodes the base64
    hash_algorithm = RSA_ALGORITHMS[algorithm]()
    private_key: Any = getattr(key.private_key, "private_key")  # noqa: B009 - the cryptography key inside moto's wrapper
    try:
        plaintext = private_key.decrypt(
            ciphertext, padding.OAEP(mgf=padding.MGF1(hash_algorithm), algorithm=hash_algorithm, label=None)
        )
    except ValueError:
        raise InvalidCiphertextException() from None
    return json.dumps(
        {
            "KeyId": key.arn,
            "Plaintext": base64.b64encode(plaintext).decode(),
            "EncryptionAlgorithm": algorithm,
        }
    )


def _symmetric(self: KmsResponse) -> str:
    answer = str(_moto_decrypt(self))
    key = self.kms_backend.describe_key(json.loads(answer)["KeyId"])
    _check_enabled(key)
    return answer


def correct_kms_decrypt() -> None:
    """Replace moto's KMS Decrypt with the corrected one (idempotent)."""
    KmsResponse.decrypt = _decrypt  # type: ignore[method-assign]
