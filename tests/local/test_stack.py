"""local.stack's configuration and component lifecycle (the running stack is tested in tests/e2e)."""

from __future__ import annotations

from pathlib import Path

import pytest

from local.processes import ProcessFunctions
from local.resources import Provisioner
from local.stack import Stack, StackConfig
from local.template import Template


def test_the_stack_takes_its_ports_out_of_the_environment() -> None:
    environ = {
        "ASTCA_PORT": "3100",
        "ASTCA_TLS_PORT": "3543",
        "ASTCA_MOTO_PORT": "4600",
        "ASTCA_TABLE_NAME": "kept",
    }

    config = StackConfig.from_environ(environ)

    assert (config.port, config.tls_port, config.moto_port, config.host) == (3100, 3543, 4600, "127.0.0.1")
    assert config.base_url == "http://127.0.0.1:3100"
    assert config.tls_base_url == "https://127.0.0.1:3543"
    assert config.endpoint_url == "http://127.0.0.1:4600"
    assert environ == {"ASTCA_TABLE_NAME": "kept"}  # the functions reject unknown ASTCA_ names


def test_without_an_idp_url_the_stack_runs_the_development_idp() -> None:
    config = StackConfig.from_environ({"ASTCA_IDP_PORT": "8181"})

    assert config.idp_port == 8181
    assert config.parameters["OidcBaseUrl"] == "http://127.0.0.1:8181"


def test_the_https_listener_is_the_mutual_tls_domain_and_the_service_url() -> None:
    config = StackConfig.from_environ({"ASTCA_TLS_PORT": "3543"})

    assert config.parameters["MtlsDomainName"] == "localhost"
    assert config.parameters["ServiceUrl"] == "https://127.0.0.1:3543"


def test_an_idp_url_replaces_the_development_idp() -> None:
    environ = {"ASTCA_OIDC_BASE_URL": "https://sso.example.test/auth"}

    config = StackConfig.from_environ(environ)

    assert config.idp_port is None
    assert config.parameters["OidcBaseUrl"] == "https://sso.example.test/auth"
    assert environ == {}  # it reaches the functions through the template's OidcBaseUrl parameter


class Recorder:
    def __init__(self, name: str, log: list[str], *, fails: bool = False) -> None:
        self.name, self.log, self.fails = name, log, fails

    def start(self) -> None:
        self.log.append(f"start {self.name}")

    def stop(self) -> None:
        self.log.append(f"stop {self.name}")
        if self.fails:
            raise RuntimeError("stuck")


def test_components_stop_last_first_even_when_one_fails(caplog: pytest.LogCaptureFixture) -> None:
    log: list[str] = []
    stack = Stack(StackConfig(), template=Template.load(), factories=[])
    stack.started = [Recorder("moto", log), Recorder("gateway", log, fails=True), Recorder("poller", log)]

    stack.stop()

    assert log == ["stop poller", "stop gateway", "stop moto"]
    assert "stopping gateway failed" in caplog.text
    assert stack.started == []


def test_an_operator_variable_the_template_takes_from_a_parameter_overrides_that_parameter() -> None:
    environ = {
        "ASTCA_CA_KEY_SPEC": "ECC_NIST_P384",
        "ASTCA_SIGNER_KEY_SPEC": "ECC_NIST_P256",
        "ASTCA_ADMIN_ROLE": "boss",
        "POWERTOOLS_LOG_LEVEL": "DEBUG",
        "HOME": "/home/dev",
    }

    config = StackConfig.from_environ(environ)

    assert (config.parameters["CaKeySpec"], config.parameters["SignerKeySpec"]) == (
        "ECC_NIST_P384",
        "ECC_NIST_P256",
    )
    # what the template does not take from a parameter goes to every function as it is
    assert config.environment == {"ASTCA_ADMIN_ROLE": "boss", "POWERTOOLS_LOG_LEVEL": "DEBUG"}
    assert environ == {"ASTCA_ADMIN_ROLE": "boss", "POWERTOOLS_LOG_LEVEL": "DEBUG", "HOME": "/home/dev"}


def test_any_variable_set_from_a_parameter_is_mapped_not_a_list_of_known_ones(tmp_path: Path) -> None:
    path = tmp_path / "template.yaml"
    path.write_text(
        """
Parameters:
  Flavour: {Type: String, Default: vanilla}
Resources:
  IceFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: ice/
      Handler: app.lambda_handler
      Environment: {Variables: {ASTCA_FLAVOUR: !Ref Flavour, ASTCA_CONE: !Sub "${Flavour}-cone"}}
""",
        encoding="utf-8",
    )
    template = Template.load(path)
    environ = {"ASTCA_FLAVOUR": "mint", "ASTCA_CONE": "waffle"}

    config = StackConfig.from_environ(environ, template)

    assert template.parameter_variables() == {"ASTCA_FLAVOUR": {"Flavour"}}
    assert config.parameters["Flavour"] == "mint"
    assert config.environment == {"ASTCA_CONE": "waffle"}  # not a plain !Ref: passed on as it is


def test_the_template_maps_its_parameter_variables() -> None:
    mapped = Template.load().parameter_variables()

    assert mapped["ASTCA_CA_KEY_SPEC"] == {"CaKeySpec"}
    assert mapped["ASTCA_SIGNER_KEY_SPEC"] == {"SignerKeySpec"}
    assert mapped["ASTCA_OIDC_BASE_URL"] == {"OidcBaseUrl"}
    assert mapped["ASTCA_MTLS_DOMAIN_NAME"] == {"MtlsDomainName"}


def test_the_stacks_own_variables_configure_it_and_reach_no_function(tmp_path: Path) -> None:
    environ = {"ASTCA_STATE_DIR": str(tmp_path / "state"), "ASTCA_LOCAL_CONCURRENCY": "2"}

    config = StackConfig.from_environ(environ)

    assert (config.state_dir, config.concurrency) == (tmp_path / "state", 2)
    assert config.environment == {}
    assert environ == {}


def test_each_function_gets_its_own_variables_the_parameters_and_the_operators() -> None:
    config = StackConfig.from_environ(
        {
            "ASTCA_CA_KEY_SPEC": "ECC_NIST_P384",
            "ASTCA_SIGNER_KEY_SPEC": "ECC_NIST_P256",
            "ASTCA_ADMIN_ROLE": "boss",
        }
    )
    resources = Provisioner().provision(Template.load(), parameters=config.parameters)

    functions = ProcessFunctions(resources, endpoint_url=config.endpoint_url, operator=config.environment)

    environments = {function.spec.logical_id: function.environment for function in functions}
    assert environments["BootstrapFunction"]["ASTCA_CA_KEY_SPEC"] == "ECC_NIST_P384"
    assert environments["IssueSignerFunction"]["ASTCA_SIGNER_KEY_SPEC"] == "ECC_NIST_P256"
    assert "ASTCA_SESSION_TRANSPORT_KEY_ID" in environments["GetSessionJwksFunction"]
    assert "ASTCA_SESSION_TRANSPORT_KEY_ID" not in environments["HealthFunction"]
    assert "ASTCA_CA_KEY_SPEC" not in environments["HealthFunction"]
    for logical_id, environment in environments.items():
        assert environment["ASTCA_ADMIN_ROLE"] == "boss", logical_id
        assert environment["AWS_ENDPOINT_URL"] == config.endpoint_url, logical_id
        assert environment["ASTCA_TABLE_NAME"] == resources.tables["Table"], logical_id
        assert not {"ASTCA_PORT", "ASTCA_STATE_DIR", "ASTCA_LOCAL_CONCURRENCY"} & environment.keys()


def test_only_the_workers_of_functions_nothing_calls_are_released_after_provisioning() -> None:
    from local.stack import release_provisioning_workers

    released: list[str] = []

    class Spec:
        def __init__(self, logical_id: str, *, routes: int = 0, sqs: int = 0, streams: int = 0) -> None:
            self.logical_id, self.routes = logical_id, [object()] * routes
            self.sqs_sources, self.stream_sources = [object()] * sqs, [object()] * streams

    class Function:
        def __init__(self, spec: Spec) -> None:
            self.spec = spec

        def release_idle(self) -> None:
            released.append(self.spec.logical_id)

    functions = [
        Function(Spec("Bootstrap")),
        Function(Spec("Api", routes=1)),
        Function(Spec("Consumer", sqs=1)),
        Function(Spec("Relay", streams=1)),
    ]

    release_provisioning_workers(functions)  # type: ignore[arg-type]

    assert released == ["Bootstrap"]
