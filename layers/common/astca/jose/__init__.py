"""JOSE: ``jws`` signs SDK configs through KMS, ``jwe`` carries session encryption, ``proof`` verifies proofs of possession.

None talks to AWS. ``jws.sign_compact`` builds the JWS signing input itself and has it signed by
anything that signs like ``astca.issuance.kms.KmsSigner``; the tests verify those with an
independent JOSE library. The only JWSs astca parses are proofs of possession (``proof.verify_proof``:
renewals behind a terminator, public key registrations), which clients make with any JOSE library.
"""
