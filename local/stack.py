"""``make run``: the whole service in one process: moto server, the template's resources, gateway and pollers.

Start order: a moto server (``ASTCA_MOTO_PORT``, default 4566) that every boto3 client reaches
through ``AWS_ENDPOINT_URL``; the template's resources provisioned on it, custom resources last
(the CA hierarchy's bootstrap runs there, as at deploy time); then the components that
``COMPONENTS`` builds (the gateway on ``ASTCA_HOST``:``ASTCA_PORT``, default 127.0.0.1:3000, its
HTTPS listener on ``ASTCA_TLS_PORT``, default 3443, and one poller per SQS or DynamoDB event source)
are built, every function is imported once (its cold start), and only then do the components start,
so no request is served before every function's settings are in place.
Ctrl-C or SIGTERM stops the components in reverse order and exits 0.

Adding a component (the development identity provider on 8081, say): write a factory that takes
the ``StackContext`` and returns components (anything with ``name``, ``start()`` and ``stop()``),
and put it in ``COMPONENTS`` before ``gateway``, so it serves before the first request can. What the
functions must know about it goes in as the template would take it: a parameter override in
``StackConfig.parameters`` (``{"OidcBaseUrl": "http://127.0.0.1:8081"}``, resolved into
ASTCA_OIDC_BASE_URL at provisioning), or else ``context.functions.override_environment(...)``,
which works until a function is imported (a custom resource's function is imported at provisioning).
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, MutableMapping, Sequence
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from typing import Any

import boto3

from local import dev_idp
from local.aws_env import use_local_aws
from local.components import Component
from local.custom_resources import custom_resource_ids
from local.docs import docs_pages
from local.functions import LocalFunctions
from local.gateway import Gateway, GatewayServer
from local.openapi import openapi_document
from local.resources import LocalResources, Provisioner
from local.routes import RouteTable
from local.sqs_poller import SqsPoller
from local.stream_poller import StreamPoller
from local.template import Template
from local.tls import server_certificate_path, server_context, write_server_credentials

logger = logging.getLogger("local.stack")


@dataclass(frozen=True)
class StackConfig:
    """Where the stack listens, and the template parameters it overrides."""

    host: str = "127.0.0.1"
    port: int = 3000
    tls_port: int = 3443
    moto_port: int = 4566
    idp_port: int | None = 8081
    parameters: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_environ(cls, environ: MutableMapping[str, str]) -> StackConfig:
        """Read and remove the stack's ASTCA_ variables (the functions reject unknown ASTCA_ names).

        ASTCA_HOST, ASTCA_PORT, ASTCA_TLS_PORT, ASTCA_MOTO_PORT and ASTCA_IDP_PORT place the parts.
        With ASTCA_OIDC_BASE_URL set the functions use that identity provider; without it the stack
        starts the development IdP and points the functions at it. The HTTPS listener plays the API's
        mutual-TLS domain (MtlsDomainName) and its URL is the service's (ServiceUrl, the iss of SDK
        configs).
        """
        host = environ.pop("ASTCA_HOST", cls.host)
        idp_port = int(environ.pop("ASTCA_IDP_PORT", "8081"))
        tls_port = int(environ.pop("ASTCA_TLS_PORT", cls.tls_port))
        oidc_base_url = environ.pop("ASTCA_OIDC_BASE_URL", "")
        return cls(
            host=host,
            port=int(environ.pop("ASTCA_PORT", cls.port)),
            tls_port=tls_port,
            moto_port=int(environ.pop("ASTCA_MOTO_PORT", cls.moto_port)),
            idp_port=None if oidc_base_url else idp_port,
            parameters={
                "OidcBaseUrl": oidc_base_url or f"http://{host}:{idp_port}",
                "MtlsDomainName": "localhost",
                "ServiceUrl": f"https://{host}:{tls_port}",
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
    functions: LocalFunctions

    def client(self, service: str) -> Any:
        """A boto3 client of the moto server."""
        return boto3.client(service, region_name=self.resources.region)  # type: ignore[call-overload]


ComponentFactory = Callable[[StackContext], Sequence[Component]]


def gateway(context: StackContext) -> list[Component]:
    """The HTTP API on the template's routes, plus /docs and /openapi.json, over HTTP and HTTPS (local.tls)."""
    from astca.issuance.hierarchy import load_hierarchy
    from astca.storage.dynamo import Table

    pages = docs_pages(lambda: openapi_document(context.functions))
    api = Gateway(RouteTable(context.template.routes()), context.functions, local_pages=pages)
    config = context.config
    hierarchy = load_hierarchy(Table(context.resources.physical["Table"].ref))
    certificate, key = write_server_credentials(server_certificate_path(config.tls_port).parent)
    tls = server_context(certificate, key, client_cas=hierarchy.root_pem + hierarchy.issuer_pem)
    return [
        GatewayServer(api, host=config.host, port=config.port),
        GatewayServer(api, host=config.host, port=config.tls_port, tls=tls),
    ]


def pollers(context: StackContext) -> list[Component]:
    """One poller per SQS and DynamoDB stream event source of the template."""
    sqs, streams = context.client("sqs"), context.client("dynamodbstreams")
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


class MotoServer:
    """moto's threaded server: the local AWS."""

    name = "moto"

    def __init__(self, *, host: str, port: int) -> None:
        from moto.server import ThreadedMotoServer

        self.host, self.port = host, port
        self._server = ThreadedMotoServer(ip_address=host, port=port, verbose=False)

    def start(self) -> None:
        """Serve; fails at once if the port is taken (moto's own start would wait forever)."""
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((self.host, self.port))
        self._server.start()

    def stop(self) -> None:
        """Stop serving."""
        self._server.stop()


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
        """Start moto, provision, start every component, import every function."""
        use_local_aws(self.config.endpoint_url)
        self._start(MotoServer(host=self.config.host, port=self.config.moto_port))
        resources = Provisioner().provision(
            self.template, parameters=self.config.parameters, custom_resources=True
        )
        for logical_id in custom_resource_ids(self.template):
            logger.info("provisioned %s: %s", logical_id, resources.physical[logical_id].ref)
        context = StackContext(self.config, self.template, resources, LocalFunctions(resources))
        components = [component for factory in self.factories for component in factory(context)]
        for logical_id, error in context.functions.preload().items():
            logger.error("%s cannot be imported (its invocations will fail): %r", logical_id, error)
        # The custom resources read the settings when only their own variables were set; every
        # function's are set now (one process, one environment): read them afresh on first use,
        # before any component serves a request.
        from astca.settings import get_settings

        get_settings.cache_clear()
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
            f"  IdP      {config.parameters.get('OidcBaseUrl')}"
            + ("  (development IdP: users admin/admin and device/device)" if config.idp_port else ""),
            f"  try      curl -s {config.base_url}/v1/health",
            *(_token_hint(config) if config.idp_port else []),
            "Ctrl-C stops it.",
        ]
    )


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
