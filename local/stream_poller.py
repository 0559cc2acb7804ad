"""Feeds a DynamoDB stream event source to its function as Lambda's stream poller does.

Records of every shard are read in order and run through the FilterCriteria (rejected ones are
dropped, as Lambda drops them), then delivered in batches of BatchSize. A batch is retried until it
succeeds: from the first failed sequence number when the function reports batchItemFailures, in
two halves when the function raises and BisectBatchOnFunctionError is on (halving does not use up
retries), and at most MaximumRetryAttempts times (-1: until it succeeds). Records whose retries
ran out are skipped, and the OnFailure destination gets Lambda's on-failure record describing them
(shard, first and last sequence numbers, stream ARN), not the records themselves.

A shard is read again at once after a round that delivered records (Lambda "resumes polling"),
30 ms after one that read only records the filters drop (the table is being written: an outbox
item is likely next), and 250 ms after an empty read (Lambda's base rate, four times a second).
"""

from __future__ import annotations

import json
import logging
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from local.batch_response import failed_items
from local.components import PollingThread
from local.event_filter import accepts
from local.events import batch, stream_record_from_api
from local.functions import Invocable
from local.template import StreamEventSource

if TYPE_CHECKING:
    from mypy_boto3_dynamodbstreams import DynamoDBStreamsClient
    from mypy_boto3_sqs import SQSClient

logger = logging.getLogger(__name__)
Record = dict[str, Any]


class StreamPoller(PollingThread):
    """One DynamoDB stream event source mapping."""

    active_seconds = 0.03  # the pause after a round that read records but delivered none

    def __init__(
        self,
        source: StreamEventSource,
        function: Invocable,
        *,
        streams: DynamoDBStreamsClient,
        sqs: SQSClient,
        stream_arn: str,
        on_failure_queue_url: str | None,
        retry_delay_seconds: float = 0.2,
    ) -> None:
        super().__init__()
        self.name = f"stream:{source.function}.{source.name}"
        self.source, self.function, self.streams, self.sqs = source, function, streams, sqs
        self.stream_arn, self.on_failure_queue_url = stream_arn, on_failure_queue_url
        self.retry_delay_seconds = retry_delay_seconds
        self._iterators: dict[str, str] = {}
        self._last_sequence: dict[str, str] = {}
        self._active = False  # the last round read records (whether or not they passed the filters)

    def poll_once(self) -> bool:
        """Read every shard once and deliver what passed the filters; whether any record passed."""
        if not self._iterators:
            self._discover()
        busy = self._active = False
        for shard_id in list(self._iterators):
            read = self._read(shard_id)
            self._active = self._active or bool(read)
            records = [record for record in read if accepts(self.source.filters, record)]
            for start in range(0, len(records), self.source.batch_size):
                if self.stopping:
                    return busy
                self._deliver(shard_id, records[start : start + self.source.batch_size])
            busy = busy or bool(records)
        return busy

    def idle_pause(self) -> float:
        """After a read that found only records the filters drop, the table is busy: read again soon."""
        return self.active_seconds if self._active else self.idle_seconds

    def _discover(self) -> None:
        description = self.streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]
        for shard in description.get("Shards", []):
            shard_id = shard["ShardId"]
            if shard_id not in self._iterators and "EndingSequenceNumber" not in shard.get(
                "SequenceNumberRange", {}
            ):
                self._iterators[shard_id] = self.streams.get_shard_iterator(
                    StreamArn=self.stream_arn,
                    ShardId=shard_id,
                    ShardIteratorType=self.source.starting_position,  # type: ignore[arg-type]
                )["ShardIterator"]

    def _read(self, shard_id: str) -> list[Record]:
        try:
            response = self.streams.get_records(ShardIterator=self._iterators[shard_id], Limit=1000)
        except ClientError as exc:
            if (
                exc.response["Error"]["Code"] != "ExpiredIteratorException"
                or shard_id not in self._last_sequence
            ):
                raise
            self._iterators[shard_id] = self.streams.get_shard_iterator(
                StreamArn=self.stream_arn,
                ShardId=shard_id,
                ShardIteratorType="AFTER_SEQUENCE_NUMBER",
                SequenceNumber=self._last_sequence[shard_id],
            )["ShardIterator"]
            return []
        next_iterator = response.get("NextShardIterator")
        if next_iterator:
            self._iterators[shard_id] = next_iterator
        else:
            del self._iterators[shard_id]  # the shard is closed; its children are found by _discover
        records = [
            stream_record_from_api(record, stream_arn=self.stream_arn) for record in response["Records"]
        ]
        if records:
            self._last_sequence[shard_id] = records[-1]["dynamodb"]["SequenceNumber"]
        return records

    def _deliver(self, shard_id: str, records: list[Record]) -> None:
        """Invoke until the batch succeeds or its retries run out."""
        retries = 0
        while records and not self.stopping:
            failed_from, function_error = self._invoke(records)
            if failed_from is None:
                return
            if function_error and self.source.bisect_on_error and len(records) > 1:
                half = len(records) // 2
                self._deliver(shard_id, records[:half])
                self._deliver(shard_id, records[half:])
                return
            records = records[failed_from:]
            if 0 <= self.source.maximum_retry_attempts <= retries:
                self._discard(shard_id, records, invocations=retries + 1, function_error=function_error)
                return
            retries += 1
            self.pause(self.retry_delay_seconds)

    def _invoke(self, records: list[Record]) -> tuple[int | None, bool]:
        """Invoke once: the index to retry from (None: all done), and whether the function raised."""
        try:
            answer = self.function.invoke(batch(records))
        except Exception:
            logger.exception("%s: the function failed on %d record(s)", self.name, len(records))
            return 0, True
        if not self.source.reports_item_failures:
            return None, False
        sequence_numbers = [record["dynamodb"]["SequenceNumber"] for record in records]
        failed = failed_items(answer, sequence_numbers)
        if not failed:
            return None, False
        logger.warning("%s: %d of %d record(s) failed", self.name, len(failed), len(records))
        return sequence_numbers.index(failed[0]), False

    def _discard(
        self, shard_id: str, records: list[Record], *, invocations: int, function_error: bool
    ) -> None:
        """Skip records whose retries ran out, telling the OnFailure destination about them."""
        logger.error(
            "%s: %d record(s) discarded after %d invocation(s)", self.name, len(records), invocations
        )
        if self.on_failure_queue_url is None:
            return
        document = self.failure_record(
            shard_id, records, invocations=invocations, function_error=function_error
        )
        self.sqs.send_message(QueueUrl=self.on_failure_queue_url, MessageBody=json.dumps(document))

    def failure_record(
        self, shard_id: str, records: list[Record], *, invocations: int, function_error: bool
    ) -> dict[str, Any]:
        """Lambda's on-failure record for stream records whose retries ran out."""
        response: dict[str, Any] = {"statusCode": 200, "executedVersion": "$LATEST"}
        if function_error:
            response["functionError"] = "Unhandled"
        first, last = records[0]["dynamodb"], records[-1]["dynamodb"]
        return {
            "requestContext": {
                "requestId": str(uuid.uuid4()),
                "functionArn": self.function.arn,
                "condition": "RetryAttemptsExhausted",
                "approximateInvokeCount": invocations,
            },
            "responseContext": response,
            "version": "1.0",
            "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "DDBStreamBatchInfo": {
                "shardId": shard_id,
                "startSequenceNumber": first["SequenceNumber"],
                "endSequenceNumber": last["SequenceNumber"],
                "approximateArrivalOfFirstRecord": _rfc3339(first["ApproximateCreationDateTime"]),
                "approximateArrivalOfLastRecord": _rfc3339(last["ApproximateCreationDateTime"]),
                "batchSize": len(records),
                "streamArn": self.stream_arn,
            },
        }


def _rfc3339(epoch_seconds: float) -> str:
    return datetime.fromtimestamp(epoch_seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
