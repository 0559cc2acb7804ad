"""Proofs of possession: the JWS types a key signs and the limits every proof keeps.

A proof is a compact JWS of at most ``MAX_PROOF_CHARS`` characters whose ``iat`` is at most
``MAX_AGE_SECONDS`` old. ``astca.jose.proof`` checks them, the services name the type they expect and
the API documents all of it (``astca.api``).
"""

from __future__ import annotations

KEY_PROOF_TYPE = "astca-key-proof+jwt"  # POST /public-keys: the registered key signs it
RENEWAL_PROOF_TYPE = "astca-renewal+jwt"  # POST /certificates/renew: the current certificate's key signs it
REVOCATION_PROOF_TYPE = (
    "astca-revocation+jwt"  # POST /certificates/self/revoke: the revoked certificate's key
)
MAX_PROOF_CHARS = 8192
MAX_AGE_SECONDS = 300
