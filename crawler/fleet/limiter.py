"""The per-host politeness limiter of the fleet, shared through Redis.

Scrapy spaces requests per host within one process; scrapy-redis does nothing across
processes. Every request of every fleet process (discovery and workers) first asks this
limiter for a turn: one Lua script, atomic in Redis, on Redis' own clock (the machines'
clocks do not matter), grants it only when

- the host's "next allowed time" has passed (it then moves it ``delay`` on), where ``delay``
  is the larger of ``download_delay`` and the host's robots.txt ``Crawl-delay``, and
- fewer than ``concurrency`` requests to the host are in flight fleet-wide (each holds a
  lease until its response, or until the lease ends if its worker dies).

With a delay, one request per host is in flight fleet-wide and the next turn starts no
sooner than the delay after the previous *response* too: a turn is granted a little before
the request leaves its worker (whose reactor may be busy storing an article), so spacing
turns alone would let the site see two requests closer than the delay. This way it never
does (and a site is crawled at most as fast as one process would). Without a delay, up to
``concurrency`` requests per host are in flight fleet-wide.

Otherwise it answers how long to wait. So the fleet never sends a site more than one
process would, however many workers there are.
"""

from __future__ import annotations

import time
import uuid

from redis import Redis

from crawler.fleet.keys import FleetKeys

# KEYS: next, active, hosts. ARGV: delay, concurrency, token, lease, host.
# Returns "0" when granted, else the seconds to wait before asking again.
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local delay = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local nxt = tonumber(redis.call('GET', KEYS[1]) or '0')
if nxt > now then return tostring(nxt - now) end
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[2]) then
  return tostring(math.max(math.min(delay, 0.05), 0.01))
end
local lease = tonumber(ARGV[4])
redis.call('SET', KEYS[1], tostring(now + delay), 'PX', math.floor((delay + 60) * 1000))
redis.call('ZADD', KEYS[2], now + lease, ARGV[3])
redis.call('EXPIRE', KEYS[2], math.floor(lease) + 60)
redis.call('SADD', KEYS[3], ARGV[5])
return '0'
"""
# KEYS: next, active. ARGV: delay, token. The next turn comes no sooner than delay from now.
_RELEASE = """
redis.call('ZREM', KEYS[2], ARGV[2])
local delay = tonumber(ARGV[1])
if delay > 0 then
  local t = redis.call('TIME')
  local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
  local nxt = tonumber(redis.call('GET', KEYS[1]) or '0')
  if now + delay > nxt then
    redis.call('SET', KEYS[1], tostring(now + delay), 'PX', math.floor((delay + 60) * 1000))
  end
end
return 1
"""
# KEYS: next for each host. Returns the seconds until each host's next allowed time.
_WAITS = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local out = {}
for i = 1, #KEYS do
  local nxt = tonumber(redis.call('GET', KEYS[i]) or '0')
  out[i] = tostring(math.max(nxt - now, 0))
end
return out
"""


class HostLimiter:
    """Ask before every request: ``acquire`` returns 0.0 (go) or the seconds to wait."""

    def __init__(self, server: Redis, keys: FleetKeys, lease: float = 120.0) -> None:
        self.server = server
        self.keys = keys
        self.lease = lease
        self._acquire = server.register_script(_ACQUIRE)
        self._waits = server.register_script(_WAITS)
        self._release = server.register_script(_RELEASE)

    @staticmethod
    def new_token() -> str:
        return uuid.uuid4().hex

    def acquire(self, host: str, delay: float, concurrency: int, token: str) -> float:
        if delay > 0:
            concurrency = 1  # see the module's docstring
        answer = self._acquire(
            keys=[self.keys.host_next(host), self.keys.host_active(host), self.keys.hosts],
            args=[f"{max(delay, 0.0):.6f}", max(concurrency, 1), token, self.lease, host],
        )
        return float(answer)

    def release(self, host: str, token: str, delay: float) -> None:
        self._release(
            keys=[self.keys.host_next(host), self.keys.host_active(host)],
            args=[f"{max(delay, 0.0):.6f}", token],
        )

    def waits(self) -> dict[str, tuple[float, int]]:
        """Per host seen: (seconds until its next allowed request, requests in flight)."""
        hosts = sorted(
            h.decode() if isinstance(h, bytes) else str(h)
            for h in self.server.smembers(self.keys.hosts)
        )
        if not hosts:
            return {}
        waits = self._waits(keys=[self.keys.host_next(h) for h in hosts])
        now = time.time()
        pipe = self.server.pipeline(transaction=False)
        for h in hosts:
            pipe.zcount(self.keys.host_active(h), now, "+inf")
        active = pipe.execute()
        return {h: (float(w), int(a)) for h, w, a in zip(hosts, waits, active, strict=True)}
