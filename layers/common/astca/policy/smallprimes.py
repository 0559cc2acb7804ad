"""Small primes for the key checks: the first 10,000 primes and their product, computed on first use.

Boulder's goodkey keeps the product of the first 10,000 primes and takes one gcd with the modulus;
a gcd above 1 means the modulus has a prime factor below ``SMALL_PRIME_BOUND``. The product is
about 150,000 bits; building it takes a few milliseconds once per container, nothing at import.
"""

from __future__ import annotations

import math
from functools import cache

PRIME_COUNT = 10_000
SMALL_PRIME_BOUND = 104_729  # the 10,000th prime: every prime factor up to here is found


@cache
def primes_up_to(limit: int) -> tuple[int, ...]:
    """Every prime p <= ``limit``, in order (sieve of Eratosthenes)."""
    if limit < 2:
        return ()
    sieve = bytearray([1]) * (limit + 1)
    sieve[0] = sieve[1] = 0
    for p in range(2, math.isqrt(limit) + 1):
        if sieve[p]:
            sieve[p * p :: p] = bytes(len(range(p * p, limit + 1, p)))
    return tuple(index for index, is_prime in enumerate(sieve) if is_prime)


def _product(values: tuple[int, ...]) -> int:
    # A product tree: multiplying numbers of similar size keeps the big multiplications few.
    level = list(values)
    while len(level) > 1:
        paired = [level[i] * level[i + 1] for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0] if level else 1


@cache
def small_primes_product() -> int:
    """The product of the first ``PRIME_COUNT`` primes (2 to ``SMALL_PRIME_BOUND``)."""
    primes = primes_up_to(SMALL_PRIME_BOUND)
    assert len(primes) == PRIME_COUNT  # a wrong bound would silently weaken the check
    return _product(primes)
