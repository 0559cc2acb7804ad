"""Session-wide test setup: a fake AWS, one moto for the whole session, the template provisioned on it.

The AWS environment is set here, before any test module imports boto3 or a function: eu-central-1,
placeholder credentials, no profile, no endpoint (``local.aws_env``). One ``mock_aws`` runs for the
session, and every backend is reset before each test (microseconds), so moto state never outlives
a test: a module-scoped fixture that creates AWS resources sees them vanish. A test that needs the
template's resources asks for ``aws``, which provisions template.yaml afresh on the empty moto
(about 15 ms) and gives the ``LocalResources``. Physical names are deterministic, so the
functions' environment, set once in ``os.environ`` at session start, stays true for every test.

moto's KMS is corrected for the session (``local.moto_kms``, which the provisioner applies too:
MessageType=DIGEST signs the digest as it is, RSA keys decrypt OAEP, disabled keys sign nothing).
``ca`` adds the template's custom resources to ``aws``: the CA hierarchy, bootstrapped through its
custom resource function.

Fixtures: ``aws``, ``ca``, ``load_function`` (``functions/<dir>/app.py`` as module ``astca_fn_<dir>``,
imported once per session) and ``lambda_context``. The helpers behind them live in ``local/``,
so the local stack uses the same code.
"""

from __future__ import annotations

import os

from local.aws_env import use_local_aws

use_local_aws()
for _name in [name for name in os.environ if name.startswith("ASTCA_")]:
    del os.environ[_name]  # a developer's shell must not change what the tests see

import json  # noqa: E402 - the environment comes first
import socket  # noqa: E402
import time  # noqa: E402
import urllib.parse  # noqa: E402
import urllib.request  # noqa: E402
from collections.abc import Callable, Iterator  # noqa: E402
from types import ModuleType  # noqa: E402
from typing import Any  # noqa: E402

import jwt  # noqa: E402
import pytest  # noqa: E402
from aws_lambda_powertools.utilities.typing import LambdaContext  # noqa: E402
from moto import mock_aws  # noqa: E402
from moto.core.base_backend import BackendDict  # noqa: E402

from astca.issuance import hierarchy  # noqa: E402
from astca.services.active_signer import active_signers  # noqa: E402
from astca.services.certificate_issuance import certificate_issuance  # noqa: E402
from astca.services.certificates import certificate_service  # noqa: E402
from astca.services.hierarchy import ca_store, hierarchy_service  # noqa: E402
from astca.services.sdk_configs import sdk_config_service  # noqa: E402
from astca.services.signer_issuance import signer_issuance  # noqa: E402
from astca.services.signers import signer_service  # noqa: E402
from astca.services.trust import trust_material  # noqa: E402
from astca.storage.dynamo import Table  # noqa: E402
from local import dev_idp, functions  # noqa: E402
from local.custom_resources import provision_custom_resources  # noqa: E402
from local.moto_kms import correct_kms  # noqa: E402
from local.resources import LocalResources, Provisioner  # noqa: E402
from local.template import Template  # noqa: E402
from tests.corpus.make_corpus import Corpus, make_corpus  # noqa: E402

TEMPLATE = Template.load()
# The functions are deployed as with a mutual-TLS domain (renewals read API Gateway's mutual-TLS
# context) and a service URL (the iss of SDK configs), as `make run` deploys them.
FUNCTION_PARAMETERS = {"MtlsDomainName": "localhost", "ServiceUrl": "https://127.0.0.1"}
correct_kms()  # before any test makes a key: Sign honours MessageType=DIGEST, disabled keys refuse


@pytest.fixture(scope="session")
def idp_server() -> Iterator[dev_idp.DevIdpServer]:
    """The development IdP, serving for the whole session."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = dev_idp.serve(port)
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def idp_url(idp_server: dev_idp.DevIdpServer) -> str:
    """The development IdP's base URL: the functions' ASTCA_OIDC_BASE_URL."""
    return idp_server.idp.base_url


@pytest.fixture(scope="session")
def forged_token(idp_server: dev_idp.DevIdpServer) -> Callable[..., str]:
    """``forged_token(realm, header={...}, claim=value, ...)``: a token signed by the realm's own key.

    The claims start as the development IdP's device token; a keyword overrides one (None removes it).
    It is how a test sends what a misconfigured or hostile IdP realm could sign.
    """
    idp = idp_server.idp

    def forge(realm: str = "acme", *, header: dict[str, Any] | None = None, **overrides: Any) -> str:
        now = int(time.time())
        device = idp.users["device"]
        claims: dict[str, Any] = {
            "iss": idp.issuer(realm),
            "sub": device.subject,
            "typ": "Bearer",
            "iat": now,
            "exp": now + 300,
            **device.claims,
            **overrides,
        }
        claims = {name: value for name, value in claims.items() if value is not None}
        return jwt.encode(
            claims, idp.key(realm), algorithm="ES256", headers={"kid": f"{realm}-dev", **(header or {})}
        )

    return forge


@pytest.fixture(scope="session", autouse=True)
def _moto(idp_url: str) -> Iterator[tuple[Provisioner, LocalResources]]:
    """One mock_aws for the session; the functions' environment from a first provisioning."""
    with mock_aws():
        provisioner = Provisioner()
        resources = provisioner.provision(TEMPLATE, parameters=FUNCTION_PARAMETERS | {"OidcBaseUrl": idp_url})
        for logical_id, environment in resources.environments.items():
            functions.apply_environment(logical_id, environment)
        yield provisioner, resources


@pytest.fixture(autouse=True)
def _fresh_backends(_moto: tuple[Provisioner, LocalResources]) -> None:
    """Every test starts on an empty moto."""
    BackendDict.reset()


@pytest.fixture
def aws(_moto: tuple[Provisioner, LocalResources], _fresh_backends: None) -> LocalResources:
    """The template's tables, queues and secrets, provisioned afresh on the empty moto of this test."""
    provisioner, first = _moto
    resources = provisioner.provision(TEMPLATE, parameters=first.parameters)
    assert resources.environments == first.environments, "provisioning must give the same names every time"
    return resources


@pytest.fixture(scope="session")
def token(idp_url: str) -> Callable[..., str]:
    """``token(realm, user)``: an access token of the development IdP (users admin and device)."""

    def issue(realm: str = "acme", user: str = "admin") -> str:
        form = urllib.parse.urlencode(
            {"grant_type": "password", "client_id": "astca-dev", "username": user, "password": user}
        ).encode()
        url = f"{idp_url}/realms/{realm}/protocol/openid-connect/token"
        with urllib.request.urlopen(urllib.request.Request(url, data=form), timeout=5) as response:
            return str(json.load(response)["access_token"])

    return issue


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    """The CSR corpus (tests/corpus/make_corpus.py), made by openssl once per session."""
    return make_corpus(tmp_path_factory.mktemp("csr-corpus"))


@pytest.fixture(autouse=True)
def _fresh_ca_hierarchy() -> None:
    """Per-container caches start empty, like the table of every test (a fresh container each time)."""
    hierarchy._hierarchies.clear()  # each test starts with an empty table: no CA cached
    ca_store.cache_clear()
    for factory in (
        certificate_issuance,
        certificate_service,
        sdk_config_service,
        signer_issuance,
        signer_service,
        active_signers,
        hierarchy_service,
        trust_material,
    ):
        factory.cache_clear()


@pytest.fixture
def table(aws: LocalResources) -> Table:
    """The template's single table of this test."""
    return Table(aws.tables["Table"])


@pytest.fixture
def ca(aws: LocalResources) -> LocalResources:
    """``aws`` plus the template's custom resources: the CA hierarchy bootstrapped as a deploy does it.

    Opt-in because it costs about 40 ms (KMS keys, two signatures, the custom resource's HTTP answer)
    on top of ``aws``'s 20; ``astca.issuance.hierarchy.load_hierarchy`` then reads the hierarchy.
    """
    return provision_custom_resources(aws)


@pytest.fixture(scope="session")
def load_function() -> Callable[[str], ModuleType]:
    """Import ``functions/<dir>/app.py`` as ``astca_fn_<dir>`` (once per session) and return the module."""
    return functions.load_function_module


@pytest.fixture
def lambda_context() -> LambdaContext:
    """A fresh Lambda context, as one invocation gets."""
    return functions.lambda_context()
