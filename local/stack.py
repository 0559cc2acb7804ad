"""``make run``: the whole service locally: moto server, the template's resources, functions, gateway and pollers.

Start order: a moto server (``ASTCA_MOTO_PORT``, default 4566; ``local.moto_server``: moto's
handlers on kept-alive connections) that every boto3 client reaches through ``AWS_ENDPOINT_URL``;
the template's tables, queues, secrets and KMS keys provisioned on it (moto patched to behave and
cost as AWS does: ``local.moto_dynamodb``, ``local.moto_sqs``, ``local.moto_kms``,
``local.moto_speed``); with ``ASTCA_STATE_DIR`` the previous run's items and keys restored
(``local.state``); the functions (``local.processes``: each function in worker processes of its
own, with only its own environment, as Lambda runs it); the custom resources, whose functions run
there too (the CA hierarchy's bootstrap, as at deploy time; its worker is then stopped, as nothing
calls it again); then the components that ``COMPONENTS`` builds (the gateway on
``ASTCA_HOST``:``ASTCA_PORT``, default 127.0.0.1:3000, its HTTPS listener on ``ASTCA_TLS_PORT``,
default 3443, and one poller per SQS or DynamoDB event source, which call moto in this process as
wire JSON: ``local.moto_server.JsonApi``). One worker of every API function is started in the
background meanwhile (its cold start), other workers on first use. Ctrl-C or SIGTERM stops the
components in reverse order (the workers killed, the state saved, moto last) and exits 0.

The stack process imports no function and no part of the layer: it is the AWS side. A function's
environment is the template's Globals and its own Variables, resolved against what was provisioned,
plus the local AWS variables, plus what the operator gave ``make run``: an ``ASTCA_`` variable that
the template sets from a parameter (``ASTCA_CA_KEY_SPEC: !Ref CaKeySpec``) overrides that parameter,
as ``--parameter-overrides`` would, so it reaches every function and resource that uses the
parameter; other ``ASTCA_`` and ``POWERTOOLS_`` variables go to every function as they are. The
stack's own variables (ports, ``ASTCA_STATE_DIR``, ``ASTCA_LOCAL_CONCURRENCY``) go to none.

Adding a component (another local service, say): write a factory that takes the ``StackContext``
and returns components (anything with ``name``, ``start()`` and ``stop()``), and put it in
``COMPONENTS`` before ``gateway``, so it serves before the first request can. What the functions
must know about it goes in as the template would take it: a parameter override in
``StackConfig.parameters`` (``{"OidcBaseUrl": "http://127.0.0.1:8081"}``, resolved into
ASTCA_OIDC_BASE_URL at provisioning), or else ``context.functions.override_environment(...)``,
which works until a function's first worker starts (the API functions' start before the
components do, the bootstrap's at provisioning).
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, MutableMapping, Sequence
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3

from local import dev_idp
from local.aws_env import use_local_aws
from local.components import Component
from local.custom_resources import custom_resource_ids, provision_custom_resources
from local.docs import docs_pages, generated_document
from local.gateway import Gateway, GatewayServer, HttpRequest
from local.moto_server import JsonApi, in_process
from local.moto_server import MotoServer as MotoServer  # noqa: PLC0414 - re-exported: bench.cold_start starts one
from local.processes import DEFAULT_CONCURRENCY, ProcessFunctions
from local.resources import LocalResources, Provisioner
from local.routes import RouteTable
from local.sqs_poller import SqsPoller
from local.state import StateDir
from local.stream_poller import StreamPoller
from local.template import Template
from local.tls import server_certificate_path, server_context, write_server_credentials

logger = logging.getLogger("local.stack")


# What an operator may give every function beside the template's variables.
OPERATOR_PREFIXES = ("ASTCA_", "POWERTOOLS_")


@dataclass(frozen=True)
class StackConfig:
    """Where the stack listens, the template parameters it overrides, and what every function gets besides."""

    host: str = "127.0.0.1"
    port: int = 3000
    tls_port: int = 3443
    moto_port: int = 4566
    idp_port: int | None = 8081
    parameters: dict[str, Any] = field(default_factory=dict)
    environment: dict[str, str] = field(default_factory=dict)
    concurrency: int = DEFAULT_CONCURRENCY
    state_dir: Path | None = None

    @classmethod
    def from_environ(cls, environ: MutableMapping[str, str], template: Template | None = None) -> StackConfig:
        """Read the operator's variables, removing the stack's own and those that became parameters.

        ASTCA_HOST, ASTCA_PORT, ASTCA_TLS_PORT, ASTCA_MOTO_PORT and ASTCA_IDP_PORT place the parts;
        ASTCA_LOCAL_CONCURRENCY caps each function's worker processes (default 4); ASTCA_STATE_DIR
        keeps the state between restarts (``local.state``). With ASTCA_OIDC_BASE_URL set the
        functions use that identity provider; without it the stack starts the development IdP and
        points the functions at it. The HTTPS listener plays the API's mutual-TLS domain
        (MtlsDomainName) and its URL is the service's (ServiceUrl, the iss of SDK configs); the
        plain HTTP listener's URL is the one certificates name (CaUrl: AIA and device URIs).

        Every other ASTCA_ variable that the template sets from a parameter (``!Ref CaKeySpec``)
        overrides that parameter; the remaining ASTCA_ and POWERTOOLS_ variables go to every
        function's environment as they are (they stay in ``environ``).
        """
        template = template or Template.load()
        host = environ.pop("ASTCA_HOST", cls.host)
        idp_port = int(environ.pop("ASTCA_IDP_PORT", "8081"))
        tls_port = int(environ.pop("ASTCA_TLS_PORT", cls.tls_port))
        port = int(environ.pop("ASTCA_PORT", cls.port))
        oidc_base_url = environ.pop("ASTCA_OIDC_BASE_URL", "")
        state_dir = environ.pop("ASTCA_STATE_DIR", "")
        parameters: dict[str, Any] = {
            "OidcBaseUrl": oidc_base_url or f"http://{host}:{idp_port}",
            "MtlsDomainName": "localhost",
            "ServiceUrl": f"https://{host}:{tls_port}",
            # What certificates point relying parties at (AIA): the plain HTTP listener, as AIA is.
            "CaUrl": f"http://{host}:{port}",
        }
        for name, parameter_names in sorted(template.parameter_variables().items()):
            if name in environ:
                value = environ.pop(name)
                parameters.update(dict.fromkeys(sorted(parameter_names), value))
        return cls(
            host=host,
            port=port,
            tls_port=tls_port,
            moto_port=int(environ.pop("ASTCA_MOTO_PORT", cls.moto_port)),
            idp_port=None if oidc_base_url else idp_port,
            parameters=parameters,
            concurrency=int(environ.pop("ASTCA_LOCAL_CONCURRENCY", cls.concurrency)),
            state_dir=Path(state_dir).expanduser().resolve() if state_dir else None,
            environment={
                name: value for name, value in environ.items() if name.startswith(OPERATOR_PREFIXES)
            },
        )

    @property
    def endpoint_url(self) -> str:
        """The moto server's URL."""
        return f"http://{self.host}:{self.moto_port}"

    @property
    def base_url(self) -> str:
        """The gateway's URL."""
        return f"http://{self.host}:{self.port}"

    @property
    def tls_base_url(self) -> str:
        """The gateway's HTTPS (mutual TLS) URL."""
        return f"https://{self.host}:{self.tls_port}"


@dataclass(frozen=True)
class StackContext:
    """What a component factory builds on."""

    config: StackConfig
    template: Template
    resources: LocalResources
    functions: ProcessFunctions

    def client(self, service: str) -> Any:
        """A boto3 client of the moto server that calls it in this process (``local.moto_server.in_process``)."""
        return in_process(boto3.client(service, region_name=self.resources.region))  # type: ignore[call-overload]

    def json_api(self, service: str) -> Any:
        """The moto server's JSON API of ``service``, called in this process as wire JSON (``JsonApi``).

        boto3 method names, answers as Lambda's pollers see them: what the pollers use (no botocore
        serializing, signing and parsing every record of every stream read, on both sides).
        """
        return JsonApi(service, region=self.resources.region, endpoint_url=self.config.endpoint_url)


ComponentFactory = Callable[[StackContext], Sequence[Component]]


# The API's public CA chain, which the HTTPS listener trusts client certificates from.
CA_CHAIN_PATH = "/v1/tenants/local/ca"


def ca_certificates(api: Gateway) -> str:
    """The platform root and issuer certificates (PEM), asked of the API as a client would (the stack imports no layer).

    A tenant without signers has the issuer alone above it on the platform path; a device presents its
    delivered chain (its signer, its tenant anchor's cross-certificate, the issuer), as it would to
    API Gateway's mutual-TLS domain, whose trust store holds the same two certificates.
    """
    answer = api.handle(HttpRequest("GET", CA_CHAIN_PATH))
    if answer.status != 200:
        raise RuntimeError(f"GET {CA_CHAIN_PATH} answered {answer.status}: {answer.body[:300]!r}")
    platform = json.loads(answer.body)["platform"]
    return str(platform["anchor"]) + "".join(str(pem) for pem in platform["chain"])


def gateway(context: StackContext) -> list[Component]:
    """The HTTP API on the template's routes, plus /docs and /openapi.json, over HTTP and HTTPS (local.tls)."""
    pages = docs_pages(generated_document)
    api = Gateway(RouteTable(context.template.routes()), context.functions, local_pages=pages)
    config = context.config
    certificate, key = write_server_credentials(server_certificate_path(config.tls_port).parent)
    tls = server_context(certificate, key, client_cas=ca_certificates(api))
    return [
        GatewayServer(api, host=config.host, port=config.port),
        GatewayServer(api, host=config.host, port=config.tls_port, tls=tls),
    ]


def pollers(context: StackContext) -> list[Component]:
    """One poller per SQS and DynamoDB stream event source of the template, calling moto without botocore."""
    sqs, streams = context.json_api("sqs"), context.json_api("dynamodbstreams")
    resources = context.resources
    components: list[Component] = []
    for function in context.functions:
        for source in function.spec.sqs_sources:
            queue_url, queue_arn = resources.queues[source.queue], resources.attribute(source.queue, "Arn")
            components.append(SqsPoller(source, function, sqs=sqs, queue_url=queue_url, queue_arn=queue_arn))
        for stream in function.spec.stream_sources:
            components.append(
                StreamPoller(
                    stream,
                    function,
                    streams=streams,
                    sqs=sqs,
                    stream_arn=resources.attribute(stream.table, "StreamArn"),
                    on_failure_queue_url=resources.queues[stream.on_failure] if stream.on_failure else None,
                )
            )
    return components


class DevIdentityProvider:
    """The development identity provider (local.dev_idp) on ASTCA_IDP_PORT."""

    name = "dev-idp"

    def __init__(self, *, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._server: ThreadingHTTPServer | None = None

    def start(self) -> None:
        """Serve Keycloak's paths for any realm."""
        self._server = dev_idp.serve(self.port, host=self.host)

    def stop(self) -> None:
        """Stop serving."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


def identity_provider(context: StackContext) -> list[Component]:
    """The development IdP, unless ASTCA_OIDC_BASE_URL names a real one."""
    port = context.config.idp_port
    return [] if port is None else [DevIdentityProvider(host=context.config.host, port=port)]


# The stack's components, in start order.
COMPONENTS: list[ComponentFactory] = [identity_provider, gateway, pollers]


def release_provisioning_workers(functions: ProcessFunctions) -> None:
    """Stop the workers of functions nothing calls once the stack runs (custom resources: the bootstrap).

    Such a function has no route and no event source: its worker (~50 MB) would idle for the life of
    the stack. Lambda reclaims an idle environment too; a later invocation starts a new one.
    """
    for function in functions:
        spec = function.spec
        if not (spec.routes or spec.sqs_sources or spec.stream_sources):
            function.release_idle()


def warm_api_functions(functions: ProcessFunctions) -> threading.Thread:
    """Start one worker of every API function in the background (their cold starts, mostly before any request).

    In the background because 20 cold starts take 2-3 s of CPU (more on a busy machine) and the stack
    should serve at once; a request that comes first starts its own worker, as Lambda would.
    """
    wanted = [function.spec.logical_id for function in functions if function.spec.routes]

    def warm() -> None:
        began = time.perf_counter()
        failures = functions.warm(wanted)
        for logical_id, error in failures.items():
            logger.error("%s does not start (its invocations will fail): %s", logical_id, error)
        elapsed = time.perf_counter() - began
        logger.info(
            "warmed %d of %d API functions in %.1f s", len(wanted) - len(failures), len(wanted), elapsed
        )

    thread = threading.Thread(target=warm, name="warm-functions", daemon=True)
    thread.start()
    return thread


class Stack:
    """The local stack: start it, serve, stop it."""

    def __init__(
        self,
        config: StackConfig,
        *,
        template: Template | None = None,
        factories: Sequence[ComponentFactory] | None = None,
    ) -> None:
        self.config = config
        self.template = template or Template.load()
        self.factories = list(COMPONENTS if factories is None else factories)
        self.started: list[Component] = []

    def start(self) -> StackContext:
        """Start moto, provision (restoring the saved state), run the custom resources, start every component."""
        config = self.config
        use_local_aws(config.endpoint_url)
        self._start(MotoServer(host=config.host, port=config.moto_port))
        provisioner = Provisioner()
        resources = provisioner.provision(self.template, parameters=config.parameters)
        if config.state_dir is not None:
            state = StateDir(config.state_dir, dynamodb=provisioner.dynamodb)
            resources = state.restore(resources)
            self._start(state)  # stopped after the functions: the last save sees every write
        functions = ProcessFunctions(
            resources,
            endpoint_url=config.endpoint_url,
            operator=config.environment,
            concurrency=config.concurrency,
        )
        self._start(functions)
        resources = provision_custom_resources(resources, functions=functions)
        for logical_id in custom_resource_ids(self.template):
            logger.info("provisioned %s: %s", logical_id, resources.physical[logical_id].ref)
        release_provisioning_workers(functions)
        context = StackContext(config, self.template, resources, functions)
        components = [component for factory in self.factories for component in factory(context)]
        warm_api_functions(functions)
        for component in components:
            self._start(component)
        return context

    def _start(self, component: Component) -> None:
        component.start()
        self.started.append(component)
        logger.info("started %s", component.name)

    def stop(self) -> None:
        """Stop what was started, last first."""
        while self.started:
            component = self.started.pop()
            began = time.perf_counter()
            try:
                component.stop()
            except Exception:
                logger.exception("stopping %s failed", component.name)
            else:
                logger.info("stopped %s (%.0f ms)", component.name, (time.perf_counter() - began) * 1000)


def banner(context: StackContext, seconds: float) -> str:
    """What the stack prints once it serves."""
    config = context.config
    return "\n".join(
        [
            f"astca is running locally (started in {seconds:.1f} s)",
            f"  API      {config.base_url}  ({len(context.template.routes())} routes from template.yaml)",
            f"  HTTPS    {config.tls_base_url}  (mutual TLS as the API's mTLS domain: a device renews with "
            "curl --cert device.pem --key device.key)",
            f"  trust    {server_certificate_path(config.tls_port)}  (the HTTPS server's certificate: curl --cacert)",
            f"  docs     {config.base_url}/docs  (local only, not in the template)",
            f"  AWS      {config.endpoint_url}  (moto; AWS_ENDPOINT_URL={config.endpoint_url})",
            f"  lambda   {len(context.template.functions)} functions, each in processes of its own "
            f"(up to {config.concurrency} each: ASTCA_LOCAL_CONCURRENCY)",
            *(_state_line(config) if config.state_dir else []),
            f"  IdP      {config.parameters.get('OidcBaseUrl')}"
            + ("  (development IdP: users admin/admin and device/device)" if config.idp_port else ""),
            f"  try      curl -s {config.base_url}/v1/health",
            *(_token_hint(config) if config.idp_port else []),
            "Ctrl-C stops it.",
        ]
    )


def _state_line(config: StackConfig) -> list[str]:
    return [f"  state    {config.state_dir}  (tables and KMS keys, private keys included, kept between runs)"]


def _token_hint(config: StackConfig) -> list[str]:
    token_url = f"{config.parameters['OidcBaseUrl']}/realms/acme/protocol/openid-connect/token"
    return [
        "  token    curl -s -d grant_type=password -d client_id=astca-dev -d username=admin -d password=admin \\",
        f"             {token_url}",
    ]


def main() -> int:
    """Run the stack until Ctrl-C or SIGTERM."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("werkzeug", "botocore", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    started_at = time.perf_counter()
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stack = Stack(StackConfig.from_environ(os.environ))
    try:
        context = stack.start()
    except Exception as exc:
        logger.exception("the stack did not start")
        stack.stop()
        print(f"astca local stack failed to start: {exc}", file=sys.stderr)
        return 1
    print(banner(context, time.perf_counter() - started_at), flush=True)
    stop.wait()
    logger.info("stopping")
    stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
