"""KmsSigner signs RAW up to 4096 bytes and DIGEST above, verifies every signature, and types KMS failures.

moto's Sign is corrected by local/moto_kms.py (DIGEST signed as given, disabled keys refused). A KMS
failure is Transient("kms") when a retry may help (throttled, 5xx, no answer), else Failed("kms").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError
from botocore.stub import Stubber
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from astca import aws
from astca.domain.errors import DomainError, Failed, Invalid, Transient
from astca.issuance import kms
from astca.issuance.kms import RAW_MESSAGE_LIMIT, KmsKeys, KmsSigner

SignerFactory = Callable[..., KmsSigner]


def assert_kms_outcome(
    error: pytest.ExceptionInfo[DomainError], kind: type[DomainError], *words: str
) -> None:
    assert type(error.value) is kind
    assert error.value.subject == "kms"
    for word in words:
        assert word in error.value.detail


@pytest.mark.parametrize(
    ("length", "message_type"),
    [(1, "RAW"), (RAW_MESSAGE_LIMIT, "RAW"), (RAW_MESSAGE_LIMIT + 1, "DIGEST"), (50_000, "DIGEST")],
)
def test_the_message_type_follows_the_length(
    new_signer: SignerFactory, sign_requests: list[dict[str, Any]], length: int, message_type: str
) -> None:
    signer = new_signer()
    message = bytes(range(256)) * (length // 256) + b"m" * (length % 256)

    signature = signer.sign(message)

    (request,) = sign_requests
    assert request["MessageType"] == message_type
    assert len(request["Message"]) == (length if message_type == "RAW" else 32)
    public_key = signer.public_key()
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    public_key.verify(signature, message, ec.ECDSA(hashes.SHA256()))


@pytest.mark.parametrize(
    ("key_spec", "kms_name", "digest_size"),
    [
        ("ECC_NIST_P256", "ECDSA_SHA_256", 32),
        ("ECC_NIST_P384", "ECDSA_SHA_384", 48),
        ("RSA_2048", "RSASSA_PKCS1_V1_5_SHA_256", 32),
        ("RSA_3072", "RSASSA_PKCS1_V1_5_SHA_256", 32),
    ],
)
def test_each_key_spec_signs_with_its_algorithm_on_both_paths(
    new_signer: SignerFactory,
    sign_requests: list[dict[str, Any]],
    key_spec: str,
    kms_name: str,
    digest_size: int,
) -> None:
    signer = new_signer(key_spec)

    for message in (b"short", b"x" * 5000):
        signature = signer.sign(message)
        kms.verify_signature(signer.public_key(), signer.algorithm, signature, message)

    assert signer.algorithm.kms_name == kms_name
    assert [request["SigningAlgorithm"] for request in sign_requests] == [kms_name, kms_name]
    assert len(sign_requests[1]["Message"]) == digest_size
    if key_spec.startswith("RSA"):
        public_key = signer.public_key()
        assert isinstance(public_key, rsa.RSAPublicKey)
        public_key.verify(signature, b"x" * 5000, padding.PKCS1v15(), hashes.SHA256())


def test_the_public_key_is_fetched_once_per_key(
    new_signer: SignerFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    signer = new_signer()
    calls: list[str] = []
    fetch = kms._fetch_public_key

    def counted(key_id: str) -> Any:
        calls.append(key_id)
        return fetch(key_id)

    monkeypatch.setattr(kms, "_fetch_public_key", counted)

    first = signer.public_key()
    KmsSigner(signer.key_id).sign(b"one")
    KmsSigner(signer.key_id).sign(b"two")

    assert calls == [signer.key_id]
    assert KmsSigner(signer.key_id).public_key() is first


@pytest.mark.parametrize("answer", [b"garbage", "a real signature of other bytes"])
def test_a_signature_that_does_not_verify_is_failed(
    new_signer: SignerFactory, monkeypatch: pytest.MonkeyPatch, answer: bytes | str
) -> None:
    signer = new_signer()
    signature = answer if isinstance(answer, bytes) else signer.sign(b"other bytes")
    signer.public_key()
    monkeypatch.setattr(aws.kms(), "sign", lambda **_: {"Signature": signature, "KeyId": signer.key_id})

    with pytest.raises(DomainError) as error:
        signer.sign(b"the tbs bytes")

    assert_kms_outcome(error, Failed, "does not verify")


def test_a_disabled_key_is_failed(new_signer: SignerFactory, keys: KmsKeys) -> None:
    signer = new_signer()
    signer.public_key()
    keys.disable(signer.key_id)

    with pytest.raises(DomainError) as error:
        signer.sign(b"message")

    assert_kms_outcome(error, Failed, "KMS Sign failed (DisabledException)")


def test_a_key_pending_deletion_is_failed(new_signer: SignerFactory, keys: KmsKeys) -> None:
    signer = new_signer()
    signer.public_key()
    keys.schedule_deletion(signer.key_id, days=7)

    with pytest.raises(DomainError) as error:
        signer.sign(b"x" * 5000)

    assert_kms_outcome(error, Failed, "KMSInvalidStateException")


def test_a_missing_key_is_failed() -> None:
    with pytest.raises(DomainError) as error:
        KmsSigner("6b1f1e3c-0000-4000-8000-000000000000").sign(b"message")

    assert_kms_outcome(error, Failed, "KMS GetPublicKey failed (NotFoundException)")


def test_no_answer_is_transient(new_signer: SignerFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    signer = new_signer()
    signer.public_key()

    def unreachable(**_: Any) -> None:
        raise EndpointConnectionError(endpoint_url="https://kms.eu-central-1.amazonaws.com")

    monkeypatch.setattr(aws.kms(), "sign", unreachable)

    with pytest.raises(DomainError) as error:
        signer.sign(b"message")

    assert_kms_outcome(
        error, Transient, "KMS Sign failed (no answer)"
    )  # no Python class name reaches a caller


def test_a_key_that_cannot_sign_certificates_is_failed() -> None:
    encryption_key = aws.kms().create_key(KeySpec="SYMMETRIC_DEFAULT", KeyUsage="ENCRYPT_DECRYPT")

    with pytest.raises(DomainError) as error:
        KmsSigner(encryption_key["KeyMetadata"]["KeyId"]).public_key()

    assert_kms_outcome(error, Failed, "cannot sign certificates")


def test_keys_are_created_tagged_and_described(keys: KmsKeys) -> None:
    key_id = keys.create_signing_key("ECC_NIST_P384", "a CA key", {"astca:ca": "alias/astca/root"})

    info = keys.describe(key_id)
    tags = aws.kms().list_resource_tags(KeyId=key_id)["Tags"]

    assert info is not None
    assert (info.key_id, info.key_spec, info.key_usage, info.enabled) == (
        key_id,
        "ECC_NIST_P384",
        "SIGN_VERIFY",
        True,
    )
    assert info.arn.endswith(f":key/{key_id}")
    assert tags == [{"TagKey": "astca:ca", "TagValue": "alias/astca/root"}]
    assert keys.describe("alias/astca/nothing") is None


def test_a_key_spec_outside_the_allow_list_is_refused(keys: KmsKeys) -> None:
    with pytest.raises(Invalid, match="ECC_SECG_P256K1") as error:
        keys.create_signing_key("ECC_SECG_P256K1", "no", {})

    assert error.value.subject == "key spec"


def test_an_alias_names_the_first_key_it_was_given(keys: KmsKeys) -> None:
    first = keys.create_signing_key("ECC_NIST_P256", "first", {})
    second = keys.create_signing_key("ECC_NIST_P256", "second", {})

    assert keys.ensure_alias("alias/astca/test", first) == first
    assert keys.ensure_alias("alias/astca/test", second) == first
    assert keys.ensure_alias("alias/astca/test", first) == first


def test_key_management_failures_are_failed(keys: KmsKeys) -> None:
    missing = "6b1f1e3c-0000-4000-8000-000000000000"

    for operation, call in (
        ("CreateAlias", lambda: keys.ensure_alias("alias/astca/x", missing)),
        ("DisableKey", lambda: keys.disable(missing)),
        ("ScheduleKeyDeletion", lambda: keys.schedule_deletion(missing)),
    ):
        with pytest.raises(DomainError) as error:
            call()
        assert_kms_outcome(error, Failed, f"KMS {operation} failed")


def test_describe_answers_none_only_for_a_missing_key(keys: KmsKeys, monkeypatch: pytest.MonkeyPatch) -> None:
    def denied(**_: Any) -> None:
        raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "DescribeKey")

    assert keys.describe("not a key id") is None
    monkeypatch.setattr(aws.kms(), "describe_key", denied)

    with pytest.raises(DomainError) as error:
        keys.describe("alias/astca/root")

    assert_kms_outcome(error, Failed, "KMS DescribeKey failed (AccessDeniedException)")


# ---------------------------------------------------------------------------------------- throttling, 5xx


@pytest.mark.parametrize(
    ("code", "status", "kind"),
    [
        ("ThrottlingException", 400, Transient),
        ("KMSInternalException", 500, Transient),
        ("DependencyTimeoutException", 503, Transient),
        ("KeyUnavailableException", 500, Transient),
        ("DisabledException", 400, Failed),
        ("KMSInvalidStateException", 400, Failed),
        ("AccessDeniedException", 400, Failed),
    ],
)
def test_a_sign_failure_is_transient_only_when_a_retry_may_help(
    new_signer: SignerFactory, code: str, status: int, kind: type[DomainError]
) -> None:
    # Given a signer whose public key is known, and KMS answering its Sign with this error
    signer = new_signer()
    signer.public_key()

    with Stubber(aws.kms()) as stubber:
        stubber.add_client_error("sign", service_error_code=code, http_status_code=status)
        with pytest.raises(DomainError) as error:
            signer.sign(b"the tbs bytes")
        stubber.assert_no_pending_responses()

    assert_kms_outcome(error, kind, f"KMS Sign failed ({code})")
    assert isinstance(error.value.__cause__, ClientError)


def test_a_throttled_get_public_key_is_transient_and_not_cached() -> None:
    key_id = "6b1f1e3c-0000-4000-8000-000000000001"

    with Stubber(aws.kms()) as stubber:
        stubber.add_client_error("get_public_key", service_error_code="ThrottlingException")
        with pytest.raises(Transient, match=r"KMS GetPublicKey failed \(ThrottlingException\)"):
            KmsSigner(key_id).public_key()

    assert key_id not in kms._public_keys
