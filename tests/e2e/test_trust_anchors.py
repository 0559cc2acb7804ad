"""Relying parties verify device certificates with stock tools: tenant anchors, the platform root, AIA (issue 13).

What a relying party is given is GET /v1/tenants/{t}/ca (public): ``anchor`` (the tenant's own
self-signed root CA), ``chain`` (the certificates between a device of the current signer and the
anchor: [the signer CA]), ``signers``, and ``platform`` {``anchor``: the platform root, ``chain``: [the
tenant anchor cross-certified by the platform issuer CA, the platform issuer CA]}; and a device
presents what GET /certificates/{id} delivered. Each test checks one thing such a party relies on,
with openssl, pyca/cryptography's verifier, pkilint or GnuTLS certtool as it would run them: nothing
here reads the service's own code.

One module-scoped setup: two tenants A and B, each with an ISSUED signer and a delivered device
certificate; the rotation tests rotate B's signer once (after B's first device was captured) and
enrol a second device of B. Everything waits on conditions with deadlines.
"""

from __future__ import annotations

import re
import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import AuthorityInformationAccessOID, NameOID
from cryptography.x509.verification import PolicyBuilder, Store, VerificationError, VerifiedClient

from tests.e2e.conftest import DELIVERY_SECONDS, Answer, RunningStack, request, wait_for
from tests.e2e.test_signers import issued, new_tenant
from tests.functions.flows import make_csr
from tests.pki import certtool_verify, openssl_error, openssl_verdict, pkilint_report

pytestmark = pytest.mark.e2e

TENANTS = ["a", "b"]
CLIENT_AUTH = "1.3.6.1.5.5.7.3.2"
# openssl's answers when no path reaches a trusted anchor (X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT,
# ..._SELF_SIGNED_CERT_IN_CHAIN, ..._UNABLE_TO_GET_ISSUER_CERT_LOCALLY); anything else is another fault.
NO_PATH_TO_ANCHOR = {2, 19, 20}
# How long a worker may go on signing with the signer it loaded before a rotation (seen on main: a
# minute, its signer cache), plus a delivery: the bound on waiting for a device of the successor.
SIGNER_CACHE_BOUND = 60 + DELIVERY_SECONDS


# ---------------------------------------------------------------------------------------- the setup


@dataclass(frozen=True)
class Device:
    """A delivered device certificate, its delivered chain, and every answer the device had before it."""

    certificate: str
    chain: list[str]
    before: list[str]  # the 202 of POST /certificates and each 409 NotYetSigned, headers and body


@dataclass(frozen=True)
class Tenant:
    """One tenant of the module: its current signer, its GET /ca answers and one delivered device."""

    name: str
    signer: dict[str, Any]
    ca_before_signer: dict[str, Any]
    ca: dict[str, Any]
    device: Device


@dataclass(frozen=True)
class Rotation:
    """B after one rotation: the successor, GET /ca then, the first device enrolled, and one the successor signed."""

    successor: dict[str, Any]
    ca: dict[str, Any]
    first: Device
    device: Device


def answer_text(answer: Answer) -> str:
    """An HTTP answer as text a device sees: its headers and its body."""
    headers = "\n".join(f"{name}: {value}" for name, value in answer.headers.items())
    return f"{answer.status}\n{headers}\n\n{answer.body.decode()}"


def get_ca(stack: RunningStack, tenant: str) -> dict[str, Any]:
    """GET /v1/tenants/{tenant}/ca with no token, as any relying party calls it."""
    answer = stack.call("GET", f"/v1/tenants/{tenant}/ca")
    assert answer.status == 200, answer.body
    body: dict[str, Any] = answer.json()
    return body


def enrol(stack: RunningStack, tenant: str) -> Device:
    """A device of ``tenant`` requests a certificate for a P-256 key and polls until it is delivered."""
    token = stack.token(tenant, "device")
    accepted = stack.call(
        "POST", f"/v1/tenants/{tenant}/certificates", token=token, body={"csr": make_csr()[0]}
    )
    assert accepted.status == 202, accepted.body
    before = [answer_text(accepted)]

    def delivered() -> dict[str, Any] | None:
        answer = stack.call("GET", accepted.headers["location"], token=token)
        if answer.status == 409:
            before.append(answer_text(answer))
            return None
        assert answer.status == 200, answer.body
        body: dict[str, Any] = answer.json()
        return body

    body = wait_for(delivered, seconds=DELIVERY_SECONDS, what="the device certificate")
    return Device(certificate=body["certificate"], chain=list(body["chain"]), before=before)


def set_up(stack: RunningStack) -> Tenant:
    """A fresh tenant: GET /ca before it has a signer, its signer ISSUED, GET /ca then, one device delivered."""
    tenant = new_tenant()
    admin = stack.token(tenant, "admin")
    ca_before_signer = get_ca(stack, tenant)
    created = stack.call("POST", f"/v1/tenants/{tenant}/signers", token=admin, body={"name": "Fleet"})
    assert created.status == 202, created.body
    signer = issued(stack, tenant, admin)
    return Tenant(tenant, signer, ca_before_signer, get_ca(stack, tenant), enrol(stack, tenant))


@pytest.fixture(scope="module")
def tenants(stack: RunningStack) -> dict[str, Tenant]:
    """Tenants A and B, set up side by side."""
    with ThreadPoolExecutor(max_workers=len(TENANTS)) as pool:
        return dict(zip(TENANTS, pool.map(lambda _: set_up(stack), TENANTS), strict=True))


@pytest.fixture(scope="module")
def rotation(stack: RunningStack, tenants: dict[str, Tenant]) -> Rotation:
    """B's signer rotated (``rotate: true``), its successor ISSUED and current, and a device it signed."""
    tenant = tenants["b"].name
    admin = stack.token(tenant, "admin")
    created = stack.call(
        "POST", f"/v1/tenants/{tenant}/signers", token=admin, body={"name": "Fleet 2", "rotate": True}
    )
    assert created.status == 202, created.body
    successor_id = created.json()["id"]

    def current() -> dict[str, Any] | None:
        answer = stack.call("GET", f"/v1/tenants/{tenant}/signers/current", token=admin)
        body: dict[str, Any] = answer.json()
        took_over = answer.status == 200 and body["id"] == successor_id and body["state"] == "ISSUED"
        return body if took_over else None

    successor = wait_for(current, seconds=DELIVERY_SECONDS, what="the successor to be ISSUED and current")
    first = enrol(stack, tenant)

    def by_successor() -> Device | None:
        device = enrol(stack, tenant)
        return device if signed_by(device, successor) else None

    device = (
        first
        if signed_by(first, successor)
        else wait_for(
            by_successor, seconds=SIGNER_CACHE_BOUND, what="a device the successor signed", interval=1
        )
    )
    return Rotation(successor, get_ca(stack, tenant), first, device)


def signed_by(device: Device, signer: dict[str, Any]) -> bool:
    """Whether ``signer``'s CA certificate issued ``device``'s certificate."""
    return load(device.certificate).issuer == load(signer["certificate"]).subject


# ---------------------------------------------------------------------------------------- reading GET /ca


def field(ca: dict[str, Any], *path: str) -> Any:
    """``ca[path[0]][path[1]]...``, failing with the fields GET /ca does have when it is not there."""
    value: Any = ca
    for step in path:
        assert isinstance(value, dict), f"GET /ca has no {'.'.join(path)}: {value!r} is no object"
        assert step in value, f"GET /ca has no {'.'.join(path)}; it answered {sorted(ca)}"
        value = value[step]
    return value


def pem(ca: dict[str, Any], *path: str) -> str:
    """The PEM certificate at ``path`` of a GET /ca answer."""
    value = field(ca, *path)
    assert isinstance(value, str), f"GET /ca {'.'.join(path)} is not a PEM certificate: {value!r}"
    assert value.startswith("-----BEGIN CERTIFICATE-----"), f"GET /ca {'.'.join(path)} is not PEM: {value!r}"
    return value


def pems(ca: dict[str, Any], *path: str) -> list[str]:
    """The non-empty list of PEM certificates at ``path`` of a GET /ca answer."""
    value = field(ca, *path)
    assert isinstance(value, list), f"GET /ca {'.'.join(path)} is not a list of PEM: {value!r}"
    assert value, f"GET /ca {'.'.join(path)} is empty"
    assert all(isinstance(item, str) for item in value), value
    assert all(item.startswith("-----BEGIN CERTIFICATE-----") for item in value), value
    return value


def anchor(tenant: Tenant) -> str:
    """The tenant's anchor (PEM)."""
    return pem(tenant.ca, "anchor")


def tenant_chain(tenant: Tenant) -> list[str]:
    """The certificates between the tenant's device and its anchor (PEM)."""
    return pems(tenant.ca, "chain")


def load(certificate: str) -> x509.Certificate:
    """A PEM certificate."""
    return x509.load_pem_x509_certificate(certificate.encode())


def der(certificate: str) -> bytes:
    """A PEM certificate's DER."""
    return load(certificate).public_bytes(Encoding.DER)


def client_verify(anchors: list[str], leaf: str, intermediates: list[str]) -> VerifiedClient:
    """pyca/cryptography's client verifier, anchored at ``anchors``, run on ``leaf`` through ``intermediates``."""
    verifier = PolicyBuilder().store(Store([load(item) for item in anchors])).build_client_verifier()
    return verifier.verify(load(leaf), [load(item) for item in intermediates])


def openssl_accepts(folder: Path, trusted: str, untrusted: list[str], leaf: str, *options: str) -> None:
    """Assert that ``openssl verify -x509_strict -purpose sslclient <options>`` accepts ``leaf``."""
    verdict = openssl_verdict(
        folder, trusted=trusted, untrusted=untrusted, leaf=leaf, options=["-purpose", "sslclient", *options]
    )
    assert verdict.returncode == 0, verdict.stdout + verdict.stderr


# ---------------------------------------------------------------------------------------- GET /ca


def test_before_its_first_signer_a_tenant_has_no_anchor(tenants: dict[str, Tenant]) -> None:
    ca = tenants["a"].ca_before_signer

    assert field(ca, "tenant") == tenants["a"].name
    assert field(ca, "anchor") is None
    assert pem(ca, "platform", "anchor")


@pytest.mark.parametrize("which", TENANTS)
def test_ca_gives_the_tenants_own_self_signed_anchor_and_its_current_signer(
    tenants: dict[str, Tenant], which: str
) -> None:
    tenant = tenants[which]
    root = load(anchor(tenant))

    assert field(tenant.ca, "tenant") == tenant.name
    assert root.subject == root.issuer
    root.verify_directly_issued_by(root)
    assert root.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert tenant_chain(tenant) == [tenant.signer["certificate"]]
    assert pems(tenant.ca, "signers") == [tenant.signer["certificate"]]
    load(tenant.signer["certificate"]).verify_directly_issued_by(root)


def test_each_tenant_has_an_anchor_of_its_own(tenants: dict[str, Tenant]) -> None:
    a, b = load(anchor(tenants["a"])), load(anchor(tenants["b"]))

    assert a.public_key() != b.public_key()
    assert a != b


@pytest.mark.parametrize("which", TENANTS)
def test_ca_gives_the_platform_root_and_above_a_signer_the_cross_certified_anchor_and_the_issuer(
    tenants: dict[str, Tenant], which: str
) -> None:
    tenant = tenants[which]
    root = load(pem(tenant.ca, "platform", "anchor"))
    chain = pems(tenant.ca, "platform", "chain")
    assert len(chain) == 2, chain
    cross, platform_issuer = load(chain[0]), load(chain[1])
    tenant_anchor = load(anchor(tenant))

    root.verify_directly_issued_by(root)
    assert root != tenant_anchor
    assert (cross.subject, cross.public_key()) == (tenant_anchor.subject, tenant_anchor.public_key())
    cross.verify_directly_issued_by(platform_issuer)
    platform_issuer.verify_directly_issued_by(root)


# ---------------------------------------------------------------------------------------- a service of one tenant


@pytest.mark.parametrize("which", TENANTS)
def test_openssl_anchored_at_a_tenant_accepts_its_device(
    tenants: dict[str, Tenant], which: str, tmp_path: Path
) -> None:
    tenant = tenants[which]

    openssl_accepts(tmp_path, anchor(tenant), tenant_chain(tenant), tenant.device.certificate)


@pytest.mark.parametrize("presented", ["ca-chain", "delivered-chain"])
def test_openssl_anchored_at_a_refuses_a_device_of_b(
    tenants: dict[str, Tenant], presented: str, tmp_path: Path
) -> None:
    a, b = tenants["a"], tenants["b"]
    chain = tenant_chain(b) if presented == "ca-chain" else b.device.chain
    openssl_accepts(
        tmp_path, anchor(b), chain, b.device.certificate
    )  # B's device is sound: B's anchor takes it

    verdict = openssl_verdict(
        tmp_path,
        trusted=anchor(a),
        untrusted=chain,
        leaf=b.device.certificate,
        options=["-purpose", "sslclient"],
    )

    assert verdict.returncode != 0, verdict.stdout
    assert openssl_error(verdict) in NO_PATH_TO_ANCHOR, verdict.stdout + verdict.stderr


@pytest.mark.parametrize("which", TENANTS)
def test_nginx_at_verify_depth_2_accepts_a_device_presenting_its_delivered_chain(
    tenants: dict[str, Tenant], which: str, tmp_path: Path
) -> None:
    # nginx: ssl_client_certificate anchor.pem; ssl_verify_depth 2 (SSL_CTX_set_verify_depth, as -verify_depth)
    tenant = tenants[which]

    openssl_accepts(
        tmp_path, anchor(tenant), tenant.device.chain, tenant.device.certificate, "-verify_depth", "2"
    )


@pytest.mark.parametrize("which", TENANTS)
def test_cryptography_anchored_at_a_tenant_accepts_its_device(tenants: dict[str, Tenant], which: str) -> None:
    tenant = tenants[which]

    verified = client_verify([anchor(tenant)], tenant.device.certificate, tenant_chain(tenant))

    assert verified.chain[0] == load(tenant.device.certificate)


@pytest.mark.parametrize("presented", ["ca-chain", "delivered-chain"])
def test_cryptography_anchored_at_a_refuses_a_device_of_b(tenants: dict[str, Tenant], presented: str) -> None:
    a, b = tenants["a"], tenants["b"]
    chain = tenant_chain(b) if presented == "ca-chain" else b.device.chain
    client_verify([anchor(b)], b.device.certificate, chain)  # B's device is sound: B's anchor takes it

    with pytest.raises(VerificationError):
        client_verify([anchor(a)], b.device.certificate, chain)


@pytest.mark.parametrize("which", TENANTS)
def test_the_tenant_path_is_device_signer_anchor(
    tenants: dict[str, Tenant], which: str, tmp_path: Path
) -> None:
    tenant = tenants[which]
    verdict = openssl_verdict(
        tmp_path,
        trusted=anchor(tenant),
        untrusted=tenant.device.chain,
        leaf=tenant.device.certificate,
        options=["-purpose", "sslclient", "-show_chain"],
    )
    assert verdict.returncode == 0, verdict.stdout + verdict.stderr

    depths = re.findall(r"^depth=(\d+):", verdict.stdout, re.MULTILINE)
    verified = client_verify([anchor(tenant)], tenant.device.certificate, tenant.device.chain)

    assert depths == ["0", "1", "2"], verdict.stdout
    assert verified.chain == [
        load(tenant.device.certificate),
        load(tenant.signer["certificate"]),
        load(anchor(tenant)),
    ]


# ---------------------------------------------------------------------------------------- a platform-wide service


@pytest.mark.parametrize("which", TENANTS)
def test_openssl_anchored_at_the_platform_root_accepts_every_tenants_device(
    tenants: dict[str, Tenant], which: str, tmp_path: Path
) -> None:
    tenant = tenants[which]
    root = pem(tenants["a"].ca, "platform", "anchor")  # one root for every tenant
    assert pem(tenant.ca, "platform", "anchor") == root

    openssl_accepts(
        tmp_path,
        root,
        [*tenant_chain(tenant), *pems(tenant.ca, "platform", "chain")],
        tenant.device.certificate,
    )


@pytest.mark.parametrize("which", TENANTS)
def test_cryptography_anchored_at_the_platform_root_accepts_every_tenants_device(
    tenants: dict[str, Tenant], which: str
) -> None:
    tenant = tenants[which]
    root = pem(tenants["a"].ca, "platform", "anchor")
    intermediates = [*tenant_chain(tenant), *pems(tenant.ca, "platform", "chain")]

    verified = client_verify([root], tenant.device.certificate, intermediates)

    assert verified.chain[-1] == load(root)


@pytest.mark.parametrize("which", TENANTS)
def test_a_platform_service_reads_the_tenant_from_the_device_certificate(
    tenants: dict[str, Tenant], which: str
) -> None:
    tenant = tenants[which]
    certificate = load(tenant.device.certificate)
    units = [
        unit.value for unit in certificate.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)
    ]

    assert units == [tenant.name]
    assert [uri for uri in subject_uris(certificate) if f"/tenants/{tenant.name}/" in uri], subject_uris(
        certificate
    )


# ---------------------------------------------------------------------------------------- rotation


def test_a_rotation_keeps_the_anchor_byte_for_byte(tenants: dict[str, Tenant], rotation: Rotation) -> None:
    before = anchor(tenants["b"])

    assert pem(rotation.ca, "anchor") == before
    assert pems(rotation.ca, "chain") == [rotation.successor["certificate"]]
    assert rotation.successor["certificate"] in pems(rotation.ca, "signers")


def test_once_the_successor_is_current_the_next_device_is_signed_by_it(rotation: Rotation) -> None:
    # Seen on main: the old signer (still ISSUED) signed every device for a minute after the rotation,
    # while GET /ca's chain names the successor only.
    issuer = load(rotation.first.certificate).issuer.rfc4514_string()

    assert signed_by(rotation.first, rotation.successor), f"signed by {issuer}"


def test_a_device_of_the_successor_verifies_against_the_same_anchor(
    tenants: dict[str, Tenant], rotation: Rotation, tmp_path: Path
) -> None:
    before = anchor(tenants["b"])
    assert signed_by(rotation.device, rotation.successor)

    openssl_accepts(tmp_path, before, pems(rotation.ca, "chain"), rotation.device.certificate)
    openssl_accepts(tmp_path, before, rotation.device.chain, rotation.device.certificate)
    client_verify([before], rotation.device.certificate, rotation.device.chain)


# ---------------------------------------------------------------------------------------- the certificates


def subject_uris(certificate: x509.Certificate) -> list[str]:
    """The URIs of ``certificate``'s subjectAltName (failing when it has none)."""
    try:
        names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        raise AssertionError(f"{certificate.subject.rfc4514_string()} has no subjectAltName") from None
    return names.get_values_for_type(x509.UniformResourceIdentifier)


@pytest.mark.parametrize("which", TENANTS)
def test_every_device_certificate_has_a_uri_subject_alternative_name(
    tenants: dict[str, Tenant], which: str
) -> None:
    assert subject_uris(load(tenants[which].device.certificate))


@pytest.mark.parametrize("which", TENANTS)
def test_every_device_certificate_is_pkilint_clean(
    tenants: dict[str, Tenant], which: str, tmp_path: Path
) -> None:
    report = pkilint_report(tmp_path, tenants[which].device.certificate, severity="WARNING")

    assert report.returncode == 0, report.stdout + report.stderr


@pytest.mark.parametrize("which", TENANTS)
def test_the_whole_tenant_chain_passes_openssl_auth_level_3(
    tenants: dict[str, Tenant], which: str, tmp_path: Path
) -> None:
    tenant = tenants[which]

    openssl_accepts(
        tmp_path, anchor(tenant), tenant_chain(tenant), tenant.device.certificate, "-auth_level", "3"
    )


@pytest.mark.parametrize("which", TENANTS)
def test_the_tenant_chain_is_all_ec_with_a_p256_signer(tenants: dict[str, Tenant], which: str) -> None:
    tenant = tenants[which]
    signer_key = load(tenant.signer["certificate"]).public_key()

    assert isinstance(signer_key, ec.EllipticCurvePublicKey), type(signer_key).__name__
    assert signer_key.curve.name == "secp256r1"
    assert isinstance(load(anchor(tenant)).public_key(), ec.EllipticCurvePublicKey)


@pytest.mark.skipif(
    shutil.which("certtool") is None,
    reason="GnuTLS certtool is not installed (Debian: apt-get install gnutls-bin)",
)
@pytest.mark.parametrize("which", TENANTS)
def test_gnutls_certtool_at_profile_high_accepts_the_tenant_chain(
    tenants: dict[str, Tenant], which: str, tmp_path: Path
) -> None:
    tenant = tenants[which]

    verdict = certtool_verify(
        tmp_path,
        trusted=anchor(tenant),
        chain=[tenant.device.certificate, *tenant_chain(tenant)],
        profile="high",
        purpose=CLIENT_AUTH,
    )

    assert verdict.returncode == 0, verdict.stdout + verdict.stderr
    assert "Chain verification output: Verified." in verdict.stdout, verdict.stdout


def serial_spellings(serial: int) -> set[str]:
    """How a serial may be written: hex with and without leading zeros (bare, DER, 20 bytes, colons), decimal."""
    bare = format(serial, "x")
    content = serial.to_bytes(
        (serial.bit_length() + 8) // 8, "big"
    )  # DER's: a leading 00 when the top bit is set
    return {
        bare,
        bare.zfill(len(bare) + len(bare) % 2),
        content.hex(),
        bare.zfill(40),
        content.hex(":"),
        str(serial),
    }


@pytest.mark.parametrize("which", TENANTS)
def test_no_answer_before_delivery_shows_the_serial(tenants: dict[str, Tenant], which: str) -> None:
    device = tenants[which].device
    spellings = serial_spellings(load(device.certificate).serial_number)

    leaked = [
        (spelling, text) for text in device.before for spelling in spellings if spelling in text.lower()
    ]

    assert leaked == []


def ca_issuers_uris(certificate: x509.Certificate) -> list[str]:
    """The caIssuers URIs of ``certificate``'s authorityInfoAccess (failing when it has none)."""
    try:
        access = certificate.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    except x509.ExtensionNotFound:
        raise AssertionError(f"{certificate.subject.rfc4514_string()} has no authorityInfoAccess") from None
    uris = [
        description.access_location.value
        for description in access
        if description.access_method == AuthorityInformationAccessOID.CA_ISSUERS
        and isinstance(description.access_location, x509.UniformResourceIdentifier)
    ]
    assert uris, f"{certificate.subject.rfc4514_string()} has no caIssuers URI"
    return uris


def issued_and_issuer(tenant: Tenant, which: str) -> tuple[str, str]:
    """A certificate the relying party is given and the issuer its caIssuers must serve (PEM, PEM)."""
    if which == "device":
        return tenant.device.certificate, tenant.signer["certificate"]
    if which == "signer":
        return tenant_chain(tenant)[0], anchor(tenant)
    cross, platform_issuer = pems(tenant.ca, "platform", "chain")[:2]
    return cross, platform_issuer


@pytest.mark.parametrize("which", TENANTS)
@pytest.mark.parametrize("certificate", ["device", "signer", "cross-certificate"])
def test_ca_issuers_serves_the_issuers_der(
    stack: RunningStack, tenants: dict[str, Tenant], which: str, certificate: str
) -> None:
    issued_pem, issuer_pem = issued_and_issuer(tenants[which], certificate)

    for uri in ca_issuers_uris(load(issued_pem)):
        assert uri.startswith(f"{stack.base_url}/"), uri
        fetched = request(uri)  # as curl or a TLS library fetching AIA would
        assert fetched.status == 200, (uri, fetched.body)
        media_type = fetched.headers.get("content-type", "").split(";")[0].strip()
        assert media_type == "application/pkix-cert", (uri, fetched.headers)
        assert fetched.body == der(issuer_pem), f"{uri} does not serve the DER of {load(issuer_pem).subject}"
        max_age = re.search(r"max-age=(\d+)", fetched.headers.get("cache-control", ""))
        assert max_age, fetched.headers
        assert int(max_age.group(1)) > 0, fetched.headers
