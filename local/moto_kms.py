"""moto KMS corrected: moto 5.2's Sign and Decrypt made to do what KMS documents, where astca depends on it.

``local.resources`` applies the corrections with the first KMS key it provisions, so ``make run``'s
moto server and the tests' ``mock_aws`` both get them (``tests/conftest.py`` also applies them at
session start, for tests that create keys without provisioning). The patch lives in the process: it
reaches ``mock_aws`` and the in-process moto server of ``make run``, not a moto server in another
process; the function processes of ``make run`` talk to that server and need no patch of their own.

Sign. moto ignores MessageType, so a DIGEST is hashed a second time and the signature is over the
wrong bytes (astca's ``KmsSigner`` refuses such a signature, so this would only fail, never pass a
bad certificate); it also signs with disabled keys and keys pending deletion, and messages longer
than KMS's 4096 bytes. Corrected:

- MessageType DIGEST: the message must be a digest as long as the algorithm's hash, and it is signed
  as it is (``Prehashed``), never hashed again; PSS uses a salt as long as the hash, as KMS does;
- a key that is not Enabled signs nothing: ``DisabledException`` for a disabled key,
  ``KMSInvalidStateException`` for any other state (pending deletion, ...);
- a message longer than 4096 bytes is a ``ValidationException``;
- a RAW message that passes these checks goes to moto's own Sign.

Decrypt. moto takes every ciphertext for one of its own symmetric blobs and ignores
EncryptionAlgorithm, so what a client encrypted to an RSA key's public half (the session
key-transport key: RSAES_OAEP_SHA_256) never decrypts on moto, while it does on KMS; moto also
decrypts with disabled keys. Corrected:

- a ciphertext for an RSA ENCRYPT_DECRYPT key needs the KeyId and one of the key's algorithms
  (RSAES_OAEP_SHA_1 or RSAES_OAEP_SHA_256; others are InvalidKeyUsageException): it is decrypted with
  OAEP(MGF1(hash), hash) by the key's private half, and one that does not decrypt is
  InvalidCiphertextException; an EncryptionContext is a ValidationException (asymmetric keys take none);
- a key that is not Enabled decrypts nothing (as for Sign);
- a symmetric ciphertext goes to moto's own Decrypt, which checks the encryption context.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, utils
from moto.core.exceptions import JsonRESTError
from moto.kms.exceptions import InvalidCiphertextException, ValidationException
from moto.kms.responses import KmsResponse

MAX_MESSAGE_BYTES = 4096
RSA_ALGORITHMS: dict[str, type[hashes.HashAlgorithm]] = {
    "RSAES_OAEP_SHA_1": hashes.SHA1,
    "RSAES_OAEP_SHA_256": hashes.SHA256,
}
_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "256": hashes.SHA256,
    "384": hashes.SHA384,
    "512": hashes.SHA512,
}
_moto_sign = KmsResponse.sign
_moto_decrypt = KmsResponse.decrypt


class KmsError(JsonRESTError):
    """A KMS error answer: its type (``DisabledException``, ...) and message."""

    code = 400

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(error_type, message)


def _check_enabled(key: Any) -> None:
    if key.key_state == "Disabled":
        raise KmsError("DisabledException", f"{key.arn} is disabled.")
    if key.key_state != "Enabled":
        raise KmsError("KMSInvalidStateException", f"{key.arn} is {key.key_state}.")


def _private_key(key: Any) -> Any:
    return getattr(key.private_key, "private_key")  # noqa: B009 - the cryptography key inside moto's wrapper


def _sign(self: KmsResponse) -> str:
    key_id = self._get_param("KeyId")
    message = self._get_param("Message")
    message_type = self._get_param("MessageType") or "RAW"
    algorithm = str(self._get_param("SigningAlgorithm"))
    self._validate_key_id(key_id)
    key = self.kms_backend.describe_key(key_id)
    _check_enabled(key)
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
    private_key = _private_key(key)
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
        raise KmsError("InvalidKeyUsageException", f"{algorithm} is not an encryption algorithm of {key.arn}")
    if self._get_param("EncryptionContext"):
        raise ValidationException("EncryptionContext is not supported with asymmetric KMS keys")
    ciphertext = self._get_param("CiphertextBlob")  # moto decodes the base64
    hash_algorithm = RSA_ALGORITHMS[algorithm]()
    try:
        plaintext = _private_key(key).decrypt(
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


def correct_kms() -> None:
    """Replace moto's KMS Sign and Decrypt with the corrected ones (idempotent)."""
    KmsResponse.sign = _sign  # type: ignore[method-assign]
    KmsResponse.decrypt = _decrypt  # type: ignore[method-assign]
