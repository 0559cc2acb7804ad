"""The weak-key blocklist: openssl-vulnkey's format, and the file ASTCA_WEAK_KEYS_FILE names."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from astca.policy import weakkeys
from astca.policy.weakkeys import WeakKeys, configured_weak_keys, fingerprint
from astca.settings import ConfigurationError, Settings, load_settings

BASE = {
    "ASTCA_TABLE_NAME": "astca-table",
    "ASTCA_IDEMPOTENCY_TABLE_NAME": "astca-idempotency",
    "ASTCA_SIGNER_REQUESTS_QUEUE_URL": "https://sqs.eu-central-1.amazonaws.com/1/signer",
    "ASTCA_CERTIFICATE_REQUESTS_QUEUE_URL": "https://sqs.eu-central-1.amazonaws.com/1/cert",
    "ASTCA_CA_EVENTS_QUEUE_URL": "https://sqs.eu-central-1.amazonaws.com/1/events",
    "ASTCA_CURSOR_SECRET_ARN": "arn:aws:secretsmanager:eu-central-1:1:secret:cursor",
}


@pytest.fixture
def configured(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Settings]]:
    """The settings configured_weak_keys reads: append one; the cache is cleared around the test."""
    current: list[Settings] = []
    monkeypatch.setattr(weakkeys, "get_settings", lambda: current[-1])
    configured_weak_keys.cache_clear()
    yield current
    configured_weak_keys.cache_clear()


def test_lines_are_fingerprints_comments_and_blank_lines() -> None:
    weak = WeakKeys.from_lines(["# Keysize: 2048", "", "  0123456789ABCDEF0123  ", "fedcba9876543210fedc\n"])
    assert weak.fingerprints == {"0123456789abcdef0123", "fedcba9876543210fedc"}
    assert weak.enabled


@pytest.mark.parametrize("line", ["0123", "0123456789abcdef012345", "0123456789abcdef012g", "Modulus=AB"])
def test_a_line_that_is_not_a_fingerprint_is_refused_with_its_number(line: str) -> None:
    with pytest.raises(ValueError, match="list, line 2: not 20 hexadecimal digits"):
        WeakKeys.from_lines(["# header", line], source="list")


def test_a_modulus_is_in_the_list_by_its_fingerprint() -> None:
    n = rsa.generate_private_key(65537, 2048).public_key().public_numbers().n
    weak = WeakKeys.from_lines([fingerprint(n)])
    assert n in weak
    assert n + 2 not in weak
    assert "not a modulus" not in weak
    assert n not in WeakKeys.disabled()


def test_the_setting_is_optional() -> None:
    assert load_settings(BASE).weak_keys_file is None
    assert load_settings({**BASE, "ASTCA_WEAK_KEYS_FILE": "/opt/weak"}).weak_keys_file == "/opt/weak"


def test_without_a_file_the_check_is_skipped_and_that_is_logged_once(
    configured: list[Settings], caplog: pytest.LogCaptureFixture
) -> None:
    configured.append(load_settings(BASE))
    assert not configured_weak_keys().enabled
    assert not configured_weak_keys().enabled
    warnings = [
        record for record in caplog.records if "ASTCA_WEAK_KEYS_FILE is not set" in record.getMessage()
    ]
    assert len(warnings) == 1


def test_the_configured_file_is_read(configured: list[Settings], tmp_path: Path) -> None:
    path = tmp_path / "blacklist.RSA-2048"
    path.write_text("# Keysize: 2048\n0123456789abcdef0123\n")
    configured.append(load_settings({**BASE, "ASTCA_WEAK_KEYS_FILE": str(path)}))
    assert configured_weak_keys().fingerprints == {"0123456789abcdef0123"}


@pytest.mark.parametrize("content", [None, "not a fingerprint\n"])
def test_a_missing_or_bad_file_is_a_configuration_error(
    configured: list[Settings], tmp_path: Path, content: str | None
) -> None:
    path = tmp_path / "weak-keys.txt"
    if content is not None:
        path.write_text(content)
    configured.append(load_settings({**BASE, "ASTCA_WEAK_KEYS_FILE": str(path)}))
    with pytest.raises(ConfigurationError, match="ASTCA_WEAK_KEYS_FILE"):
        configured_weak_keys()
