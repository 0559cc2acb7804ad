"""The running stack runs its functions as Lambda does: each in its own process, its own log identity, real KMS signing."""

from __future__ import annotations

import hashlib
import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils

from local.intrinsics import Resolver
from local.template import Template
from tests.e2e.conftest import RunningStack, request, wait_for

pytestmark = pytest.mark.e2e

# Two functions that log a line for every request without a token (its refusal, 401).
ROUTES = {
    "WhoamiFunction": "/v1/tenants/acme/whoami",
    "ListSignersFunction": "/v1/tenants/acme/signers",
}


def function_names() -> dict[str, str]:
    """Each function's FunctionName as the stack resolves it, by logical id."""
    template = Template.load()
    resolver = Resolver(template, {}, region="eu-central-1", account_id="123456789012")
    return {
        logical_id: str(resolver.resolve(spec.function_name))
        for logical_id, spec in template.functions.items()
    }


def json_lines(text: str) -> list[dict[str, Any]]:
    """The log's JSON lines (Powertools Logger's), the others skipped."""
    lines = []
    for line in text.splitlines():
        if line.startswith("{"):
            try:
                lines.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return lines


def test_each_log_line_names_the_function_and_request_that_wrote_it(stack: RunningStack) -> None:
    def call(logical_id: str) -> tuple[str, str]:
        answer = request(f"{stack.base_url}{ROUTES[logical_id]}")
        assert answer.status == 401, answer.body
        return logical_id, answer.headers["apigw-requestid"]

    names = function_names()
    ours = {names[logical_id] for logical_id in ROUTES}
    offset = len(stack.log.read_bytes())
    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(call, [logical_id for _ in range(32) for logical_id in ROUTES]))
    served = {request_id: logical_id for logical_id, request_id in answers}

    def logged() -> list[dict[str, Any]] | None:
        text = stack.log.read_bytes()[offset:].decode(errors="replace")
        lines = [line for line in json_lines(text) if line.get("function_name") in ours]
        return lines if {line.get("correlation_id") for line in lines} >= served.keys() else None

    # Shared logger state shows as lines with another request's id (some requests then have none).
    lines = wait_for(logged, seconds=10, what="a line of its function with its request id for every request")
    for line in lines:
        assert line["correlation_id"] in served, line
        assert line["function_name"] == names[served[line["correlation_id"]]], line
    by_request: dict[str, set[str]] = {}
    for line in lines:
        by_request.setdefault(line["correlation_id"], set()).add(line["function_request_id"])
    assert all(len(ids) == 1 for ids in by_request.values())  # one invocation, one Lambda request id
    assert len(set().union(*by_request.values())) == len(served)


def test_the_stacks_moto_signs_a_digest_as_kms_does(stack: RunningStack) -> None:
    kms = stack.client("kms")
    message = b"a to-be-signed certificate" * 300  # over KMS's 4096 bytes: astca sends its digest
    digest = hashlib.sha256(message).digest()
    for key_spec, algorithm in (("ECC_NIST_P256", "ECDSA_SHA_256"), ("RSA_2048", "RSASSA_PSS_SHA_256")):
        key_id = kms.create_key(KeySpec=key_spec, KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
        signature = kms.sign(KeyId=key_id, Message=digest, MessageType="DIGEST", SigningAlgorithm=algorithm)[
            "Signature"
        ]
        public_key = serialization.load_der_public_key(kms.get_public_key(KeyId=key_id)["PublicKey"])
        prehashed = utils.Prehashed(hashes.SHA256())
        if isinstance(public_key, ec.EllipticCurvePublicKey):
            public_key.verify(signature, digest, ec.ECDSA(prehashed))
        else:
            assert isinstance(public_key, rsa.RSAPublicKey)
            pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
            public_key.verify(signature, digest, pss, prehashed)
            public_key.verify(signature, message, pss, hashes.SHA256())  # the same as signing the message


def test_a_disabled_key_signs_nothing_on_the_stacks_moto(stack: RunningStack) -> None:
    kms = stack.client("kms")
    key_id = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    kms.disable_key(KeyId=key_id)

    with pytest.raises(kms.exceptions.DisabledException):
        kms.sign(KeyId=key_id, Message=b"m", SigningAlgorithm="ECDSA_SHA_256")
