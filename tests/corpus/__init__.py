"""The CSR corpus of the registration authority tests (made at test time, see make_corpus)."""
