"""What the score stage's test runs in the extraction workers (by reference: module-level).

Each probe first waits at a barrier for as many probes as the pool has workers: a worker that
waits there cannot take another probe, so the probes run one in each worker.
"""

from __future__ import annotations

import os
from threading import Barrier

from crawler.extraction import tasks

BARRIER_TIMEOUT = 120.0  # only reached when a worker is missing


def score_in_each_worker(
    barrier: Barrier, model_dir: str, seeds_dir: str, threshold: float, text: str
) -> int:
    """Score ``text`` as the score stage does (loading the model when this worker has not)."""
    barrier.wait(BARRIER_TIMEOUT)
    tasks.score_article(model_dir, seeds_dir, threshold, "T", text, "en")
    return os.getpid()


def model_loads_in_each_worker(barrier: Barrier) -> tuple[int, int]:
    """(this worker's pid, how many times it loaded the model)."""
    barrier.wait(BARRIER_TIMEOUT)
    return os.getpid(), tasks.model_loads


def model_loads() -> int:
    """How many times the worker that runs this loaded the model (a pool of one worker)."""
    return tasks.model_loads
