"""Sixteen flows in flight through the handlers, each in its own containers (as Lambda scales out).

Every flow requests certificates one after another; for each, the issuance worker runs in another
thread while the flow polls for the certificate, so requests, issuance and deliveries of sixteen
flows interleave on one table. Every request is accepted, every certificate is delivered exactly
once and with its certificate (never 500 5105003 or 5105001, as under load before).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from types import ModuleType
from typing import Any

from local.functions import load_module
from local.resources import LocalResources
from local.template import ROOT
from tests.functions.flows import deliver, fetch, issued_signer, make_csr, outbox_events, request_certificate

Load = Callable[[str], ModuleType]
FLOWS = 16
CERTIFICATES_EACH = 3
POLLS = 2000


def container(index: int) -> Load:
    """The functions of container ``index``: modules of their own, as separate Lambda containers have."""

    def load(directory: str) -> ModuleType:
        return load_module(
            ROOT / "functions" / directory / "app.py", f"astca_fn_{directory}_container{index}"
        )

    return load


def test_sixteen_flows_in_flight_each_get_every_certificate_exactly_once(
    ca: LocalResources, load_function: Load, token: Callable[..., str]
) -> None:
    issued_signer(load_function, token, ca)
    csrs = [make_csr()[0] for _ in range(FLOWS * CERTIFICATES_EACH)]

    def flow(index: int) -> list[Any]:
        load, unexpected = container(index), list[Any]()
        with ThreadPoolExecutor(max_workers=1) as worker:
            for csr in csrs[index * CERTIFICATES_EACH : (index + 1) * CERTIFICATES_EACH]:
                accepted = request_certificate(load, token, csr)
                if accepted.status != 202:
                    unexpected.append(accepted.body)
                    continue
                certificate_id = accepted.body["id"]
                [event] = [
                    e
                    for e in outbox_events(ca, "certificate.requested")
                    if e["payload"]["certificateId"] == certificate_id
                ]
                issued = worker.submit(
                    deliver, load, ca, "issue_certificate", "CertificateRequestsQueue", [event]
                )
                for _ in range(POLLS):
                    answer = fetch(load, token, certificate_id)
                    if answer.status != 409:
                        break
                if answer.status != 200 or not answer.body["certificate"].startswith("-----BEGIN"):
                    unexpected.append(answer.body)
                if issued.result() != {"batchItemFailures": []}:
                    unexpected.append(issued.result())
                again = fetch(load, token, certificate_id)
                if again.status != 410:
                    unexpected.append(again.body)
        return unexpected

    with ThreadPoolExecutor(max_workers=FLOWS) as pool:
        outcomes = list(pool.map(flow, range(FLOWS)))

    assert [answer for outcome in outcomes for answer in outcome] == []
