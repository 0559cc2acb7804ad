"""Text a certificate may name: the one rule for identity values that go into a subject (client id, user id, tenant).

A value fits a UTF8String name attribute when it is 1-64 bytes of UTF-8 (RFC 5280's ub-common-name;
cryptography counts bytes, the stricter reading, and so does astca) with no character a relying party
could be fooled by or choke on: control characters (Cc), format characters (Cf: the bidi overrides
U+202A-U+202E and isolates U+2066-U+2069, zero-width characters), line and paragraph separators
(Zl, Zp), surrogates (Cs), private-use (Co) and unassigned (Cn) code points. The token's claims are
checked against it when a request is made (``identity.principal``), and the certificate builder
checks it again before anything is signed.
"""

from __future__ import annotations

import unicodedata

SUBJECT_TEXT_MAX = 64  # UTF-8 bytes: ub-common-name, ub-organizational-unit-name (RFC 5280 appendix A)
REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def subject_text_problem(value: object) -> str | None:
    """Why ``value`` cannot be named in a certificate, or None if it can."""
    if not isinstance(value, str) or not value:
        return "must be a non-empty string"
    if len(value) > SUBJECT_TEXT_MAX or len(value.encode("utf-8", "surrogatepass")) > SUBJECT_TEXT_MAX:
        return f"must be at most {SUBJECT_TEXT_MAX} bytes of UTF-8"
    for char in value:
        if unicodedata.category(char) in REFUSED_CATEGORIES:
            return f"must not contain U+{ord(char):04X} (control, format, separator or unassigned characters)"
    return None


def is_subject_text(value: str) -> bool:
    """Whether ``value`` fits a UTF8String name attribute of a certificate (see the module docstring)."""
    return subject_text_problem(value) is None
