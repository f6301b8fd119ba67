"""A circuit breaker in front of Neo4j: fail at once while it is down, notice by itself when it is back.

Every read of the Neo4j reader (graph/neo4j/store.py) runs through :meth:`Circuit.call`:

* The call runs on one of the circuit's own daemon threads and the caller waits for it at most
  ``deadline`` seconds. The driver bounds connecting, but not waiting for an answer on a
  connection it already holds: a hung server (a stopped JVM, a lost network) leaves such a read
  waiting for the server's own hint, two minutes for Neo4j 5. The deadline bounds the request;
  the abandoned call ends on its thread by itself.
* A call that fails because Neo4j cannot be reached or used
  (:class:`~milcoop.graph.neo4j.driver.Neo4jUnavailable`) opens the circuit. From then on every
  call fails at once with "Neo4j is unavailable" (HTTP 503) without touching the network, and
  the callers already waiting are released as well.
* A call that passes its deadline (or, when it is allowed a long one, a shorter ``suspect_after``)
  asks for a probe: when Neo4j does not answer ``RETURN 1`` within the probe's time limit either,
  the circuit opens and releases the callers waiting; when it does, the server is up and only that
  query was slow, so the circuit stays closed.
* While the circuit is open, one daemon thread probes Neo4j, first after
  :data:`PROBE_FIRST_SECONDS`, then backing off to at most :data:`PROBE_MAX_SECONDS` between
  attempts, and closes the circuit at the first probe that answers.

Answers from the server (a query stopped at its time limit, a refused query) pass through
unchanged: the server is up. The circuit logs the reason once when it opens and once when it
closes; the errors it raises show only the public message in HTTP answers.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, wait
from typing import Any, Literal, TypeVar

from milcoop.graph.errors import StoreError
from milcoop.graph.neo4j.driver import Neo4jUnavailable

__all__ = ["PROBE_FIRST_SECONDS", "PROBE_MAX_SECONDS", "WORKERS", "Circuit"]

log = logging.getLogger("milcoop.neo4j")

#: Seconds from the circuit opening to the first probe.
PROBE_FIRST_SECONDS = 0.25
#: The longest wait between two probes: Neo4j's return is noticed within this (plus a probe).
PROBE_MAX_SECONDS = 2.0
#: Neo4j calls that may run at once (the driver's pool holds up to 100 connections).
WORKERS = 32

T = TypeVar("T")
State = Literal["closed", "open"]


class _DaemonPool:
    """Worker threads that are daemons, started on demand up to ``size``.

    ThreadPoolExecutor joins its threads at interpreter exit, so one stuck on a hung server would
    hold the process for the server's read timeout; these are left behind instead.
    """

    def __init__(self, size: int, name: str) -> None:
        self._size = size
        self._name = name
        self._queue: queue.SimpleQueue[tuple[Future[Any], Callable[[], Any]] | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._threads = 0
        self._idle = 0  # threads waiting for work that no queued item has claimed yet
        self._closed = False

    def submit(self, work: Callable[[], T]) -> Future[T]:
        future: Future[T] = Future()
        with self._lock:
            if self._closed:
                raise RuntimeError("the pool is closed")
            self._queue.put((future, work))
            if self._idle > 0:
                self._idle -= 1
            elif self._threads < self._size:
                self._threads += 1
                threading.Thread(target=self._work, name=f"{self._name}-{self._threads}", daemon=True).start()
        return future

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            future, work = item
            if future.set_running_or_notify_cancel():
                try:
                    result = work()
                except BaseException as exc:
                    future.set_exception(exc)
                else:
                    future.set_result(result)
            del future, work, item  # nothing of the last call outlives it on an idle thread
            with self._lock:
                if self._closed:
                    return
                self._idle += 1

    def close(self) -> None:
        with self._lock:
            self._closed = True
            threads = self._threads
        for _ in range(threads):
            self._queue.put(None)


class Circuit:
    """The circuit breaker of one Neo4j driver (see the module's docstring).

    ``probe`` raises when Neo4j does not answer (it runs ``RETURN 1`` on the configured
    database); ``probe_timeout`` bounds how long one probe is waited for.
    """

    def __init__(
        self, probe: Callable[[], None], probe_timeout: float, *, workers: int = WORKERS, name: str = "neo4j"
    ) -> None:
        self._probe = probe
        self._probe_timeout = probe_timeout
        self._workers = workers
        self._calls = _DaemonPool(workers, f"milcoop-{name}")
        self._probes = _DaemonPool(1, f"milcoop-{name}-probe")
        self._lock = threading.Lock()
        self._opened_at: float | None = None
        self._reason = ""
        self._tripped: Future[None] = Future()  # done while the circuit is open
        self._prober: threading.Thread | None = None
        self._stopping = threading.Event()
        self._generation = 0

    @property
    def generation(self) -> int:
        """How many times the circuit has closed again: a new generation may face a new server
        (a restarted Neo4j plans every query afresh)."""
        return self._generation

    # -- state -------------------------------------------------------------------------------

    @property
    def state(self) -> State:
        return "open" if self._opened_at is not None else "closed"

    @property
    def reason(self) -> str | None:
        """Why the circuit is open (the operator's detail), or None when it is closed."""
        with self._lock:
            return self._reason if self._opened_at is not None else None

    def _open_error(self) -> Neo4jUnavailable:
        with self._lock:
            since = 0.0 if self._opened_at is None else time.monotonic() - self._opened_at
            reason = self._reason
        return Neo4jUnavailable(
            f"Neo4j is unavailable (for {since:.1f} s, probing it in the background): {reason}", logged=True
        )

    # -- calls -------------------------------------------------------------------------------

    def call(
        self,
        work: Callable[[], T],
        deadline: float,
        timed_out: Callable[[], StoreError],
        *,
        suspect_after: float | None = None,
    ) -> T:
        """``work()``'s result, waiting for it at most ``deadline`` seconds.

        Raises :class:`Neo4jUnavailable` at once while the circuit is open, and when ``work`` finds
        Neo4j unreachable (which opens the circuit); ``timed_out()`` when the deadline passes (after
        asking for a probe); whatever else ``work`` raises. A call still waiting after
        ``suspect_after`` seconds asks for a probe then: a call allowed a long deadline (a query
        Neo4j has yet to plan) still finds out about a hung server as soon as a short one would.
        """
        with self._lock:
            tripped = None if self._opened_at is not None else self._tripped
        if tripped is None:
            raise self._open_error()
        try:
            future = self._calls.submit(work)
        except RuntimeError:
            raise Neo4jUnavailable("the Neo4j store is closed", logged=True) from None
        either: list[Future[Any]] = [future, tripped]
        first = deadline if suspect_after is None else min(suspect_after, deadline)
        wait(either, timeout=first, return_when=FIRST_COMPLETED)
        if not (future.done() or tripped.done()) and first < deadline:
            self._suspect()
            wait(either, timeout=deadline - first, return_when=FIRST_COMPLETED)
        if future.done():
            try:
                return future.result()
            except Neo4jUnavailable as exc:
                self._trip(str(exc))
                raise self._open_error() from exc
        if tripped.done():  # Neo4j was found down meanwhile: this call would fail too
            future.cancel()
            raise self._open_error()
        if future.cancel():  # still queued: every worker was busy the whole time
            raise Neo4jUnavailable(
                f"all {self._workers} Neo4j workers stayed busy for {deadline:g} s", public="Neo4j is busy: try again"
            )
        self._suspect()
        raise timed_out()

    # -- opening, probing, closing -------------------------------------------------------------

    def _trip(self, reason: str) -> None:
        with self._lock:
            if self._stopping.is_set():
                return
            if self._opened_at is None:
                self._open(reason)
                log.warning(
                    "Neo4j is unavailable, answering 503 at once until a probe finds it back (every %g-%g s): %s",
                    PROBE_FIRST_SECONDS,
                    PROBE_MAX_SECONDS,
                    reason,
                )
            self._start_prober(PROBE_FIRST_SECONDS)

    def _suspect(self) -> None:
        """A call passed its deadline: probe now, and open the circuit if Neo4j does not answer."""
        with self._lock:
            if not self._stopping.is_set():
                self._start_prober(0.0)

    def _open(self, reason: str) -> None:
        # Called with the lock held.
        self._opened_at = time.monotonic()
        self._reason = reason
        self._tripped.set_result(None)

    def _start_prober(self, first_delay: float) -> None:
        # Called with the lock held. At most one prober runs; it clears _prober under the lock
        # when it ends, so a trip never counts on a prober that is about to stop.
        if self._prober is None:
            self._prober = threading.Thread(
                target=self._probe_until_answered, args=(first_delay,), name="milcoop-neo4j-prober", daemon=True
            )
            self._prober.start()

    def _probe_until_answered(self, delay: float) -> None:
        attempt: Future[None] | None = None
        try:
            while not self._stopping.wait(delay):
                if attempt is None or attempt.done():
                    attempt = self._probes.submit(self._probe)
                try:
                    attempt.result(timeout=self._probe_timeout)
                except TimeoutError:
                    failure = f"Neo4j did not answer a probe within {self._probe_timeout:g} s"
                except Exception as exc:
                    failure = str(exc)
                else:
                    self._answered()
                    return
                with self._lock:
                    if self._opened_at is None:  # a suspicion confirmed
                        self._open(failure)
                        log.warning(
                            "Neo4j did not answer in time, answering 503 at once until a probe finds it back: %s",
                            failure,
                        )
                delay = min(max(delay * 2, PROBE_FIRST_SECONDS), PROBE_MAX_SECONDS)
        except RuntimeError:  # the probe pool was closed
            pass
        with self._lock:
            self._prober = None

    def _answered(self) -> None:
        """A probe answered: close the circuit (if it was open) and end the prober."""
        with self._lock:
            self._prober = None
            if self._opened_at is None:
                return  # a suspicion that Neo4j answered: nothing was opened
            down = time.monotonic() - self._opened_at
            self._opened_at = None
            self._reason = ""
            self._tripped = Future()
            self._generation += 1
        log.info("Neo4j answers again after %.1f s: closing the circuit", down)

    def close(self) -> None:
        """Stop probing and let the worker threads end (a call still running ends by itself)."""
        self._stopping.set()
        self._calls.close()
        self._probes.close()
