"""Lifeline: an extraction worker exits as soon as the crawl process that owns it is gone.

A crawl killed with SIGKILL runs no cleanup, and its pool workers (~200 MB each) would live on,
re-parented to init. Their parent is the forkserver, not the crawl, and the forkserver only
exits once every holder of its "alive" pipe has closed it, the workers included. So each
worker watches the crawl's pid itself; once the workers are gone the forkserver sees EOF on
its pipe and exits too.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

POLL_SECONDS = 0.5
# Exit status of a worker whose crawl died: distinct from a crash, never seen by the crawl.
ORPHAN_EXIT_STATUS = 3


def is_alive(pid: int) -> bool:
    """True while ``pid`` exists and (where /proc tells) is not a zombie awaiting its reaper."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # the pid was reused by another user's process
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:  # no /proc (or it just went away): os.kill's answer stands
        return True
    fields = stat.rsplit(")", 1)[-1].split()
    return not fields or fields[0] != "Z"


def _watch(owner_pid: int, poll_seconds: float) -> None:
    start_parent = os.getppid()
    stop = threading.Event()
    while not stop.wait(poll_seconds):
        if not is_alive(owner_pid) or os.getppid() != start_parent:
            # os._exit, not sys.exit: this is a side thread, and the main thread may be deep
            # in a parse; nothing in a worker needs flushing.
            os._exit(ORPHAN_EXIT_STATUS)


def start_lifeline(owner_pid: int, poll_seconds: float = POLL_SECONDS) -> threading.Thread:
    """In a worker: exit the process when ``owner_pid`` (the crawl) or this worker's parent
    (the forkserver) dies. Returns the daemon thread that watches."""
    thread = threading.Thread(
        target=_watch, args=(owner_pid, poll_seconds), name="extraction-lifeline", daemon=True
    )
    thread.start()
    return thread
