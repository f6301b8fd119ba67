"""The read primitives of :class:`graph.store.GraphStore` over Neo4j.

One driver per process (the API creates it in its lifespan), reads in read transactions routed
to readers (``execute_query(..., routing_=READ)``) on the configured database, every value a
``$parameter`` of a named constant in graph/neo4j/cypher/queries.py.

Every read has a time limit (``neo4j.Query(timeout=MILCOOP_NEO4J_QUERY_TIMEOUT_SECONDS)``; the
first run of a query since the store opened or Neo4j came back gets :data:`COLD_QUERY_SECONDS`,
since Neo4j plans it then) and runs through the store's circuit breaker (graph/neo4j/breaker.py):
a read waits at most the connect timeout plus its time limit, a read still waiting after the
connect plus the query timeout has a probe check that Neo4j is not hung, and while Neo4j is down
every read fails at once with "Neo4j is unavailable" until a background probe finds it back.
:meth:`Neo4jGraphStore.run_cypher` answers ``/v1/cypher`` through the same circuit
(graph/neo4j/user_cypher.py).

What Neo4j answered is kept for the data version (read with a TTL, :data:`VERSION_TTL_SECONDS`,
so a load empties every cache within that long), each cache a bounded LRU map per store
(:class:`graph.cache.VersionedLru`), so per API worker:

* **Event selections** (:class:`Selection`): the events from an actor, to an actor, or
  from one to another, in key order with what graph/event_filter.py's rule looks at, read once
  (EVENT_SELECTIONS; the claims' gradings only for a filter on claims); a page of flows,
  deployments or relations is a walk along it from the cursor, filtered by that rule as the
  embedded store's event index is, instead of Neo4j expanding and sorting every event of a busy
  actor on each request. At most :data:`SELECTION_CACHE_ENTRIES` selections and
  :data:`SELECTION_CACHE_EVENTS` events in all; an actor in more than
  :data:`SELECTION_MAX_EVENTS` events, and a selection with no actor, are selected by Cypher
  (``ORDER BY key LIMIT``) on each request. Concurrent requests for a selection not yet cached
  wait for one read of it.
* **Prefetched nodes** (:data:`PREFETCH_ENTRIES`): describing events brings their claims and
  the nodes both point at along in the same query (DESCRIBE_EVENTS), for the describe and
  incoming(ASSERTS) calls the page makes next.
* **Path search's relationships** by node (:data:`NEIGHBOUR_CACHE_EDGES`).
"""

from __future__ import annotations

import bisect
import datetime as dt
import operator
import threading
import time
from collections.abc import Collection
from dataclasses import dataclass, replace
from typing import Any, Literal, LiteralString

import neo4j
import neo4j.exceptions
from neo4j import Driver, RoutingControl

from milcoop.graph.cache import VersionedLru
from milcoop.graph.changes import ChangeRecord, Digest, VersionRecord
from milcoop.graph.errors import StoreUnavailable
from milcoop.graph.event_filter import EventFacts, matches
from milcoop.graph.neo4j.breaker import Circuit
from milcoop.graph.neo4j.cypher import history as hq
from milcoop.graph.neo4j.cypher import queries as cq
from milcoop.graph.neo4j.cypher.load import DATASET_NAME, READ_DATASET
from milcoop.graph.neo4j.driver import QueryTimedOut, create_driver, translated
from milcoop.graph.neo4j.fulltext import fulltext_query
from milcoop.graph.neo4j.user_cypher import CypherResult, run_cypher
from milcoop.graph.store import Edge, EventFilter, Keyed, NodeView, StoreStatus
from milcoop.ontology.kinds import (
    COUNTED_LABELS,
    EVENT_KIND_LABELS,
    EVENT_LABELS,
    PATH_LABELS,
    PATH_TYPES,
    REFERENCE_LABELS,
    TARGET_TYPES,
    TO_TYPES,
)
from milcoop.ontology.vocabulary import RESOURCE_LABEL
from milcoop.settings import Backend, Settings

#: How long the data version read from the graph is trusted before it is read again.
VERSION_TTL_SECONDS = 2.0

#: Time limit of a query's first run (per :func:`plan_key`) since the store opened or Neo4j came
#: back: it includes Neo4j planning the query, which took 0.3-3.3 s per query on a cold server of
#: the shared 2-core CI machine, against 10-70 ms for a planned one. Later runs get the query timeout.
COLD_QUERY_SECONDS = 10.0

#: Bounds of the cache of actors' event selections (one cache per store, so per API worker):
#: at most this many selections (the events from an actor, to an actor, or between two) ...
SELECTION_CACHE_ENTRIES = 1_024
#: ... holding at most this many events in all (under 1 KB each, so under about 100 MB); past
#: either bound the least recently used selection is dropped.
SELECTION_CACHE_EVENTS = 100_000
#: An actor taking part in more events than this (by its relationship count) is not cached, so
#: one selection cannot crowd out every other: its pages come from the ``ORDER BY ... LIMIT``
#: queries (EVENTS_FROM, EVENTS_TO, EVENTS_TO_FROM of graph/neo4j/cypher/queries.py) as before.
SELECTION_MAX_EVENTS = 25_000
#: Nodes a description brought along unasked (an event's claims and the nodes they point at:
#: DESCRIBE_EVENTS), kept for the describe and incoming calls that follow in the same request;
#: least recently used first out past this many (about 1.5 KB each).
PREFETCH_ENTRIES = 20_000
#: Relationships path search fetched (NEIGHBOURS), kept by node for the data version: a busy
#: state's thousands of events are walked by every path search through it. At most this many in
#: all (about 150 bytes each, so about 45 MB), least recently used first out.
NEIGHBOUR_CACHE_EDGES = 300_000
#: Time limit of the query that reads an actor's whole selection into the cache: a busy actor's
#: thousands of events take longer than one page, once per data version.
FILL_QUERY_SECONDS = 10.0


def plan_key(query: str, parameters: dict[str, Any]) -> tuple[str, tuple[tuple[str, str], ...]]:
    """What a Neo4j plan is cached by: the query text, the parameters' types and the lengths of
    list parameters. Neo4j plans a list of one apart from a longer one (``$labels[0] IN
    labels(e)``), so ``kind=exercise`` then the default kinds is a new plan, which may take longer
    than the query timeout to make on a loaded server (and, stopped, is never cached)."""
    return (
        str(query),
        tuple(
            sorted(
                (name, f"list[{len(value)}]" if isinstance(value, list) else type(value).__name__)
                for name, value in parameters.items()
            )
        ),
    )


def _native(value: Any) -> Any:
    """Neo4j temporal values as Python ones; lists element-wise."""
    if isinstance(value, list):
        return [_native(item) for item in value]
    to_native = getattr(value, "to_native", None)
    if to_native is not None:
        native = to_native()
        if isinstance(native, dt.date):
            return native
    return value


@dataclass(frozen=True)
class Selection:
    """Every event from an actor, to an actor, or from one to another, in key order, with what
    the event filter of graph/event_filter.py looks at; one page is a walk along it from the
    cursor."""

    events: tuple[EventFacts, ...]
    #: Each event's kind labels (a node may carry several; the filter keeps it when one matches).
    labels: tuple[frozenset[str], ...]
    keys: tuple[str, ...]
    #: Positions of the events with no known start (sorted among the others by their end, or
    #: last when undated): the only ones a window's ``until`` can still keep past the first
    #: event that starts after it.
    no_start: tuple[int, ...]

    @classmethod
    def of(cls, rows: list[tuple[EventFacts, frozenset[str]]]) -> Selection:
        ordered = sorted(rows, key=lambda row: row[0].key)
        return cls(
            tuple(event for event, _ in ordered),
            tuple(labels for _, labels in ordered),
            tuple(event.key for event, _ in ordered),
            tuple(i for i, (event, _) in enumerate(ordered) if event.start is None),
        )

    def __len__(self) -> int:
        return len(self.events)

    def page(self, flt: EventFilter, after: str | None, limit: int) -> list[Keyed]:
        """The first ``limit`` events after the key ``after`` that ``flt`` keeps (the selection
        holds only events from its source and to its target)."""
        # The labels are checked here (any of the node's labels), the rest by the one rule.
        rest = replace(flt, labels=frozenset())
        found: list[Keyed] = []
        position = bisect.bisect_right(self.keys, after) if after is not None else 0
        events = self.events
        while position < len(events) and len(found) < limit:
            event = events[position]
            if flt.until is not None and event.start is not None and event.start > flt.until:
                # Events with a start sort by it: none later starts by ``until`` either.
                later = bisect.bisect_left(self.no_start, position + 1)
                position = self.no_start[later] if later < len(self.no_start) else len(events)
                continue
            if (not flt.labels or self.labels[position] & flt.labels) and matches(event, rest):
                found.append((event.iri, event.key))
            position += 1
        return found


#: What a selection is cached by: ("from", actor, "", with claims), ("to", "", actor, with
#: claims) or ("pair", source, target, with claims).
SelectionKey = tuple[str, str, str, bool]


def _event_facts(record: neo4j.Record, strings: dict[str, str]) -> tuple[EventFacts, frozenset[str]]:
    """One row of EVENT_SELECTIONS as the event filter's facts and kind labels.

    A claim without a grading counts as the lowest (F6), as in the embedded store's index; the
    shapes require one on every claim."""

    def shared(value: Any) -> str:
        # Actor IRIs, relationship types and status codes recur in thousands of rows: one copy each.
        text = str(value)
        return strings.setdefault(text, text)

    # By position, in the order of the query's RETURN: a look-up by name per column was half of
    # this function's time for a busy actor's thousands of rows.
    iri, key, node_labels, first, last, sources, to, claims = record
    start, end = _native(first), _native(last)
    event = EventFacts(
        iri=str(iri),
        key=str(key),
        label="",  # labels are kept beside the facts: a node may carry several
        start=start if isinstance(start, dt.date) else None,
        end=end if isinstance(end, dt.date) else None,
        sources=tuple(sorted((shared(t), shared(a)) for t, a in sources)),
        to=tuple(sorted((shared(t), shared(a)) for t, a in to)),
        claims=tuple(
            sorted(
                (shared(status or ""), shared(reliability or "F"), int(credibility if credibility is not None else 6))
                for status, reliability, credibility in claims
            )
        ),
    )
    labels = frozenset(label for label in node_labels if label in EVENT_LABELS)
    return event, labels


#: The order of neighbours(): by start, type, end.
_EDGE_ORDER = operator.attrgetter("start", "type", "end")


def _view(iri: str, labels: list[str], properties: dict[str, Any], out: list[list[str]] | None) -> NodeView:
    props = {key: _native(value) for key, value in properties.items()}
    for key, value in props.items():
        if isinstance(value, list):
            props[key] = sorted(value)
    edges = tuple(sorted((str(t), str(m)) for t, m in (out or [])))
    return NodeView(iri, frozenset(label for label in labels if label != RESOURCE_LABEL), props, edges)


class Neo4jGraphStore:
    """:class:`graph.store.GraphStore` over a Neo4j database."""

    backend: Backend = "neo4j"

    def __init__(
        self,
        driver: Driver,
        database: str,
        uri: str = "",
        *,
        connect_timeout: float = 1.0,
        query_timeout: float = 1.0,
        selection_max_events: int = SELECTION_MAX_EVENTS,
    ) -> None:
        self.driver = driver
        self.database = database
        self.uri = uri
        self.connect_timeout = connect_timeout
        self.query_timeout = query_timeout
        #: Actors in more events than this are selected by Cypher on each request, not cached.
        self.selection_max_events = selection_max_events
        self._version: tuple[float, str] | None = None
        self._lock = threading.Lock()
        self._degree_cache: dict[str, tuple[int, int]] = {}
        self._degree_version: str | None = None
        self._selections: VersionedLru[SelectionKey, Selection] = VersionedLru(
            SELECTION_CACHE_EVENTS, len, entries=SELECTION_CACHE_ENTRIES
        )
        # Prefetched nodes ("node") and the claims of described events ("asserted").
        self._prefetched: VersionedLru[str, Any] = VersionedLru(PREFETCH_ENTRIES)
        self._neighbours: VersionedLru[str, tuple[Edge, ...]] = VersionedLru(
            NEIGHBOUR_CACHE_EDGES, lambda edges: len(edges) + 1
        )
        self.circuit = Circuit(self._probe, connect_timeout + query_timeout)
        # (query, parameter types) that ran once in this circuit generation: Neo4j has planned them.
        self._planned: set[tuple[str, tuple[tuple[str, str], ...]]] = set()
        self._planned_generation = 0

    @classmethod
    def connect(cls, settings: Settings) -> Neo4jGraphStore:
        """A store over the configured Neo4j. The driver connects lazily: a server that is down
        now makes requests answer 503 until it is back, instead of stopping the API."""
        return cls(
            create_driver(settings),
            settings.neo4j_database,
            settings.neo4j_uri.strip(),
            connect_timeout=settings.neo4j_connect_timeout_seconds,
            query_timeout=settings.neo4j_query_timeout_seconds,
        )

    def close(self) -> None:
        self.circuit.close()
        self.driver.close()

    @property
    def unavailable_reason(self) -> str | None:
        """Why Neo4j is taken to be down (the circuit is open), or None; for logs and health."""
        return self.circuit.reason

    # -- running queries ------------------------------------------------------------------------

    def _probe(self) -> None:
        """One ``RETURN 1`` on the configured database, for the circuit: raises unless it answers."""
        with (
            translated(self.uri, "probe", time_limit=self.query_timeout),
            self.driver.session(database=self.database, default_access_mode=neo4j.READ_ACCESS) as session,
        ):
            session.run(neo4j.Query("RETURN 1", timeout=self.query_timeout)).consume()

    def _read(
        self, query: LiteralString, *, retry: bool = True, time_limit: float = 0.0, **parameters: Any
    ) -> list[neo4j.Record]:
        """The records of ``query``; ``time_limit`` raises the query's time limit to that."""
        key = plan_key(query, parameters)
        generation = self.circuit.generation
        with self._lock:
            if self._planned_generation != generation:
                self._planned, self._planned_generation = set(), generation
            planned = key in self._planned
        limit = max(self.query_timeout if planned else max(self.query_timeout, COLD_QUERY_SECONDS), time_limit)
        deadline = self.connect_timeout + limit

        def timed_out() -> QueryTimedOut:
            return QueryTimedOut(limit, f"Neo4j did not answer within {deadline:g} s")

        records = self.circuit.call(
            lambda: self._read_now(query, retry, parameters, limit),
            deadline,
            timed_out,
            suspect_after=self.connect_timeout + self.query_timeout,
        )
        if not planned:
            with self._lock:
                if self._planned_generation == generation:
                    self._planned.add(key)
        return records

    def _read_now(
        self, query: LiteralString, retry: bool, parameters: dict[str, Any], limit: float
    ) -> list[neo4j.Record]:
        timed = neo4j.Query(query, timeout=limit)
        with translated(self.uri, "answer", time_limit=limit):
            if retry:
                records, _, _ = self.driver.execute_query(
                    timed, parameters, database_=self.database, routing_=RoutingControl.READ
                )
                return records
            # One attempt, no retries: the health check must answer at once when Neo4j is down.
            with self.driver.session(database=self.database, default_access_mode=neo4j.READ_ACCESS) as session:
                return list(session.run(timed, parameters))

    def run_cypher(self, query: str, parameters: dict[str, Any], *, timeout: float, max_rows: int) -> CypherResult:
        """A query posted to /v1/cypher, checked from its plan and run read-only (see
        graph/neo4j/user_cypher.py), through the circuit: at most ``timeout`` plus the connect
        timeout, and at once 503 while Neo4j is down."""
        deadline = timeout + self.connect_timeout

        def timed_out() -> QueryTimedOut:
            return QueryTimedOut(timeout, f"no answer from Neo4j within {deadline:g} s")

        def work() -> CypherResult:
            return run_cypher(
                self.driver, self.database, self.uri, query, parameters, timeout=timeout, max_rows=max_rows
            )

        return self.circuit.call(work, deadline, timed_out, suspect_after=self.connect_timeout + self.query_timeout)

    def _degrees(self, iri: str) -> tuple[int, int]:
        """(events from, events to) the actor, cached for the data version."""
        version = self.data_version()
        with self._lock:
            if self._degree_version != version:
                self._degree_cache = {}
                self._degree_version = version
            cached = self._degree_cache.get(iri)
        if cached is None:
            records = self._read(cq.ACTOR_DEGREES, iri=iri)
            cached = (int(records[0]["sources"]), int(records[0]["targets"])) if records else (0, 0)
            with self._lock:
                self._degree_cache[iri] = cached
        return cached

    # -- status ---------------------------------------------------------------------------------

    def data_version(self) -> str:
        now = time.monotonic()
        with self._lock:
            if self._version is not None and now - self._version[0] < VERSION_TTL_SECONDS:
                return self._version[1]
        records = self._read(READ_DATASET, name=DATASET_NAME)
        if not records:
            raise StoreUnavailable(f"the Neo4j database {self.database!r} holds no milcoop data: run `milcoop load`")
        version = str(records[0]["version"])
        with self._lock:
            self._version = (now, version)
        return version

    def status(self) -> StoreStatus:
        records = self._read(READ_DATASET, retry=False, name=DATASET_NAME)
        if not records:
            raise StoreUnavailable(f"the Neo4j database {self.database!r} holds no milcoop data: run `milcoop load`")
        version = str(records[0]["version"])
        with self._lock:
            self._version = (time.monotonic(), version)
        counts = {label: int(self._read(cq.COUNT_LABEL[label], retry=False)[0]["count"]) for label in COUNTED_LABELS}
        counts["nodes"] = int(self._read(cq.COUNT_LABEL["Resource"], retry=False)[0]["count"])
        return StoreStatus(self.backend, version, counts)

    # -- versions and changes -------------------------------------------------------------------

    def data_versions(self) -> list[VersionRecord]:
        return [VersionRecord.from_dict(r["version"]) for r in self._read(hq.DATA_VERSIONS)]

    def changes_after(self, seq: int) -> list[ChangeRecord]:
        return [ChangeRecord.from_dict(r["change"]) for r in self._read(hq.CHANGES_AFTER, seq=seq)]

    def resource_digests(self) -> dict[str, Digest]:
        return {
            str(r["iri"]): Digest(str(r["kind"]), str(r["digest"]), tuple(str(a) for a in r["asserts"] or ()))
            for r in self._read(hq.DIGESTS)
        }

    # -- nodes ------------------------------------------------------------------------------------

    def describe(self, iris: Collection[str]) -> dict[str, NodeView]:
        # Describing events brings their claims and the nodes both point at along in the same
        # query (DESCRIBE_EVENTS), kept for the calls the page makes next (PREFETCH_ENTRIES).
        if not iris:
            return {}
        version = self.data_version()
        views: dict[str, NodeView] = self._prefetched.take(version, "node", iris)
        missing = [iri for iri in iris if iri not in views]
        if not missing:
            return views
        asked = set(missing)
        brought: dict[str, NodeView] = {}
        asserting: dict[str, set[str]] = {}
        for r in self._read(cq.DESCRIBE_EVENTS, iris=missing):
            view = _view(r["iri"], r["labels"], r["properties"], r["out"])
            (views if view.iri in asked else brought)[view.iri] = view
            for rel_type, fact in view.out:
                if rel_type == "ASSERTS":
                    asserting.setdefault(fact, set()).add(view.iri)
        # Every node asserting an asked event came along, so its claims are all known.
        asserted = {
            iri: tuple(sorted(asserting.get(iri, ())))
            for iri, view in views.items()
            if iri in asked and "CooperationEvent" in view.labels
        }
        self._prefetched.keep(version, "node", brought)
        self._prefetched.keep(version, "asserted", asserted)
        return views

    def named_entities(self) -> list[NodeView]:
        records = self._read(cq.NAMED_ENTITIES, labels=list(REFERENCE_LABELS))
        views = [_view(r["iri"], r["labels"], r["properties"], None) for r in records]
        return sorted(views, key=lambda v: v.iri)

    def lookup(self, key: Literal["iri", "id"], value: str) -> list[str]:
        query = cq.LOOKUP_IRI if key == "iri" else cq.LOOKUP_ID
        return sorted({str(r["iri"]) for r in self._read(query, value=value)})

    # -- relationships -----------------------------------------------------------------------------

    def incoming(self, iris: Collection[str], types: Collection[str]) -> list[Edge]:
        if not iris or not types:
            return []
        edges: set[Edge] = set()
        missing = list(iris)
        if set(types) == {"ASSERTS"}:
            # The claims of events described a moment ago (describe) are known already.
            known: dict[str, tuple[str, ...]] = self._prefetched.take(self.data_version(), "asserted", iris)
            edges = {Edge("ASSERTS", claim, event) for event, claims in known.items() for claim in claims}
            missing = [iri for iri in iris if iri not in known]
        if missing:
            records = self._read(cq.INCOMING, iris=missing, types=list(types))
            edges.update(Edge(r["type"], r["start"], r["end"]) for r in records)
        return sorted(edges, key=lambda e: (e.end, e.type, e.start))

    def incoming_counts(self, iri: str) -> dict[str, int]:
        records = self._read(cq.INCOMING_COUNTS, iri=iri)
        return dict(sorted((str(r["type"]), int(r["count"])) for r in records))

    def neighbours(self, iris: Collection[str]) -> list[Edge]:
        if not iris:
            return []
        assert set(PATH_TYPES)  # the query's relationship types come from PATH_TYPES
        version = self.data_version()
        # Each node's relationships, sorted, kept per node for the data version.
        known: dict[str, tuple[Edge, ...]] = self._neighbours.take(version, "edges", iris)
        if len(known) == 1 and len(iris) == 1:
            return list(next(iter(known.values())))  # a busy state's, on every search through it
        found = {edge for edges in known.values() for edge in edges}
        missing = [iri for iri in iris if iri not in known]
        if missing:
            fetched: dict[str, list[Edge]] = {iri: [] for iri in missing}
            strings: dict[str, str] = {}
            for r in self._read(cq.NEIGHBOURS, iris=missing, labels=sorted(PATH_LABELS)):
                edge = Edge(*(strings.setdefault(str(v), str(v)) for v in (r["type"], r["start"], r["end"])))
                found.add(edge)
                for node in {edge.start, edge.end}:
                    if node in fetched:
                        fetched[node].append(edge)
            kept = {iri: tuple(sorted(set(edges), key=_EDGE_ORDER)) for iri, edges in fetched.items()}
            self._neighbours.keep(version, "edges", kept)
        return sorted(found, key=_EDGE_ORDER)

    # -- selections --------------------------------------------------------------------------------

    @staticmethod
    def _keyed(records: list[neo4j.Record]) -> list[Keyed]:
        return [(str(r["iri"]), str(r["key"])) for r in records]

    def _selection(self, flt: EventFilter) -> Selection | None:
        """The cached selection of the events flowing from ``flt.source`` and/or to
        ``flt.target`` in the current data version (with their claims when ``flt`` filters on
        claims); None for an actor too busy to cache.

        An actor's selection is read once per version; a pair's is taken from the selection of
        whichever of the two takes part in fewer events (the other's side of each event is in it)."""
        source, target = flt.source, flt.target
        anchor: Literal["from", "to"] = "from"
        if target is not None and (source is None or self._degrees(target)[1] < self._degrees(source)[0]):
            anchor = "to"
        iri = source if anchor == "from" else target
        assert iri is not None
        if self._degrees(iri)[0 if anchor == "from" else 1] > self.selection_max_events:
            return None
        claims = flt.filters_claims
        query = cq.EVENT_SELECTIONS[(anchor, claims)]
        version = self.data_version()

        def fill() -> Selection:
            strings: dict[str, str] = {}
            records = self._read(query, iri=iri, time_limit=FILL_QUERY_SECONDS)
            return Selection.of([_event_facts(record, strings) for record in records])

        key = ("from", iri, "", claims) if anchor == "from" else ("to", "", iri, claims)
        selection = self._selections.get_or_fill(version, "selection", key, fill)
        if source is None or target is None:
            return selection
        whole = selection

        def pair() -> Selection:
            # The anchor's events whose other side includes the other actor.
            def other_side(event: EventFacts) -> tuple[tuple[str, str], ...]:
                return event.to if anchor == "from" else event.sources

            other = target if anchor == "from" else source
            return Selection.of(
                [
                    (event, labels)
                    for event, labels in zip(whole.events, whole.labels, strict=True)
                    if any(actor == other for _, actor in other_side(event))
                ]
            )

        return self._selections.get_or_fill(version, "selection", ("pair", source, target, claims), pair)

    def select_events(self, flt: EventFilter, after: str | None, limit: int) -> list[Keyed]:
        # Events of an actor, or of a pair, come from the selection cache, filtered by
        # graph/event_filter.py's rule as in the embedded store; without an actor, or for an
        # actor too busy to cache, Cypher selects the page.
        if flt.source or flt.target:
            selection = self._selection(flt)
            if selection is not None:
                return selection.page(flt, after, limit)
        parameters: dict[str, Any] = {
            "labels": sorted(flt.labels),
            "source": flt.source,
            "target": flt.target,
            "toTypes": list(flt.to_types),
            "since": flt.since,
            "until": flt.until,
            "includeUndated": flt.include_undated,
            "claimFilter": flt.filters_claims,
            "status": flt.status,
            "maxReliability": flt.max_reliability,
            "maxCredibility": flt.max_credibility,
            "after": after,
            "limit": limit,
        }
        if flt.source and flt.target:
            # Expand from whichever actor takes part in fewer events.
            query = cq.EVENTS_FROM
            if self._degrees(flt.target)[1] < self._degrees(flt.source)[0]:
                query = cq.EVENTS_TO_FROM
        elif flt.source:
            query = cq.EVENTS_FROM
        elif flt.target:
            query = cq.EVENTS_TO
        elif len(flt.labels) == 1:
            query = cq.EVENTS_OF_LABEL[next(iter(flt.labels))]
        else:
            query = cq.EVENTS_ALL
        return self._keyed(self._read(query, **parameters))

    def statements_between(self, a: str, b: str, after: str | None, limit: int) -> list[Keyed]:
        records = self._read(
            cq.STATEMENTS_BETWEEN, a=a, b=b, toTypes=[*TO_TYPES, *TARGET_TYPES], after=after, limit=limit
        )
        return self._keyed(records)

    def treaties(self, parties: Collection[str]) -> list[Keyed]:
        chosen = sorted(parties)
        if chosen:
            records = self._read(cq.TREATIES_OF_PARTY, party=chosen[0], parties=chosen)
        else:
            records = self._read(cq.TREATIES_ALL, parties=[])
        return self._keyed(records)

    def breaches(self, state: str | None, measure: str | None, after: str | None, limit: int) -> list[Keyed]:
        if measure:
            query = cq.BREACHES_OF_MEASURE
        elif state:
            query = cq.BREACHES_BY_STATE
        else:
            query = cq.BREACHES_ALL
        return self._keyed(self._read(query, state=state, measure=measure, after=after, limit=limit))

    def sources(self) -> list[Keyed]:
        return [(str(r["iri"]), str(r["iri"])) for r in self._read(cq.SOURCES)]

    def source_facts(self, source: str, after: str | None, limit: int) -> list[Keyed]:
        return self._keyed(self._read(cq.SOURCE_FACTS, source=source, after=after, limit=limit))

    def search(self, text: str, after: str | None, limit: int) -> list[Keyed]:
        # The names full-text index when it can find every match (graph/neo4j/fulltext.py),
        # else a scan of the named nodes; both rank alike, so the answer is the same.
        lucene = fulltext_query(text)
        if lucene is None:
            return self._keyed(self._read(cq.SEARCH, text=text, after=after, limit=limit))
        return self._keyed(self._read(cq.SEARCH_NAMES, lucene=lucene, text=text, after=after, limit=limit))


#: Event labels the store may be asked to scan without an anchor (checked at import).
assert set(cq.EVENTS_OF_LABEL) == set(EVENT_KIND_LABELS.values())
