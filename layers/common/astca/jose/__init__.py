"""JOSE: ``jws`` signs SDK configs through KMS, ``jwe`` carries session encryption. Neither talks to AWS.

``jws.sign_compact`` builds the JWS signing input itself and has it signed by anything that signs
like ``astca.issuance.kms.KmsSigner``. astca only produces JWSs, it never parses one: the tests
verify them with an independent JOSE library.
"""
