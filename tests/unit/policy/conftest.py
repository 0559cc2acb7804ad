"""Fixtures of the registration authority tests (the corpus itself is a session fixture of tests/conftest.py)."""

from __future__ import annotations

import pytest

from astca.policy.csr import CsrPolicy
from astca.policy.weakkeys import WeakKeys
from tests.corpus.make_corpus import Corpus


@pytest.fixture(scope="session")
def policy(corpus: Corpus) -> CsrPolicy:
    """The CSR policy with the corpus's weak-key list (which lists rsa_debian_weak)."""
    return CsrPolicy(weak_keys=WeakKeys.load(corpus.weak_keys_file))
