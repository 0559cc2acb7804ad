"""The registration authority: may this request be served? CSR checks, key quality, certificate profiles."""
