"""The CA settings: an alias prefix outside alias/aws/, and a key spec from the allow-list."""

from __future__ import annotations

from typing import get_args

import pytest

from astca.issuance.kms import ALGORITHMS
from astca.settings import CaKeySpec, ConfigurationError, load_settings

REQUIRED = {
    "ASTCA_TABLE_NAME": "astca-table",
    "ASTCA_IDEMPOTENCY_TABLE_NAME": "astca-idempotency",
    "ASTCA_SIGNER_REQUESTS_QUEUE_URL": "https://sqs/1/signer",
    "ASTCA_CERTIFICATE_REQUESTS_QUEUE_URL": "https://sqs/1/cert",
    "ASTCA_CA_EVENTS_QUEUE_URL": "https://sqs/1/events",
    "ASTCA_CURSOR_SECRET_ARN": "arn:aws:secretsmanager:eu-central-1:1:secret:cursor",
}


def test_the_defaults_are_alias_astca_and_p256() -> None:
    settings = load_settings(REQUIRED)

    assert (settings.ca_alias_prefix, settings.ca_key_spec) == ("alias/astca", "ECC_NIST_P256")


def test_the_allow_list_is_what_the_signer_knows() -> None:
    assert set(get_args(CaKeySpec)) == set(ALGORITHMS)


@pytest.mark.parametrize("prefix", ["alias/astca-dev", "alias/team/astca_prod"])
def test_an_alias_prefix_is_taken(prefix: str) -> None:
    assert load_settings({**REQUIRED, "ASTCA_CA_ALIAS_PREFIX": prefix}).ca_alias_prefix == prefix


@pytest.mark.parametrize(
    "prefix", ["astca", "alias/", "alias/aws", "alias/aws/astca", "alias/astca/", "alias/a b"]
)
def test_a_bad_alias_prefix_is_named(prefix: str) -> None:
    with pytest.raises(ConfigurationError, match="ASTCA_CA_ALIAS_PREFIX"):
        load_settings({**REQUIRED, "ASTCA_CA_ALIAS_PREFIX": prefix})


@pytest.mark.parametrize("spec", ["ECC_SECG_P256K1", "SYMMETRIC_DEFAULT", "ecc_nist_p256", "ML_DSA_65"])
def test_a_key_spec_outside_the_allow_list_is_named(spec: str) -> None:
    with pytest.raises(ConfigurationError, match="ASTCA_CA_KEY_SPEC"):
        load_settings({**REQUIRED, "ASTCA_CA_KEY_SPEC": spec})
