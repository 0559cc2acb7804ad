"""Certificate lint before the real signature: pkilint's RFC 5280 certificate validators.

``pkilint_lint`` is the ``lint`` hook of ``sign_certificate``: it sees the draft (the TBS that KMS
will sign) and stops issuance on any ERROR or FATAL finding; warnings are logged. The validator set
is pkilint's ``pkix`` certificate lint (what its ``lint_pkix_cert`` command runs: decoding, name,
validity, extension, key and serial checks of RFC 5280 and the RFCs it cites). Device certificates
are not web PKI (no serverAuth, no DNS names) nor S/MIME, so the CA/Browser Forum and ETSI sets
would judge them by rules they do not follow. The issuer/subject chain lint is left out: the draft
carries a throwaway signature, and ``sign_certificate`` verifies the real one against the issuer.

A finding that stops issuance is ``Invalid("certificate", "lint: the certificate fails <codes>")``:
the certificate the profile data describes is not one to sign, and signing it again would not help.

pkilint costs about 100 ms to import on top of astca's own modules (its validator is built in under a
millisecond, a certificate is linted in about 2 ms) and only the issuance worker needs it: it is
imported on first use and its validator built once per container, so importing this module costs
nothing.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools import Logger
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from astca.domain.errors import Invalid

logger = Logger()

STOPPING = frozenset({"FATAL", "ERROR"})  # pkilint severities that stop issuance; WARNING is logged


def pkilint_lint(draft: x509.Certificate) -> None:
    """Refuse ``draft`` (``Invalid("certificate")`` naming the finding codes) when pkilint finds an ERROR or FATAL."""
    validator, document_loader = _pkix_linter()
    try:
        document = document_loader.load_der_document(draft.public_bytes(Encoding.DER), "draft")
    except ValueError as exc:  # pragma: no cover - cryptography wrote the DER
        raise Invalid("certificate", f"lint: the draft certificate does not decode ({exc})") from None
    failed: set[str] = set()
    warned: set[str] = set()
    for result in validator.validate(document.root):
        for description in result.finding_descriptions:
            finding = description.finding
            if finding.severity.name in STOPPING:
                failed.add(finding.code)
            elif finding.severity.name == "WARNING":
                warned.add(finding.code)
    if warned:
        logger.warning("certificate lint warnings", extra={"lintWarnings": sorted(warned)})
    if failed:
        raise Invalid("certificate", f"lint: the certificate fails {', '.join(sorted(failed))}")


@cache
def _pkix_linter() -> tuple[Any, Any]:
    """pkilint's RFC 5280 certificate validator and a DER loader, built once per container."""
    # Deferred: pkilint takes ~100 ms to import; only the issuance worker lints, API functions never do.
    from pkilint import loader  # noqa: PLC0415
    from pkilint.pkix import certificate, extension, name  # noqa: PLC0415

    validator = certificate.create_pkix_certificate_validator_container(
        certificate.create_decoding_validators(name.ATTRIBUTE_TYPE_MAPPINGS, extension.EXTENSION_MAPPINGS),
        [
            certificate.create_issuer_validator_container([]),
            certificate.create_validity_validator_container(),
            certificate.create_subject_validator_container([]),
            certificate.create_extensions_validator_container([]),
            certificate.create_spki_validator_container([]),
        ],
    )
    return validator, loader.RFC5280CertificateDocumentLoader()
