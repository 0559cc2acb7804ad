"""Each goodkey check alone, on keys built to fail exactly that check, and KeyPolicy as a whole."""

from __future__ import annotations

import math
import subprocess
from functools import cache
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa, x448, x25519
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes
from hypothesis import given, settings
from hypothesis import strategies as st

from astca import catalog
from astca.catalog import CaError
from astca.domain.profiles import AST_DEVICE, TLS_CLIENT_WITH_KEY, KeyKind
from astca.policy import goodkey
from astca.policy.goodkey import KeyPolicy
from astca.policy.roca import has_roca_fingerprint
from astca.policy.smallprimes import SMALL_PRIME_BOUND, primes_up_to, small_primes_product
from astca.policy.weakkeys import WeakKeys, fingerprint
from tests.corpus import weak_rsa

# ROCA test vectors from roca-detect 1.2.12 (roca/tests/data, MIT License, (c) 2017 CRoCS,
# EnigmaBridge Ltd.): mod03.txt is a vulnerable 2048-bit modulus, mod06.txt differs from it in its
# first hex digit and is not vulnerable.
ROCA_MOD03 = int(
    "9dcd7420e420c270a68060eb8b5aa7457a9f6648f86fafed2775cc1f79ae962f1e63f1b9e51c55f9ea6fdc7332e9b005"
    "8c9ff2eb1fc89855029cf6aafe21e689feb38ac9ffb12f1ce371bb5d0e9aae64161abce74b4244bf68f1edb4411f756a"
    "097c8929c14740245ea355f8332d1aa36bb50c7dcb4505da8de02e4e53d38f8df06097da7524df0df93db48eac8cc4af"
    "2d3a16257eb2b2adca6ba464e5974fa92550d31b1babf161e7692d00b86e3dd886ecab4abfbe1a8f8cc263ff4af55cdb"
    "45f4249a5193925f5e983d762f0b6800943eb0267b08f42ed311ce1f5c86eacbc8ce4d3cb7a2fee1ef5641423a1cf411"
    "4e5ecf50034a60a412523af9e6f4aa11",
    16,
)
ROCA_MOD06 = ROCA_MOD03 - (1 << 2044)  # 0x8dcd... instead of 0x9dcd...


@cache
def rsa_key() -> rsa.RSAPrivateKey:
    """One good RSA-2048 key for the whole module."""
    return rsa.generate_private_key(65537, 2048)


def good_modulus() -> int:
    return rsa_key().public_key().public_numbers().n


def public_rsa(n: int, e: int = 65537) -> rsa.RSAPublicKey:
    return rsa.RSAPublicNumbers(e, n).public_key()


# --- RSA size ---


@pytest.mark.parametrize("bits", [2048, 3072, 4096, 2056])
def test_sizes_within_the_bounds_in_whole_bytes_pass(bits: int) -> None:
    goodkey.check_rsa_size((1 << (bits - 1)) + 1, 2048, 4096)


@pytest.mark.parametrize(
    ("bits", "fragment"),
    [
        (1024, "1024 bits; 2048 to 4096"),
        (2040, "2040 bits"),
        (4104, "4104 bits"),
        (2052, "not a whole number"),
    ],
)
def test_sizes_outside_the_bounds_or_in_part_bytes_fail(bits: int, fragment: str) -> None:
    with pytest.raises(CaError, match=fragment) as raised:
        goodkey.check_rsa_size((1 << (bits - 1)) + 1, 2048, 4096)
    assert raised.value.entry is catalog.BAD_KEY


# --- exponent ---


def test_the_exponent_65537_passes() -> None:
    goodkey.check_rsa_exponent(65537)


@pytest.mark.parametrize("e", [3, 17, 257, 2**32 + 1, 65539])
def test_any_other_exponent_fails(e: int) -> None:
    with pytest.raises(CaError, match=f"exponent is {e}; only 65537"):
        goodkey.check_rsa_exponent(e)


# --- odd, small factors, perfect powers ---


def test_an_even_modulus_fails() -> None:
    with pytest.raises(CaError, match="even"):
        goodkey.check_modulus_odd(good_modulus() * 2)
    goodkey.check_modulus_odd(good_modulus())


def test_the_small_primes_are_the_first_ten_thousand() -> None:
    primes = primes_up_to(SMALL_PRIME_BOUND)
    assert len(primes) == 10_000
    assert primes[:5] == (2, 3, 5, 7, 11)
    assert primes[-1] == 104_729
    assert small_primes_product() == math.prod(primes)


@pytest.mark.parametrize("factor", [3, 65537, 104_723, 104_729])
def test_a_prime_factor_up_to_the_bound_fails(factor: int) -> None:
    with pytest.raises(CaError, match=f"prime factor below {SMALL_PRIME_BOUND}"):
        goodkey.check_no_small_factor(factor * good_modulus())


def test_a_factor_just_above_the_bound_is_not_small() -> None:
    goodkey.check_no_small_factor(104_743 * good_modulus())  # 104,743 is the 10,001st prime


def test_a_real_modulus_has_no_small_factor() -> None:
    goodkey.check_no_small_factor(good_modulus())


@given(n=st.integers(min_value=0, max_value=1 << 4096), k=st.integers(min_value=2, max_value=300))
@settings(max_examples=300, deadline=None)
def test_integer_root_is_the_floor_of_the_root(n: int, k: int) -> None:
    root = goodkey.integer_root(n, k)
    assert root**k <= n < (root + 1) ** k


@pytest.mark.parametrize("k", [2, 3, 5, 7, 11, 121])
def test_a_perfect_power_fails(k: int) -> None:
    m = (1 << (2048 // k)) + 1
    with pytest.raises(CaError, match="perfect power"):
        goodkey.check_not_perfect_power(m**k)


def test_a_perfect_power_of_a_large_base_fails_with_the_small_factor_bound() -> None:
    m = weak_rsa.next_prime(1 << 40)
    with pytest.raises(CaError, match="perfect power"):
        goodkey.check_not_perfect_power(m**51, no_factor_below=SMALL_PRIME_BOUND)


def test_a_real_modulus_is_not_a_perfect_power() -> None:
    goodkey.check_not_perfect_power(good_modulus())


# --- ROCA ---


def test_the_roca_test_vector_has_the_fingerprint() -> None:
    assert ROCA_MOD03.bit_length() == 2048
    with pytest.raises(CaError, match="ROCA"):
        goodkey.check_not_roca(ROCA_MOD03)
    goodkey.check_not_roca(ROCA_MOD06)


def test_a_modulus_of_rsalib_primes_has_the_fingerprint() -> None:
    # p = k * M + (65537^a mod M), as the paper describes RSALib's primes
    n = weak_rsa.roca_prime(512) * weak_rsa.roca_prime(512)
    assert has_roca_fingerprint(n)
    assert not has_roca_fingerprint(n + 2)


@given(st.integers(min_value=1 << 2047, max_value=(1 << 2048) - 1).map(lambda n: n | 1))
@settings(max_examples=300, deadline=None)
def test_random_moduli_do_not_have_the_fingerprint(n: int) -> None:
    assert not has_roca_fingerprint(n)


def test_a_real_modulus_does_not_have_the_fingerprint() -> None:
    goodkey.check_not_roca(good_modulus())


# --- Fermat ---


def test_primes_close_together_are_found_by_fermat() -> None:
    p, q = weak_rsa.fermat_close_primes(distance_bits=400)
    with pytest.raises(CaError, match="Fermat"):
        goodkey.check_fermat(p * q)


def test_fermat_finds_what_its_rounds_reach() -> None:
    # Given primes 2**520 apart in a 2048-bit modulus: Fermat needs about (p-q)^2 / (8 sqrt n),
    # some 8,000 rounds, to reach them
    p, q = weak_rsa.fermat_close_primes(distance_bits=520)
    goodkey.check_fermat(p * q, rounds=100)
    with pytest.raises(CaError, match="Fermat"):
        goodkey.check_fermat(p * q, rounds=20_000)


def test_a_square_is_found_by_fermat_at_once() -> None:
    p = rsa_key().private_numbers().p
    with pytest.raises(CaError, match="Fermat"):
        goodkey.check_fermat(p * p, rounds=1)


def test_a_real_modulus_is_not_factored_by_fermat() -> None:
    goodkey.check_fermat(good_modulus())


# --- weak keys (Debian) ---


def test_the_fingerprint_is_the_one_openssl_vulnkey_computes(tmp_path: Path) -> None:
    # openssl-vulnkey: sha1sum of `openssl rsa -noout -modulus` output, last 20 hex digits
    key = tmp_path / "key.pem"
    key.write_bytes(
        rsa_key().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    line = subprocess.run(
        ["openssl", "rsa", "-in", str(key), "-noout", "-modulus"], capture_output=True, check=True
    )
    digest = subprocess.run(["sha1sum"], input=line.stdout, capture_output=True, check=True).stdout.split()[0]
    assert fingerprint(good_modulus()) == digest.decode()[20:]


def test_a_listed_key_fails_and_others_pass() -> None:
    listed = WeakKeys.from_lines([fingerprint(good_modulus())])
    with pytest.raises(CaError, match="known weak key"):
        goodkey.check_not_weak_key(good_modulus(), listed)
    goodkey.check_not_weak_key(good_modulus() + 2, listed)
    goodkey.check_not_weak_key(good_modulus(), WeakKeys.disabled())


# --- EC and Ed25519 points ---


@pytest.mark.parametrize("curve", [ec.SECP256R1(), ec.SECP384R1()])
def test_a_generated_ec_key_is_a_valid_point(curve: ec.EllipticCurve) -> None:
    goodkey.check_ec_point(ec.generate_private_key(curve).public_key())


def test_a_generated_ed25519_key_is_not_of_small_order() -> None:
    goodkey.check_ed25519_point(ed25519.Ed25519PrivateKey.generate().public_key())


def _edwards_add(a: tuple[int, int], b: tuple[int, int]) -> tuple[int, int]:
    """Point addition on edwards25519 (-x^2 + y^2 = 1 + d x^2 y^2)."""
    p, d = 2**255 - 19, -121665 * pow(121666, -1, 2**255 - 19) % (2**255 - 19)
    (x1, y1), (x2, y2) = a, b
    t = d * x1 * x2 * y1 * y2 % p
    return (x1 * y2 + x2 * y1) * pow(1 + t, -1, p) % p, (y1 * y2 + x1 * x2) * pow(1 - t, -1, p) % p


def _edwards_x(y: int) -> int | None:
    """An x with (x, y) on edwards25519, or None."""
    p, d = 2**255 - 19, -121665 * pow(121666, -1, 2**255 - 19) % (2**255 - 19)
    x2 = (y * y - 1) * pow(d * y * y + 1, -1, p) % p
    x = pow(x2, (p + 3) // 8, p)
    if x * x % p != x2:
        x = x * pow(2, (p - 1) // 4, p) % p
    return x if x * x % p == x2 else None


SMALL_ORDER_Y = sorted(goodkey._ED25519_SMALL_ORDER_Y)


@pytest.mark.parametrize("y", SMALL_ORDER_Y)
def test_the_listed_points_really_have_small_order(y: int) -> None:
    x = _edwards_x(y)
    assert x is not None
    point = (x, y)
    for _ in range(3):
        point = _edwards_add(point, point)
    assert point == (0, 1)  # 8 * P is the identity


@pytest.mark.parametrize("y", SMALL_ORDER_Y)
@pytest.mark.parametrize("sign", [0, 1])
def test_an_ed25519_key_of_small_order_fails(y: int, sign: int) -> None:
    raw = (y | sign << 255).to_bytes(32, "little")
    with pytest.raises(CaError, match="small order"):
        goodkey.check_ed25519_point(ed25519.Ed25519PublicKey.from_public_bytes(raw))


def test_a_non_canonical_encoding_of_the_identity_fails() -> None:
    raw = (2**255 - 19 + 1).to_bytes(32, "little")  # y = p + 1, i.e. 1
    with pytest.raises(CaError, match="small order"):
        goodkey.check_ed25519_point(ed25519.Ed25519PublicKey.from_public_bytes(raw))


# --- key types and the policy as a whole ---


def _other_keys() -> list[tuple[PublicKeyTypes, str]]:
    dsa_key = dsa.generate_private_key(2048).public_key()
    return [
        (dsa_key, "DSA"),
        (ed448.Ed448PrivateKey.generate().public_key(), "Ed448"),
        (x25519.X25519PrivateKey.generate().public_key(), "X25519"),
        (x448.X448PrivateKey.generate().public_key(), "X448"),
        (ec.generate_private_key(ec.SECP521R1()).public_key(), "secp521r1"),
        (ec.generate_private_key(ec.SECP256K1()).public_key(), "secp256k1"),
    ]


def test_key_types_no_profile_accepts_are_unsupported() -> None:
    policy = KeyPolicy.for_profile(AST_DEVICE, weak_keys=WeakKeys.disabled())
    for key, fragment in _other_keys():
        with pytest.raises(CaError, match=fragment) as raised:
            policy.check(key)
        assert raised.value.entry is catalog.UNSUPPORTED_KEY_TYPE


def test_the_profile_decides_which_kinds_are_accepted() -> None:
    ed_key = ed25519.Ed25519PrivateKey.generate().public_key()
    assert KeyPolicy.for_profile(AST_DEVICE, weak_keys=WeakKeys.disabled()).check(ed_key) is KeyKind.ED25519
    with pytest.raises(CaError, match="Ed25519 keys are not accepted by TLS_CLIENT_WITH_KEY") as raised:
        KeyPolicy.for_profile(TLS_CLIENT_WITH_KEY, weak_keys=WeakKeys.disabled()).check(ed_key)
    assert raised.value.entry is catalog.UNSUPPORTED_KEY_TYPE
    ec_only = KeyPolicy(key_kinds=frozenset({KeyKind.EC_P256}), profile_name="EC_ONLY")
    with pytest.raises(CaError, match="RSA keys are not accepted by EC_ONLY"):
        ec_only.check(rsa_key().public_key())
    with pytest.raises(CaError, match="EC P-384 keys are not accepted"):
        ec_only.check(ec.generate_private_key(ec.SECP384R1()).public_key())


def test_the_rsa_bounds_come_from_the_policy() -> None:
    strict = KeyPolicy(key_kinds=frozenset({KeyKind.RSA}), rsa_min_bits=3072, rsa_max_bits=4096)
    with pytest.raises(CaError, match="2048 bits; 3072 to 4096"):
        strict.check(rsa_key().public_key())


def test_a_good_rsa_key_passes_every_check() -> None:
    policy = KeyPolicy.for_profile(AST_DEVICE, weak_keys=WeakKeys.from_lines([fingerprint(ROCA_MOD03)]))
    assert policy.check(rsa_key().public_key()) is KeyKind.RSA


@pytest.mark.parametrize(
    ("n", "e", "fragment"),
    [
        (ROCA_MOD03, 3, "exponent"),  # the exponent before ROCA
        (ROCA_MOD03, 65537, "known weak key"),  # the blocklist before ROCA
        (ROCA_MOD06 - (ROCA_MOD06 - 3) % 6, 65537, "prime factor below"),  # odd, a multiple of 3
        (ROCA_MOD03 >> 1024, 3, "1024 bits"),  # the size before anything else
    ],
    ids=["exponent", "blocklist", "small-factor", "size"],
)
def test_the_cheapest_failing_check_is_reported(n: int, e: int, fragment: str) -> None:
    policy = KeyPolicy.for_profile(AST_DEVICE, weak_keys=WeakKeys.from_lines([fingerprint(ROCA_MOD03)]))
    with pytest.raises(CaError, match=fragment):
        policy.check(public_rsa(n, e))
