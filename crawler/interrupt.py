"""What Ctrl-C and SIGTERM mean to a crawl: stop soon the first time, at once the second.

The first SIGINT or SIGTERM asks Scrapy to stop gracefully: no new requests, the pages in
flight are finished and stored. The second stops at once: every extraction worker is killed
(its pages fail), the reactor stops, and the crawl returns with what was stored so far. Either
way the run is recorded as ``interrupted`` and the command exits 128 + the signal's number
(130 for Ctrl-C, 143 for SIGTERM), as a shell reports a process a signal ended.

Scrapy's own handlers (``CrawlerProcess._signal_shutdown``) are not used: they are installed
only once the reactor runs, so a Ctrl-C while the crawl loads its model raised
KeyboardInterrupt wherever the main thread happened to be, and they record nothing. These
handlers are installed when the run is recorded and put back when it ends.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from types import FrameType, TracebackType
from typing import Any

logger = logging.getLogger(__name__)

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class CrawlInterrupted(BaseException):
    """Raised by a second signal that arrives before the reactor runs (nothing to stop yet).

    A BaseException, like KeyboardInterrupt, so that no ``except Exception`` swallows it."""


class Interruption:
    """Signal handling for one crawl; a context manager around the run.

    ``graceful`` and ``force`` are called on the reactor thread (through
    ``reactor.callFromThread``, which is safe from a signal handler) once the reactor runs;
    a signal that comes before only sets :attr:`signum`, and :meth:`reactor_started` acts on
    it. ``on_force`` runs in the signal handler itself and must be safe there (it kills the
    extraction workers, see crawler.extraction.pool.kill_open_pools).
    """

    def __init__(
        self,
        graceful: Callable[[], object],
        force: Callable[[], object],
        on_force: Callable[[], object] = lambda: None,
    ) -> None:
        self._graceful = graceful
        self._force = force
        self._on_force = on_force
        self.signum: int | None = None  # the first signal received, if any
        self.count = 0
        self._running = False
        self._saved: dict[int, Any] = {}

    @property
    def exit_status(self) -> int:
        """128 + the first signal's number (130 for SIGINT, 143 for SIGTERM)."""
        return 128 + (self.signum or signal.SIGINT)

    @property
    def signal_name(self) -> str:
        return signal.Signals(self.signum or signal.SIGINT).name

    def __enter__(self) -> Interruption:
        if threading.current_thread() is threading.main_thread():
            for sig in SIGNALS:
                self._saved[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for sig, handler in self._saved.items():
            signal.signal(sig, handler)
        self._saved.clear()

    def reactor_started(self) -> None:
        """On the reactor thread, once it runs: act on a signal that came before."""
        self._running = True
        if self.count >= 2:
            self._stop_now()
        elif self.count == 1:
            self._graceful()

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.count += 1
        if self.signum is None:
            self.signum = signum
        name = signal.Signals(signum).name
        if self.count == 1:
            logger.warning(
                "%s received: stopping after the pages in flight (send it again to stop at once)",
                name,
            )
            if self._running:
                _call_from_thread(self._graceful)
            return
        logger.warning("%s received again: stopping now; pages in flight are not stored", name)
        self._on_force()
        if self._running:
            _call_from_thread(self._stop_now)
        elif self.count == 2:
            raise CrawlInterrupted(name)

    def _stop_now(self) -> None:
        self._on_force()
        self._force()


def _call_from_thread(fn: Callable[[], object]) -> None:
    from twisted.internet import reactor

    reactor.callFromThread(fn)  # type: ignore[attr-defined]
