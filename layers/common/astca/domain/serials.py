"""Certificate serial numbers (RFC 5280 4.1.2.2): positive, at most 20 octets, and unpredictable.

A serial is 159 bits from the OS's CSPRNG (what ``cryptography.x509.random_serial_number`` gives),
drawn again in the 2^-96 case that it has fewer than 64 significant bits. Plain Python: the API
fixes a request's serial when it accepts it, without loading cryptography's x509 for that.
"""

from __future__ import annotations

import secrets

SERIAL_BITS = 159
SERIAL_MIN = 1 << 63  # at least 64 significant bits: what a random 159-bit serial has but for 2^-96
SERIAL_LIMIT = 1 << SERIAL_BITS  # positive and at most 20 octets of DER


def new_serial() -> int:
    """A fresh random serial: positive, 159 bits from the OS's CSPRNG, at least 2^63."""
    while True:
        serial = secrets.randbits(SERIAL_BITS)
        if serial >= SERIAL_MIN:
            return serial


def is_serial(serial: int) -> bool:
    """Whether ``serial`` is one ``new_serial`` could have made (2^63 <= serial < 2^159)."""
    return SERIAL_MIN <= serial < SERIAL_LIMIT
