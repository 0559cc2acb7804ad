"""RSA keys with a chosen weakness, built from their primes: ROCA-structured, Fermat-close.

openssl never makes these, so the corpus and the goodkey tests build them here. Primality is
Miller-Rabin with random bases; the sizes are those of a 2048-bit key, a few hundred milliseconds.
"""

from __future__ import annotations

import math
import secrets

from cryptography.hazmat.primitives.asymmetric import rsa

from astca.policy.smallprimes import primes_up_to

E = 65537
_TRIAL = primes_up_to(1000)


def is_probable_prime(n: int, rounds: int = 24) -> bool:
    """Miller-Rabin with random bases (after trial division by the primes below 1000)."""
    if n < 2:
        return False
    for p in _TRIAL:
        if n % p == 0:
            return n == p
    d, s = n - 1, 0
    while d % 2 == 0:
        d, s = d // 2, s + 1
    for _ in range(rounds):
        x = pow(secrets.randbelow(n - 3) + 2, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = x * x % n
            if x == n - 1:
                break
        else:
            return False
    return True


def next_prime(n: int) -> int:
    """The least prime above ``n``."""
    candidate = n + 1 + n % 2
    while not is_probable_prime(candidate):
        candidate += 2
    return candidate


def roca_prime(bits: int = 1024) -> int:
    """A prime as Infineon's RSALib makes them: p = k * M + (65537^a mod M), top two bits set.

    M is the primorial of the first 39, 71, 126 or 225 primes for keys of 512-960, 992-1952,
    1984-3936 and 3968-4096 bits (the paper's table); a key of ``2 * bits`` bits is assumed.
    """
    count = next(
        count for key_bits, count in ((960, 39), (1952, 71), (3936, 126), (4096, 225)) if 2 * bits <= key_bits
    )
    m = math.prod(primes_up_to(1500)[:count])
    low, high = -(-(3 << (bits - 2)) // m), (1 << bits) // m - 1  # p in [3 * 2**(bits-2), 2**bits)
    while True:
        p = (low + secrets.randbelow(high - low)) * m + pow(E, secrets.randbits(64), m)
        if math.gcd(p - 1, E) == 1 and is_probable_prime(p):
            return p


def fermat_close_primes(bits: int = 1024, distance_bits: int = 400) -> tuple[int, int]:
    """Two primes about 2**distance_bits apart: Fermat's method factors their product at once."""
    p = rsa.generate_private_key(E, 2 * bits).private_numbers().p
    q = next_prime(p + (1 << distance_bits))
    while math.gcd(q - 1, E) != 1:
        q = next_prime(q)
    return p, q


def private_key(p: int, q: int, e: int = E) -> rsa.RSAPrivateKey:
    """The RSA private key with primes ``p`` and ``q``."""
    d = pow(e, -1, (p - 1) * (q - 1))
    numbers = rsa.RSAPrivateNumbers(
        p=p,
        q=q,
        d=d,
        dmp1=rsa.rsa_crt_dmp1(d, p),
        dmq1=rsa.rsa_crt_dmq1(d, q),
        iqmp=rsa.rsa_crt_iqmp(p, q),
        public_numbers=rsa.RSAPublicNumbers(e, p * q),
    )
    return numbers.private_key()
