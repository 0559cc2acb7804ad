"""The CSR corpus: what a client may send in the field 'csr', good and bad, written to a directory.

Most entries are made by the openssl CLI (keys by ``openssl genpkey``, requests by ``openssl req``,
openssl 3 still signs requests with SHA-1 and MD5 when told to). Where openssl cannot make the
entry it is built here: RSA keys with a chosen weakness (``weak_rsa``) are signed with
cryptography's CSR builder, and the rest is DER surgery on an openssl request (a flipped signature
byte, a replaced key or algorithm). No key is committed: the tests make the corpus once per session
in a temporary directory, in about two seconds (RSA-4096 key generation dominates).

    python -m tests.corpus.make_corpus DIR    # DIR/<entry>.txt, DIR/weak-keys.txt, keys/, openssl/

``weak-keys.txt`` is a blocklist in openssl-vulnkey's format listing the key of ``rsa_debian_weak``
(and some unrelated fingerprints). What each entry must give is tested in
tests/unit/policy/test_corpus.py.
"""

from __future__ import annotations

import base64
import secrets
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa, x25519
from cryptography.x509.oid import NameOID

from astca.domain.der import encode, read_element
from astca.policy.weakkeys import fingerprint
from tests.corpus import weak_rsa

SEQUENCE, BIT_STRING = 0x30, 0x03

# key file -> openssl genpkey arguments
KEYS: dict[str, list[str]] = {
    "ec_p256": ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
    "ec_p384": ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
    "ec_p521": ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-521"],
    "ec_secp256k1": ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:secp256k1"],
    "ec_p256_explicit": [
        *("-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"),
        *("-pkeyopt", "ec_param_enc:explicit"),
    ],
    "ed25519": ["-algorithm", "ED25519"],
    "ed448": ["-algorithm", "ED448"],
    "rsa_1024": ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024"],
    "rsa_2052": ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2052"],
    "rsa_2048": ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
    "rsa_3072": ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:3072"],
    "rsa_4096": ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:4096"],
    "rsa_e3": ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-pkeyopt", "rsa_keygen_pubexp:3"],
    "rsa_debian_weak": ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
    "rsa_pss_key": ["-algorithm", "RSA-PSS", "-pkeyopt", "rsa_keygen_bits:2048"],
}

# entry -> (key file, extra openssl req arguments)
REQUESTS: dict[str, tuple[str, list[str]]] = {
    "ec_p256": ("ec_p256", []),
    "ec_p384": ("ec_p384", ["-sha384"]),
    "ec_p521": ("ec_p521", ["-sha512"]),
    "ec_secp256k1": ("ec_secp256k1", []),
    "ec_explicit_params": ("ec_p256_explicit", []),
    "ec_compressed_point": ("ec_p256_compressed", []),
    "ec_sha1": ("ec_p256", ["-sha1"]),
    "ec_sha3_256": ("ec_p256", ["-sha3-256"]),
    "ed25519": ("ed25519", []),
    "ed448": ("ed448", []),
    "rsa_1024": ("rsa_1024", []),
    "rsa_2052": ("rsa_2052", []),
    "rsa_2048": ("rsa_2048", []),
    "rsa_3072": ("rsa_3072", ["-sha384"]),
    "rsa_4096": ("rsa_4096", ["-sha512"]),
    "rsa_e3": ("rsa_e3", []),
    "rsa_debian_weak": ("rsa_debian_weak", []),
    "rsa_sha1": ("rsa_2048", ["-sha1"]),
    "rsa_md5": ("rsa_2048", ["-md5"]),
    "rsa_pss_signature": ("rsa_2048", ["-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:32"]),
    "rsa_pss_key": ("rsa_pss_key", []),
    "rsa_new_label": ("rsa_2048", ["-newhdr"]),
    "dsa": ("dsa", []),
    "certificate": ("ec_p256", ["-x509", "-days", "1"]),
}


@dataclass(frozen=True)
class Corpus:
    """The entries (name -> the text a client sends) and the blocklist that lists rsa_debian_weak."""

    entries: dict[str, str]
    weak_keys_file: Path


def _openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True)


def _elements(data: bytes) -> list[bytes]:
    """The DER elements that follow each other in ``data``, each with its tag and length."""
    parts, offset = [], 0
    while offset < len(data):
        _, _, end = read_element(data, offset)
        parts.append(data[offset:end])
        offset = end
    return parts


def _content(element: bytes) -> bytes:
    return read_element(element)[1]


def _pem_der(pem: str) -> bytes:
    body = "".join(line for line in pem.strip().splitlines() if not line.startswith("-----"))
    return base64.b64decode(body)


def _pem(der: bytes, label: str = "CERTIFICATE REQUEST") -> str:
    body = base64.encodebytes(der).decode("ascii").replace("\n", "")
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return "\n".join([f"-----BEGIN {label}-----", *lines, f"-----END {label}-----"]) + "\n"


def _with_spki(csr_der: bytes, spki: bytes) -> bytes:
    """The request with its subjectPKInfo replaced (its signature no longer matches)."""
    info, algorithm, signature = _elements(_content(csr_der))
    version, subject, _, attributes = _elements(_content(info))
    return encode(SEQUENCE, encode(SEQUENCE, version + subject + spki + attributes) + algorithm + signature)


def _with_signature(csr_der: bytes, algorithm: bytes, signature: bytes) -> bytes:
    """The request with its signatureAlgorithm and signature replaced."""
    info, _, _ = _elements(_content(csr_der))
    return encode(SEQUENCE, info + algorithm + encode(BIT_STRING, b"\x00" + signature))


def _tampered(csr_der: bytes) -> bytes:
    """The request with one byte of its signature BIT STRING flipped."""
    info, algorithm, signature = _elements(_content(csr_der))
    flipped = bytearray(signature)
    flipped[len(flipped) // 2] ^= 0x01
    return encode(SEQUENCE, info + algorithm + bytes(flipped))


def _built(private_key: rsa.RSAPrivateKey, name: str) -> str:
    """A request signed with SHA-256 by cryptography's builder (for keys openssl does not make)."""
    builder = x509.CertificateSigningRequestBuilder().subject_name(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"corpus {name}")])
    )
    return builder.sign(private_key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM).decode("ascii")


def _openssl_entries(directory: Path) -> dict[str, str]:
    keys, requests = directory / "keys", directory / "openssl"
    keys.mkdir(parents=True, exist_ok=True)
    requests.mkdir(exist_ok=True)

    def make_key(name: str) -> None:
        _openssl("genpkey", *KEYS[name], "-out", str(keys / f"{name}.pem"))

    def make_dsa_key() -> None:
        params = keys / "dsa-params.pem"
        _openssl(
            "genpkey",
            "-genparam",
            "-algorithm",
            "DSA",
            "-pkeyopt",
            "dsa_paramgen_bits:2048",
            "-out",
            str(params),
        )
        _openssl("genpkey", "-paramfile", str(params), "-out", str(keys / "dsa.pem"))

    def make_request(name: str) -> None:
        key, extra = REQUESTS[name]
        out = requests / f"{name}.pem"
        _openssl(
            "req",
            "-new",
            "-key",
            str(keys / f"{key}.pem"),
            "-subj",
            f"/CN=corpus {name}",
            *extra,
            "-out",
            str(out),
        )

    with ThreadPoolExecutor(max_workers=4) as pool:
        # the slowest first, so that the small ones fill in around them
        jobs = [pool.submit(make_key, name) for name in sorted(KEYS, key=lambda n: n != "rsa_4096")]
        jobs.append(pool.submit(make_dsa_key))
        for job in jobs:
            job.result()
        _openssl(
            "pkey", "-in", str(keys / "ec_p256.pem"), "-ec_conv_form", "compressed",
            "-out", str(keys / "ec_p256_compressed.pem"),
        )  # fmt: skip
        for job in [pool.submit(make_request, name) for name in REQUESTS]:
            job.result()
    return {name: (requests / f"{name}.pem").read_text() for name in REQUESTS}


def make_corpus(directory: Path) -> Corpus:
    """Make every entry, write it to ``directory/<name>.txt``, and the blocklist to weak-keys.txt."""
    entries = _openssl_entries(directory)
    ec_pem, rsa_pem = entries["ec_p256"], entries["rsa_2048"]
    ec_der, rsa_der = _pem_der(ec_pem), _pem_der(rsa_pem)
    ed25519_algorithm = encode(SEQUENCE, encode(0x06, bytes.fromhex("2b6570")))
    x25519_key = x25519.X25519PrivateKey.generate().public_key()
    ec_spki = _elements(_content(_elements(_content(ec_der))[0]))[2]
    off_curve = ec_spki[:-1] + bytes([ec_spki[-1] ^ 0x01])
    certificate_der = _pem_der(entries["certificate"])

    entries |= {
        # encodings of a good request
        "ec_p256_base64": base64.b64encode(ec_der).decode("ascii"),
        "ec_p256_base64url": base64.urlsafe_b64encode(ec_der).decode("ascii").rstrip("="),
        "rsa_2048_base64_lines": base64.encodebytes(rsa_der).decode("ascii"),
        "ec_p256_crlf": ec_pem.replace("\n", "\r\n"),
        # what is not a request
        "empty": "",
        "whitespace": " \n\t ",
        "garbage": "This is not a certificate request, just text.",
        "garbage_base64": base64.b64encode(secrets.token_bytes(300)).decode("ascii"),
        "oversized": "A" * (16 * 1024 + 4),
        "pem_trailing_junk": ec_pem + "junk\n",
        "pem_leading_text": "Here is my CSR:\n" + ec_pem,
        "two_pem_blocks": ec_pem + rsa_pem,
        "pem_mismatched_labels": ec_pem.replace("END CERTIFICATE REQUEST", "END NEW CERTIFICATE REQUEST"),
        "pem_bad_base64": ec_pem.replace("\n", "\n*", 1),
        "pem_public_key": _pem(ec_spki, "PUBLIC KEY"),
        "base64_mixed_alphabets": base64.b64encode(ec_der).decode("ascii")[:-8] + "-_-_-_-_",
        "certificate_base64": base64.b64encode(certificate_der).decode("ascii"),
        # requests whose signature or key was tampered with
        "tampered_signature": _pem(_tampered(rsa_der)),
        "unknown_signature_algorithm": _pem(
            _with_signature(ec_der, encode(SEQUENCE, encode(0x06, bytes.fromhex("2a0304"))), b"\x01" * 64)
        ),
        "unknown_key_algorithm": _pem(
            _with_spki(
                ec_der,
                encode(
                    SEQUENCE,
                    encode(SEQUENCE, encode(0x06, bytes.fromhex("2a0304"))) + encode(BIT_STRING, b"\x00k"),
                ),
            )
        ),
        "x25519": _pem(
            _with_signature(
                _with_spki(
                    ec_der,
                    x25519_key.public_bytes(
                        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
                    ),
                ),
                ed25519_algorithm,
                b"\x00" * 64,
            )
        ),
        "ec_point_off_curve": _pem(_with_spki(ec_der, off_curve)),
        # Ed25519's identity point: R = identity, S = 0 is a valid signature of every message.
        "ed25519_small_order": _pem(
            _with_signature(
                _with_spki(
                    ec_der,
                    encode(SEQUENCE, ed25519_algorithm + encode(BIT_STRING, b"\x00\x01" + b"\x00" * 31)),
                ),
                ed25519_algorithm,
                b"\x01" + b"\x00" * 63,
            )
        ),
        # weak RSA keys openssl does not make
        "rsa_roca": _built(weak_rsa.private_key(weak_rsa.roca_prime(), weak_rsa.roca_prime()), "rsa_roca"),
        "rsa_fermat": _built(weak_rsa.private_key(*weak_rsa.fermat_close_primes()), "rsa_fermat"),
    }
    for name, text in entries.items():
        (directory / f"{name}.txt").write_text(text)

    weak = x509.load_pem_x509_csr(entries["rsa_debian_weak"].encode()).public_key()
    assert isinstance(weak, rsa.RSAPublicKey)
    weak_keys_file = directory / "weak-keys.txt"
    unrelated = [fingerprint(secrets.randbits(2048) | 1) for _ in range(3)]
    weak_keys_file.write_text(
        "# Keysize: 2048 (corpus: rsa_debian_weak and unrelated entries)\n"
        + "\n".join([unrelated[0], fingerprint(weak.public_numbers().n), *unrelated[1:]])
        + "\n"
    )
    return Corpus(entries=entries, weak_keys_file=weak_keys_file)


def main() -> None:
    """Write the corpus to the directory named on the command line."""
    directory = Path(sys.argv[1])
    corpus = make_corpus(directory)
    print(f"{len(corpus.entries)} entries in {directory}")


if __name__ == "__main__":
    main()
