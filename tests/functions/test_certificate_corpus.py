"""The openssl CSR corpus through the API: each entry gets its answer; every accepted one is issued,
passes pkilint, and verifies with openssl -x509_strict against the tenant's chain."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest
from cryptography import x509
from cryptography.x509.verification import PolicyBuilder, Store

from astca.domain.profiles import KeyKind
from astca.issuance.lint import pkilint_lint
from local.resources import LocalResources
from tests.corpus.make_corpus import Corpus
from tests.functions.flows import fetch, issue_pending, issued_signer, request_certificate
from tests.functions.http import call
from tests.pki import openssl_verify
from tests.unit.policy.test_corpus import EXPECTED

Load = Callable[[str], ModuleType]
# The Debian weak-key check needs ASTCA_WEAK_KEYS_FILE, which this session does not set; the
# policy tests cover it with the corpus's list.
NOT_HERE = {"rsa_debian_weak"}


@pytest.mark.parametrize("profile", ["AST_DEVICE", "TLS_CLIENT_WITH_KEY"])
def test_every_corpus_entry_gets_its_answer_and_every_accepted_one_a_valid_certificate(
    corpus: Corpus,
    ca: LocalResources,
    load_function: Load,
    token: Callable[..., str],
    tmp_path: Path,
    profile: str,
) -> None:
    issued_signer(load_function, token, ca)
    accepted: dict[str, str] = {}
    for name, outcomes in EXPECTED.items():
        if name in NOT_HERE:
            continue
        expected = outcomes[0] if profile == "AST_DEVICE" else outcomes[1]
        answer = request_certificate(load_function, token, corpus.entries[name], profile=profile)
        if isinstance(expected, KeyKind):
            assert answer.status == 202, (name, answer.body)
            accepted[name] = answer.body["id"]
        else:
            entry, _ = expected
            assert (answer.status, answer.body["code"]) == (entry.http_status, entry.code), (
                name,
                answer.body,
            )
    assert issue_pending(load_function, ca) == {"batchItemFailures": []}
    chain = call(
        load_function("get_ca_chain"), "GET", "/v1/tenants/{tenant}/ca", params={"tenant": "acme"}
    ).body
    for name, certificate_id in accepted.items():
        delivered = fetch(load_function, token, certificate_id)
        assert delivered.status == 200, (name, delivered.body)
        pkilint_lint(x509.load_pem_x509_certificate(delivered.body["certificate"].encode()))
        leaf = x509.load_pem_x509_certificate(delivered.body["certificate"].encode())
        for anchor in (chain["anchor"], chain["platform"]["anchor"]):
            openssl_verify(
                tmp_path, root=anchor, chain=delivered.body["chain"], leaf=delivered.body["certificate"]
            )
            # cryptography's own path validator, as a Python relying party runs it (it requires a SAN).
            verifier = (
                PolicyBuilder()
                .store(Store([x509.load_pem_x509_certificate(anchor.encode())]))
                .build_client_verifier()
            )
            intermediates = [x509.load_pem_x509_certificate(pem.encode()) for pem in delivered.body["chain"]]
            assert verifier.verify(leaf, intermediates).chain[0] == leaf, name
