"""Several crawl workers on one Redis frontier (scrapy-redis) and one PostgreSQL archive.

    keys.py       the Redis key names of one fleet (a prefix)
    frontier.py   the shared queue of article requests: push once, reserve, ack, requeue
    limiter.py    the per-host politeness limiter every process of the fleet asks first
    registry.py   workers' heartbeats and counters (``newsmon stats``)
    scheduler.py  the worker's Scrapy scheduler: a blocking pop from the frontier
    worker.py     ``run_worker``: one worker process until stopped or the frontier is empty

Discovery (``newsmon crawl`` with ``[fleet]``) reads the listings and pushes the article
requests that are neither stored nor already pending; workers fetch, extract, score, dedup
and store them. Dedup across the fleet is the database's guarantee (see storage/dedup.py,
``lock_archive``), not Redis's.
"""
