"""Feeds an SQS event source to its function as Lambda's SQS poller does.

It receives up to BatchSize messages, drops (deletes) the ones the FilterCriteria reject, invokes
the function with the rest, and deletes what succeeded. With ReportBatchItemFailures only the
listed messages fail; a handler that raises fails them all. Failed messages become visible again
after a short local back-off (instead of the queue's VisibilityTimeout), and once a message has
been received maxReceiveCount times moto moves it to the queue's DLQ on the next receive, as SQS
does, so the poller does not redrive anything itself. MaximumBatchingWindowInSeconds is not waited
for: locally a batch is whatever is there.

As Lambda does, several batches are in flight at once: one polling thread per worker the function
may have (its concurrency, ``ASTCA_LOCAL_CONCURRENCY``), capped by the mapping's
ScalingConfig.MaximumConcurrency when the template sets one. The threads take turns to receive (one
long poll at a time, so no two receive the same message) and invoke in parallel.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any

from local.batch_response import failed_items
from local.components import PollingThread
from local.event_filter import accepts, sqs_view
from local.events import batch, sqs_record_from_message
from local.functions import Invocable
from local.template import SqsEventSource

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

logger = logging.getLogger(__name__)
SQS_MAX_RECEIVE = 10


class SqsPoller(PollingThread):
    """One SQS event source mapping."""

    def __init__(
        self,
        source: SqsEventSource,
        function: Invocable,
        *,
        sqs: SQSClient,
        queue_url: str,
        queue_arn: str,
        retry_delay_seconds: int = 1,
        wait_seconds: int = 1,
    ) -> None:
        concurrency = int(getattr(function, "concurrency", 1))
        if source.maximum_concurrency:
            concurrency = min(concurrency, source.maximum_concurrency)
        super().__init__(threads=concurrency)
        self._receiving = threading.Lock()
        self.name = f"sqs:{source.function}.{source.name}"
        self.source, self.function, self.sqs = source, function, sqs
        self.queue_url, self.queue_arn = queue_url, queue_arn
        self.retry_delay_seconds, self.wait_seconds = retry_delay_seconds, wait_seconds

    def poll_once(self) -> bool:
        """Receive one batch and deliver it; whether there was a message."""
        records = [sqs_record_from_message(message, queue_arn=self.queue_arn) for message in self._receive()]
        if not records:
            return False
        passing = [record for record in records if accepts(self.source.filters, sqs_view(record))]
        kept = {record["messageId"] for record in passing}
        self._delete([record for record in records if record["messageId"] not in kept])
        if passing:
            failed = set(self._deliver(passing))
            self._delete([record for record in passing if record["messageId"] not in failed])
            self._retry_later([record for record in passing if record["messageId"] in failed])
        return True

    def _receive(self) -> list[Any]:
        with self._receiving:
            return self._receive_batch()

    def _receive_batch(self) -> list[Any]:
        messages: list[Any] = []
        while len(messages) < self.source.batch_size and not self.stopping:
            wanted = min(SQS_MAX_RECEIVE, self.source.batch_size - len(messages))
            response = self.sqs.receive_message(
                QueueUrl=self.queue_url,
                MaxNumberOfMessages=wanted,
                WaitTimeSeconds=0 if messages else self.wait_seconds,
                MessageSystemAttributeNames=["All"],
                MessageAttributeNames=["All"],
            )
            received = response.get("Messages", [])
            messages += received
            if len(received) < wanted:  # the queue had no more: the batch is what there is
                break
        return messages

    def _deliver(self, records: list[dict[str, Any]]) -> list[str]:
        """Invoke the function; the message ids that failed."""
        identifiers = [str(record["messageId"]) for record in records]
        try:
            answer = self.function.invoke(batch(records))
        except Exception:
            logger.exception("%s: the function failed on %d message(s)", self.name, len(records))
            return identifiers
        if not self.source.reports_item_failures:
            return []
        failed = failed_items(answer, identifiers)
        if failed:
            logger.warning("%s: %d of %d message(s) failed", self.name, len(failed), len(records))
        return failed

    def _delete(self, records: list[dict[str, Any]]) -> None:
        for start in range(0, len(records), SQS_MAX_RECEIVE):
            chunk = records[start : start + SQS_MAX_RECEIVE]
            self.sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[
                    {"Id": str(n), "ReceiptHandle": record["receiptHandle"]} for n, record in enumerate(chunk)
                ],
            )

    def _retry_later(self, records: list[dict[str, Any]]) -> None:
        for record in records:
            self.sqs.change_message_visibility(
                QueueUrl=self.queue_url,
                ReceiptHandle=record["receiptHandle"],
                VisibilityTimeout=self.retry_delay_seconds,
            )
