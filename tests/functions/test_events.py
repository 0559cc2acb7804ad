"""Every sample event in events/ runs through ``local.invoke``'s code path and is answered.

Events are named after the function's code directory (``events/<dir>.json``, ``events/<dir>.<variant>.json``);
a function in the template without a sample event fails here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest

from local.invoke import EVENTS_DIR, invoke, main, sample_events
from local.resources import LocalResources
from local.template import Template

TEMPLATE = Template.load()
SAMPLES = sample_events(TEMPLATE)


def load_event(name: str) -> dict[str, Any]:
    """A sample event by file name."""
    event: dict[str, Any] = json.loads((EVENTS_DIR / name).read_text(encoding="utf-8"))
    return event


def test_every_function_has_a_sample_event() -> None:
    missing = sorted(set(TEMPLATE.functions) - set(SAMPLES.values()))
    assert not missing, f"add events/<code dir>.json for {', '.join(missing)}"


@pytest.mark.parametrize("path", sorted(SAMPLES), ids=lambda path: path.name)
def test_sample_event_is_answered(ca: LocalResources, path: Path) -> None:
    event = json.loads(path.read_text(encoding="utf-8"))

    answer = invoke(ca, SAMPLES[path], event)

    if event.get("version") == "2.0":
        assert answer["statusCode"] < 500, answer
        json.loads(answer["body"])
    else:
        assert not (answer or {}).get("batchItemFailures"), answer


def test_health_event_answers_ok(aws: LocalResources) -> None:
    answer = invoke(aws, "HealthFunction", load_event("health.json"))

    assert answer["statusCode"] == 200
    assert json.loads(answer["body"]) == {"status": "ok"}


def test_relay_outbox_event_reaches_the_certificate_requests_queue(aws: LocalResources) -> None:
    # Given the sample stream record of a certificate.requested outbox item
    event = load_event("relay_outbox.json")

    # When the relay handles it
    answer = invoke(aws, "RelayOutboxFunction", event)

    # Then nothing failed and the queue of that topic holds the event
    assert answer == {"batchItemFailures": []}
    response = boto3.client("sqs").receive_message(QueueUrl=aws.queues["CertificateRequestsQueue"])
    (message,) = response["Messages"]
    assert "01KAX3Z6F8Q9W2M4N7P5R3T1V1" in message["Body"]


def test_make_invoke_prints_what_the_handler_returned(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["HealthFunction", str(EVENTS_DIR / "health.json")])

    printed = json.loads(capsys.readouterr().out)
    assert status == 0
    assert printed["statusCode"] == 200


def test_make_invoke_rejects_an_unknown_function(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["NoSuchFunction", str(EVENTS_DIR / "health.json")])

    assert "HealthFunction" in capsys.readouterr().err
