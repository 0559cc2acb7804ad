"""The ROCA fingerprint (CVE-2017-15361): RSA keys made by Infineon's RSALib.

Nemec, Sys, Svenda, Klinec, Matyas, "The Return of Coppersmith's Attack: Practical Factorization
of Widely Used RSA Moduli", ACM CCS 2017. RSALib makes every prime as p = k * M + (65537^a mod M),
M a primorial (of the first 39, 71, 126 or 225 primes, by key size), so the modulus is
n = p * q = 65537^(a+b) mod M: n mod M lies in the subgroup that 65537 generates in (Z/MZ)*. For
random primes that happens with negligible probability. The paper's test, done here: take M = 167#
(the first 39 primes, a divisor of every M RSALib uses), compute the discrete logarithm of n mod M
to base 65537 by Pohlig-Hellman (the generator's order, 2,454,106,387,091,158,800, has no prime
factor above 83, so each step is a search of at most 83 values), and check that it is one.
"""

from __future__ import annotations

import math
from functools import cache

from astca.policy.smallprimes import primes_up_to

GENERATOR = 65537
LARGEST_PRIME = 167  # M = 167#, the primorial of the first 39 primes


def _order(element: int, prime: int) -> int:
    """The multiplicative order of ``element`` modulo ``prime``."""
    value, order = element % prime, 1
    while value != 1:
        value, order = value * element % prime, order + 1
    return order


@cache
def _subgroup() -> tuple[int, int, tuple[int, ...]]:
    """M, the order of 65537 in (Z/MZ)*, and that order's prime-power factors."""
    primes = primes_up_to(LARGEST_PRIME)
    modulus = math.prod(primes)
    order = math.lcm(*(_order(GENERATOR, prime) for prime in primes))
    prime_powers = []
    for prime in primes:
        power = 1
        while order % (power * prime) == 0:
            power *= prime
        if power > 1:
            prime_powers.append(power)
    return modulus, order, tuple(prime_powers)


def has_roca_fingerprint(n: int) -> bool:
    """Whether ``n`` mod 167# is a power of 65537: the structure of RSALib's moduli."""
    modulus, order, prime_powers = _subgroup()
    target = n % modulus
    if math.gcd(target, modulus) != 1:
        return False
    logarithm, known_modulo = 0, 1
    for power in prime_powers:
        # Project onto the subgroup of order `power` and find the logarithm there by search.
        cofactor = order // power
        base, wanted = pow(GENERATOR, cofactor, modulus), pow(target, cofactor, modulus)
        value, exponent = 1, 0
        while value != wanted:
            exponent += 1
            if exponent == power:
                return False
            value = value * base % modulus
        # Chinese remaindering: logarithm = exponent (mod power), keeping what is known so far.
        step = (exponent - logarithm) * pow(known_modulo, -1, power) % power
        logarithm, known_modulo = logarithm + known_modulo * step, known_modulo * power
    return pow(GENERATOR, logarithm, modulus) == target
