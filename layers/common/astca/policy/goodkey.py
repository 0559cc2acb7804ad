"""Key policy after Boulder's goodkey: is this public key good enough for a certificate of a profile?

One entry point, ``KeyPolicy.check(public_key)``: a key type the profile does not accept is
51011 UnsupportedKeyType, a key of an accepted type that fails a quality check is 51012 BadKey,
with a detail naming the check. Every check is a function of its own, testable alone:

- RSA: size within the profile's bounds and a whole number of bytes, public exponent 65537, not on
  the weak-key blocklist (Debian, ``weakkeys``), modulus odd, no prime factor up to 104,729 (one
  gcd with the product of the first 10,000 primes, ``smallprimes``), not a perfect power, no ROCA
  fingerprint (``roca``), not factored by ``FERMAT_ROUNDS`` rounds of Fermat's method.
- EC: P-256 or P-384 as the profile allows; the point is on its curve (cryptography refuses other
  points when it loads the key) and survives a round trip through its coordinates.
- Ed25519: where the profile allows it, and not one of the eight points of small order, for which
  a signature can be forged without any private key (so the CSR's signature proves nothing).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa, x448, x25519
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes

from astca import catalog
from astca.catalog import CaError
from astca.domain.profiles import KeyKind, Profile
from astca.policy.roca import has_roca_fingerprint
from astca.policy.smallprimes import SMALL_PRIME_BOUND, primes_up_to, small_primes_product
from astca.policy.weakkeys import WeakKeys

CertifiableKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey

RSA_EXPONENT = 65537
FERMAT_ROUNDS = 100  # Boulder's default: finds p and q whose difference is below about n^(1/4) * 28

CURVES: dict[str, KeyKind] = {"secp256r1": KeyKind.EC_P256, "secp384r1": KeyKind.EC_P384}
KIND_NAMES: dict[KeyKind, str] = {
    KeyKind.RSA: "RSA",
    KeyKind.EC_P256: "EC P-256",
    KeyKind.EC_P384: "EC P-384",
    KeyKind.ED25519: "Ed25519",
}
_OTHER_TYPES: tuple[tuple[type, str], ...] = (
    (dsa.DSAPublicKey, "DSA keys are not accepted"),
    (ed448.Ed448PublicKey, "Ed448 keys are not accepted"),
    (x25519.X25519PublicKey, "X25519 keys cannot sign and are not accepted"),
    (x448.X448PublicKey, "X448 keys cannot sign and are not accepted"),
)

_ED25519_P = 2**255 - 19
_ED25519_Y8 = 0x7A03AC9277FDC74EC6CC392CFA53202A0F67100D760B3CBA4FD84D3D706A17C7  # y of the order-8 points
# y coordinates of the points of order 1, 2, 4 and 8 (the sign bit of x does not change the order).
_ED25519_SMALL_ORDER_Y = frozenset({1, _ED25519_P - 1, 0, _ED25519_Y8, _ED25519_P - _ED25519_Y8})


def _bad(detail: str) -> CaError:
    return CaError(catalog.BAD_KEY, detail)


def key_kind(public_key: PublicKeyTypes) -> KeyKind:
    """The KeyKind of a key, or 51011 for a type or curve that no profile accepts."""
    if isinstance(public_key, rsa.RSAPublicKey):
        return KeyKind.RSA
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        kind = CURVES.get(public_key.curve.name)
        if kind is None:
            raise CaError(
                catalog.UNSUPPORTED_KEY_TYPE, f"EC keys on curve {public_key.curve.name} are not accepted"
            )
        return kind
    if isinstance(public_key, ed25519.Ed25519PublicKey):
        return KeyKind.ED25519
    for key_type, detail in _OTHER_TYPES:
        if isinstance(public_key, key_type):
            raise CaError(catalog.UNSUPPORTED_KEY_TYPE, detail)
    raise CaError(catalog.UNSUPPORTED_KEY_TYPE, f"{type(public_key).__name__} keys are not accepted")


def check_rsa_size(n: int, min_bits: int, max_bits: int) -> None:
    """The modulus has min_bits to max_bits bits, a whole number of bytes."""
    bits = n.bit_length()
    if not min_bits <= bits <= max_bits:
        raise _bad(f"RSA modulus of {bits} bits; {min_bits} to {max_bits} bits are accepted")
    if bits % 8:
        raise _bad(f"RSA modulus of {bits} bits is not a whole number of bytes")


def check_rsa_exponent(e: int) -> None:
    """The public exponent is 65537."""
    if e != RSA_EXPONENT:
        raise _bad(f"RSA public exponent is {e}; only {RSA_EXPONENT} is accepted")


def check_not_weak_key(n: int, weak_keys: WeakKeys) -> None:
    """The modulus is not on the blocklist of known weak keys (skipped when no list is configured)."""
    if n in weak_keys:
        raise _bad("RSA key is a known weak key (Debian OpenSSL PRNG, CVE-2008-0166)")


def check_modulus_odd(n: int) -> None:
    """The modulus is odd."""
    if n % 2 == 0:
        raise _bad("RSA modulus is even")


def check_no_small_factor(n: int) -> None:
    """No prime up to 104,729 divides the modulus: one gcd with the product of the first 10,000 primes."""
    if math.gcd(n, small_primes_product()) != 1:
        raise _bad(f"RSA modulus has a prime factor below {SMALL_PRIME_BOUND}")


def integer_root(n: int, k: int) -> int:
    """floor(n ** (1/k)) for n >= 0 and k >= 2, exactly."""
    if n < 2 or k == 2:
        return math.isqrt(n)
    # A float estimate good to about 30 bits, scaled up to an integer just above the root, then
    # Newton's method, which from above decreases to the floor of the root.
    exponent = math.log2(n) / k
    shift = max(int(exponent) - 30, 0)
    x = (int(2.0 ** (exponent - shift)) + 2) << shift
    while x**k <= n:
        x *= 2
    while True:
        y = ((k - 1) * x + n // x ** (k - 1)) // k
        if y >= x:
            return x
        x = y


def check_not_perfect_power(n: int, *, no_factor_below: int = 3) -> None:
    """The modulus is not m**k for k >= 2; ``no_factor_below`` bounds m from below, and so k from above."""
    max_exponent = int(math.log(n) / math.log(no_factor_below)) if n > 1 else 1
    for k in primes_up_to(max_exponent):  # m**(a*b) is (m**a)**b: prime exponents suffice
        if integer_root(n, k) ** k == n:
            raise _bad("RSA modulus is a perfect power")


def check_not_roca(n: int) -> None:
    """The modulus does not have the ROCA fingerprint (Infineon RSALib, CVE-2017-15361)."""
    if has_roca_fingerprint(n):
        raise _bad("RSA key has the ROCA fingerprint (Infineon RSALib, CVE-2017-15361)")


def check_fermat(n: int, rounds: int = FERMAT_ROUNDS) -> None:
    """Fermat's method does not factor the modulus in ``rounds`` rounds: p and q are not too close."""
    # n = a^2 - b^2 = (a + b)(a - b): try a = ceil(sqrt(n)), ceil(sqrt(n)) + 1, ...; a factoring is
    # found when a^2 - n is a perfect square, which happens early exactly when p and q are close.
    a = math.isqrt(n)
    if a * a < n:
        a += 1
    b2 = a * a - n
    for _ in range(rounds):
        b = math.isqrt(b2)
        if b * b == b2:
            raise _bad("RSA modulus factors by Fermat's method: its two primes are too close together")
        b2 += 2 * a + 1
        a += 1


def check_ec_point(public_key: ec.EllipticCurvePublicKey) -> None:
    """The point survives a round trip through its coordinates (on the curve, not the point at infinity)."""
    numbers = public_key.public_numbers()
    try:
        rebuilt = ec.EllipticCurvePublicNumbers(numbers.x, numbers.y, public_key.curve).public_key()
    except ValueError:
        raise _bad("EC public key is not a valid point on its curve") from None
    point = serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    if rebuilt.public_bytes(*point) != public_key.public_bytes(*point):
        raise _bad("EC public key is not a valid point on its curve")


def check_ed25519_point(public_key: ed25519.Ed25519PublicKey) -> None:
    """The key is not a point of small order (for which anyone can make a valid signature)."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    y = int.from_bytes(raw, "little") & (2**255 - 1)
    if y % _ED25519_P in _ED25519_SMALL_ORDER_Y:
        raise _bad("Ed25519 public key is a point of small order")


@dataclass(frozen=True)
class KeyPolicy:
    """Which keys a profile accepts, and the quality every accepted key must have."""

    key_kinds: frozenset[KeyKind]
    rsa_min_bits: int = 2048
    rsa_max_bits: int = 4096
    weak_keys: WeakKeys = field(default_factory=WeakKeys.disabled)
    fermat_rounds: int = FERMAT_ROUNDS
    profile_name: str = "the profile"

    @classmethod
    def for_profile(
        cls, profile: Profile, *, weak_keys: WeakKeys, fermat_rounds: int = FERMAT_ROUNDS
    ) -> KeyPolicy:
        """The key policy of a certificate profile."""
        return cls(
            key_kinds=profile.key_kinds,
            rsa_min_bits=profile.rsa_min_bits,
            rsa_max_bits=profile.rsa_max_bits,
            weak_keys=weak_keys,
            fermat_rounds=fermat_rounds,
            profile_name=profile.name,
        )

    def check(self, public_key: PublicKeyTypes) -> KeyKind:
        """The key's kind if the profile accepts it and it passes every check; else 51011 or 51012."""
        kind = self.check_kind(public_key)
        if isinstance(public_key, rsa.RSAPublicKey):
            self.check_rsa(public_key.public_numbers())
        elif isinstance(public_key, ec.EllipticCurvePublicKey):
            check_ec_point(public_key)
        elif isinstance(public_key, ed25519.Ed25519PublicKey):
            check_ed25519_point(public_key)
        return kind

    def check_kind(self, public_key: PublicKeyTypes) -> KeyKind:
        """The key's kind if the profile accepts it, else 51011."""
        kind = key_kind(public_key)
        if kind not in self.key_kinds:
            accepted = ", ".join(KIND_NAMES[k] for k in KeyKind if k in self.key_kinds)
            raise CaError(
                catalog.UNSUPPORTED_KEY_TYPE,
                f"{KIND_NAMES[kind]} keys are not accepted by {self.profile_name} (it accepts {accepted})",
            )
        return kind

    def check_rsa(self, numbers: rsa.RSAPublicNumbers) -> None:
        """Every RSA check, cheapest first."""
        n = numbers.n
        check_rsa_size(n, self.rsa_min_bits, self.rsa_max_bits)
        check_rsa_exponent(numbers.e)
        check_not_weak_key(n, self.weak_keys)
        check_modulus_odd(n)
        check_no_small_factor(n)
        check_not_perfect_power(n, no_factor_below=SMALL_PRIME_BOUND)  # no factor below it, as just checked
        check_not_roca(n)
        check_fermat(n, self.fermat_rounds)
