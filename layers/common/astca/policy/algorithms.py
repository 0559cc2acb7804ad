"""The signature algorithms of CSRs that astca knows, read from the algorithm's OID.

Reading the OID rather than ``csr.signature_hash_algorithm`` names every algorithm without
cryptography raising (some builds raise UnsupportedAlgorithm for MD5). RSASSA-PSS carries its
digest in its parameters, which cryptography reads. An algorithm that is not here is 51013.
"""

from __future__ import annotations

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.x509.oid import ObjectIdentifier, SignatureAlgorithmOID

from astca import catalog
from astca.catalog import CaError

# signature algorithm -> (name, digest); None: the algorithm hashes by itself (EdDSA, ML-DSA)
_S = SignatureAlgorithmOID
SIGNATURE_ALGORITHMS: dict[ObjectIdentifier, tuple[str, str | None]] = {
    ObjectIdentifier("1.2.840.113549.1.1.2"): ("md2WithRSAEncryption", "md2"),
    _S.RSA_WITH_MD5: ("md5WithRSAEncryption", "md5"),
    _S.RSA_WITH_SHA1: ("sha1WithRSAEncryption", "sha1"),
    _S.RSA_WITH_SHA224: ("sha224WithRSAEncryption", "sha224"),
    _S.RSA_WITH_SHA256: ("sha256WithRSAEncryption", "sha256"),
    _S.RSA_WITH_SHA384: ("sha384WithRSAEncryption", "sha384"),
    _S.RSA_WITH_SHA512: ("sha512WithRSAEncryption", "sha512"),
    _S.RSA_WITH_SHA3_224: ("id-rsassa-pkcs1-v1_5-with-sha3-224", "sha3-224"),
    _S.RSA_WITH_SHA3_256: ("id-rsassa-pkcs1-v1_5-with-sha3-256", "sha3-256"),
    _S.RSA_WITH_SHA3_384: ("id-rsassa-pkcs1-v1_5-with-sha3-384", "sha3-384"),
    _S.RSA_WITH_SHA3_512: ("id-rsassa-pkcs1-v1_5-with-sha3-512", "sha3-512"),
    _S.ECDSA_WITH_SHA1: ("ecdsa-with-SHA1", "sha1"),
    _S.ECDSA_WITH_SHA224: ("ecdsa-with-SHA224", "sha224"),
    _S.ECDSA_WITH_SHA256: ("ecdsa-with-SHA256", "sha256"),
    _S.ECDSA_WITH_SHA384: ("ecdsa-with-SHA384", "sha384"),
    _S.ECDSA_WITH_SHA512: ("ecdsa-with-SHA512", "sha512"),
    _S.ECDSA_WITH_SHA3_224: ("id-ecdsa-with-sha3-224", "sha3-224"),
    _S.ECDSA_WITH_SHA3_256: ("id-ecdsa-with-sha3-256", "sha3-256"),
    _S.ECDSA_WITH_SHA3_384: ("id-ecdsa-with-sha3-384", "sha3-384"),
    _S.ECDSA_WITH_SHA3_512: ("id-ecdsa-with-sha3-512", "sha3-512"),
    _S.DSA_WITH_SHA1: ("dsa-with-SHA1", "sha1"),
    _S.DSA_WITH_SHA224: ("dsa-with-SHA224", "sha224"),
    _S.DSA_WITH_SHA256: ("dsa-with-SHA256", "sha256"),
    _S.DSA_WITH_SHA384: ("dsa-with-SHA384", "sha384"),
    _S.DSA_WITH_SHA512: ("dsa-with-SHA512", "sha512"),
    _S.ED25519: ("Ed25519", None),
    _S.ED448: ("Ed448", None),
    _S.ML_DSA_44: ("ML-DSA-44", None),
    _S.ML_DSA_65: ("ML-DSA-65", None),
    _S.ML_DSA_87: ("ML-DSA-87", None),
}


def signature_algorithm(csr: x509.CertificateSigningRequest) -> tuple[str, str | None]:
    """The name and digest of the CSR's signature algorithm, read from its OID; 51013 if unknown."""
    oid = csr.signature_algorithm_oid
    if oid in SIGNATURE_ALGORITHMS:
        return SIGNATURE_ALGORITHMS[oid]
    if oid == SignatureAlgorithmOID.RSASSA_PSS:
        try:
            digest = csr.signature_hash_algorithm
        except UnsupportedAlgorithm:
            digest = None
        if digest is not None:
            return f"RSASSA-PSS with {digest.name}", digest.name
        raise CaError(catalog.UNSUPPORTED_ALGORITHM, "the CSR's RSASSA-PSS parameters are not supported")
    raise CaError(
        catalog.UNSUPPORTED_ALGORITHM, f"the CSR's signature algorithm {oid.dotted_string} is not supported"
    )
