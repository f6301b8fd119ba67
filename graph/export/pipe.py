"""Bytes that a writer pushes into a file object, pulled as an iterator, one chunk at a time.

pyoxigraph's serializer writes one whole document per call (prefixes once, one RDF/XML root),
reading its triples from an iterator and writing to a file object; the API and the CLI pull an
export as an iterator of bytes. :func:`pulled` joins the two: the writer runs in a thread of its
own and writes into a :class:`Pipe`, and whenever it calls :meth:`Pipe.hand_over` what it wrote
goes to the consumer and the writer waits until the consumer asks for more. The two take turns,
as a generator and its caller do, so nothing is read ahead of what the consumer takes but the
chunk being written, and memory stays flat whatever the size of the document.

If the consumer stops early (a client goes away), the writer is stopped at its next hand-over,
and a writer's error is raised to the consumer.

Whatever thread pulls each chunk (the API's streaming response takes them in the worker threads
of a pool, one after another), what the writer reads is made, used and released in the writer's
own thread: pyoxigraph's store iterators may be used only by the thread that made them.
"""

from __future__ import annotations

import queue
import threading
import traceback
from collections.abc import Callable, Iterator


class _Stopped(BaseException):
    """Raised in the writer's thread when the consumer has stopped (a BaseException, like
    GeneratorExit, so that no ``except Exception`` on the way swallows it)."""


class _End:
    """Sent after the last chunk."""


class Pipe:
    """The file object a writer writes into (``write`` and ``flush``, as pyoxigraph needs)."""

    def __init__(self) -> None:
        self._held = bytearray()
        self._chunks: queue.SimpleQueue[bytes | BaseException | _End] = queue.SimpleQueue()
        # The consumer's answer after each chunk: True to go on, False to stop.
        self._turns: queue.SimpleQueue[bool] = queue.SimpleQueue()
        #: Set once the consumer has stopped: later writes (a Rust writer flushing its buffer as
        #: it unwinds) are dropped, and every hand-over raises at once instead of waiting.
        self._stopped = False

    def write(self, data: bytes) -> int:
        if not self._stopped:
            self._held += data
        return len(data)

    def flush(self) -> None:
        """Nothing to do: what was written goes out at the writer's pace, see :meth:`hand_over`."""

    def hand_over(self) -> None:
        """Pass what was written since the last hand-over to the consumer and wait for its turn.

        Called by the writer between two subjects. Raises (out of the writer) if the consumer has
        stopped; does nothing if nothing was written.
        """
        if self._stopped:
            raise _Stopped
        if not self._held:
            return
        self._chunks.put(bytes(self._held))
        self._held.clear()
        if not self._turns.get():
            self._stopped = True
            raise _Stopped

    def _run(self, write: Callable[[Pipe], None]) -> None:
        try:
            write(self)
        except _Stopped:
            return
        except BaseException as exc:  # handed to the consumer, which raises it
            if self._stopped:
                return  # the stop, as a writer that caught it and raised its own error reports it
            _release_frames(exc)
            self._chunks.put(exc)
            return
        if self._held:
            self._chunks.put(bytes(self._held))
            self._held.clear()
        self._chunks.put(_End())


def _release_frames(exc: BaseException | None) -> None:
    """Drop the local variables of the frames in ``exc``'s tracebacks (its own and those it was
    raised from), here in the writer's thread: some of them (pyoxigraph's store iterators) may
    not be released by another thread. What the traceback tells (files, lines) stays."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        traceback.clear_frames(exc.__traceback__)
        exc = exc.__cause__ or exc.__context__


def pulled(write: Callable[[Pipe], None]) -> Iterator[bytes]:
    """The bytes ``write`` writes into a :class:`Pipe`, chunk by chunk as it hands them over.

    ``write`` runs in a thread of its own, started by the first ``next()``; closing the iterator
    stops it at its next hand-over and waits for it to finish, so nothing it holds outlives the
    iterator.
    """
    pipe = Pipe()
    thread = threading.Thread(target=pipe._run, args=(write,), name="milcoop-export-writer", daemon=True)
    thread.start()
    ended = False
    try:
        while True:
            item = pipe._chunks.get()
            if isinstance(item, _End):
                ended = True
                return
            if isinstance(item, BaseException):
                ended = True
                raise item
            yield item
            pipe._turns.put(True)
    finally:
        if not ended:
            pipe._turns.put(False)
        thread.join()
