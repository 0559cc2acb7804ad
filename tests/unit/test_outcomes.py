"""One table for both edges: every AWS dependency's failure is its catalog entry, anything else unclaimed 510500."""

from __future__ import annotations

from typing import get_args

import pytest

from astca import catalog
from astca.domain.errors import Failed, NotFound, Service, Transient
from astca.outcomes import BY_SERVICE, catalog_error


def test_every_service_has_its_entry() -> None:
    assert set(BY_SERVICE) == set(get_args(Service))


@pytest.mark.parametrize("service", get_args(Service))
def test_a_transient_failure_says_when_to_retry_and_a_lasting_one_does_not(service: Service) -> None:
    transient, failed = catalog_error(Transient(service, "x")), catalog_error(Failed(service, "x"))

    assert transient.entry is failed.entry is BY_SERVICE[service]
    assert transient.headers == {"Retry-After": "1"}
    assert failed.headers == {}


def test_an_unclaimed_outcome_is_an_internal_error_that_names_nothing() -> None:
    error = catalog_error(NotFound("signer", "tenant acme has no signer s-1"))

    assert error.entry is catalog.INTERNAL_ERROR
    assert error.detail == "an unexpected error occurred"
    assert error.headers == {}
