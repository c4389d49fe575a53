"""FetchOrder: items reach the dedup and store stages in the order they were fetched.

The stages before dedup run in worker processes and finish out of order (a long page takes
longer to extract). Dedup makes the first article of a story its original, so without this
a copy fetched after its original could be stored first and become the original. Items
enter at the extraction stage (in fetch order), wait at the signature stage for every earlier
item to be stored or dropped, and leave when Scrapy reports them scraped, dropped or failed.
"""

from __future__ import annotations

import asyncio
import heapq
import logging

logger = logging.getLogger(__name__)

# An item never waits longer than this for the ones before it (a safety net: every item
# leaves through a Scrapy signal, so the wait should end long before).
MAX_WAIT_SECONDS = 120.0


class FetchOrder:
    """Turnstile by entry order; items are tracked by identity while in flight."""

    def __init__(self, max_wait: float = MAX_WAIT_SECONDS) -> None:
        self.max_wait = max_wait
        self._next = 0
        self._live: dict[int, int] = {}  # id(item) -> sequence number
        self._heap: list[int] = []  # sequence numbers, some of them already gone
        self._gone: set[int] = set()
        self._waiters: dict[int, asyncio.Future[None]] = {}

    def __len__(self) -> int:
        """Items in flight."""
        return len(self._live)

    def enter(self, item: object) -> None:
        if id(item) in self._live:
            return
        seq, self._next = self._next, self._next + 1
        self._live[id(item)] = seq
        heapq.heappush(self._heap, seq)

    def leave(self, item: object) -> None:
        """The item is stored, dropped or failed (idempotent)."""
        seq = self._live.pop(id(item), None)
        if seq is None:
            return
        self._gone.add(seq)
        self._wake()

    def _first(self) -> int | None:
        while self._heap and self._heap[0] in self._gone:
            self._gone.discard(heapq.heappop(self._heap))
        return self._heap[0] if self._heap else None

    def _wake(self) -> None:
        first = self._first()
        waiter = self._waiters.pop(first, None) if first is not None else None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def turn(self, item: object) -> None:
        """Return once every item that entered before ``item`` has left."""
        seq = self._live.get(id(item))
        if seq is None or self._first() == seq:
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters[seq] = waiter
        try:
            await asyncio.wait_for(asyncio.shield(waiter), self.max_wait)
        except TimeoutError:
            logger.warning("item waited %.0f s for earlier items; going on", self.max_wait)
        finally:
            self._waiters.pop(seq, None)
