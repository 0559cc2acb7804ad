"""astca: the shared layer of the AST Certificate Authority."""
