"""Sends messages to SQS queues; a failed send is ``Transient`` or ``Failed`` "sqs" (KafkaError at the edges)."""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError

from astca import aws
from astca.messaging.envelope import Envelope


class QueuePublisher:
    """Publishes envelopes to SQS queues."""

    def publish(self, queue_url: str, envelope: Envelope) -> None:
        """Send one envelope, its routing key as a message attribute for subscription filters."""
        try:
            aws.sqs().send_message(
                QueueUrl=queue_url,
                MessageBody=envelope.to_json(),
                MessageAttributes={"routingKey": {"DataType": "String", "StringValue": envelope.routing_key}},
            )
        except (ClientError, BotoCoreError) as exc:
            raise aws.failure("sqs", f"sending event {envelope.id}", exc) from exc
