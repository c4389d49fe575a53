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

A page given a time limit (``submit``'s ``timeout``) that it overruns fails with
:class:`ExtractionTimeout`: the worker arms a kernel timer before the page (``setitimer``; the
default action of its SIGALRM ends the process even deep inside lxml or a regular expression),
so the stuck worker dies, the pool starts fresh workers and the other pages in flight are
resubmitted without counting it against them.

Workers ignore SIGINT: a Ctrl-C at the terminal reaches the whole process group, and the crawl
process decides what it means (see crawler/interrupt.py). :meth:`ExtractionPool.kill` and
:func:`kill_open_pools` stop every worker at once for a crawl that must end now.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import functools
import logging
import multiprocessing
import os
import queue
import signal
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing import forkserver
from multiprocessing.context import BaseContext
from typing import Any, TypeVar, cast

from crawler.extraction.errors import ExtractionTimeout
from crawler.extraction.result import Extracted

logger = logging.getLogger(__name__)
T = TypeVar("T")
__all__ = ["ExtractionPool", "ExtractionTimeout", "kill_open_pools", "terminate_open_pools"]
_PRELOAD = "crawler.extraction.preload"
_FREEZE = "crawler.extraction.freeze"  # last: freezes what the others loaded
# Pages with a time limit that can be told apart at once (more in flight: a timeout of one of
# those looks like a crash, and it is retried once before it fails).
_TIMER_SLOTS = 1024
# In a worker: when it started each timed page (time.monotonic, a system-wide clock on Linux),
# indexed by the page's slot; shared with the pool that reads it after a worker died.
_started: Any = None
# Pools not shut down yet, for kill_open_pools.
_open_pools: weakref.WeakSet[ExtractionPool] = weakref.WeakSet()


def start_forkserver(preload: tuple[str, ...] = ()) -> BaseContext:
    """Start the forkserver that workers are forked from, with its warm-up, and return the
    multiprocessing context to use ('spawn' where there is no forkserver).

    The forkserver's warm-up (crawler/extraction/warmup.py: trafilatura's imports and a first
    parse; what only some pages need is left to them) runs in its own process and overlaps
    whatever the caller does next. The ``newsmon crawl`` script starts it before its own
    imports (:func:`prestart_forkserver`). Only the first call starts it; the preload list of
    later calls is ignored. ``preload`` names further modules the workers' tasks import (the
    relevance model's code, say): imported once there, shared by every worker.
    """
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([_PRELOAD, *preload, _FREEZE])
    # Only forks and returns; it does not wait for the warm-up. The forkserver starts with
    # SIGINT ignored, so a Ctrl-C during its warm-up (before it ignores SIGINT itself) does
    # not kill it with a traceback; its workers inherit that.
    with _sigint_ignored():
        forkserver.ensure_running()
    return context


# Whether this process made an ExtractionPool (which uses the forkserver).
_pool_made = False


def prestart_forkserver(preload: tuple[str, ...] = ()) -> None:
    """Start the forkserver now, before the caller's own imports, so that its warm-up runs
    beside them; at exit, stop it at once if no pool was made meanwhile (a crawl that found
    nothing new). Otherwise it would finish its warm-up first, holding the exit: it shares the
    crawl's stdout and stderr, and cron or a pipe reading them waits for every writer (1.5 s
    became 3.2 s when this was first tried without the stop)."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return
    start_forkserver(preload)
    atexit.register(_stop_unused_forkserver)


def _stop_unused_forkserver() -> None:
    if _pool_made:
        return
    server = getattr(forkserver, "_forkserver", None)
    pid = getattr(server, "_forkserver_pid", None)
    if not pid:
        return
    with contextlib.suppress(OSError):
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)


@contextlib.contextmanager
def _sigint_ignored() -> Iterator[None]:
    """Processes started meanwhile ignore SIGINT (an ignored disposition survives exec).

    In this process SIGINT is blocked too, so one that arrives meanwhile is not lost but
    handled afterwards (Linux keeps a blocked signal pending even while it is ignored). Only
    the main thread may change handlers; elsewhere this does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    handler = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, handler)
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)


def _warm_worker(owner_pid: int, started: Any = None) -> None:
    """Initializer: ignore Ctrl-C (the crawl process handles it for the whole process group),
    exit with the crawl process ``owner_pid`` (a crawl killed with SIGKILL must not leave its
    workers behind), then warm up (a no-op cost when the forkserver already preloaded the
    code). ``started``: the pool's shared array of start times of timed pages."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGALRM, signal.SIG_DFL)
    global _started
    _started = started
    from crawler.extraction.lifeline import start_lifeline
    from crawler.extraction.warmup import warm

    start_lifeline(owner_pid)
    warm()


def _timed(slot: int, seconds: float, fn: Callable[..., T], *args: Any) -> T:
    """In a worker: ``fn(*args)``, or the end of this process after ``seconds``.

    The timer is the kernel's: SIGALRM's default action ends the process wherever it is stuck,
    in C code too, where a Python-level timeout would never run. The start time goes to the
    pool's shared slot, so that it can tell this page's overrun from a crash."""
    if slot >= 0 and _started is not None:
        _started[slot] = time.monotonic()
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return fn(*args)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def _extract(body: bytes, url: str, http_encoding: str | None) -> Extracted | None:
    # Imported here, in the worker, so the crawl process never loads trafilatura itself.
    from crawler.extraction.extract import extract_article

    try:
        return extract_article(body, url, http_encoding)
    finally:
        if len(body) > TRIM_AFTER_BYTES:
            _release_memory()


#: Pages bigger than this (bytes) are followed by a heap trim; the corpus's median is 219 kB,
#: and 76 of its 347 pages are bigger.
TRIM_AFTER_BYTES = 400_000


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
    corpus). Only pages over :data:`TRIM_AFTER_BYTES` are followed by a trim: a smaller page's
    parse reuses the heap the pages before it freed, and trimming after every page made the
    next one fault its heap back in: 3.3 ms of system time a page against 1.6 ms, for 5 MB
    more resident (the corpus in one process, issue 16).
    """
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@dataclass(eq=False)
class _Job:
    outer: Future[Any]
    fn: Callable[..., Any]
    args: tuple[Any, ...]
    label: str  # for log lines: the page URL
    attempt: int = 1
    timeout: float | None = None  # seconds; None: no limit
    slot: int = -1  # its start-time slot, while it holds one
    inner: Future[Any] | None = None  # its future in the executor it was last submitted to


@dataclass(frozen=True, eq=False)
class _Broken:
    """For the dispatcher: ``job`` failed because its executor broke."""

    job: _Job
    executor: ProcessPoolExecutor


class ExtractionPool:
    """A self-healing process pool for extract_article.

    ``workers=0`` means one per CPU. ``max_tasks_per_child`` (None = never) recycles workers to
    bound memory growth. ``preload``: modules the forkserver imports before forking workers.
    ``extract_timeout``: the time limit of each page given to :meth:`submit` (None: none).
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
        extract_timeout: float | None = None,
    ) -> None:
        self.workers = workers if workers > 0 else (os.cpu_count() or 1)
        self.max_attempts = max_attempts
        self.max_tasks_per_child = max_tasks_per_child
        self.extract_timeout = extract_timeout
        self.restarts = 0
        self.timeouts = 0
        # A no-op when the crawl already started the forkserver (see start_forkserver).
        global _pool_made
        _pool_made = True
        self._context = start_forkserver(preload)
        self._lock = threading.Lock()
        self._closed = False
        # Start times of timed pages, written by the workers (see _timed).
        self._started: Any = self._context.RawArray("d", _TIMER_SLOTS)
        self._free_slots = list(range(_TIMER_SLOTS))
        # Per executor: the jobs submitted to it and not done yet, and (once it broke) whether
        # one of them overran its time limit.
        self._in_flight: dict[ProcessPoolExecutor, set[_Job]] = {}
        self._broke_on_timeout: dict[ProcessPoolExecutor, bool] = {}
        self._executor = self._new_executor()
        self._queue: queue.SimpleQueue[_Job | _Broken | None] = queue.SimpleQueue()
        self._dispatcher = threading.Thread(
            target=self._dispatch, name="extraction-dispatch", daemon=True
        )
        self._dispatcher.start()
        _open_pools.add(self)

    def _new_executor(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=self._context,
            initializer=_warm_worker,
            initargs=(os.getpid(), self._started),
            max_tasks_per_child=self.max_tasks_per_child,
        )

    def submit(self, body: bytes, url: str, http_encoding: str | None) -> Future[Extracted | None]:
        """Queue one page; the future gets extract_article's result (never its exceptions),
        or :class:`ExtractionTimeout` when it overran ``extract_timeout``."""
        return self._enqueue(_extract, (body, url, http_encoding), url, self.extract_timeout)

    def submit_call(
        self,
        fn: Callable[..., T],
        *args: Any,
        timeout: float | None = None,
        label: str | None = None,
    ) -> Future[T]:
        """Run any other picklable, CPU-bound ``fn(*args)`` on the same self-healing workers.

        For work that would otherwise hold the reactor thread (hashing or scoring a page's
        text); ``fn`` must be importable by name (a module-level function). Its exceptions
        reach the future. With ``timeout`` (seconds), a call that runs longer has its worker
        stopped and fails with :class:`ExtractionTimeout`. ``label`` names the call in log
        lines (the page's URL; default: the function's name).
        """
        name: str = label or getattr(fn, "__qualname__", None) or "call"
        return self._enqueue(fn, args, name, timeout)

    def _enqueue(
        self, fn: Callable[..., T], args: tuple[Any, ...], label: str, timeout: float | None
    ) -> Future[T]:
        outer: Future[T] = Future()
        if self._closed:
            outer.set_exception(RuntimeError("ExtractionPool is shut down"))
        else:
            self._queue.put(_Job(outer, fn, args, label, timeout=timeout))
        return outer

    def _dispatch(self) -> None:
        while (item := self._queue.get()) is not None:
            if isinstance(item, _Broken):
                self._broken(item.job, item.executor)
            else:
                self._submit_now(item)

    def _submit_now(self, job: _Job) -> None:
        with self._lock:
            executor = self._executor
            if job.timeout is not None and job.slot < 0 and self._free_slots:
                job.slot = self._free_slots.pop()
            if job.slot >= 0:
                self._started[job.slot] = 0.0
            self._in_flight.setdefault(executor, set()).add(job)
        try:
            if job.timeout is None:
                inner = executor.submit(job.fn, *job.args)
            else:
                inner = executor.submit(_timed, job.slot, job.timeout, job.fn, *job.args)
        except (BrokenProcessPool, RuntimeError):
            self._forget(executor, job)
            # Broken, or already replaced and shut down by a restart: use the current one.
            self._restart(executor)
            if self._closed:
                self._fail(job, RuntimeError("ExtractionPool is shut down"))
            else:
                self._submit_now(job)
            return
        except Exception as exc:  # a worker could not be started (the forkserver died, say)
            self._forget(executor, job)
            logger.warning("cannot start an extraction worker (%r); restarting the pool", exc)
            self._restart(executor)
            job.attempt += 1
            if self._closed or job.attempt > self.max_attempts:
                self._fail(job, exc)
            else:
                self._submit_now(job)
            return
        job.inner = inner
        inner.add_done_callback(functools.partial(self._done, job, executor))

    def _forget(self, executor: ProcessPoolExecutor, job: _Job) -> None:
        with self._lock:
            jobs = self._in_flight.get(executor)
            if jobs is not None:
                jobs.discard(job)
                if not jobs and executor is not self._executor:
                    del self._in_flight[executor]
                    self._broke_on_timeout.pop(executor, None)

    def _overran(self, job: _Job) -> bool:
        """Did ``job``'s worker die of its time limit (it started at least that long ago)?"""
        if job.timeout is None or job.slot < 0:
            return False
        started = float(self._started[job.slot])
        return started > 0 and time.monotonic() - started >= job.timeout

    def _timeout_broke(self, executor: ProcessPoolExecutor) -> bool:
        """Whether ``executor`` broke because a page overran (decided once, when it broke)."""
        with self._lock:
            verdict = self._broke_on_timeout.get(executor)
            if verdict is None:
                jobs = self._in_flight.get(executor, set())
                verdict = self._broke_on_timeout[executor] = any(map(self._overran, jobs))
        return verdict

    def _release(self, job: _Job) -> None:
        with self._lock:
            if job.slot >= 0:
                self._free_slots.append(job.slot)
                job.slot = -1

    def _fail(self, job: _Job, exc: BaseException) -> None:
        self._release(job)
        if not job.outer.done():
            job.outer.set_exception(exc)

    def _done(self, job: _Job, executor: ProcessPoolExecutor, fut: Future[Any]) -> None:
        if fut.cancelled() or isinstance(fut.exception(), BrokenProcessPool):
            # Called by the executor's management thread while it fails every page of a broken
            # executor. Nothing here may block or take long: a submit that races that loop
            # breaks it ("dictionary changed size during iteration") and leaves pages without
            # an answer. The dispatcher thread decides what happens to the page.
            self._queue.put(_Broken(job, executor))
            if not self._dispatcher.is_alive():  # shut down: nobody else will answer
                self._fail_leftovers()
            return
        self._forget(executor, job)
        self._release(job)
        if job.outer.done():  # cancelled by the caller
            return
        exc = fut.exception()
        if exc is None:
            job.outer.set_result(fut.result())
        else:
            job.outer.set_exception(exc)

    def _broken(self, job: _Job, executor: ProcessPoolExecutor) -> None:
        """In the dispatcher thread: ``job``'s executor broke (a worker died)."""
        with self._lock:
            if job not in self._in_flight.get(executor, ()):
                return  # already answered or resubmitted (reported twice: see _sweep)
        # Decided before this job leaves the in-flight set, while it still counts.
        on_timeout = self._timeout_broke(executor)
        overran = self._overran(job)
        self._forget(executor, job)
        if job.outer.done():  # cancelled by the caller
            self._release(job)
        elif overran:
            self.timeouts += 1
            logger.info(
                "extraction of %s took longer than %g s: its worker was stopped and replaced",
                job.label,
                job.timeout,
            )
            self._restart(executor)
            self._fail(job, ExtractionTimeout(f"took longer than {job.timeout:g} s"))
        elif self._closed:
            self._fail(job, RuntimeError("ExtractionPool is shut down"))
        elif on_timeout or job.attempt < self.max_attempts:
            # When another page's overrun stopped the workers, this one is not to blame.
            if not on_timeout:
                logger.warning("extraction worker died (%s); restarting the pool", job.label)
                job.attempt += 1
            self._restart(executor)
            self._submit_now(job)
        else:
            self._fail(job, BrokenProcessPool(f"the page broke the pool {job.attempt} times"))

    def _restart(self, broken: ProcessPoolExecutor) -> None:
        """Replace ``broken`` with a fresh executor, once, however many callers notice it."""
        with self._lock:
            if self._closed or self._executor is not broken:
                return
            self._executor = self._new_executor()
            self.restarts += 1
            if not self._in_flight.get(broken):
                self._in_flight.pop(broken, None)
        # Not wait=True: this may run on the broken executor's own management thread.
        broken.shutdown(wait=False, cancel_futures=True)
        threading.Thread(
            target=self._sweep, args=(broken,), name="extraction-sweep", daemon=True
        ).start()

    def _sweep(self, broken: ProcessPoolExecutor) -> None:
        """Once ``broken``'s management thread has ended, hand the dispatcher every page it
        left without an answer.

        Python 3.11's executor can lose a page submitted while it breaks: ``submit`` checks
        that it is not broken, then adds the page after the management thread has failed the
        pending ones and cleared their table, so that page's future is never resolved (and the
        crawl waited for it forever). ``_executor_manager_thread`` is private;
        tests/crawler/test_scrapy_hooks.py checks that it is still there.
        """
        manager = getattr(broken, "_executor_manager_thread", None)
        if manager is not None:
            manager.join(timeout=300)
        with self._lock:
            lost = [
                job
                for job in self._in_flight.get(broken, ())
                if job.inner is not None and not job.inner.done()
            ]
        for job in lost:
            logger.warning("extraction of %s was lost by a broken pool; retrying it", job.label)
            self._queue.put(_Broken(job, broken))
        if lost and not self._dispatcher.is_alive():  # shut down: nobody else will answer
            self._fail_leftovers()

    def shutdown(self) -> None:
        """Stop the workers; waits for pages already submitted."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        _open_pools.discard(self)
        self._queue.put(None)
        self._dispatcher.join()
        with self._lock:
            executor = self._executor
        executor.shutdown(wait=True)
        self._fail_leftovers()

    def kill(self) -> None:
        """Stop at once, from any thread or a signal handler (no lock is taken): no restarts
        from now on, every worker is sent SIGKILL; their pages fail. See :meth:`terminate`."""
        self._closed = True
        _kill_workers(self._executor)

    def terminate(self) -> None:
        """Stop at once and clean up: kill the workers, fail every page not done yet, and
        leave nothing that the interpreter would wait for at exit."""
        self.kill()
        _open_pools.discard(self)
        self._queue.put(None)
        with self._lock:
            executor = self._executor
        executor.shutdown(wait=False, cancel_futures=True)
        # The dispatcher may be inside submit, starting a worker (seconds while the forkserver
        # warms up); a worker started after the kill above would idle forever, and the
        # interpreter waits for it at exit.
        self._dispatcher.join(timeout=30)
        _kill_workers(executor)
        self._fail_leftovers()

    def _fail_leftovers(self) -> None:
        """Pages queued, or broken, after the dispatcher stopped get an error, not no answer."""
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return
            if isinstance(item, _Broken):
                self._forget(item.executor, item.job)
                overran = self._overran(item.job)
                if overran:
                    self.timeouts += 1
                timeout = item.job.timeout
                self._fail(
                    item.job,
                    ExtractionTimeout(f"took longer than {timeout:g} s")
                    if overran and timeout is not None
                    else RuntimeError("ExtractionPool is shut down"),
                )
            elif item is not None:
                self._fail(item, RuntimeError("ExtractionPool is shut down"))

    def __enter__(self) -> ExtractionPool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.shutdown()


def _kill_workers(executor: ProcessPoolExecutor) -> None:
    """SIGKILL every worker process of ``executor``, without taking a lock.

    ``ProcessPoolExecutor._processes`` (pid -> Process) is private, the only way to its workers
    before Python 3.14 (``kill_workers``); tests/crawler/extraction/test_pool.py checks that it
    is still there.
    """
    processes = cast(dict[int, Any], getattr(executor, "_processes", None) or {})
    for pid in list(processes):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)


def kill_open_pools() -> None:
    """:meth:`ExtractionPool.kill` every pool not shut down yet (safe in a signal handler)."""
    for pool in list(_open_pools):
        pool.kill()


def terminate_open_pools() -> None:
    """:meth:`ExtractionPool.terminate` every pool not shut down yet: a crawl that stopped
    without closing its stages (forced to stop) must not wait for their workers at exit."""
    for pool in list(_open_pools):
        pool.terminate()
