"""Revocation records: what each CA's CRL lists, one item per revoked serial in the issuing CA's partition.

``REVOKED#{t}#{signer id}`` holds the device certificates a signer issued and revoked;
``REVOKED#{t}#anchor`` the signers a tenant's anchor issued and revoked; ``REVOKED#platform#issuer``
the signers from before anchors, which the platform issuer issued. Sort key ``SERIAL#{hex}``. A
record is written in the revocation's own transaction with ``attribute_not_exists``, so a serial is
revoked once, and never changed.
"""

from __future__ import annotations

from datetime import datetime

from astca import clock
from astca.storage.dynamo import Item

PLATFORM_ISSUER_LIST = "REVOKED#platform#issuer"


def revocation_list(tenant: str, ca: str) -> str:
    """The partition of the revocation records of a tenant's CA: a signer (its id) or ``anchor``."""
    return f"REVOKED#{tenant}#{ca}"


def serial_sort_key(serial_hex: str) -> str:
    """The sort key of a serial number (lower-case hex without leading zeros)."""
    return f"SERIAL#{int(serial_hex, 16):x}"


def revocation_record(
    list_key: str,
    *,
    serial: str,
    subject_id: str,
    reason: str,
    revoked_at: datetime,
    not_after: datetime | None,
) -> Item:
    """The item that puts ``serial`` on its issuer's CRL."""
    return {
        "PK": list_key,
        "SK": serial_sort_key(serial),
        "type": "revocation",
        "subjectId": subject_id,
        "serial": serial,
        "revokedAt": clock.rfc3339(revoked_at),
        "revocationReason": reason,
        "notAfterEpoch": int(not_after.timestamp()) if not_after else 0,
    }
