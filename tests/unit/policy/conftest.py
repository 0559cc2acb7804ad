"""Fixtures of the registration authority tests: the CSR corpus, made once per session by openssl."""

from __future__ import annotations

import pytest

from astca.policy.csr import CsrPolicy
from astca.policy.weakkeys import WeakKeys
from tests.corpus.make_corpus import Corpus, make_corpus


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    """Every corpus entry (tests/corpus/make_corpus.py), made in a temporary directory."""
    return make_corpus(tmp_path_factory.mktemp("csr-corpus"))


@pytest.fixture(scope="session")
def policy(corpus: Corpus) -> CsrPolicy:
    """The CSR policy with the corpus's weak-key list (which lists rsa_debian_weak)."""
    return CsrPolicy(weak_keys=WeakKeys.load(corpus.weak_keys_file))
