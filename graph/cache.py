"""One thread-safe, weighted LRU map of what a store said about one data version.

The query service keeps node descriptions, claim lists and assembled answers in one
(graph/service/assemble.py); the Neo4j store keeps actors' event selections, the nodes a
description brings along and path search's relationships in three (graph/neo4j/store.py). All of
them hold answers that stay true only as long as the data version they were read in, are shared by
the threads of one API worker, and must stay within a memory bound, so they are one class.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


def _one(_: object) -> int:
    return 1


class VersionedLru(Generic[K, V]):
    """A thread-safe LRU map of ``(kind, key)`` to values of one data version.

    Bounded by ``size``, the total weight it holds (each value weighs ``weigh(value)``, 1 by
    default, so then ``size`` is an entry count), and optionally by ``entries``; past either bound
    the least recently used go first. A value heavier than ``size`` is not kept, so one huge value
    cannot push out everything else.

    Every call names the data version its caller read: asked about a version other than the one it
    holds (:meth:`take`, :meth:`get_or_fill`), the map drops everything and holds that version
    from then on, so a load empties it without anyone having to tell it. ``None`` is a value like
    any other (a node the store does not have is an answer worth keeping too).
    """

    def __init__(self, size: int, weigh: Callable[[V], int] = _one, *, entries: int | None = None) -> None:
        self.size = size
        self.weigh = weigh
        self.entries = entries
        #: The data version of what is held; None before the first call.
        self.version: str | None = None
        #: The total weight held.
        self.held = 0
        # Each value with its weight, so dropping it does not weigh it again.
        self._data: OrderedDict[tuple[str, K], tuple[V, int]] = OrderedDict()
        self._lock = threading.Lock()
        # The keys being filled by get_or_fill, each with the lock its other callers wait on.
        self._filling: dict[tuple[str, K], threading.Lock] = {}

    def __len__(self) -> int:
        return len(self._data)

    # -- under the lock -----------------------------------------------------------------------

    def _adopt(self, version: str) -> None:
        if version != self.version:
            self.version, self._data, self.held = version, OrderedDict(), 0

    def _get(self, slot: tuple[str, K]) -> tuple[V, int] | None:
        """The value held at ``slot`` with its weight, made the most recently used; or None."""
        entry = self._data.get(slot)
        if entry is not None:
            self._data.move_to_end(slot)
        return entry

    def _put(self, version: str, items: Iterable[tuple[tuple[str, K], V]]) -> None:
        # Kept only under the version they were read in: a reader that began before a load
        # finishes after other readers moved the map on, and must neither have its old answers
        # served as the new version's nor empty what they have kept since.
        if self.version is None:
            self.version = version
        if version != self.version:
            return
        for slot, value in items:
            old = self._data.pop(slot, None)
            if old is not None:
                self.held -= old[1]
            weight = self.weigh(value)
            if weight <= self.size:
                self._data[slot] = (value, weight)
                self.held += weight
        while self._data and (self.held > self.size or (self.entries is not None and len(self._data) > self.entries)):
            _, (_, weight) = self._data.popitem(last=False)
            self.held -= weight

    # -- the interface --------------------------------------------------------------------------

    def take(self, version: str, kind: str, keys: Iterable[K]) -> dict[K, V]:
        """The values of ``kind`` held for those of ``keys`` that are held for ``version``."""
        found: dict[K, V] = {}
        with self._lock:
            self._adopt(version)
            for key in keys:
                entry = self._get((kind, key))
                if entry is not None:
                    found[key] = entry[0]
        return found

    def keep(self, version: str, kind: str, items: Mapping[K, V]) -> None:
        """Keep ``items`` as values of ``kind`` read in ``version`` (ignored when the map has
        moved on to another version since), dropping the least recently used past the bounds."""
        with self._lock:
            self._put(version, (((kind, key), value) for key, value in items.items()))

    def get_or_fill(self, version: str, kind: str, key: K, fill: Callable[[], V]) -> V:
        """The value of ``kind`` at ``key`` for ``version``, read by ``fill`` when not held.

        One read per key: concurrent callers for a key being filled wait for that fill instead of
        each asking the store again (many requests for one busy actor arrive at once). A fill that
        raises keeps nothing and the next waiting caller tries its own; what a fill for an older
        version read is returned to its caller but not kept."""
        slot = (kind, key)
        with self._lock:
            self._adopt(version)
            entry = self._get(slot)
            if entry is not None:
                return entry[0]
            filling = self._filling.setdefault(slot, threading.Lock())
        with filling:
            try:
                with self._lock:
                    entry = self._get(slot) if version == self.version else None
                if entry is not None:
                    return entry[0]
                value = fill()
                with self._lock:
                    self._put(version, [(slot, value)])
                return value
            finally:
                with self._lock:
                    if self._filling.get(slot) is filling:
                        del self._filling[slot]
