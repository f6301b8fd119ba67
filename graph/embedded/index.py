"""The embedded store's event index: every event's kind, span, actors and claim gradings, by actor.

Event selections (flows, deployments, relations) read this index instead of SPARQL: per actor,
its events sorted by the ordering key. It is built once from quad-pattern scans when first
needed and kept as a JSON file beside the store folder, so the next process starts from the file
(and processes starting together build it once: see :meth:`EventIndex.load`).
An opened store never changes (a load writes a new one), so the index never goes stale.
"""

from __future__ import annotations

import bisect
import contextlib
import datetime as dt
import fcntl
import json
import os
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from milcoop.graph.embedded.shapes import RDF_TYPE, Shapes, text
from milcoop.graph.event_filter import EventFacts
from milcoop.ontology.kinds import EVENT_KIND_LABELS, FROM_TYPES, TARGET_TYPES, TO_TYPES, time_key
from milcoop.ontology.namespace import MC

_DEFAULT = ox.DefaultGraph()


#: Version of the event index's file format (bump when the rows change).
INDEX_FORMAT = 1


def scan_events(store: ox.Store, shapes: Shapes) -> dict[str, Any]:
    """Everything the event index needs, read with quad-pattern scans, as JSON-ready rows."""

    def scan(rel_type_or_iri: str) -> Iterator[ox.Quad]:
        iri = shapes.predicates.get(rel_type_or_iri, rel_type_or_iri)
        return store.quads_for_pattern(None, ox.NamedNode(iri), None, _DEFAULT)

    labels: dict[str, str] = {}
    for label in sorted(set(EVENT_KIND_LABELS.values())):
        for quad in store.quads_for_pattern(None, RDF_TYPE, ox.NamedNode(shapes.classes[label]), _DEFAULT):
            labels[text(quad.subject)] = label
    starts = {text(q.subject): text(q.object) for q in scan(str(MC.spanStart))}
    ends = {text(q.subject): text(q.object) for q in scan(str(MC.spanEnd))}
    sides: dict[str, tuple[list[list[str]], list[list[str]]]] = {iri: ([], []) for iri in labels}
    for position, types in enumerate((FROM_TYPES, (*TO_TYPES, *TARGET_TYPES))):
        for rel_type in types:
            for quad in scan(rel_type):
                event = sides.get(text(quad.subject))
                if event is not None:
                    event[position].append([rel_type, text(quad.object)])
    statuses = shapes.enum_codes[str(MC.status)]
    claim_status = {text(q.subject): statuses.get(text(q.object), "") for q in scan(str(MC.status))}
    reliability = {text(q.subject): text(q.object) for q in scan(str(MC.sourceReliability))}
    credibility = {text(q.subject): int(text(q.object)) for q in scan(str(MC.informationCredibility))}
    claims: dict[str, list[list[Any]]] = defaultdict(list)
    for quad in scan("ASSERTS"):
        claim, fact = text(quad.subject), text(quad.object)
        if fact in labels:
            claims[fact].append([claim_status.get(claim, ""), reliability.get(claim, "F"), credibility.get(claim, 6)])
    concerns = [[text(q.subject), text(q.object)] for q in scan("CONCERNS")]
    rows = [
        [iri, label, starts.get(iri), ends.get(iri), sides[iri][0], sides[iri][1], claims.get(iri, [])]
        for iri, label in sorted(labels.items())
    ]
    return {"format": INDEX_FORMAT, "events": rows, "concerns": concerns}


class EventIndex:
    """Events by source actor, by target actor and by kind, each list sorted by key."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.concerned_by: dict[str, list[str]] = defaultdict(list)
        self.concerns: dict[str, set[str]] = defaultdict(set)
        for statement, concerned in data["concerns"]:
            self.concerned_by[concerned].append(statement)
            self.concerns[statement].add(concerned)
        self.events: dict[str, EventFacts] = {}
        by_source: dict[str, list[EventFacts]] = defaultdict(list)
        by_target: dict[str, list[EventFacts]] = defaultdict(list)
        by_pair: dict[str, list[EventFacts]] = defaultdict(list)
        by_label: dict[str, list[EventFacts]] = defaultdict(list)
        for iri, label, start, end, sources, to, claims in data["events"]:
            first_day = dt.date.fromisoformat(start) if start else None
            last_day = dt.date.fromisoformat(end) if end else None
            event = EventFacts(
                iri=iri,
                key=time_key(first_day, iri, last_day),
                label=label,
                start=first_day,
                end=last_day,
                sources=tuple(sorted((t, a) for t, a in sources)),
                to=tuple(sorted((t, a) for t, a in to)),
                claims=tuple(sorted((s, r, int(c)) for s, r, c in claims)),
            )
            self.events[iri] = event
            for actor in {actor for _, actor in event.sources}:
                by_source[actor].append(event)
            for actor in {actor for _, actor in event.to}:
                by_target[actor].append(event)
                for source in {source for _, source in event.sources}:
                    by_pair[pair(source, actor)].append(event)
            by_label[label].append(event)
        self.by_source = sorted_lists(by_source)
        self.by_target = sorted_lists(by_target)
        #: events from one actor to another (through any to-side or target relationship)
        self.by_pair = sorted_lists(by_pair)
        self.by_label = sorted_lists(by_label)
        #: official statements by each actor
        self.statements_by: dict[str, list[EventFacts]] = defaultdict(list)
        for event in by_label.get("OfficialStatement", []):
            for actor in {actor for _, actor in event.sources}:
                self.statements_by[actor].append(event)
        self.all = SortedEvents(sorted(self.events.values(), key=lambda e: e.key))

    #: Whether this index was built by scanning the store (False: read from the cache file).
    built = False

    @classmethod
    def load(cls, store: ox.Store, shapes: Shapes, cache: Path | None) -> EventIndex:
        """From the cache file beside the store when it is there and whole, else by scanning the
        store (and then writing the cache file, when the folder is writable).

        Several processes opening the same store at once (the workers of ``milcoop serve
        --workers N``) build it once: the builder holds an exclusive lock on a file beside the
        cache while it scans and writes, and the others wait for it, then read its file.
        """
        if cache is None:
            return cls._built(scan_events(store, shapes))
        found = cls._read(cache)
        if found is not None:
            return found
        with _exclusive(cache.with_name(cache.name + ".lock")):
            found = cls._read(cache)  # written by another process while this one waited
            if found is not None:
                return found
            data = scan_events(store, shapes)
            temporary = cache.with_name(f"{cache.name}.{os.getpid()}.tmp")
            try:
                temporary.write_text(json.dumps(data, separators=(",", ":")), encoding="utf-8")
                os.replace(temporary, cache)
            except OSError:
                temporary.unlink(missing_ok=True)
        return cls._built(data)

    @classmethod
    def _built(cls, data: dict[str, Any]) -> EventIndex:
        index = cls(data)
        index.built = True
        return index

    @classmethod
    def _read(cls, cache: Path) -> EventIndex | None:
        if not cache.is_file():
            return None
        try:
            data = json.loads(cache.read_text(encoding="utf-8"))
            if data.get("format") == INDEX_FORMAT:
                return cls(data)
        except (OSError, ValueError, KeyError, TypeError):
            pass  # damaged or from another version: rebuild it
        return None


@contextlib.contextmanager
def _exclusive(path: Path) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``path`` (created if need be); without one when the folder
    cannot be written, as a store folder mounted read-only may be (then nothing is written either)."""
    try:
        handle = open(path, "a")  # noqa: SIM115 (held below)
    except OSError:
        yield
        return
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        yield
    finally:
        handle.close()  # closing releases the lock


class SortedEvents:
    """Events sorted by key, with the keys alongside for bisection."""

    def __init__(self, events: list[EventFacts]) -> None:
        self.events = events
        self.keys = [e.key for e in events]
        #: positions of the events with no known start: those known by their end only (sorted
        #: among the dated ones by their end), then the undated ones (at the end)
        self.no_start = [i for i, e in enumerate(events) if e.start is None]

    def after(self, key: str | None) -> int:
        return bisect.bisect_right(self.keys, key) if key else 0

    def next_without_start(self, position: int) -> int:
        """The first position at or after ``position`` of an event with no known start (the
        length when there is none)."""
        found = bisect.bisect_left(self.no_start, position)
        return self.no_start[found] if found < len(self.no_start) else len(self.events)


EMPTY = SortedEvents([])


def pair(source: str, target: str) -> str:
    return f"{source} {target}"



def sorted_lists(lists: dict[str, list[EventFacts]]) -> dict[str, SortedEvents]:
    return {key: SortedEvents(sorted(events, key=lambda e: e.key)) for key, events in lists.items()}
