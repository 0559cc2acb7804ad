"""Messaging, the Kafka replacement: transactional outbox, topic routing, relay and consumers."""
