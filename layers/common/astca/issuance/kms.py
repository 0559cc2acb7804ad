"""KMS asymmetric keys: ``KmsSigner`` signs with one key and checks every signature; ``KmsKeys`` manages keys.

A message of at most 4096 bytes goes to KMS as it is (MessageType RAW); a longer one is hashed here
and its digest is sent (MessageType DIGEST), as KMS takes no more than 4096 bytes. Either way the
signature KMS returns is verified against the key's public key before anyone sees it. The public
key is fetched once per container and key id (``GetPublicKey``); pass key ids or key ARNs, not
aliases, since an alias can be pointed at another key.

Failures are typed outcomes (``astca.domain.errors``), never catalog entries: a KMS client failure
goes through ``kms_errors`` to ``astca.aws.failure`` (``Transient("kms")`` when throttled, a 5xx or
no answer: retry later; ``Failed("kms")`` for a refusal such as a disabled or missing key), the
detail naming the operation and KMS's error code ("KMS Sign failed (ThrottlingException)"). What KMS
answers that astca cannot use (a signature that does not verify, a key that cannot sign
certificates) is ``Failed("kms")`` too: asking again would get the same answer.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

from botocore.exceptions import BotoCoreError, ClientError
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from astca import aws
from astca.domain.errors import DomainError, Failed, Invalid

RAW_MESSAGE_LIMIT = 4096
SigningPublicKey = ec.EllipticCurvePublicKey | rsa.RSAPublicKey


@dataclass(frozen=True)
class SigningAlgorithm:
    """How a key of one KMS key spec signs: KMS's algorithm name and the hash it applies."""

    key_spec: str
    kms_name: str
    hash_name: str

    def hash_algorithm(self) -> hashes.SHA256 | hashes.SHA384:
        """A fresh hash object of this algorithm (SHA256 or SHA384)."""
        return hashes.SHA384() if self.hash_name == "SHA384" else hashes.SHA256()

    @property
    def is_ec(self) -> bool:
        """Whether the key is an elliptic-curve key (ECDSA), else RSA (PKCS#1 v1.5)."""
        return self.key_spec.startswith("ECC_")


# The allow-list of CA key specs (astca.settings.CaKeySpec) and how each one signs.
ALGORITHMS: Mapping[str, SigningAlgorithm] = {
    "ECC_NIST_P256": SigningAlgorithm("ECC_NIST_P256", "ECDSA_SHA_256", "SHA256"),
    "ECC_NIST_P384": SigningAlgorithm("ECC_NIST_P384", "ECDSA_SHA_384", "SHA384"),
    "RSA_2048": SigningAlgorithm("RSA_2048", "RSASSA_PKCS1_V1_5_SHA_256", "SHA256"),
    "RSA_3072": SigningAlgorithm("RSA_3072", "RSASSA_PKCS1_V1_5_SHA_256", "SHA256"),
    "RSA_4096": SigningAlgorithm("RSA_4096", "RSASSA_PKCS1_V1_5_SHA_256", "SHA256"),
}
_CURVES = {"ECC_NIST_P256": ec.SECP256R1.name, "ECC_NIST_P384": ec.SECP384R1.name}
_RSA_SIZES = {"RSA_2048": 2048, "RSA_3072": 3072, "RSA_4096": 4096}

# GetPublicKey answers, per container, by key id: a key's public half never changes.
_public_keys: dict[str, tuple[SigningAlgorithm, SigningPublicKey]] = {}


@contextmanager
def kms_errors(operation: str) -> Iterator[None]:
    """Turn a KMS client failure into ``Transient("kms")`` or ``Failed("kms")`` (``aws.failure``).

    The detail names ``operation`` and KMS's error code; the client error is the outcome's cause
    (``kms_error_code`` reads it back, for the callers that give one code a meaning of their own).
    """
    try:
        yield
    except (ClientError, BotoCoreError) as exc:
        raise aws.failure("kms", f"KMS {operation}", exc) from exc


def kms_error_code(error: DomainError) -> str:
    """KMS's error code behind an outcome ``kms_errors`` raised ("" for no answer or another outcome)."""
    cause = error.__cause__
    return aws.error_code(cause) if isinstance(cause, ClientError) else ""


def verify_signature(
    public_key: SigningPublicKey, algorithm: SigningAlgorithm, signature: bytes, message: bytes
) -> None:
    """Check ``signature`` over ``message`` (InvalidSignature if it does not verify)."""
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        public_key.verify(signature, message, ec.ECDSA(algorithm.hash_algorithm()))
    else:
        public_key.verify(signature, message, padding.PKCS1v15(), algorithm.hash_algorithm())


class KmsSigner:
    """Signs with one asymmetric KMS key (SIGN_VERIFY) and verifies each signature with its public key."""

    def __init__(self, key_id: str) -> None:
        self.key_id = key_id

    def public_key(self) -> SigningPublicKey:
        """The key's public half (GetPublicKey once per container and key id)."""
        return self._key()[1]

    @property
    def algorithm(self) -> SigningAlgorithm:
        """How this key signs, from its key spec."""
        return self._key()[0]

    def sign(self, message: bytes) -> bytes:
        """A signature of ``message`` that verifies against ``public_key()``.

        ``Transient("kms")`` when KMS is throttled or does not answer, ``Failed("kms")`` when it refuses
        (a disabled key, a key pending deletion, a missing key) or returns a signature that does not
        verify against the key's public half.
        """
        algorithm, public_key = self._key()
        message_type: Literal["RAW", "DIGEST"] = "RAW"
        payload = message
        if len(message) > RAW_MESSAGE_LIMIT:
            digest = hashes.Hash(algorithm.hash_algorithm())
            digest.update(message)
            message_type, payload = "DIGEST", digest.finalize()
        with kms_errors("Sign"):
            response = aws.kms().sign(
                KeyId=self.key_id,
                Message=payload,
                MessageType=message_type,
                SigningAlgorithm=algorithm.kms_name,  # type: ignore[arg-type]
            )
        signature = response["Signature"]
        try:
            verify_signature(public_key, algorithm, signature, message)
        except InvalidSignature:
            raise Failed(
                "kms", f"KMS Sign ({message_type}) returned a signature that does not verify against the key"
            ) from None
        return signature

    def _key(self) -> tuple[SigningAlgorithm, SigningPublicKey]:
        cached = _public_keys.get(self.key_id)
        if cached is None:
            cached = _public_keys[self.key_id] = _fetch_public_key(self.key_id)
        return cached


def _fetch_public_key(key_id: str) -> tuple[SigningAlgorithm, SigningPublicKey]:
    """How the key signs and its public half; ``Failed("kms")`` for a key that cannot sign certificates."""
    with kms_errors("GetPublicKey"):
        response = aws.kms().get_public_key(KeyId=key_id)
    # KMS answers both names; moto only the deprecated CustomerMasterKeySpec.
    key_spec = str(response.get("KeySpec") or response.get("CustomerMasterKeySpec") or "")
    algorithm = ALGORITHMS.get(key_spec)
    if algorithm is None or response.get("KeyUsage") != "SIGN_VERIFY":
        raise Failed(
            "kms",
            f"KMS key spec {key_spec or '?'} / usage {response.get('KeyUsage', '?')} cannot sign certificates",
        )
    public_key = serialization.load_der_public_key(response["PublicKey"])
    if algorithm.is_ec:
        matches = isinstance(public_key, ec.EllipticCurvePublicKey) and (
            public_key.curve.name == _CURVES[key_spec]
        )
    else:
        matches = isinstance(public_key, rsa.RSAPublicKey) and public_key.key_size == _RSA_SIZES[key_spec]
    if not matches or not isinstance(public_key, ec.EllipticCurvePublicKey | rsa.RSAPublicKey):
        raise Failed("kms", f"KMS GetPublicKey returned a key that is not {key_spec}")
    return algorithm, public_key


@dataclass(frozen=True)
class KeyInfo:
    """What DescribeKey says about a key."""

    key_id: str
    arn: str
    key_spec: str
    key_usage: str
    state: str

    @property
    def enabled(self) -> bool:
        """Whether the key can be used (KeyState Enabled)."""
        return self.state == "Enabled"


class KmsKeys:
    """Creates, finds, aliases, disables and schedules the deletion of asymmetric signing keys.

    KMS failures are ``Transient("kms")`` or ``Failed("kms")`` (``kms_errors``).
    """

    def create_signing_key(self, key_spec: str, description: str, tags: Mapping[str, str]) -> str:
        """A new SIGN_VERIFY key of ``key_spec`` (one of ALGORITHMS), tagged; its key id.

        ``Invalid("key spec")`` for a spec outside the allow-list (nothing is sent to KMS).
        """
        if key_spec not in ALGORITHMS:
            raise Invalid("key spec", f"key spec {key_spec} is not allowed for CA keys")
        with kms_errors("CreateKey"):
            response = aws.kms().create_key(
                KeySpec=key_spec,  # type: ignore[arg-type]
                KeyUsage="SIGN_VERIFY",
                Description=description,
                Tags=[{"TagKey": key, "TagValue": value} for key, value in tags.items()],
            )
        return response["KeyMetadata"]["KeyId"]

    def describe(self, key_id: str) -> KeyInfo | None:
        """The key behind a key id, ARN or alias; None if there is none."""
        try:
            with kms_errors("DescribeKey"):
                metadata = aws.kms().describe_key(KeyId=key_id)["KeyMetadata"]
        except Failed as error:
            if kms_error_code(error) == "NotFoundException":
                return None
            raise
        return KeyInfo(
            key_id=metadata["KeyId"],
            arn=metadata.get("Arn", ""),
            key_spec=str(metadata.get("KeySpec", "")),
            key_usage=str(metadata.get("KeyUsage", "")),
            state=str(metadata.get("KeyState", "")),
        )

    def ensure_alias(self, alias: str, key_id: str) -> str:
        """Point a new ``alias`` at ``key_id``; the key id the alias points at (another key if it existed).

        ``Failed("kms")`` when the alias exists but names no key (it was deleted in between).
        """
        try:
            with kms_errors("CreateAlias"):
                aws.kms().create_alias(AliasName=alias, TargetKeyId=key_id)
        except Failed as error:
            if kms_error_code(error) != "AlreadyExistsException":
                raise
            existing = self.describe(alias)
            if existing is None:
                raise Failed("kms", f"KMS alias {alias} exists but names no key") from None
            return existing.key_id
        return key_id

    def disable(self, key_id: str) -> None:
        """Disable a key: it signs nothing until enabled again."""
        with kms_errors("DisableKey"):
            aws.kms().disable_key(KeyId=key_id)

    def schedule_deletion(self, key_id: str, days: int = 30) -> None:
        """Schedule a key's deletion after ``days`` (7-30) days; until then it can be recovered."""
        with kms_errors("ScheduleKeyDeletion"):
            aws.kms().schedule_key_deletion(KeyId=key_id, PendingWindowInDays=days)
