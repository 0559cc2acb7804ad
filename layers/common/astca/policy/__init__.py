"""The registration authority: may this request be served? CSR checks and key quality, against the profiles.

The profiles themselves are data in ``astca.domain.profiles`` (the certificate builder reads the same
objects); policy is a service-level package and never imports ``astca.issuance``.
"""
