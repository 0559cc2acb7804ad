"""astca: the shared layer of the AST Certificate Authority (catalog, identity, PKI, JOSE, storage, messaging)."""
