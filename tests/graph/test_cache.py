"""The versioned LRU cache (graph/cache.py) that the query service and the Neo4j store share:
least recently used first out, its weight and entry bounds, a new data version empties it, and
one fill per key for concurrent callers (real threads), a fill that fails keeping nothing.

The values are plain tuples and strings standing for what the stores answer; no data of any kind.
"""

from __future__ import annotations

import threading
import time

import pytest

from milcoop.graph.cache import VersionedLru


def _never() -> tuple[str, ...]:
    pytest.fail("read although the value was held")


def test_the_least_recently_used_goes_first_past_the_entry_bound() -> None:
    cache: VersionedLru[str, tuple[str, ...]] = VersionedLru(100, len, entries=2)
    one, two, three = ("a", "b"), ("c",), ("d", "e", "f")
    cache.get_or_fill("v1", "from", "a", lambda: one)
    cache.get_or_fill("v1", "from", "b", lambda: two)
    assert cache.get_or_fill("v1", "from", "a", _never) is one  # a is now the most recent
    cache.get_or_fill("v1", "from", "c", lambda: three)  # three entries: b goes
    assert len(cache) == 2 and cache.held == 5
    assert cache.get_or_fill("v1", "from", "b", lambda: ("g",)) == ("g",)  # b is read again
    assert len(cache) == 2 and cache.held == 4  # a, the least recent, went
    assert cache.take("v1", "from", ["a", "b", "c"]) == {"b": ("g",), "c": three}


def test_the_weight_bound_drops_the_least_recently_used_and_refuses_what_is_heavier() -> None:
    cache: VersionedLru[str, tuple[str, ...]] = VersionedLru(5, len)
    cache.keep("v1", "edges", {"a": ("x", "y"), "b": ("z",)})
    assert cache.take("v1", "edges", ["a", "c"]) == {"a": ("x", "y")}  # a is now the most recent
    cache.keep("v1", "edges", {"c": ("1", "2", "3")})  # 6 held: b, the least recent, goes
    assert cache.take("v1", "edges", ["a", "b", "c"]) == {"a": ("x", "y"), "c": ("1", "2", "3")}
    assert cache.held == 5
    cache.keep("v1", "edges", {"big": tuple("123456")})  # heavier than the whole cache: not kept
    assert cache.take("v1", "edges", ["big", "a"]) == {"a": ("x", "y")} and cache.held == 5
    # Kept again, a value replaces the old one and its weight.
    cache.keep("v1", "edges", {"a": ("x",)})
    assert cache.take("v1", "edges", ["a"]) == {"a": ("x",)} and cache.held == 4


def test_kinds_keep_apart_and_an_unweighed_cache_counts_entries() -> None:
    cache: VersionedLru[str, object] = VersionedLru(2)
    cache.keep("v1", "node", {"x": None, "y": "a node"})  # None is an answer worth keeping
    assert cache.take("v1", "node", ["x", "y", "z"]) == {"x": None, "y": "a node"}
    assert cache.take("v1", "in:ASSERTS", ["x"]) == {}
    cache.keep("v1", "in:ASSERTS", {"x": ["claim"]})  # a third entry: x, the least recent node, goes
    assert len(cache) == 2 and cache.held == 2
    assert cache.take("v1", "node", ["x", "y"]) == {"y": "a node"}
    assert cache.take("v1", "in:ASSERTS", ["x"]) == {"x": ["claim"]}


def test_a_new_data_version_empties_the_cache() -> None:
    cache: VersionedLru[str, tuple[str, ...]] = VersionedLru(10, len)
    cache.get_or_fill("v1", "from", "a", lambda: ("old",))
    cache.keep("v1", "edges", {"b": ("x", "y")})
    assert cache.get_or_fill("v2", "from", "a", lambda: ("new",)) == ("new",)
    assert cache.version == "v2" and cache.held == 1 and len(cache) == 1
    assert cache.take("v2", "edges", ["b"]) == {}
    # What a reader of the old version keeps afterwards is neither served nor pushes out the new.
    cache.keep("v1", "edges", {"b": ("stale",)})
    assert cache.take("v2", "edges", ["b"]) == {} and cache.take("v2", "from", ["a"]) == {"a": ("new",)}
    # Asked about the old version again (a load back to it), the cache holds that version.
    assert cache.take("v1", "from", ["a"]) == {} and cache.version == "v1" and cache.held == 0


def test_concurrent_callers_for_one_key_wait_for_one_fill() -> None:
    cache: VersionedLru[str, tuple[str, ...]] = VersionedLru(10, len)
    reads: list[int] = []
    got: list[tuple[str, ...]] = []
    started = threading.Barrier(4)

    def fill() -> tuple[str, ...]:
        reads.append(1)
        time.sleep(0.2)
        return ("a",)

    def ask() -> None:
        started.wait()
        got.append(cache.get_or_fill("v1", "from", "busy", fill))

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(reads) == 1
    assert got == [("a",)] * 4 and len({id(value) for value in got}) == 1  # the one read's answer


def test_a_fill_for_another_key_does_not_wait() -> None:
    cache: VersionedLru[str, str] = VersionedLru(10)
    release = threading.Event()

    def slow() -> str:
        release.wait(5)
        return "slow"

    thread = threading.Thread(target=lambda: cache.get_or_fill("v1", "from", "busy", slow))
    thread.start()
    try:
        began = time.monotonic()
        assert cache.get_or_fill("v1", "from", "quiet", lambda: "quick") == "quick"
        assert time.monotonic() - began < 1
    finally:
        release.set()
        thread.join()
    assert cache.take("v1", "from", ["busy", "quiet"]) == {"busy": "slow", "quiet": "quick"}


def test_a_failed_fill_keeps_nothing_and_a_waiting_caller_reads_again() -> None:
    cache: VersionedLru[str, str] = VersionedLru(10)
    entered, release = threading.Event(), threading.Event()
    reads: list[str] = []

    def fail() -> str:
        reads.append("failed")
        entered.set()
        release.wait(5)
        raise RuntimeError("Neo4j went away")

    def fill() -> str:
        reads.append("read")
        return "answer"

    errors: list[BaseException] = []

    def first() -> None:
        try:
            cache.get_or_fill("v1", "from", "a", fail)
        except RuntimeError as error:
            errors.append(error)

    got: list[str] = []
    failing = threading.Thread(target=first)
    failing.start()
    assert entered.wait(5)
    waiting = threading.Thread(target=lambda: got.append(cache.get_or_fill("v1", "from", "a", fill)))
    waiting.start()
    time.sleep(0.1)  # the second caller is waiting for the first one's fill
    assert reads == ["failed"]
    release.set()
    failing.join()
    waiting.join()
    assert [str(e) for e in errors] == ["Neo4j went away"]
    assert reads == ["failed", "read"] and got == ["answer"]
    assert cache.get_or_fill("v1", "from", "a", lambda: pytest.fail("kept")) == "answer"


def test_a_fill_for_an_old_version_is_not_kept_under_the_new_one() -> None:
    cache: VersionedLru[str, str] = VersionedLru(10)
    entered, release = threading.Event(), threading.Event()
    got: list[str] = []

    def old() -> str:
        entered.set()
        release.wait(5)
        return "old answer"

    thread = threading.Thread(target=lambda: got.append(cache.get_or_fill("v1", "from", "a", old)))
    thread.start()
    assert entered.wait(5)
    assert cache.take("v2", "from", ["a"]) == {}  # a load: the cache holds v2 now
    release.set()
    thread.join()
    assert got == ["old answer"]  # its caller still gets what it read
    assert cache.take("v2", "from", ["a"]) == {} and len(cache) == 0
    assert cache.get_or_fill("v2", "from", "a", lambda: "new answer") == "new answer"
