"""Transient AWS failures in the workers: the message goes back to its queue, and redelivery succeeds."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

import pytest
from botocore.exceptions import ClientError

from astca import aws, catalog
from local.resources import LocalResources
from tests.functions.flows import fetch, issue_pending, issued_signer, make_csr, request_certificate

Load = Callable[[str], ModuleType]


class Throttle:
    """Makes the next ``times`` calls of one KMS operation fail as KMS does when throttled."""

    def __init__(self, operation: str, code: str = "ThrottlingException", status: int = 400) -> None:
        self.operation, self.code, self.status = operation, code, status
        self.times = 0
        self.refused = 0

    def __call__(self, **_: Any) -> None:
        if self.times > 0:
            self.times -= 1
            self.refused += 1
            answer: Any = {
                "Error": {"Code": self.code, "Message": "Rate exceeded"},
                "ResponseMetadata": {"HTTPStatusCode": self.status},
            }
            raise ClientError(answer, self.operation)


@pytest.fixture
def kms_sign_throttle() -> Iterator[Throttle]:
    throttle = Throttle("Sign")
    events = aws.kms().meta.events
    events.register("before-call.kms.Sign", throttle)
    yield throttle
    events.unregister("before-call.kms.Sign", throttle)


def test_a_kms_throttle_in_the_worker_is_retried_and_the_certificate_issued_on_redelivery(
    ca: LocalResources, load_function: Load, token: Callable[..., str], kms_sign_throttle: Throttle
) -> None:
    issued_signer(load_function, token, ca)
    accepted = request_certificate(load_function, token, make_csr()[0])
    assert accepted.status == 202, accepted.body

    kms_sign_throttle.times = 10  # more than botocore's standard retries within the invocation
    first = issue_pending(load_function, ca)
    assert kms_sign_throttle.refused >= 1
    assert len(first["batchItemFailures"]) == 1  # back to the queue, not FAILED
    pending = fetch(load_function, token, accepted.body["id"])
    assert (pending.status, pending.body["code"]) == (409, catalog.NOT_YET_SIGNED.code)

    kms_sign_throttle.times = 0
    assert issue_pending(load_function, ca) == {"batchItemFailures": []}  # the redelivery
    delivered = fetch(load_function, token, accepted.body["id"])
    assert delivered.status == 200, delivered.body


def test_a_permanent_kms_refusal_fails_the_certificate(
    ca: LocalResources, load_function: Load, token: Callable[..., str], kms_sign_throttle: Throttle
) -> None:
    issued_signer(load_function, token, ca)
    accepted = request_certificate(load_function, token, make_csr()[0])
    kms_sign_throttle.code, kms_sign_throttle.times = "AccessDeniedException", 10

    assert issue_pending(load_function, ca) == {"batchItemFailures": []}  # handled: no retry helps
    failed = fetch(load_function, token, accepted.body["id"])
    assert (failed.status, failed.body["code"]) == (410, catalog.ISSUANCE_FAILED.code)
    assert "AccessDeniedException" in failed.body["detail"]
