"""The seam of the local stack: a component is anything with a name that starts and stops.

The stack starts its components in order and stops them in reverse. The gateway, the pollers and
the moto server are components; a development identity provider is added the same way (see
``local.stack.COMPONENTS``).
"""

from __future__ import annotations

import logging
import threading
from typing import Protocol

logger = logging.getLogger(__name__)


class Component(Protocol):
    """A part of the local stack."""

    name: str

    def start(self) -> None:
        """Start serving (return once ready)."""

    def stop(self) -> None:
        """Stop and release what ``start`` took (return once stopped)."""


class PollingThread:
    """A component that calls ``poll_once`` in ``threads`` threads until stopped, pausing when there was nothing to do."""

    name = "poller"
    idle_seconds = 0.25  # Lambda polls a stream's shards four times a second

    def __init__(self, *, threads: int = 1) -> None:
        self.threads = max(1, threads)
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []

    def poll_once(self) -> bool:
        """Do one round of work; whether there was any."""
        raise NotImplementedError

    def idle_pause(self) -> float:
        """How long to wait after a round that found nothing to do."""
        return self.idle_seconds

    def start(self) -> None:
        """Start polling in daemon threads."""
        self._stopping.clear()
        self._threads = [
            threading.Thread(target=self._run, name=self.name if n == 0 else f"{self.name}#{n}", daemon=True)
            for n in range(self.threads)
        ]
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        """Ask the threads to stop and wait for their current rounds to end."""
        self._stopping.set()
        for thread in self._threads:
            thread.join()

    @property
    def stopping(self) -> bool:
        """Whether ``stop`` was called."""
        return self._stopping.is_set()

    def pause(self, seconds: float) -> bool:
        """Wait ``seconds`` unless stopped first; whether polling should go on."""
        return not self._stopping.wait(seconds)

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                busy = self.poll_once()
            except Exception:
                logger.exception("%s: polling failed; retrying", self.name)
                busy = False
            if not busy:
                self.pause(self.idle_pause())
