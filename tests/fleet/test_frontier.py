"""The frontier and the limiter on the real Redis: each URL queued once, taken by one worker,
acknowledged, or put back when its worker died; host turns one at a time with a delay."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from redis import Redis
from scrapy import Spider
from scrapy.http import Request

from crawler.fleet.frontier import Frontier
from crawler.fleet.keys import FleetKeys
from crawler.fleet.limiter import HostLimiter
from crawler.fleet.registry import Registry, WorkerRecord
from tests.fleet.support import REDIS_URL


class _Spider(Spider):
    name = "t"

    def parse_article(self, response: object) -> None:
        return None


@pytest.fixture
def server(redis_up: str) -> Iterator[tuple[Redis, FleetKeys]]:
    yield Redis.from_url(REDIS_URL), FleetKeys(redis_up)


def _request(spider: _Spider, path: str) -> Request:
    return Request(f"http://news.test/{path}", callback=spider.parse_article)


def test_a_url_is_queued_once_and_taken_by_one_worker(
    server: tuple[Redis, FleetKeys],
) -> None:
    redis, keys = server
    spider = _Spider()
    frontier = Frontier(redis, spider, keys)
    assert frontier.push(_request(spider, "a.html"))
    assert not frontier.push(_request(spider, "a.html"))  # pending: not queued again
    assert frontier.push(_request(spider, "b.html"))
    assert frontier.queued() == 2

    first = frontier.reserve("w1", 0.1)
    second = frontier.reserve("w2", 0.1)
    assert first and second and frontier.reserve("w1", 0.1) is None
    taken = [frontier.decode(first), frontier.decode(second)]
    assert sorted(r.url for r in taken) == ["http://news.test/a.html", "http://news.test/b.html"]
    assert taken[0].callback == spider.parse_article
    assert frontier.held_by(["w1", "w2"]) == {"w1": 1, "w2": 1}

    frontier.ack("w1", taken[0])
    assert frontier.held_by(["w1"]) == {"w1": 0}
    # Acknowledged: no longer pending, so a later discovery may push it again.
    assert frontier.push(_request(spider, taken[0].url.rsplit("/", 1)[1]))


def test_what_a_dead_worker_held_goes_back(server: tuple[Redis, FleetKeys]) -> None:
    redis, keys = server
    spider = _Spider()
    frontier = Frontier(redis, spider, keys)
    registry = Registry(redis, keys)
    alive = WorkerRecord("alive", "h", 1, 0.0, 0.0)
    registry.beat(alive)
    frontier.push(_request(spider, "a.html"))
    frontier.push(_request(spider, "b.html"))
    assert frontier.reserve("alive", 0.1) and frontier.reserve("dead", 0.1)

    assert frontier.requeue_dead(["alive", "dead"]) == 1  # only the one without a heartbeat
    assert frontier.queued() == 1 and frontier.held_by(["alive", "dead"]) == {"alive": 1, "dead": 0}
    registry.stopped(alive)  # a clean exit ends the heartbeat too
    assert frontier.requeue_dead(["alive"]) == 1 and frontier.queued() == 2


def test_host_turns_are_spaced_and_one_at_a_time(server: tuple[Redis, FleetKeys]) -> None:
    redis, keys = server
    limiter = HostLimiter(redis, keys, lease=30)
    assert limiter.acquire("news.test", 5.0, 4, "t1") == 0.0
    wait = limiter.acquire("news.test", 5.0, 4, "t2")
    assert 4.0 < wait <= 5.0
    assert limiter.acquire("other.test", 5.0, 4, "t3") == 0.0  # hosts are independent
    limiter.release("news.test", "t1", 5.0)
    # The next turn is a delay after the response, not only after the previous turn.
    assert limiter.acquire("news.test", 5.0, 4, "t2") > 4.0
    waits = limiter.waits()
    assert set(waits) == {"news.test", "other.test"}
    assert waits["news.test"][0] > 4.0 and waits["news.test"][1] == 0


def test_without_a_delay_concurrency_is_fleet_wide(server: tuple[Redis, FleetKeys]) -> None:
    redis, keys = server
    limiter = HostLimiter(redis, keys, lease=30)
    assert limiter.acquire("news.test", 0.0, 2, "a") == 0.0
    assert limiter.acquire("news.test", 0.0, 2, "b") == 0.0
    assert limiter.acquire("news.test", 0.0, 2, "c") > 0.0  # two in flight already
    limiter.release("news.test", "a", 0.0)
    assert limiter.acquire("news.test", 0.0, 2, "c") == 0.0
