"""A worker started with a lifeline exits once the crawl process that owns it dies."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from crawler.extraction.lifeline import ORPHAN_EXIT_STATUS, is_alive

WORKER = (
    "import sys, time\n"
    "from crawler.extraction.lifeline import start_lifeline\n"
    "start_lifeline(int(sys.argv[1]), poll_seconds=0.05)\n"
    "time.sleep(60)\n"
)


def test_a_worker_exits_when_its_owner_is_killed() -> None:
    owner = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    worker = subprocess.Popen([sys.executable, "-c", WORKER, str(owner.pid)])
    try:
        assert worker.poll() is None
        # Not reaped yet: a zombie owner counts as dead, as after `kill -9` of a crawl.
        os.kill(owner.pid, signal.SIGKILL)
        assert worker.wait(timeout=10) == ORPHAN_EXIT_STATUS
        assert not is_alive(owner.pid)
    finally:
        owner.kill()
        worker.kill()
        owner.wait()
        worker.wait()


def test_a_worker_lives_while_its_owner_does() -> None:
    worker = subprocess.Popen([sys.executable, "-c", WORKER, str(os.getpid())])
    try:
        time.sleep(1)  # twenty polls
        assert worker.poll() is None, "the worker exited although its owner is alive"
    finally:
        worker.kill()
        worker.wait()
