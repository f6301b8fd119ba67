"""SPARQL 1.1 queries over the embedded store: read-only, time-limited, capped.

pyoxigraph cannot interrupt a query, so queries run in a small pool of worker processes, each
with its own read-only handle on the embedded store. The caller waits for the answer up to the
time limit (``MILCOOP_SPARQL_TIMEOUT_SECONDS``); past it, the worker is killed (SIGKILL: it only
reads, there is nothing to corrupt) and replaced on next use, and the caller gets
:class:`QueryTimeout`. A runaway query therefore costs one worker for the time limit and never
blocks the API, which keeps answering everything else.

Workers are forked from a ``forkserver`` that has imported this module once, so a replacement
starts in a few tens of milliseconds, and never from the API process itself (forking a threaded
process can deadlock the child). Each worker reopens the store when a load has switched it to a
new folder, so SPARQL answers the data of the last load, also when Neo4j is the primary store
(``milcoop load`` refreshes the embedded copy after every Neo4j load).

Read-only three times over: update requests are refused before anything runs; the query is
parsed and vetted (:mod:`graph.sparql_guard`) before Oxigraph sees it; the store is opened
read-only. Federated queries (``SERVICE``) are refused from the parse, and each worker runs in a
network namespace of its own with no interface up, so even a query that slipped past the parse
could not make the server fetch a URL of the caller's choosing.

The dataset is SPARQL 1.1's (:func:`dataset_options`): by default the default graph holds every
fact and the named graphs are the claims' source graphs, the TriG export's
(:mod:`milcoop.graph.embedded.source_graphs`); ``FROM`` / ``FROM NAMED`` in the query, or the
protocol's ``default-graph-uri`` / ``named-graph-uri`` over them, choose others. milcoop's own
records, in named graphs of their own, are never part of a dataset.

Results are capped at ``MILCOOP_SPARQL_MAX_RESULTS`` rows (or triples), and never cut silently:
a query with more results than the cap is refused (:class:`ResultTooLarge`, 400) with a message
that says how to page through them with ``ORDER BY``, ``LIMIT`` and ``OFFSET``. So an answer is
always the complete result of the query as sent.

The workers are shared fairly. Each query belongs to a client (the API names it: an API key, or
an address when keys are off). A client has at most ``per_client`` queries running and as many
waiting; one more is refused at once (:class:`ClientShareExceeded`, 429), so one client flooding
the endpoint cannot take every worker nor fill the queue. At most ``queue_size`` queries wait in
all (then :class:`QueueFull`, 503, at once). A freed worker goes to the waiting query whose client
has the fewest running, the oldest first: a newcomer overtakes a client that already has some.
"""

from __future__ import annotations

import atexit
import contextlib
import csv
import functools
import io
import itertools
import json
import logging
import multiprocessing
import resource
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Literal
from xml.sax.saxutils import escape, quoteattr

import pyoxigraph as ox

from milcoop.graph.embedded.files import INTERNAL_GRAPHS, EmbeddedStore, StoreInfo
from milcoop.graph.embedded.sparql_guard import QueryDataset, isolate_network, vet
from milcoop.graph.errors import StoreError
from milcoop.graph.export import FORMATS, negotiate, serialize_blocks
from milcoop.graph.export import blocks_of as _blocks_of

logger = logging.getLogger(__name__)

_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"

#: Longest query text accepted.
MAX_QUERY_BYTES = 100_000

#: Most memory (heap) a SPARQL worker may use; a query needing more kills the worker, not the machine.
WORKER_MEMORY_BYTES = 2 << 30

#: Media types for SELECT results, the first one the default.
SOLUTION_TYPES: tuple[str, ...] = (
    "application/sparql-results+json",
    "application/sparql-results+xml",
    "text/csv",
    "text/tab-separated-values",
    "application/json",
    "application/xml",
)
#: Media types for ASK results (CSV and TSV have no boolean form).
BOOLEAN_TYPES: tuple[str, ...] = (
    "application/sparql-results+json",
    "application/sparql-results+xml",
    "application/json",
    "application/xml",
)
#: Media types for CONSTRUCT and DESCRIBE results: the export's RDF formats, Turtle first.
GRAPH_TYPES: tuple[str, ...] = (*(f.media_type for f in FORMATS.values()), "application/json")


# ------------------------------------------------------------------------------------------------
# Errors (api/errors.py maps them to HTTP by their ``status``)
# ------------------------------------------------------------------------------------------------


class SparqlError(Exception):
    """A SPARQL request that cannot be answered; ``status`` is the HTTP status it deserves, and
    ``retry_after`` (seconds), when set, when trying again is worth it."""

    status = 400
    retry_after: int | None = None
    #: The ``error`` code of the API's answer, when the status alone does not say it.
    error: str | None = None

    def __init__(self, message: str, parameter: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.parameter = parameter


class InvalidQuery(SparqlError):
    """The query does not parse, or cannot be evaluated (the parser's message says why)."""


class UpdateRefused(SparqlError):
    """An update (INSERT, DELETE, LOAD, ...): the endpoint is read-only."""


class NotAcceptable(SparqlError):
    """The Accept header admits no format for this kind of result."""

    status = 406


class UnsupportedMediaType(SparqlError):
    """A POST body of a content type the protocol does not define for queries."""

    status = 415


class ResultTooLarge(SparqlError):
    """The query has more results than one answer may hold: the caller is to page with LIMIT/OFFSET.

    400 rather than the 5xx the protocol suggests for refused queries: trying the same query again
    can never succeed, and the remedy (``LIMIT``/``OFFSET``) is the caller's.
    """

    error = "result_too_large"


def too_large_message(limit: int, kind: str) -> str:
    """What a caller reads when a query has more than ``limit`` results: how to page through them."""
    return (
        f"the query has more than {limit} {kind}, the most one answer holds (MILCOOP_SPARQL_MAX_RESULTS), "
        f"and answers are never cut short; page through the results: add ORDER BY (so that pages do not "
        f"overlap) and LIMIT {limit} OFFSET 0, then LIMIT {limit} OFFSET {limit}, and so on until a page has "
        f"fewer than {limit}"
    )


class QueryTimeout(SparqlError):
    """The query ran past the time limit and was stopped."""

    status = 503


class EndpointBusy(SparqlError):
    """Every worker stayed busy for the whole time limit."""

    status = 503
    retry_after = 1


class ClientShareExceeded(SparqlError):
    """The client already has its share of the workers running queries and as many waiting."""

    status = 429
    retry_after = 1


class QueueFull(SparqlError):
    """Every worker is busy and the queue of waiting queries is full."""

    status = 503
    retry_after = 1


class QueryTooCostly(SparqlError):
    """The query needed more memory than a worker may use; the worker died and is replaced."""

    status = 503


class EndpointUnavailable(SparqlError):
    """The embedded store is missing or cannot be opened."""

    status = 503


# ------------------------------------------------------------------------------------------------
# Checks made before a query reaches a worker
# ------------------------------------------------------------------------------------------------

def store_info(data_dir: Path) -> StoreInfo | None:
    """What the store the workers answer over holds (data version, triples), or None when nothing is
    loaded. Reads the active folder's description only: no store is opened."""
    path = EmbeddedStore.current_path(Path(data_dir))
    if path is None:
        return None
    try:
        return EmbeddedStore._read_info(path)
    except StoreError:
        return None


def check_query(query: str) -> None:
    """Refuse, before a worker is asked, what needs no parse: empty or oversized text.

    What the query may do is decided by :func:`graph.sparql_guard.vet_query` inside the worker.
    """
    if not query.strip():
        raise InvalidQuery("the query is empty", "query")
    if len(query.encode("utf-8", "surrogatepass")) > MAX_QUERY_BYTES:
        raise InvalidQuery(f"the query is longer than {MAX_QUERY_BYTES} bytes", "query")


# ------------------------------------------------------------------------------------------------
# Result serializers (capped rows, so they are written here rather than by pyoxigraph)
# ------------------------------------------------------------------------------------------------


def _json_term(term: Any) -> dict[str, Any]:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out: dict[str, Any] = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value != _XSD_STRING:
            out["datatype"] = term.datatype.value
        return out
    if isinstance(term, ox.Triple):
        return {
            "type": "triple",
            "value": {
                "subject": _json_term(term.subject),
                "predicate": _json_term(term.predicate),
                "object": _json_term(term.object),
            },
        }
    raise TypeError(f"unexpected term {term!r}")


def _xml_term(term: Any) -> str:
    if isinstance(term, ox.NamedNode):
        return f"<uri>{escape(term.value)}</uri>"
    if isinstance(term, ox.BlankNode):
        return f"<bnode>{escape(term.value)}</bnode>"
    if isinstance(term, ox.Literal):
        if term.language:
            return f"<literal xml:lang={quoteattr(term.language)}>{escape(term.value)}</literal>"
        if term.datatype.value not in (_XSD_STRING, _RDF_LANG_STRING):
            return f"<literal datatype={quoteattr(term.datatype.value)}>{escape(term.value)}</literal>"
        return f"<literal>{escape(term.value)}</literal>"
    if isinstance(term, ox.Triple):
        return (
            f"<triple><subject>{_xml_term(term.subject)}</subject><predicate>{_xml_term(term.predicate)}</predicate>"
            f"<object>{_xml_term(term.object)}</object></triple>"
        )
    raise TypeError(f"unexpected term {term!r}")


def _csv_term(term: Any) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    if isinstance(term, (ox.NamedNode, ox.Literal)):
        return str(term.value)
    return str(term)


def _tsv_term(term: Any) -> str:
    if term is None:
        return ""
    # pyoxigraph writes terms in N-Triples syntax, which TSV results use; tabs must not stay raw.
    return str(term).replace("\t", "\\t")


def serialize_solutions(variables: Sequence[str], rows: Sequence[Sequence[Any]], media_type: str) -> bytes:
    """SELECT results in the SPARQL 1.1 JSON, XML, CSV or TSV results format."""
    if media_type in ("application/sparql-results+json", "application/json"):
        bindings = [
            {name: _json_term(term) for name, term in zip(variables, row, strict=True) if term is not None}
            for row in rows
        ]
        return json.dumps(
            {"head": {"vars": list(variables)}, "results": {"bindings": bindings}}, ensure_ascii=False
        ).encode()
    if media_type in ("application/sparql-results+xml", "application/xml"):
        out = ['<?xml version="1.0" encoding="UTF-8"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">\n<head>']
        out += [f"<variable name={quoteattr(name)}/>" for name in variables]
        out.append("</head>\n<results>")
        for row in rows:
            out.append("<result>")
            for name, term in zip(variables, row, strict=True):
                if term is not None:
                    out.append(f"<binding name={quoteattr(name)}>{_xml_term(term)}</binding>")
            out.append("</result>")
        out.append("</results>\n</sparql>\n")
        return "\n".join(out).encode()
    if media_type == "text/csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(variables)
        for row in rows:
            writer.writerow([_csv_term(term) for term in row])
        return buffer.getvalue().encode()
    if media_type == "text/tab-separated-values":
        lines = ["\t".join(f"?{name}" for name in variables)]
        lines += ["\t".join(_tsv_term(term) for term in row) for row in rows]
        return ("\n".join(lines) + "\n").encode()
    raise ValueError(f"no serializer for {media_type}")


def serialize_boolean(value: bool, media_type: str) -> bytes:
    """ASK results in the SPARQL 1.1 JSON or XML results format."""
    if media_type in ("application/sparql-results+json", "application/json"):
        return json.dumps({"head": {}, "boolean": value}).encode()
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">\n'
        f"<head/>\n<boolean>{'true' if value else 'false'}</boolean>\n</sparql>\n"
    ).encode()


def serialize_triples(triples: Sequence[ox.Triple], media_type: str) -> bytes:
    """CONSTRUCT and DESCRIBE results in one of the export's RDF formats."""
    wanted = "application/ld+json" if media_type == "application/json" else media_type
    fmt = next(f for f in FORMATS.values() if f.media_type == wanted)
    return b"".join(serialize_blocks(_blocks_of(triples), fmt))


# ------------------------------------------------------------------------------------------------
# The worker
# ------------------------------------------------------------------------------------------------

ResultKind = Literal["solutions", "boolean", "graph"]


@dataclass(frozen=True)
class SparqlAnswer:
    """One query's answer, ready to send."""

    body: bytes
    media_type: str
    kind: ResultKind
    #: Rows (SELECT), triples (CONSTRUCT/DESCRIBE) or 1 (ASK) in the body: the whole result.
    count: int
    #: The most results an answer may hold (a query with more is refused).
    limit: int
    seconds: float


def _not_acceptable(accept: str | None, offered: Sequence[str], kind: str) -> tuple[str, str, str | None]:
    return (
        "not_acceptable",
        f"a {kind} result cannot be given as {accept!r}; acceptable media types are {', '.join(offered)}",
        "Accept",
    )


_fact_graphs: dict[int, tuple[ox.Store, list[ox.NamedNode]]] = {}


def fact_graphs(store: ox.Store) -> list[ox.NamedNode]:
    """The store's named graphs of facts (the claims' source graphs), never milcoop's records;
    listed once per store handle (a store folder never changes)."""
    known = _fact_graphs.get(id(store))
    if known is None or known[0] is not store:
        _fact_graphs.clear()  # a worker answers over one store at a time
        known = _fact_graphs[id(store)] = (store, _list_fact_graphs(store))
    return known[1]


def _list_fact_graphs(store: ox.Store) -> list[ox.NamedNode]:
    return sorted(
        (g for g in store.named_graphs() if isinstance(g, ox.NamedNode) and g.value not in INTERNAL_GRAPHS),
        key=lambda g: g.value,
    )


def fact_graph_names(data_dir: Path) -> list[str]:
    """The named graphs of facts in the active store under ``data_dir`` (for the service
    description); an empty list when nothing is loaded. Opens the store read-only once per load."""
    path = EmbeddedStore.current_path(Path(data_dir))
    if path is None:
        return []
    return list(_graph_names_at(path))


@functools.lru_cache(maxsize=4)
def _graph_names_at(path: Path) -> tuple[str, ...]:
    try:
        store = ox.Store.read_only(str(path))
    except OSError:
        return ()
    return tuple(g.value for g in _list_fact_graphs(store))


def dataset_options(
    default_graphs: Sequence[str],
    named_graphs: Sequence[str],
    query_dataset: QueryDataset | None,
    facts: Sequence[ox.NamedNode],
) -> dict[str, Any]:
    """The dataset a query runs over, as Oxigraph's ``default_graph`` and ``named_graphs`` options.

    As SPARQL 1.1 says: the protocol's ``default-graph-uri`` / ``named-graph-uri`` when the request
    gives any (they override the query's own), else the query's ``FROM`` / ``FROM NAMED`` when it
    has any, else the default dataset: every fact in the default graph, and the claims' source
    graphs (``facts``) as named graphs. A dataset with named graphs but no default graph has an
    empty default graph. The store's own records (data versions, digests, partitions:
    graph/embedded/files.py) are in named graphs that no query may read, so the dataset is always
    set here (Oxigraph would otherwise offer every graph) and never holds one of them: a request
    naming one gets an empty graph instead.
    """
    if default_graphs or named_graphs:
        defaults, named = list(default_graphs), list(named_graphs)
    elif query_dataset is not None:
        defaults, named = list(query_dataset.default_graphs), list(query_dataset.named_graphs)
    else:
        return {"default_graph": ox.DefaultGraph(), "named_graphs": list(facts)}
    return {
        "default_graph": [ox.NamedNode(g) for g in dict.fromkeys(defaults) if g not in INTERNAL_GRAPHS],
        "named_graphs": [ox.NamedNode(g) for g in dict.fromkeys(named) if g not in INTERNAL_GRAPHS],
    }


def _answer(store: ox.Store, request: dict[str, Any]) -> tuple[Any, ...]:
    started = time.perf_counter()
    query: str = request["query"]
    accept: str | None = request["accept"]
    limit: int = request["limit"]
    vetted = vet(query, request.get("base_iri"))
    if vetted.refusal is not None:
        refusal = vetted.refusal
        return ("error", "update_refused" if refusal.code == "update" else "invalid_query", refusal.message, "query")
    try:
        # A relative FROM in a query without a base is no IRI: ValueError, answered below.
        options: dict[str, Any] = dataset_options(
            request["default_graphs"], request["named_graphs"], vetted.dataset, fact_graphs(store)
        )
        if request.get("base_iri"):
            # Relative IRIs in a query without BASE resolve against the endpoint's address, as the
            # protocol's tests expect of a service (``CONSTRUCT { <s> <p> 1 } WHERE {}``).
            options["base_iri"] = request["base_iri"]
        result = store.query(query, **options)
        if isinstance(result, ox.QuerySolutions):
            media_type = negotiate(accept, SOLUTION_TYPES)
            if media_type is None:
                return ("error", *_not_acceptable(accept, SOLUTION_TYPES, "SELECT"))
            variables = [v.value for v in result.variables]
            rows: list[list[Any]] = []
            for solution in result:
                if len(rows) == limit:
                    return ("error", "result_too_large", too_large_message(limit, "rows"), "query")
                rows.append([solution[name] for name in variables])
            body = serialize_solutions(variables, rows, media_type)
            kind: ResultKind = "solutions"
            count = len(rows)
        elif isinstance(result, ox.QueryBoolean):
            media_type = negotiate(accept, BOOLEAN_TYPES)
            if media_type is None:
                return ("error", *_not_acceptable(accept, BOOLEAN_TYPES, "ASK"))
            body, kind, count = serialize_boolean(bool(result), media_type), "boolean", 1
        else:
            media_type = negotiate(accept, GRAPH_TYPES)
            if media_type is None:
                return ("error", *_not_acceptable(accept, GRAPH_TYPES, "CONSTRUCT or DESCRIBE"))
            triples: list[ox.Triple] = []
            for triple in result:
                if len(triples) == limit:
                    return ("error", "result_too_large", too_large_message(limit, "triples"), "query")
                triples.append(triple)
            body, kind, count = serialize_triples(triples, media_type), "graph", len(triples)
    except SyntaxError as exc:
        return ("error", "invalid_query", f"the query does not parse: {exc}", "query")
    except (OSError, ValueError, RuntimeError, TypeError) as exc:
        return ("error", "invalid_query", f"the query failed: {exc}", "query")
    answer = SparqlAnswer(body, media_type, kind, count, limit, time.perf_counter() - started)
    return ("ok", answer)


def _serve(conn: Connection, data_dir: str, memory_bytes: int, sandbox: SandboxMode) -> None:
    """A worker's loop: one request at a time, until the pipe closes."""
    store: ox.Store | None = None
    path: Path | None = None
    # First of all, while the process is still single-threaded: no network for this worker.
    unsandboxed = isolate_network()
    if unsandboxed is not None and sandbox == "required":
        with contextlib.suppress(OSError, ValueError):
            conn.send(("refused", f"the SPARQL worker cannot be cut off from the network: {unsandboxed}"))
        return
    # A query that builds a huge intermediate result (ORDER BY over a cross join) would take the
    # machine's memory before the time limit: past this cap the worker dies instead.
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_DATA, (memory_bytes, memory_bytes))
    # Open the store before saying ready, so that a query's time is the query's alone.
    with contextlib.suppress(OSError):
        current = EmbeddedStore.current_path(Path(data_dir))
        if current is not None:
            store, path = ox.Store.read_only(str(current)), current
    try:
        conn.send(("ready", unsandboxed))
    except (OSError, ValueError):
        return
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return
        try:
            current = EmbeddedStore.current_path(Path(data_dir))
            if current is None:
                reply: tuple[Any, ...] = (
                    "error",
                    "unavailable",
                    f"the embedded store in {EmbeddedStore.root(Path(data_dir))} is empty: run `milcoop load` first",
                    None,
                )
            else:
                if current != path:
                    store, path = None, None
                    store = ox.Store.read_only(str(current))
                    path = current
                assert store is not None
                reply = _answer(store, request)
        except OSError as exc:
            reply = ("error", "unavailable", f"cannot open the embedded store: {exc}", None)
        except Exception as exc:  # keep the worker alive; the parent reports it
            reply = ("error", "invalid_query", f"the query failed: {exc}", "query")
        try:
            conn.send(reply)
        except (OSError, ValueError):
            return


# ------------------------------------------------------------------------------------------------
# The pool
# ------------------------------------------------------------------------------------------------

_ERRORS: dict[str, type[SparqlError]] = {
    "invalid_query": InvalidQuery,
    "update_refused": UpdateRefused,
    "not_acceptable": NotAcceptable,
    "unavailable": EndpointUnavailable,
    "result_too_large": ResultTooLarge,
}


def _context() -> Any:
    ctx = multiprocessing.get_context("forkserver")
    # Imported once in the fork server, so every worker forked from it starts with them: this
    # module, and the main module (which multiprocessing would otherwise re-import in each worker).
    ctx.set_forkserver_preload(
        ["__main__", "milcoop.graph.embedded.sparql_endpoint", "milcoop.graph.embedded.sparql_guard"]
    )
    return ctx


SandboxMode = Literal["required", "best-effort"]

_warned: set[str] = set()


def _warn_unsandboxed(reason: str) -> None:
    if reason not in _warned:
        _warned.add(reason)
        logger.warning(
            "SPARQL workers run without a network sandbox (%s); SERVICE is still refused by the parse. "
            "Set MILCOOP_SPARQL_SANDBOX=required to refuse queries instead.",
            reason,
        )


#: Longest wait for a new worker to open the store and say it is ready.
STARTUP_SECONDS = 60.0


class _Worker:
    def __init__(self, ctx: Any, data_dir: Path, memory_bytes: int, sandbox: SandboxMode) -> None:
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(
            target=_serve, args=(child, str(data_dir), memory_bytes, sandbox), daemon=True, name="milcoop-sparql"
        )
        self.process.start()
        child.close()
        try:
            hello = self.conn.recv() if self.conn.poll(STARTUP_SECONDS) else None
        except (EOFError, OSError):
            hello = None
        if not (isinstance(hello, tuple) and hello and hello[0] == "ready"):
            self.kill()
            if isinstance(hello, tuple) and hello and hello[0] == "refused":
                raise EndpointUnavailable(f"{hello[1]} (MILCOOP_SPARQL_SANDBOX=required)")
            raise EndpointUnavailable(f"a SPARQL worker did not start within {STARTUP_SECONDS:g} s")
        #: Why the worker could not be cut off from the network, or None when it is.
        self.unsandboxed: str | None = hello[1]
        if self.unsandboxed is not None:
            _warn_unsandboxed(self.unsandboxed)

    def alive(self) -> bool:
        return bool(self.process.is_alive())

    def kill(self) -> None:
        self.process.kill()
        self.process.join(5)
        self.conn.close()

    def stop(self) -> None:
        self.conn.close()  # the worker sees EOF and returns
        self.process.join(2)
        if self.process.is_alive():
            self.kill()


@dataclass(eq=False)
class Admission:
    """One query's place at the endpoint, from :meth:`SparqlEndpoint.admit` until it is answered."""

    client: str
    seq: int
    state: Literal["waiting", "granted", "running", "done"] = "waiting"
    #: The worker slot granted (None: a worker to start).
    slot: _Worker | None = None


#: The client of queries run without naming one (direct use of the endpoint, not through the API).
LOCAL_CLIENT = "local"


class SparqlEndpoint:
    """Runs SPARQL queries in worker processes with a time limit and a result cap, sharing the
    workers fairly between clients (see the module's description)."""

    def __init__(
        self,
        data_dir: Path,
        timeout: float,
        max_results: int,
        workers: int = 2,
        memory_bytes: int = WORKER_MEMORY_BYTES,
        sandbox: SandboxMode = "best-effort",
        per_client: int | None = None,
        queue_size: int | None = None,
    ) -> None:
        if workers < 1:
            raise ValueError("a SPARQL endpoint needs at least one worker")
        self.data_dir = Path(data_dir).resolve()
        self.timeout = timeout
        self.max_results = max_results
        self.workers = workers
        #: Most queries one client runs at once (as many more may wait).
        self.per_client = max(1, min(per_client if per_client is not None else workers, workers))
        #: Most queries waiting for a worker, all clients together.
        self.queue_size = max(0, queue_size if queue_size is not None else 2 * workers)
        self.memory_bytes = memory_bytes
        self.sandbox: SandboxMode = sandbox
        self._ctx = _context()
        self._cond = threading.Condition()
        # Free worker slots; None is a worker started on first use (or after a failed start).
        self._idle: list[_Worker | None] = [None] * workers
        self._running: dict[str, int] = {}
        self._waiting: list[Admission] = []
        self._seq = itertools.count()
        self._all: set[_Worker] = set()
        self._lock = threading.Lock()
        self._closed = False

    # -- sharing ---------------------------------------------------------------------------------

    def load(self) -> dict[str, int]:
        """Queries running and waiting, and free workers: for logs and tests."""
        with self._cond:
            return {
                "running": sum(self._running.values()),
                "waiting": len(self._waiting),
                "idle": len(self._idle),
            }

    def _dispatch(self) -> None:
        """Give free workers to waiting queries, fairly. Called with ``_cond`` held."""
        granted = False
        while self._idle and self._waiting:
            eligible = [t for t in self._waiting if self._running.get(t.client, 0) < self.per_client]
            if not eligible:
                break
            ticket = min(eligible, key=lambda t: (self._running.get(t.client, 0), t.seq))
            self._waiting.remove(ticket)
            ticket.slot = self._idle.pop()
            ticket.state = "granted"
            self._running[ticket.client] = self._running.get(ticket.client, 0) + 1
            granted = True
        if granted:
            self._cond.notify_all()

    def _release(self, ticket: Admission, slot: _Worker | None, replace: bool) -> None:
        """End ``ticket``'s hold on a worker; ``slot`` goes back unless it is being replaced."""
        with self._cond:
            if ticket.state not in ("granted", "running"):
                return
            ticket.state = "done"
            left = self._running.get(ticket.client, 1) - 1
            if left > 0:
                self._running[ticket.client] = left
            else:
                self._running.pop(ticket.client, None)
            if not replace:
                self._idle.append(slot)
            self._dispatch()

    def _give_back(self, slot: _Worker | None) -> None:
        with self._cond:
            self._idle.append(slot)
            self._dispatch()

    def admit(self, client: str = LOCAL_CLIENT) -> Admission:
        """A place for one query of ``client``, granted a worker now or queued; refused at once
        when the client has its share running and waiting (:class:`ClientShareExceeded`) or the
        queue is full (:class:`QueueFull`). Never blocks: the API calls it before taking a thread.

        Pass the admission to :meth:`run`, and to :meth:`withdraw` when the query will not run.
        """
        with self._cond:
            if self._closed:
                raise EndpointUnavailable("the SPARQL endpoint is shut down")
            running = self._running.get(client, 0)
            waiting = sum(1 for t in self._waiting if t.client == client)
            if running + waiting >= 2 * self.per_client:
                raise ClientShareExceeded(
                    f"this client already has {running} SPARQL quer{'y' if running == 1 else 'ies'} running and "
                    f"{waiting} waiting, its whole share ({self.per_client} running and {self.per_client} waiting "
                    f"of {self.workers} workers, MILCOOP_SPARQL_PER_CLIENT); send the next one when one has "
                    "finished",
                )
            ticket = Admission(client, next(self._seq))
            self._waiting.append(ticket)
            self._dispatch()
            if ticket.state == "waiting" and len(self._waiting) > self.queue_size:
                self._waiting.remove(ticket)
                raise QueueFull(
                    f"all {self.workers} SPARQL workers are busy and {len(self._waiting)} queries are already "
                    f"waiting (MILCOOP_SPARQL_QUEUE); try again shortly",
                )
            return ticket

    def withdraw(self, ticket: Admission) -> None:
        """Give up ``ticket`` if :meth:`run` never used it (a no-op once it has)."""
        with self._cond:
            if ticket.state == "waiting":
                self._waiting.remove(ticket)
                ticket.state = "done"
                return
            if ticket.state != "granted":
                return
        self._release(ticket, ticket.slot, replace=False)

    def _acquire(self, ticket: Admission, deadline: float) -> _Worker:
        with self._cond:
            while ticket.state == "waiting":
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._closed:
                    self._waiting.remove(ticket)
                    ticket.state = "done"
                    if self._closed:
                        raise EndpointUnavailable("the SPARQL endpoint is shut down")
                    raise EndpointBusy(
                        f"all {self.workers} SPARQL workers stayed busy for {self.timeout:g} s; try again later"
                    )
                self._cond.wait(remaining)
            if ticket.state != "granted":
                raise EndpointUnavailable("the SPARQL query was withdrawn")
            ticket.state = "running"
            slot = ticket.slot
        if slot is not None and slot.alive():
            return slot
        try:
            fresh = _Worker(self._ctx, self.data_dir, self.memory_bytes, self.sandbox)
        except BaseException:
            self._release(ticket, None, replace=False)  # the next query tries to start one again
            raise
        with self._lock:
            if slot is not None:
                self._all.discard(slot)
            self._all.add(fresh)
        return fresh

    def _replace_in_background(self, dead: _Worker) -> None:
        """Start a worker for a killed one without making the next request wait for it."""

        def replace() -> None:
            try:
                fresh = _Worker(self._ctx, self.data_dir, self.memory_bytes, self.sandbox)
            except Exception:
                self._give_back(None)  # the next request tries again
                return
            with self._lock:
                self._all.discard(dead)
                self._all.add(fresh)
            if self._closed:
                fresh.stop()
            self._give_back(fresh)

        threading.Thread(target=replace, name="milcoop-sparql-replace", daemon=True).start()

    def run(
        self,
        query: str,
        accept: str | None = None,
        default_graphs: Sequence[str] = (),
        named_graphs: Sequence[str] = (),
        admission: Admission | None = None,
        base_iri: str | None = None,
    ) -> SparqlAnswer:
        """Answer ``query`` in the format ``accept`` prefers, within the time limit.

        ``base_iri`` (the endpoint's address) resolves relative IRIs of a query without ``BASE``.

        ``admission`` is the query's place from :meth:`admit`; without one the query is admitted
        here as the local client's. Raises a :class:`SparqlError` subclass for anything but an answer.
        """
        if self._closed:
            if admission is not None:
                self.withdraw(admission)
            raise EndpointUnavailable("the SPARQL endpoint is shut down")
        try:
            check_query(query)
        except SparqlError:
            if admission is not None:
                self.withdraw(admission)
            raise
        ticket = admission if admission is not None else self.admit()
        request = {
            "query": query,
            "accept": accept,
            "limit": self.max_results,
            "default_graphs": list(default_graphs),
            "named_graphs": list(named_graphs),
            "base_iri": base_iri,
        }
        # Waiting for a free worker is bounded by the time limit too (then: busy); starting a
        # worker (the first query, or after a kill) is not the query's time.
        worker = self._acquire(ticket, time.monotonic() + self.timeout)
        replaced = False
        try:
            worker.conn.send(request)
            if not worker.conn.poll(self.timeout):
                replaced = True
                worker.kill()
                raise QueryTimeout(
                    f"the query ran longer than {self.timeout:g} s (MILCOOP_SPARQL_TIMEOUT_SECONDS) and was stopped",
                    "query",
                )
            reply = worker.conn.recv()
        except (EOFError, OSError) as exc:
            replaced = True
            worker.kill()
            code = worker.process.exitcode
            if code is not None and code != 0:
                raise QueryTooCostly(
                    f"the query stopped its SPARQL worker (exit code {code}), most likely by needing more than "
                    f"{self.memory_bytes / (1 << 30):g} GiB of memory; narrow it down",
                    "query",
                ) from exc
            raise EndpointUnavailable(f"the SPARQL worker failed: {exc}") from exc
        finally:
            # The client's share frees at once; a killed worker's slot only when its replacement is up.
            self._release(ticket, worker, replace=replaced)
            if replaced:
                self._replace_in_background(worker)
        if reply[0] == "ok":
            answer: SparqlAnswer = reply[1]
            return answer
        _, code, message, parameter = reply
        raise _ERRORS.get(code, InvalidQuery)(message, parameter)

    def close(self) -> None:
        """Stop every worker; queries still waiting are told the endpoint is shut down."""
        self._closed = True
        with self._cond:
            self._cond.notify_all()
        with self._lock:
            workers, self._all = list(self._all), set()
        for worker in workers:
            worker.stop()


_endpoints: dict[tuple[Any, ...], SparqlEndpoint] = {}
_endpoints_lock = threading.Lock()


def endpoint_for(
    data_dir: Path,
    timeout: float,
    max_results: int,
    sandbox: SandboxMode = "best-effort",
    *,
    workers: int = 2,
    per_client: int | None = None,
    queue_size: int | None = None,
) -> SparqlEndpoint:
    """The process's endpoint for these settings (created on first use, stopped at exit)."""
    key = (str(Path(data_dir).resolve()), float(timeout), int(max_results), sandbox, workers, per_client, queue_size)
    with _endpoints_lock:
        endpoint = _endpoints.get(key)
        if endpoint is None or endpoint._closed:
            endpoint = SparqlEndpoint(
                Path(data_dir), timeout, max_results, workers=workers, sandbox=sandbox, per_client=per_client,
                queue_size=queue_size,
            )
            _endpoints[key] = endpoint
        return endpoint


@atexit.register
def _close_all() -> None:
    with _endpoints_lock:
        endpoints = list(_endpoints.values())
        _endpoints.clear()
    for endpoint in endpoints:
        endpoint.close()
