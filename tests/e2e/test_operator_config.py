"""A stack started as ``ASTCA_CA_KEY_SPEC=ECC_NIST_P384 ASTCA_SIGNER_KEY_SPEC=ECC_NIST_P256 make run``."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from tests.e2e.conftest import Answer, RunningStack, launch_stack, serving
from tests.e2e.test_signers import issued, new_tenant

pytestmark = pytest.mark.e2e


@dataclass(frozen=True)
class ConfiguredStack:
    """The stack, and its answer to the first API call after the health check."""

    running: RunningStack
    first_jwks: Answer


@pytest.fixture(scope="module")
def configured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConfiguredStack]:
    launched = launch_stack(
        tmp_path_factory.mktemp("configured"),
        ASTCA_CA_KEY_SPEC="ECC_NIST_P384",
        ASTCA_SIGNER_KEY_SPEC="ECC_NIST_P256",
    )
    with serving(launched) as (running,):
        yield ConfiguredStack(running, running.call("GET", "/v1/session-encryption/jwks"))


def curve(pem: str) -> str:
    """The curve name of a certificate's EC public key."""
    public_key = x509.load_pem_x509_certificate(pem.encode()).public_key()
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    return public_key.curve.name


def test_a_fresh_stack_serves_the_session_jwks_as_its_first_call(configured: ConfiguredStack) -> None:
    answer = configured.first_jwks

    assert answer.status == 200, answer.body
    assert [key["alg"] for key in answer.json()["keys"]] == ["RSA-OAEP-256"]


def test_the_operators_ca_key_spec_makes_the_root_and_issuer(configured: ConfiguredStack) -> None:
    kms = configured.running.client("kms")

    for alias in ("alias/astca/root", "alias/astca/issuer"):
        assert kms.describe_key(KeyId=alias)["KeyMetadata"]["KeySpec"] == "ECC_NIST_P384"
    chain = configured.running.call("GET", f"/v1/tenants/{new_tenant()}/ca").json()
    platform = chain["platform"]
    assert (curve(platform["anchor"]), curve(platform["chain"][-1])) == ("secp384r1", "secp384r1")


def test_the_operators_signer_key_spec_makes_the_signers(configured: ConfiguredStack) -> None:
    stack, tenant = configured.running, new_tenant()
    admin = stack.token(tenant, "admin")

    assert (
        stack.call("POST", f"/v1/tenants/{tenant}/signers", token=admin, body={"name": "Fleet"}).status == 202
    )

    assert curve(issued(stack, tenant, admin)["certificate"]) == "secp256r1"
