"""The typed outcomes adapters raise: services decide what they mean, the edges turn them into catalog entries.

Storage, issuance and messaging never name a catalog entry. They raise one of these, saying what
happened to which thing (``subject``: "signer", "certificate", "kms", ...). A service catches the
ones it can give meaning to (a conflict on the signer pointer is 51042, a failed condition on a
certificate's state is 51021 or 51022) and lets the rest go: the web edge and the consumer base map
what reaches them through ``astca.outcomes``, and a ``Transient`` is retried there (the worker puts
the message back on its queue) instead of being recorded as a failure.
"""

from __future__ import annotations

from typing import Literal

# The AWS dependency a failure came from; the edges name the catalog's DbError, KafkaError or SignerError after it.
Service = Literal["dynamodb", "kms", "sqs", "secretsmanager"]


class DomainError(Exception):
    """An outcome an adapter reports: what it is about (``subject``) and a detail for people."""

    def __init__(self, subject: str, detail: str) -> None:
        super().__init__(detail)
        self.subject = subject
        self.detail = detail


class NotFound(DomainError):
    """The thing does not exist (or no longer does)."""


class Conflict(DomainError):
    """A concurrent change got there first; reading again and retrying may succeed."""


class PreconditionFailed(DomainError):
    """The thing exists but is in a state that forbids the change; ``state`` is what was found."""

    def __init__(self, subject: str, detail: str, *, state: str | None = None) -> None:
        super().__init__(subject, detail)
        self.state = state


class Invalid(DomainError):
    """Input an adapter was asked to read cannot be read (a filter, a cursor, a stored certificate)."""


class Transient(DomainError):
    """An AWS dependency was throttled, failed with a 5xx or did not answer in time: retry later."""

    def __init__(self, service: Service, detail: str) -> None:
        super().__init__(service, detail)
        self.service: Service = service


class Failed(DomainError):
    """An AWS dependency refused for good (a disabled key, a missing resource, a bad request): no retry helps."""

    def __init__(self, service: Service, detail: str) -> None:
        super().__init__(service, detail)
        self.service: Service = service
