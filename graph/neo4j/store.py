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
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Collection
from typing import Any, Literal, LiteralString

import neo4j
import neo4j.exceptions
from neo4j import Driver, RoutingControl

from milcoop.graph.changes import ChangeRecord, Digest, VersionRecord
from milcoop.graph.errors import StoreUnavailable
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
    ) -> None:
        self.driver = driver
        self.database = database
        self.uri = uri
        self.connect_timeout = connect_timeout
        self.query_timeout = query_timeout
        self._version: tuple[float, str] | None = None
        self._lock = threading.Lock()
        self._degree_cache: dict[str, tuple[int, int]] = {}
        self._degree_version: str | None = None
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

    def _read(self, query: LiteralString, *, retry: bool = True, **parameters: Any) -> list[neo4j.Record]:
        key = plan_key(query, parameters)
        generation = self.circuit.generation
        with self._lock:
            if self._planned_generation != generation:
                self._planned, self._planned_generation = set(), generation
            planned = key in self._planned
        limit = self.query_timeout if planned else max(self.query_timeout, COLD_QUERY_SECONDS)
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
        if not iris:
            return {}
        records = self._read(cq.DESCRIBE, iris=list(iris))
        return {r["iri"]: _view(r["iri"], r["labels"], r["properties"], r["out"]) for r in records}

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
        records = self._read(cq.INCOMING, iris=list(iris), types=list(types))
        edges = {Edge(r["type"], r["start"], r["end"]) for r in records}
        return sorted(edges, key=lambda e: (e.end, e.type, e.start))

    def incoming_counts(self, iri: str) -> dict[str, int]:
        records = self._read(cq.INCOMING_COUNTS, iri=iri)
        return dict(sorted((str(r["type"]), int(r["count"])) for r in records))

    def neighbours(self, iris: Collection[str]) -> list[Edge]:
        if not iris:
            return []
        assert set(PATH_TYPES)  # the query's relationship types come from PATH_TYPES
        records = self._read(cq.NEIGHBOURS, iris=list(iris), labels=sorted(PATH_LABELS))
        edges = {Edge(r["type"], r["start"], r["end"]) for r in records}
        return sorted(edges, key=lambda e: (e.start, e.type, e.end))

    # -- selections --------------------------------------------------------------------------------

    @staticmethod
    def _keyed(records: list[neo4j.Record]) -> list[Keyed]:
        return [(str(r["iri"]), str(r["key"])) for r in records]

    def select_events(self, flt: EventFilter, after: str | None, limit: int) -> list[Keyed]:
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
