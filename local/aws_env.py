"""The AWS environment of every local run: fake credentials, one region, no profile, nothing real reachable."""

from __future__ import annotations

import os

REGION = "eu-central-1"
# Variables that could point boto3 at a real account or a profile's settings.
_REMOVED = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_ENDPOINT_URL",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
)


def local_aws_environment(endpoint_url: str | None = None) -> dict[str, str]:
    """The AWS variables of a local run: moto in-process (no endpoint) or a moto server at ``endpoint_url``."""
    environment = {
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",  # moto's placeholder, not a credential
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        # moto 5.2 answers DynamoDB Streams with 404 when botocore puts the account id in the endpoint.
        "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    if endpoint_url:
        environment["AWS_ENDPOINT_URL"] = endpoint_url
    return environment


def use_local_aws(endpoint_url: str | None = None) -> None:
    """Set the process up for moto: in-process (no endpoint) or a moto server at ``endpoint_url``."""
    for name in _REMOVED:
        os.environ.pop(name, None)
    os.environ.update(local_aws_environment(endpoint_url))
