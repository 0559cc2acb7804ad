"""The AST Certificate Authority error catalog (subsystem 510) and the one exception that carries it.

Every failure that leaves the service is one of these entries: code refers to ``catalog.BAD_KEY``,
never to a bare status or string. ``ENTRIES`` are the seed's 55 rows exactly; ``EXTENSIONS`` are the
codes astca adds in free slots of the matching ranges for failure cases the seed does not name,
each marked ``extension`` (in its JSON row too). ``python -m astca.catalog`` prints the catalog as JSON.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass

SUBSYSTEM = 510


@dataclass(frozen=True, slots=True)
class ErrorEntry:
    """One row of the catalog: an error code, its HTTP status, its name and what it means."""

    error_code: int
    http_status: int
    name: str
    description: str
    extension: bool = False  # not a seed row: a code astca added in a free slot of its range

    @property
    def code(self) -> int:
        """The code the mobile SDK reports: subsystem x 1,000,000 + error code."""
        return SUBSYSTEM * 1_000_000 + self.error_code

    @property
    def type_uri(self) -> str:
        """The RFC 9457 problem type of this entry."""
        return f"urn:astca:error:{SUBSYSTEM}-{self.error_code}"

    def as_json(self) -> dict[str, object]:
        """The entry as the catalog's JSON row."""
        return {
            "subsystem": SUBSYSTEM,
            "errorCode": self.error_code,
            "httpStatus": self.http_status,
            "name": self.name,
            "description": self.description,
            **({"extension": True} if self.extension else {}),
        }


class CaError(Exception):
    """A catalog entry raised with a detail message saying what exactly went wrong."""

    def __init__(
        self, entry: ErrorEntry, detail: str | None = None, *, headers: dict[str, str] | None = None
    ) -> None:
        self.entry = entry
        self.detail = detail or entry.description
        self.headers = headers or {}
        super().__init__(f"{entry.name}: {self.detail}")


ENTRIES: list[ErrorEntry] = []
EXTENSIONS: list[ErrorEntry] = []


def _entry(error_code: int, http_status: int, name: str, description: str) -> ErrorEntry:
    entry = ErrorEntry(error_code, http_status, name, description)
    ENTRIES.append(entry)
    return entry


def _extension(error_code: int, http_status: int, name: str, description: str) -> ErrorEntry:
    entry = ErrorEntry(error_code, http_status, name, description, extension=True)
    EXTENSIONS.append(entry)
    return entry


INVALID_CSR_SIGNATURE = _entry(10, 403, "InvalidCsrSignature", "The provided CSR's signature wasn't valid")
UNSUPPORTED_KEY_TYPE = _entry(
    11,
    400,
    "UnsupportedKeyType",
    "The provided CSR's key algorithm isn't supported",
)
BAD_KEY = _entry(12, 400, "BadKey", "The provided CSR's key doesn't meet requirements")
UNSUPPORTED_ALGORITHM = _entry(
    13,
    400,
    "UnsupportedAlgorithm",
    "An algorithm (signature or digest) was unsupported",
)
BAD_PROFILE = _entry(14, 403, "BadProfile", "The requested certificate profile isn't allowed on the endpoint")
UNSUPPORTED_PROFILE = _entry(
    15,
    500,
    "UnsupportedProfile",
    "The requested certificate profile isn't supported by the Issuer CA",
)
NOT_YET_SIGNED = _entry(20, 409, "NotYetSigned", "The certificate was not yet signed")
ALREADY_DELIVERED = _entry(
    21,
    410,
    "AlreadyDelivered",
    "The certificate was already delivered and was evicted",
)
ISSUANCE_FAILED = _entry(22, 410, "IssuanceFailed", "The certificate couldn't be issued successfully")
SIGNER_NOT_YET_ISSUED = _entry(30, 412, "SignerNotYetIssued", "The signer certificate wasn't issued yet")
SDK_CONFIG_SIGN_ERROR = _entry(31, 500, "SdkConfigSignError", "There was an error signing the SDK config")
SIGNER_ALREADY_EXISTS = _entry(40, 409, "SignerAlreadyExists", "A signer for the tenant already exists")
SIGNER_REVOKED = _entry(
    41,
    409,
    "SignerRevoked",
    "The requested signer was revoked and may not be used anymore",
)
SIGNER_CREATION_CONFLICT = _entry(
    42,
    409,
    "SignerCreationConflict",
    "A conflicting signer was created by a concurrent operation. The caller may check the state of the signer via one of the GET APIs and retry if necessary.",
)
SIGNER_ALREADY_IN_USE = _entry(
    45,
    409,
    "SignerAlreadyInUse",
    "The signer was already used to issue a certificate and can't be deleted anymore",
)
PASSWORD_AUTH_MISSING = _entry(
    50,
    403,
    "PasswordAuthMissing",
    "The access token's AMR did not imply that the user has a password",
)
KEY_ALREADY_EXISTS = _entry(
    51,
    409,
    "KeyAlreadyExists",
    "A key with the same thumbprint is already registered",
)
KEY_EXPIRED = _entry(
    55,
    410,
    "KeyExpired",
    "The key with the given kid and tenant expired and can no longer be used",
)
ENCRYPTION_ERROR = _entry(
    60,
    500,
    "EncryptionError",
    "An unexpected error occurred when encrypting a response",
)
DECRYPTION_ERROR = _entry(61, 400, "DecryptionError", "An error occurred when decrypting a request")
BAD_REQUEST = _entry(
    400,
    400,
    "BadRequest",
    "An unspecified Bad Request error. Look for details in the message.",
)
MISSING_FIELD = _entry(4001, 400, "MissingField", "A required field was missing in the request")
MALFORMED_FIELD = _entry(4002, 400, "MalformedField", "A field in the request had a wrong format")
BAD_PAGINATION = _entry(4003, 400, "BadPagination", "Invalid pagination parameters")
BAD_FILTER = _entry(4004, 400, "BadFilter", "Invalid filter string")
MALFORMED_BODY = _entry(4005, 400, "MalformedBody", "The request body was malformed and couldn't be parsed")
UNAUTHORIZED = _entry(
    401,
    401,
    "Unauthorized",
    "There was a problem authorizing the request, see below for details",
)
TLS_CLIENT_AUTH_MISSING = _entry(
    4011,
    401,
    "TlsClientAuthMissing",
    "The mTLS client certificate header was missing or didn't contain a certificate",
)
FORBIDDEN = _entry(403, 403, "Forbidden", "The user has no permission to access the resource")
MISSING_USER_ID = _entry(4031, 403, "MissingUserId", "The user ID is missing in the access token")
MISSING_USER_NAME = _entry(4032, 403, "MissingUserName", "The user name is missing in the access Token")
MISSING_CLIENT_ID = _entry(4033, 403, "MissingClientId", "The AST client ID is missing in the access token")
SESSION_KEY_NOT_FOUND = _entry(
    4036,
    403,
    "SessionKeyNotFound",
    "The session key with the given ID was not found",
)
SESSION_KEY_DECRYPTION_FAILED = _entry(
    4037,
    403,
    "SessionKeyDecryptionFailed",
    "The session key could not be decrypted",
)
SIGNER_NOT_FOUND = _entry(4041, 404, "SignerNotFound", "A signer with the given ID does not exist")
CERTIFICATE_NOT_FOUND = _entry(
    4042,
    404,
    "CertificateNotFound",
    "A certificate with the given ID does not exist",
)
SIGNER_NOT_FOUND_FOR_TENANT = _entry(
    4043,
    404,
    "SignerNotFoundForTenant",
    "The requested signer for the given tenant does not exist",
)
ISSUER_SERIAL_NOT_FOUND = _entry(
    4044,
    404,
    "IssuerSerialNotFound",
    "The combination of issuer and serial was not found",
)
KEY_NOT_FOUND = _entry(4045, 404, "KeyNotFound", "The key with the given kid and tenant wasn't found")
GENERAL_ERROR = _entry(
    1000,
    500,
    "GeneralError",
    "An unexpected error occurred while authenticating the request. See the log for details.",
)
ISSUER_NOT_CONFIGURED = _entry(
    1001,
    500,
    "IssuerNotConfigured",
    "The OIDC issuer is not configured. This is probably due to misconfiguration of api.security.openidConnect.baseUrl. See the log for details.",
)
REALM_DOES_NOT_EXIST = _entry(
    1002,
    404,
    "RealmDoesNotExist",
    "The realm corresponding to the tenant ID in the request does not exist in the IDP. See the log for details.",
)
IDP_UNAVAILABLE = _entry(
    1003,
    503,
    "IdpUnavailable",
    "The IDP could not be reached for OIDC discovery. This may be a temporary error or due to misconfiguration. See the log for details.",
)
BAD_RESPONSE = _entry(
    1004,
    502,
    "BadResponse",
    "The IDP response could not be parsed. See the log for details.",
)
UNEXPECTED_ERROR = _entry(
    1005,
    502,
    "UnexpectedError",
    "The IDP returned an unexpected error response during OIDC Discovery. See the log for details.",
)
ISSUER_MISMATCH = _entry(
    1006,
    500,
    "IssuerMismatch",
    "The issuer URL returned from OIDC Discovery doesn't match the expected one generated from the configuration. This is probably due to realm misconfiguration in the IDP. See the log for details.",
)
UNSUPPORTED_FLOW = _entry(
    1007,
    500,
    "UnsupportedFlow",
    "The OIDC configuration returned from the IDP specified an unsupported flow. This probably due to realm misconfiguration in the IDP. See the log for details.",
)
INTERNAL_ERROR = _entry(500, 500, "InternalError", "An unexpected error occurred")
DB_ERROR = _entry(5001, 500, "DbError", "An unexpected error occurred during a database operation")
KAFKA_ERROR = _entry(5002, 500, "KafkaError", "An unexpected error occurred during a Kafka operation")
SIGNER_ERROR = _entry(
    5003,
    500,
    "SignerError",
    "An unexpected error occurred during a certificate issuance operation",
)
SERVICE_UNAVAILABLE = _entry(
    503,
    503,
    "ServiceUnavailable",
    "The service's availability was disrupted, look for details in the message.",
)
UNKNOWN_TOPIC_ROUTING_KEY = _entry(
    50010,
    500,
    "UnknownTopicRoutingKey",
    "An outbox item with an unknown topic routing key was encountered",
)
TRUST_STORE_DOES_NOT_EXIST = _entry(
    50020,
    500,
    "TrustStoreDoesNotExist",
    "The trust store file does not exist",
)
TRUST_STORE_REQUIRED = _entry(
    50021,
    500,
    "TrustStoreRequired",
    "A trust store was required for the configured SSL mode, but none was given",
)

ECHO_LIMIT = 200


def echo(value: object, limit: int = ECHO_LIMIT) -> str:
    """``value`` as a detail may quote it: its repr, cut to ``limit`` characters (input is never echoed whole)."""
    shown = repr(value)
    return shown if len(shown) <= limit else shown[: limit - 3] + "..."


# Extensions (free slots of the seed's ranges): certificate retrieval 20-29.
CERTIFICATE_REVOKED = _extension(23, 410, "CertificateRevoked", "The certificate was revoked")
ALREADY_REVOKED = _extension(24, 409, "AlreadyRevoked", "The certificate was already revoked")

BY_CODE: dict[int, ErrorEntry] = {entry.error_code: entry for entry in ENTRIES + EXTENSIONS}


def main(argv: list[str] | None = None) -> None:
    """Print the catalog's 55 rows as a JSON list; with ``--extensions``, astca's extension rows after them."""
    rows = ENTRIES + EXTENSIONS if "--extensions" in (sys.argv[1:] if argv is None else argv) else ENTRIES
    print(json.dumps([entry.as_json() for entry in rows], indent=2))


if __name__ == "__main__":
    main()
