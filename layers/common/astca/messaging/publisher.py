"""Sends messages to SQS queues; a failed send is 5105002 KafkaError (the catalog's name, SQS transport)."""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError

from astca import aws, catalog
from astca.catalog import CaError
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
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            raise CaError(catalog.KAFKA_ERROR, f"sending event {envelope.id} failed ({code})") from exc
        except BotoCoreError as exc:
            raise CaError(catalog.KAFKA_ERROR, f"sending event {envelope.id} failed (no answer)") from exc
