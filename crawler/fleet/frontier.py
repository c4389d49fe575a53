"""The shared queue of article requests, on scrapy-redis's queue and serializer.

scrapy-redis's own Scheduler pops a request and forgets it: a worker killed with SIGKILL
loses what it held, and its Redis dupefilter would then keep the next discovery from pushing
those URLs again. So the frontier is a reliable queue instead (Redis' "reliable queue"
pattern on scrapy-redis's ``FifoQueue`` encoding):

- ``push``: a URL is added to the *pending* set and the queue in one script, only if it is
  not pending already (queued or held): no article URL is handed out twice;
- ``reserve``: a worker moves an entry from the queue to its own *held* list (BLMOVE, one
  atomic step, blocking so an idle worker wakes the moment work arrives);
- ``ack``: when the article is stored (or failed for good) the entry leaves the held list
  and its URL the pending set;
- ``requeue_dead``: the held list of a worker whose heartbeat expired goes back to the queue.

Losing Redis altogether (a restart without persistence) loses the queue, not articles: the
next discovery pushes again every URL that is not stored.
"""

from __future__ import annotations

from typing import Any

from redis import Redis
from scrapy import Spider
from scrapy.http import Request
from scrapy_redis.queue import FifoQueue

from crawler.fleet.keys import FleetKeys

# KEYS: pending, queue. ARGV: url, entry, ttl. 1 when pushed, 0 when already pending.
# Pending is a sorted set scored by the push time (Redis's clock): an entry older than the
# ttl is pushed again, so a URL whose acknowledgement was lost (Redis unreachable just then)
# is not shut out of the frontier for ever.
_PUSH = """
local t = redis.call('TIME')
local now = tonumber(t[1])
local since = redis.call('ZSCORE', KEYS[1], ARGV[1])
if since and tonumber(since) > now - tonumber(ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('LPUSH', KEYS[2], ARGV[2])
return 1
"""
# KEYS: held, pending. ARGV: entry, url.
_ACK = """
redis.call('LREM', KEYS[1], 1, ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[2])
return 1
"""
# KEYS: alive, held, queue. Moves a dead worker's entries to the taking end of the queue.
_REQUEUE = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local n = 0
while redis.call('LMOVE', KEYS[2], KEYS[3], 'LEFT', 'RIGHT') do n = n + 1 end
return n
"""
# KEYS: held, queue. ARGV: entries given back (taken but not started) by a stopping worker.
_GIVE_BACK = """
for i = 1, #ARGV do
  redis.call('LREM', KEYS[1], 1, ARGV[i])
  redis.call('RPUSH', KEYS[2], ARGV[i])
end
return #ARGV
"""

URL_META = "newsmon_fleet_url"
PENDING_TTL = 6 * 3600  # seconds a pending URL is not pushed again
ENTRY_META = "newsmon_fleet_entry"


class Frontier(FifoQueue):  # type: ignore[misc]
    """The frontier of one fleet; ``spider`` resolves callbacks when (de)serializing."""

    def __init__(self, server: Redis, spider: Spider, keys: FleetKeys) -> None:
        super().__init__(server, spider, keys.queue)
        self.keys = keys
        self._push = server.register_script(_PUSH)
        self._ack = server.register_script(_ACK)
        self._requeue = server.register_script(_REQUEUE)
        self._give_back = server.register_script(_GIVE_BACK)

    def push(self, request: Request) -> bool:  # type: ignore[override]
        """Queue ``request`` unless its URL is pending; True when queued."""
        url = request.meta.get(URL_META) or request.url
        request.meta[URL_META] = url
        entry = self._encode_request(request)
        return bool(
            self._push(keys=[self.keys.pending, self.keys.queue], args=[url, entry, PENDING_TTL])
        )

    def reserve(self, worker: str, timeout: float) -> bytes | None:
        """Take the oldest entry into ``worker``'s held list, waiting up to ``timeout`` s."""
        raw: Any = self.server.blmove(
            self.keys.queue, self.keys.held(worker), timeout, "RIGHT", "LEFT"
        )
        return bytes(raw) if raw is not None else None

    def decode(self, entry: bytes) -> Request:
        request: Request = self._decode_request(entry)
        request.meta[ENTRY_META] = entry
        return request

    def ack(self, worker: str, request: Request) -> None:
        """``request`` (taken by ``worker``) ended for good: forget it."""
        entry = request.meta.get(ENTRY_META)
        url = request.meta.get(URL_META)
        if entry is None or url is None:
            return
        self._ack(keys=[self.keys.held(worker), self.keys.pending], args=[entry, url])

    def give_back(self, worker: str, entries: list[bytes]) -> None:
        """Return entries ``worker`` took but will not start (it is stopping)."""
        if entries:
            self._give_back(keys=[self.keys.held(worker), self.keys.queue], args=entries)

    def requeue_dead(self, workers: list[str]) -> int:
        """Put back what the workers among ``workers`` whose heartbeat expired held."""
        moved = 0
        for w in workers:
            moved += int(
                self._requeue(keys=[self.keys.alive(w), self.keys.held(w), self.keys.queue])
            )
        return moved

    def queued(self) -> int:
        return int(self.server.llen(self.keys.queue))

    def held_by(self, workers: list[str]) -> dict[str, int]:
        pipe = self.server.pipeline(transaction=False)
        for w in workers:
            pipe.llen(self.keys.held(w))
        return dict(zip(workers, (int(n) for n in pipe.execute()), strict=True))
