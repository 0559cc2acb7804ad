"""Known weak RSA keys (Debian's OpenSSL PRNG, CVE-2008-0166), as blocklists in openssl-vulnkey's format.

A blocklist line is the last 80 bits (20 hex digits) of the SHA-1 of ``"Modulus=<N>\\n"``, N the
modulus in upper-case hexadecimal as ``openssl rsa -noout -modulus`` prints it; ``#`` starts a
comment. That is the format of Debian's openssl-blacklist package (``blacklist.RSA-2048`` ...),
which openssl-vulnkey and Boulder's goodkey read. Several files may be concatenated into one.

The file is named by ``ASTCA_WEAK_KEYS_FILE``. Without it the check is skipped and that is logged
once per container. The real Debian lists are not shipped with astca: the openssl-blacklist
package is not in current Debian, and neither PyPI nor npm has the lists, so they cannot be
obtained from the registries this project installs from. An operator who wants the check takes
the lists from an archived openssl-blacklist package and points the setting at them. The mechanism
is tested with lists made from keys the tests generate.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from aws_lambda_powertools import Logger

from astca.settings import ConfigurationError, get_settings

logger = Logger()

_LINE = re.compile(r"[0-9a-f]{20}")


def fingerprint(modulus: int) -> str:
    """The blocklist entry of an RSA modulus: the last 20 hex digits of SHA-1("Modulus=<HEX>\\n")."""
    line = f"Modulus={modulus:X}\n".encode("ascii")
    return hashlib.sha1(line, usedforsecurity=False).hexdigest()[20:]


@dataclass(frozen=True)
class WeakKeys:
    """A set of blocklisted RSA moduli, by fingerprint; ``enabled`` is False when no list is configured."""

    fingerprints: frozenset[str]
    enabled: bool = True

    @classmethod
    def disabled(cls) -> WeakKeys:
        """No blocklist: the check is skipped."""
        return cls(frozenset(), enabled=False)

    @classmethod
    def from_lines(cls, lines: Iterable[str], *, source: str = "weak keys") -> WeakKeys:
        """Parse blocklist lines; a line that is neither a comment nor 20 hex digits is a ValueError."""
        entries = set()
        for number, raw in enumerate(lines, start=1):
            line = raw.strip().lower()
            if not line or line.startswith("#"):
                continue
            if not _LINE.fullmatch(line):
                raise ValueError(f"{source}, line {number}: not 20 hexadecimal digits")
            entries.add(line)
        return cls(frozenset(entries))

    @classmethod
    def load(cls, path: str | Path) -> WeakKeys:
        """Read a blocklist file (one fingerprint a line)."""
        with Path(path).open(encoding="ascii") as lines:
            return cls.from_lines(lines, source=str(path))

    def __contains__(self, modulus: object) -> bool:
        return isinstance(modulus, int) and fingerprint(modulus) in self.fingerprints


@cache
def configured_weak_keys() -> WeakKeys:
    """The blocklist named by ``ASTCA_WEAK_KEYS_FILE``, read once per container."""
    path = get_settings().weak_keys_file
    if path is None:
        logger.warning("ASTCA_WEAK_KEYS_FILE is not set: the Debian weak-key check is skipped")
        return WeakKeys.disabled()
    try:
        weak_keys = WeakKeys.load(path)
    except (OSError, ValueError) as exc:
        raise ConfigurationError(f"ASTCA_WEAK_KEYS_FILE: cannot read the weak-key list: {exc}") from None
    logger.info("weak-key list loaded", extra={"entries": len(weak_keys.fingerprints)})
    return weak_keys
