"""Interop with a real OpenID provider: npm's ``oidc-provider`` serving the realms ``a`` and ``b``.

tests/e2e/oidc_provider/provider.mjs runs it (``make install`` puts its node_modules in place).
Its client_credentials tokens are ES256 JWTs signed by the realm's own key. Two stacks of this
module's own start in parallel: one whose ASTCA_OIDC_BASE_URL is the provider, one whose
ASTCA_OIDC_BASE_URL is a port nothing listens on.
"""

from __future__ import annotations

import base64
import os
import select
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from astca.catalog import CaError
from astca.identity.idp_http import IdpHttp
from astca.identity.oidc import RealmDirectory
from astca.identity.tokens import TokenVerifier
from tests.e2e.conftest import Answer, RunningStack, free_port, launch_stack, request, serving

pytestmark = pytest.mark.e2e

PROVIDER_DIR = Path(__file__).parent / "oidc_provider"
READY_SECONDS = 10.0
CLIENT_ID, CLIENT_SECRET = "astca-interop", "interop-secret"  # provider.mjs's client of every realm


@dataclass(frozen=True)
class OidcProvider:
    """The running provider: ``{base_url}/realms/a`` and ``/realms/b`` are its issuers."""

    base_url: str

    def issuer(self, realm: str) -> str:
        """The issuer of ``realm``."""
        return f"{self.base_url}/realms/{realm}"

    def token(self, realm: str) -> str:
        """A fresh client_credentials access token of ``realm``, from the token endpoint it announces."""
        discovery = request(f"{self.issuer(realm)}/.well-known/openid-configuration")
        assert discovery.status == 200, discovery.body
        basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        answer = request(
            discovery.json()["token_endpoint"],
            "POST",
            headers={"Authorization": f"Basic {basic}", "Content-Type": "application/x-www-form-urlencoded"},
            body=b"grant_type=client_credentials",
        )
        assert answer.status == 200, answer.body
        return str(answer.json()["access_token"])


@dataclass(frozen=True)
class Stacks:
    """This module's stacks."""

    interop: RunningStack
    unreachable_idp: RunningStack


def read_ready_line(process: subprocess.Popen[bytes], log: Path, *, seconds: float) -> str:
    """The provider's ``ready <base url>`` line, or a failure once it exits or ``seconds`` pass."""
    assert process.stdout is not None
    deadline, buffer = time.monotonic() + seconds, b""
    while b"\n" not in buffer:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"oidc-provider not ready within {seconds} s:\n{log.read_text()}")
        readable, _, _ = select.select([process.stdout], [], [], remaining)
        chunk = os.read(process.stdout.fileno(), 1024) if readable else b""
        if readable and not chunk:
            process.wait(timeout=5)
            raise AssertionError(f"oidc-provider exited with {process.returncode}:\n{log.read_text()}")
        buffer += chunk
    line = buffer.split(b"\n", 1)[0].decode()
    assert line.startswith("ready http://"), line
    return line.removeprefix("ready ")


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OidcProvider]:
    """provider.mjs on a port of its choosing; stopped after by closing its stdin (killed if it lingers)."""
    node = shutil.which("node")
    assert node, "Node.js is needed for the OpenID provider of the interop tests"
    assert (PROVIDER_DIR / "node_modules" / "oidc-provider").is_dir(), (
        f"{PROVIDER_DIR}/node_modules is missing: run `make install`"
    )
    log = tmp_path_factory.mktemp("oidc-provider") / "provider.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [node, "provider.mjs", "0"],
            cwd=PROVIDER_DIR,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=sink,
        )
    try:
        yield OidcProvider(read_ready_line(process, log, seconds=READY_SECONDS))
    finally:
        assert process.stdin is not None
        assert process.stdout is not None
        process.stdin.close()  # provider.mjs exits when its stdin ends
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        process.stdout.close()


@pytest.fixture(scope="module")
def stacks(provider: OidcProvider, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stacks]:
    """A stack on the provider and one on an IdP that cannot be reached, started in parallel."""
    interop = launch_stack(tmp_path_factory.mktemp("interop"), ASTCA_OIDC_BASE_URL=provider.base_url)
    unreachable = launch_stack(
        tmp_path_factory.mktemp("unreachable"), ASTCA_OIDC_BASE_URL=f"http://127.0.0.1:{free_port()}"
    )
    with serving(interop, unreachable) as (interop_running, unreachable_running):
        yield Stacks(interop_running, unreachable_running)


def whoami(stack: RunningStack, tenant: str, token: str) -> Answer:
    """GET /v1/tenants/{tenant}/whoami with ``token``."""
    return request(
        f"{stack.base_url}/v1/tenants/{tenant}/whoami", headers={"Authorization": f"Bearer {token}"}
    )


def test_the_provider_issues_es256_jwts_of_its_realm(provider: OidcProvider) -> None:
    token = provider.token("a")

    header = jwt.get_unverified_header(token)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert header["alg"] == "ES256"
    assert header["kid"].startswith("a-")
    assert claims["iss"] == provider.issuer("a")
    assert claims["sub"] == CLIENT_ID
    assert claims["exp"] > claims["iat"]


@pytest.mark.parametrize("realm", ["a", "b"])
def test_a_realm_token_is_accepted_on_its_tenant(stacks: Stacks, provider: OidcProvider, realm: str) -> None:
    answer = whoami(stacks.interop, realm, provider.token(realm))

    assert answer.status == 200, answer.body
    assert answer.json()["tenant"] == realm
    assert answer.json()["userId"] == CLIENT_ID


def test_a_token_of_realm_a_is_refused_on_tenant_b(stacks: Stacks, provider: OidcProvider) -> None:
    answer = whoami(stacks.interop, "b", provider.token("a"))

    assert answer.status == 401, answer.body
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.headers["www-authenticate"].startswith("Bearer")
    problem = answer.json()
    assert problem["code"] == 510000401
    assert problem["detail"] == "the token is from realm 'a', not from tenant 'b' of the path"


def test_a_tenant_without_a_realm_is_realm_does_not_exist(stacks: Stacks, provider: OidcProvider) -> None:
    # Only a token that claims realm c gets as far as discovery: any other is refused for its realm first.
    forged = jwt.encode(
        {"iss": provider.issuer("c"), "sub": "x", "exp": int(time.time()) + 60},
        ec.generate_private_key(ec.SECP256R1()),
        algorithm="ES256",
    )

    answer = whoami(stacks.interop, "c", forged)

    assert answer.status == 404, answer.body
    assert answer.json()["code"] == 510001002
    assert answer.json()["name"] == "RealmDoesNotExist"


def test_an_idp_that_cannot_be_reached_is_idp_unavailable(stacks: Stacks, provider: OidcProvider) -> None:
    answer = whoami(stacks.unreachable_idp, "a", provider.token("a"))

    assert answer.status == 503, answer.body
    assert answer.json()["code"] == 510001003
    assert answer.json()["name"] == "IdpUnavailable"


class CountingFetcher:
    """The service's IdP client, counting the documents it fetches."""

    def __init__(self) -> None:
        self.http = IdpHttp(tls_mode="system", trust_store=None, timeout=3.0)
        self.urls: list[str] = []

    def get_json(self, url: str) -> object:
        """Fetch through IdpHttp, and count."""
        self.urls.append(url)
        return self.http.get_json(url)


def test_with_warm_caches_validation_makes_no_network_call(provider: OidcProvider) -> None:
    fetcher = CountingFetcher()
    verifier = TokenVerifier(RealmDirectory(provider.base_url, fetcher))

    assert verifier.verify(provider.token("a"), "a")["iss"] == provider.issuer("a")
    assert fetcher.urls == [
        f"{provider.issuer('a')}/.well-known/openid-configuration",
        f"{provider.issuer('a')}/jwks",
    ]
    fetcher.urls.clear()

    fresh = [provider.token("a") for _ in range(3)]
    assert len(set(fresh)) == 3
    for token in fresh:
        assert verifier.verify(token, "a")["sub"] == CLIENT_ID
    with pytest.raises(CaError, match="not from tenant 'a'"):
        verifier.verify(provider.token("b"), "a")
    assert fetcher.urls == []


def test_discovery_is_json_the_service_reads(provider: OidcProvider) -> None:
    document = request(f"{provider.issuer('b')}/.well-known/openid-configuration").json()

    assert document["issuer"] == provider.issuer("b")
    assert "ES256" in document["id_token_signing_alg_values_supported"]
    assert request(f"{provider.base_url}/realms/c/.well-known/openid-configuration").status == 404
