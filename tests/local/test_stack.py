"""local.stack's configuration and component lifecycle (the running stack is tested in tests/e2e)."""

from __future__ import annotations

import pytest

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
