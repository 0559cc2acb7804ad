"""Settings come from ASTCA_ variables and a bad configuration fails at init with a clear message."""

from __future__ import annotations

import pytest

from astca.settings import ConfigurationError, load_settings

VALID = {
    "ASTCA_TABLE_NAME": "astca-table",
    "ASTCA_SIGNER_REQUESTS_QUEUE_URL": "https://sqs.eu-central-1.amazonaws.com/1/signer",
    "ASTCA_CERTIFICATE_REQUESTS_QUEUE_URL": "https://sqs.eu-central-1.amazonaws.com/1/cert",
    "ASTCA_CA_EVENTS_QUEUE_URL": "https://sqs.eu-central-1.amazonaws.com/1/events",
    "ASTCA_CURSOR_SECRET_ARN": "arn:aws:secretsmanager:eu-central-1:1:secret:cursor",
    "ASTCA_IDEMPOTENCY_TABLE_NAME": "astca-idempotency",
    "PATH": "/usr/bin",
}


def test_reads_only_prefixed_variables() -> None:
    settings = load_settings(VALID)
    assert settings.table_name == "astca-table"
    assert settings.ca_events_queue_url.endswith("/events")


def test_missing_setting_is_named_with_its_variable() -> None:
    environ = {k: v for k, v in VALID.items() if k != "ASTCA_TABLE_NAME"}
    with pytest.raises(ConfigurationError, match="ASTCA_TABLE_NAME"):
        load_settings(environ)


def test_unknown_setting_is_refused_so_typos_fail_loudly() -> None:
    with pytest.raises(ConfigurationError, match="ASTCA_TABEL_NAME"):
        load_settings({**VALID, "ASTCA_TABEL_NAME": "x"})


def test_settings_are_immutable() -> None:
    settings = load_settings(VALID)
    with pytest.raises(ValueError, match="frozen"):
        settings.table_name = "other"  # type: ignore[misc]


def test_an_empty_variable_means_not_set() -> None:
    settings = load_settings({**VALID, "ASTCA_OIDC_BASE_URL": ""})
    assert settings.oidc_base_url is None


def test_a_base_url_that_is_not_http_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="ASTCA_OIDC_BASE_URL"):
        load_settings({**VALID, "ASTCA_OIDC_BASE_URL": "ftp://idp/auth"})


def test_audience_is_comma_separated() -> None:
    settings = load_settings({**VALID, "ASTCA_OIDC_AUDIENCE": "astca, portal,"})
    assert settings.oidc_audience == ("astca", "portal")


# ---------------------------------------------------------------------------------------- lifetimes


def test_each_requestable_profile_lasts_its_own_validity_unless_a_setting_says_otherwise() -> None:
    assert load_settings(VALID).max_validity_days == {"AST_DEVICE": 365, "TLS_CLIENT_WITH_KEY": 90}
    lowered = load_settings({**VALID, "ASTCA_MAX_VALIDITY_DAYS": " AST_DEVICE = 30 ,"})
    assert lowered.max_validity_days == {"AST_DEVICE": 30, "TLS_CLIENT_WITH_KEY": 90}
    raised = load_settings({**VALID, "ASTCA_MAX_VALIDITY_DAYS": "AST_DEVICE=825,TLS_CLIENT_WITH_KEY=1"})
    assert raised.max_validity_days == {"AST_DEVICE": 825, "TLS_CLIENT_WITH_KEY": 1}


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("AST_DEVICE=0", "1 to 825"),
        ("AST_DEVICE=826", "1 to 825"),
        ("AST_DEVICE=-5", "1 to 825"),
        ("AST_DEVICE=1.5", "valid integer"),
        ("AST_DEVICE=a year", "valid integer"),
        ("AST_DEVICE", "PROFILE=DAYS"),
        ("AST_DEVICE=30,AST_DEVICE=40", "more than once"),
        ("SIGNER_CA=30", "SIGNER_CA: not a requestable profile"),
        ("ast_device=30", "not a requestable profile"),
    ],
)
def test_a_lifetime_setting_outside_its_bounds_stops_the_function(value: str, reason: str) -> None:
    with pytest.raises(ConfigurationError, match="ASTCA_MAX_VALIDITY_DAYS") as error:
        load_settings({**VALID, "ASTCA_MAX_VALIDITY_DAYS": value})
    assert reason in str(error.value)
