"""ExtractionPool: run extract_article on every core, off the Twisted reactor thread.

Workers are started with the 'forkserver' method (or 'spawn' where that is missing): the crawl
process runs a Twisted reactor with threads, and forking a threaded process can copy a held lock
into the child and deadlock it. The forkserver preloads and warms the extraction code once
(crawler/extraction/preload.py), so workers, including replacements, start warm and share
those pages of memory copy-on-write.

If a worker dies (a segfault in lxml on a pathological page, the OOM killer), the standard
executor is broken for good (``BrokenProcessPool``); this pool then starts a fresh executor and
resubmits the pages that were in flight, so one bad page cannot stop a crawl. A page that breaks
the pool ``max_attempts`` times fails its own future with ``BrokenProcessPool``.
"""

from __future__ import annotations

import ctypes
import functools
import logging
import multiprocessing
import os
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing import forkserver
from multiprocessing.context import BaseContext
from typing import Any, TypeVar

from crawler.extraction.result import Extracted

logger = logging.getLogger(__name__)
T = TypeVar("T")
_PRELOAD = "crawler.extraction.preload"
_FREEZE = "crawler.extraction.freeze"  # last: freezes what the others loaded


def start_forkserver(preload: tuple[str, ...] = ()) -> BaseContext:
    """Start the forkserver that workers are forked from, with its warm-up, and return the
    multiprocessing context to use ('spawn' where there is no forkserver).

    The forkserver's warm-up (trafilatura, dateparser's all-locale parser, justext's stoplists:
    about 2.5 s of CPU) runs in its own process and overlaps whatever the caller does next; it
    is not started earlier than the first article (an early start made a crawl with nothing new
    wait for the warm-up at exit: 3.2 s instead of 1.5 s). Only the first call starts it; the
    preload list of later calls is ignored. ``preload`` names further modules the workers'
    tasks import (the relevance model's code, say): imported once there, shared by every worker.
    """
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([_PRELOAD, *preload, _FREEZE])
    # Only forks and returns; it does not wait for the warm-up.
    forkserver.ensure_running()
    return context


def _warm_worker(owner_pid: int) -> None:
    """Initializer: exit with the crawl process ``owner_pid`` (a crawl killed with SIGKILL
    must not leave its workers behind), then warm up (a no-op cost when the forkserver
    already preloaded the code)."""
    from crawler.extraction.lifeline import start_lifeline
    from crawler.extraction.warmup import warm

    start_lifeline(owner_pid)
    warm()


def _extract(body: bytes, url: str, http_encoding: str | None) -> Extracted | None:
    # Imported here, in the worker, so the crawl process never loads trafilatura itself.
    from crawler.extraction.extract import extract_article

    try:
        return extract_article(body, url, http_encoding)
    finally:
        _release_memory()


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    try:
        trim: Callable[[int], int] = ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc: nothing to do
        return None
    return trim


def _release_memory() -> None:
    """Give the heap freed by a page's parse trees back to the system.

    glibc keeps freed memory in its arenas, so without this each worker's RSS settles at the
    high-water mark of the largest page it has seen (about 150 MB instead of 120 MB on the
    corpus); the trim costs about a millisecond a page.
    """
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@dataclass
class _Job:
    outer: Future[Any]
    fn: Callable[..., Any]
    args: tuple[Any, ...]
    label: str  # for log lines: the page URL
    attempt: int = 1


class ExtractionPool:
    """A self-healing process pool for extract_article.

    ``workers=0`` means one per CPU. ``max_tasks_per_child`` (None = never) recycles workers to
    bound memory growth. ``preload``: modules the forkserver imports before forking workers.
    ``submit`` returns a Future resolving to ``Extracted | None``; it never
    blocks: pages go through a queue to a dispatcher thread, because the executor starts its
    worker processes inside ``submit`` (seconds, while the forkserver warms up), and that must
    not stall the Twisted reactor that calls it.
    """

    def __init__(
        self,
        workers: int = 0,
        *,
        max_attempts: int = 2,
        max_tasks_per_child: int | None = None,
        preload: tuple[str, ...] = (),
    ) -> None:
        self.workers = workers if workers > 0 else (os.cpu_count() or 1)
        self.max_attempts = max_attempts
        self.max_tasks_per_child = max_tasks_per_child
        self.restarts = 0
        # A no-op when the crawl already started the forkserver (see start_forkserver).
        self._context = start_forkserver(preload)
        self._lock = threading.Lock()
        self._closed = False
        self._executor = self._new_executor()
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._dispatcher = threading.Thread(
            target=self._dispatch, name="extraction-dispatch", daemon=True
        )
        self._dispatcher.start()

    def _new_executor(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=self._context,
            initializer=_warm_worker,
            initargs=(os.getpid(),),
            max_tasks_per_child=self.max_tasks_per_child,
        )

    def submit(self, body: bytes, url: str, http_encoding: str | None) -> Future[Extracted | None]:
        """Queue one page; the future gets extract_article's result (never its exceptions)."""
        return self._enqueue(_extract, (body, url, http_encoding), url)

    def submit_call(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        """Run any other picklable, CPU-bound ``fn(*args)`` on the same self-healing workers.

        For work that would otherwise hold the reactor thread (hashing or scoring a page's
        text); ``fn`` must be importable by name (a module-level function). Its exceptions
        reach the future.
        """
        return self._enqueue(fn, args, getattr(fn, "__qualname__", "call"))

    def _enqueue(self, fn: Callable[..., T], args: tuple[Any, ...], label: str) -> Future[T]:
        outer: Future[T] = Future()
        if self._closed:
            outer.set_exception(RuntimeError("ExtractionPool is shut down"))
        else:
            self._queue.put(_Job(outer, fn, args, label))
        return outer

    def _dispatch(self) -> None:
        while (job := self._queue.get()) is not None:
            self._submit_now(job)

    def _submit_now(self, job: _Job) -> None:
        with self._lock:
            executor = self._executor
        try:
            inner = executor.submit(job.fn, *job.args)
        except (BrokenProcessPool, RuntimeError):
            # Broken, or already replaced and shut down by a restart: use the current one.
            self._restart(executor)
            if self._closed:
                job.outer.set_exception(RuntimeError("ExtractionPool is shut down"))
            else:
                self._submit_now(job)
            return
        inner.add_done_callback(functools.partial(self._done, job, executor))

    def _done(self, job: _Job, executor: ProcessPoolExecutor, fut: Future[Any]) -> None:
        if job.outer.done():  # cancelled by the caller
            return
        # A future cancelled by the shutdown of a broken executor counts as broken too.
        exc = BrokenProcessPool("cancelled") if fut.cancelled() else fut.exception()
        if exc is None:
            job.outer.set_result(fut.result())
        elif isinstance(exc, BrokenProcessPool) and job.attempt < self.max_attempts:
            logger.warning("extraction worker died (%s); restarting the pool", job.label)
            self._restart(executor)
            job.attempt += 1
            self._queue.put(job)
        else:
            job.outer.set_exception(exc)

    def _restart(self, broken: ProcessPoolExecutor) -> None:
        """Replace ``broken`` with a fresh executor, once, however many callers notice it."""
        with self._lock:
            if self._closed or self._executor is not broken:
                return
            self._executor = self._new_executor()
            self.restarts += 1
        # Not wait=True: this may run on the broken executor's own management thread.
        broken.shutdown(wait=False, cancel_futures=True)

    def shutdown(self) -> None:
        """Stop the workers; waits for pages already submitted."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._queue.put(None)
        self._dispatcher.join()
        with self._lock:
            executor = self._executor
        executor.shutdown(wait=True)
        self._fail_leftovers()

    def _fail_leftovers(self) -> None:
        """Pages queued for a retry while shutting down get an error rather than no answer."""
        while True:
            try:
                job = self._queue.get_nowait()
            except queue.Empty:
                return
            if job is not None and not job.outer.done():
                job.outer.set_exception(RuntimeError("ExtractionPool is shut down"))

    def __enter__(self) -> ExtractionPool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.shutdown()
