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
    """A component that calls ``poll_once`` in a thread until stopped, pausing when there was nothing to do."""

    name = "poller"
    idle_seconds = 0.25  # Lambda polls a stream's shards four times a second

    def __init__(self) -> None:
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def poll_once(self) -> bool:
        """Do one round of work; whether there was any."""
        raise NotImplementedError

    def start(self) -> None:
        """Start polling in a daemon thread."""
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Ask the thread to stop and wait for its current round to end."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join()

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
                self.pause(self.idle_seconds)
