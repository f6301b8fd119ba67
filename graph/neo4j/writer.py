"""Bring Neo4j to exactly one dataset, in one transaction, with batched ``UNWIND`` writes.

:class:`Neo4jWriter` (the :class:`~milcoop.graph.writer.GraphWriter` of Neo4j) is what
``milcoop load`` (through :mod:`milcoop.loaders.load`) calls with
already-validated facts. It maps the compiled RDF to node and relationship records
(:func:`graph.mapping.to_property_graph`), makes sure the constraints and indexes exist, then
hands the records to :func:`write_records`, which benchmarks and tests also call directly.

A load, inside ONE explicit transaction, when the previous load recorded the digests of the
resources it wrote (``digestsOf`` on the dataset node; every ``milcoop load`` and import does),
reads those digests, and reads and writes only the resources whose digest changed, with the
relationships leaving them (:func:`_write_changed`): the cost follows the change. Otherwise, or
with ``verify`` (``milcoop load --force``), it compares with the whole graph:

1. reads the IRIs (and element ids) of the ``:Resource`` nodes in the graph and, if there are
   any, the milcoop relationships between them, and compares them with the records;
2. deletes the relationships and then the nodes that are no longer in the dataset;
3. creates the new nodes (``CREATE``, grouped by label set) and brings the existing ones to their
   record (only those whose labels or properties differ are written: ``SET n = row``);
4. creates the new relationships (grouped by type), addressing their ends by element id;
5. records the data version on the ``:MilcoopDataset`` node and, when the load was given the
   facts' digests, what changed since the previous load (``:DataVersion``, ``:ResourceChange``,
   ``:ResourceDigest``; :mod:`milcoop.graph.changes`), and commits.

So loading the same data twice changes nothing the second time, an edited dataset replaces the
previous one exactly, and a load that fails anywhere (bad data, a lost connection, a killed
server) leaves the graph as it was: Neo4j rolls back the uncommitted transaction, and after a
crash its recovery replays only committed transactions. Nothing outside the ``:Resource`` graph
is touched (other labels' nodes, relationship types outside the ontology).

The transaction holds every change until commit, so the server's heap must hold the whole
change's transaction state: a first load of 100,000 synthetic events does not fit a 2 GB heap
(bench/README.md). A first load into an empty database can therefore go through Neo4j's offline
importer instead (:func:`offline_first_load`, :mod:`milcoop.graph.neo4j.offline`), when
``MILCOOP_NEO4J_IMPORT_COMMAND`` is set and the dataset has at least
``MILCOOP_NEO4J_IMPORT_MIN_NODES`` nodes; later loads are transactions of what changed.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, LiteralString

import neo4j
import neo4j.exceptions
from neo4j import Driver, ManagedTransaction, Record, Result, Transaction

from milcoop.graph.changes import Digest, VersionRecord, digests_of_lines, now_iso, plan_version, relative_file_names
from milcoop.graph.errors import LoadFailed
from milcoop.graph.mapping import NodeRecord, RelationshipRecord, to_property_graph
from milcoop.graph.neo4j import offline
from milcoop.graph.neo4j.cypher import history as _history
from milcoop.graph.neo4j.cypher import load as cypher
from milcoop.graph.neo4j.cypher.schema import ensure_schema
from milcoop.graph.neo4j.driver import create_driver, load_errors, open_driver, translated
from milcoop.graph.terms import lines_by_subject
from milcoop.graph.writer import Facts, LoadSummary, ProgressReporter, SilentProgress
from milcoop.ontology.vocabulary import Vocabulary, vocabulary
from milcoop.settings import Backend, Settings

__all__ = ["LoadPlan", "Neo4jWriter", "load_into_neo4j", "offline_first_load", "plan_load", "write_records"]

_log = logging.getLogger(__name__)

#: Rows per record when reading the graph's current state (see graph/neo4j/cypher/load.py).
READ_CHUNK = 20_000

#: How messages name a server known only by its driver.
_SERVER = "the Neo4j server"

_Rel = tuple[str, str, str]  # (type, start iri, end iri)


def load_into_neo4j(
    compiled: Facts, settings: Settings, progress: ProgressReporter, *, verify: bool = False
) -> LoadSummary:
    """Bring the configured Neo4j database to exactly ``compiled``'s facts, all or nothing.

    Raises :class:`StoreUnavailable` when Neo4j cannot be reached before anything is written,
    and :class:`LoadFailed` when the load fails part way (the graph is then as it was).
    """
    nodes, relationships = to_property_graph(compiled.graph)
    history = Versioning(
        digests_of_lines(lines_by_subject(compiled.ntriples())),
        relative_file_names(getattr(compiled, "files", ())),
        len(compiled.graph),
        getattr(compiled, "partition", "curated"),
    )
    driver = open_driver(settings)
    try:
        if settings.neo4j_import_command.strip() and len(nodes) >= settings.neo4j_import_min_nodes:
            imported = offline_first_load(
                driver,
                settings,
                nodes,
                relationships,
                data_version=compiled.version,
                history=history,
                progress=progress,
            )
            if imported is not None:
                return imported
        with translated(settings, "create milcoop's constraints and indexes"):
            ensure_schema(driver, settings.neo4j_database)
        return write_records(
            driver,
            settings.neo4j_database,
            nodes,
            relationships,
            data_version=compiled.version,
            batch_size=settings.load_batch_size,
            progress=progress,
            history=history,
            verify=verify,
        )
    finally:
        driver.close()


def offline_first_load(
    driver: Driver,
    settings: Settings,
    nodes: Sequence[NodeRecord],
    relationships: Sequence[RelationshipRecord],
    *,
    data_version: str,
    history: Versioning | None,
    progress: ProgressReporter | None = None,
    vocab: Vocabulary | None = None,
) -> LoadSummary | None:
    """Load an empty database through ``MILCOOP_NEO4J_IMPORT_COMMAND`` (graph/neo4j/offline.py).

    Returns None, having written nothing, when the database is not empty or a value has no exact
    CSV form (the caller then loads in a transaction; the reason is logged). Raises
    :class:`LoadFailed` when the import fails; Neo4j then keeps the database it had.
    """
    started = time.monotonic()
    vocab = vocab or vocabulary()
    progress = progress or SilentProgress()
    database = settings.neo4j_database
    with translated(settings, "check that the database is empty"):
        if not offline.database_is_empty(driver, database):
            return None
    plan = plan_load(nodes, relationships, vocab)
    offline.check_offline_import(plan, vocab)
    # Absolute: the import command may run from another directory (tools/neo4j/neo4j-dev does).
    folder = (settings.data_dir / "neo4j-import").resolve()
    try:
        imported = offline.write_import_folder(
            plan, folder, database=database, data_version=data_version, history=history, vocab=vocab, progress=progress
        )
    except offline.ImportRefused as exc:
        _log.info("offline import not used, loading in a transaction instead: %s", exc)
        shutil.rmtree(folder, ignore_errors=True)
        return None
    written = time.monotonic()
    progress.start("neo4j: offline import (Neo4j stops and starts again)", 1)
    offline.run_import_command(settings.neo4j_import_command, imported, settings.neo4j_import_timeout_seconds)
    imported_at = time.monotonic()
    progress.advance(1)
    progress.start("neo4j: building the constraints and indexes", 1)
    # A new driver: the old one's bookmarks name transactions of the database the import replaced,
    # which the new one never had (Neo4j would wait for them).
    with translated(settings, "create the constraints and indexes after the offline import"):
        after = create_driver(settings)
        try:
            wait = max(60.0, settings.neo4j_import_timeout_seconds / 10)
            offline.finish_import(after, database, imported, wait_seconds=wait)
        finally:
            after.close()
    progress.advance(1)
    progress.finish()
    shutil.rmtree(folder, ignore_errors=True)
    done = time.monotonic()
    return LoadSummary(
        backend="neo4j",
        data_version=data_version,
        seconds=done - started,
        nodes_created=plan.node_count,
        relationships_created=len(plan.relationships),
        details={"nodes": plan.node_count, "relationships": len(plan.relationships)},
        method="offline import",
        phases={
            "files": round(written - started, 3),
            "import": round(imported_at - written, 3),
            "schema": round(done - imported_at, 3),
        },
    )


@dataclass(frozen=True)
class Versioning:
    """What a load needs to record its data version: the facts' digests, files and triple count."""

    digests: dict[str, Digest]
    files: list[str]
    triples: int
    #: The partition the load replaced (:mod:`milcoop.graph.partitions`).
    partition: str = "curated"


class Neo4jWriter:
    """:class:`~milcoop.graph.writer.GraphWriter` for the configured Neo4j database."""

    backend: Backend = "neo4j"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def current_iris(self) -> frozenset[str]:
        driver = open_driver(self.settings)
        try:
            with translated(self.settings, "read the loaded resources"):
                records, _, _ = driver.execute_query(cypher.RESOURCE_IRIS, database_=self.settings.neo4j_database)
        finally:
            driver.close()
        return frozenset(str(record["iri"]) for record in records)

    def replace(self, facts: Facts, progress: ProgressReporter, *, verify: bool = False) -> LoadSummary:
        return load_into_neo4j(facts, self.settings, progress, verify=verify)


@dataclass
class LoadPlan:
    """Records grouped the way the writers take them, checked against the allow-list."""

    #: label set (asserted class first) -> property maps of its nodes
    nodes: dict[tuple[str, ...], list[dict[str, Any]]]
    #: iri -> record, for every node of the dataset
    by_iri: dict[str, NodeRecord]
    #: every relationship of the dataset, without duplicates, in input order
    relationships: dict[_Rel, None]
    node_count: int = field(init=False)

    def __post_init__(self) -> None:
        self.node_count = len(self.by_iri)


def plan_load(
    nodes: Sequence[NodeRecord], relationships: Sequence[RelationshipRecord], vocab: Vocabulary | None = None
) -> LoadPlan:
    """Group and check the records before any transaction starts.

    Raises ``ValueError`` for a label or relationship type outside the allow-list, a node whose
    ``iri`` property disagrees with its record, a duplicate IRI, or a relationship whose end is
    not one of the nodes.
    """
    vocab = vocab or vocabulary()
    labels_allowed = vocab.all_labels
    types_allowed = vocab.relationship_types
    grouped: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    by_iri: dict[str, NodeRecord] = {}
    for node in nodes:
        if node.iri in by_iri:
            raise ValueError(f"node {node.iri} appears twice")
        if node.properties.get("iri") != node.iri:
            raise ValueError(f"node {node.iri}: its iri property is {node.properties.get('iri')!r}")
        for label in node.labels:
            if label not in labels_allowed:
                raise ValueError(f"node {node.iri}: label {label!r} is not in the ontology's allow-list")
        by_iri[node.iri] = node
        grouped[node.labels].append(node.properties)
    rels: dict[_Rel, None] = {}
    for rel in relationships:
        if rel.type not in types_allowed:
            raise ValueError(f"relationship type {rel.type!r} is not in the ontology's allow-list")
        if rel.start not in by_iri or rel.end not in by_iri:
            missing = rel.start if rel.start not in by_iri else rel.end
            raise ValueError(f"relationship {rel.type} refers to {missing}, which is not a node of the dataset")
        rels[(rel.type, rel.start, rel.end)] = None
    return LoadPlan(dict(grouped), by_iri, rels)


def _batches(rows: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


class _Writer:
    """Runs batches in one transaction, one batch ahead of reading the previous batch's result.

    ``tx.run`` returns once the server accepted the query, while the server then executes it;
    reading a result waits for its end. Sending batch k+1 before reading batch k lets the client
    encode the next parameters while the server writes the previous ones (two cores, both busy).
    """

    def __init__(self, tx: Transaction, progress: ProgressReporter) -> None:
        self.tx = tx
        self.progress = progress
        self._pending: tuple[Result, int, Callable[[Record], None] | None, int | None] | None = None
        self.counters: Counter[str] = Counter()

    def run(
        self,
        query: LiteralString,
        parameters: dict[str, Any],
        rows: int,
        *,
        on_record: Callable[[Record], None] | None = None,
        expect_relationships: int | None = None,
    ) -> None:
        result = self.tx.run(query, parameters)
        self.flush()
        self._pending = (result, rows, on_record, expect_relationships)

    def flush(self) -> None:
        if self._pending is None:
            return
        result, rows, on_record, expect_relationships = self._pending
        self._pending = None
        if on_record is not None:
            for record in result:
                on_record(record)
        counters = result.consume().counters
        self.counters["nodes_created"] += counters.nodes_created
        self.counters["nodes_deleted"] += counters.nodes_deleted
        self.counters["relationships_created"] += counters.relationships_created
        self.counters["relationships_deleted"] += counters.relationships_deleted
        if expect_relationships is not None and counters.relationships_created != expect_relationships:
            # Both ends were read or created in this very transaction; a shortfall means the
            # graph changed in a way the plan did not foresee. Refuse to commit.
            raise LoadFailed(
                f"expected to create {expect_relationships} relationships in a batch, created "
                f"{counters.relationships_created}; nothing was committed"
            )
        self.progress.advance(rows)


def _chunks(tx: Transaction, query: LiteralString, **parameters: Any) -> Iterator[list[Any]]:
    """The rows of a chunked read (see graph/neo4j/cypher/load.py)."""
    for record in tx.run(query, chunk=READ_CHUNK, **parameters):
        yield from record[0]


def write_records(
    driver: Driver,
    database: str,
    nodes: Sequence[NodeRecord],
    relationships: Sequence[RelationshipRecord],
    *,
    data_version: str,
    batch_size: int = 5_000,
    progress: ProgressReporter | None = None,
    vocab: Vocabulary | None = None,
    history: Versioning | None = None,
    verify: bool = False,
) -> LoadSummary:
    """Bring ``database`` to exactly these records in one transaction (see the module docstring).

    With ``history`` (the facts' digests), when the graph was written by a load that recorded its
    digests (``digestsOf`` on the dataset node), only the resources whose digest changed are read
    and written: a resource's digest covers its labels, properties and outgoing relationships, so
    the others are as the previous load left them. ``verify`` reads the whole graph back and
    compares instead (``milcoop load --force``), which also finds changes made by hand.

    ``ensure_schema`` must have run (the unique ``iri`` constraint is what keeps two loads from
    creating the same node twice). Raises ``ValueError`` for records outside the allow-list before
    anything is sent, :class:`StoreUnavailable` if no session can be opened, and
    :class:`LoadFailed` if the load fails part way; then nothing was committed.
    """
    started = time.monotonic()
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    vocab = vocab or vocabulary()
    progress = progress or SilentProgress()
    plan = plan_load(nodes, relationships, vocab)
    with translated(_SERVER, "open a session"):
        session = driver.session(database=database)
    try:
        with load_errors(), session:
            tx = session.begin_transaction()
            try:
                old = _read_digests(tx) if history is not None else {}
                by_digest = history is not None and not verify and _digests_describe_graph(tx, history, plan)
                if by_digest and history is not None:
                    counters = _write_changed(tx, plan, old, history.digests, batch_size, progress, vocab)
                else:
                    counters = _write(tx, plan, batch_size, progress, vocab)
                tx.run(
                    cypher.MERGE_DATASET,
                    name=cypher.DATASET_NAME,
                    version=data_version,
                    nodes=plan.node_count,
                    relationships=len(plan.relationships),
                    digests_of=data_version if history is not None else None,
                ).consume()
                if history is not None:
                    _record_version(tx, history, data_version, batch_size, old)
                tx.commit()
            finally:
                if not tx.closed():
                    # Rolling back over a dead connection fails too; the server discards the
                    # transaction anyway once the connection is gone.
                    with contextlib.suppress(neo4j.exceptions.DriverError, neo4j.exceptions.Neo4jError, OSError):
                        tx.rollback()
    finally:
        progress.finish()
    return LoadSummary(
        backend="neo4j",
        data_version=data_version,
        seconds=time.monotonic() - started,
        nodes_created=counters["nodes_created"],
        nodes_updated=counters["changed"],
        nodes_deleted=counters["nodes_deleted"],
        relationships_created=counters["relationships_created"],
        relationships_deleted=counters["relationships_deleted"],
        details={"nodes": plan.node_count, "relationships": len(plan.relationships)},
        method="changed resources only, by digest" if by_digest else "",
    )


def _read_digests(tx: Transaction) -> dict[str, Digest]:
    old: dict[str, Digest] = {}
    for iri, kind, digest, asserts in _chunks(tx, _history.READ_DIGESTS):
        old[str(iri)] = Digest(str(kind), str(digest), tuple(str(a) for a in asserts or ()))
    return old


def _digests_describe_graph(tx: Transaction, history: Versioning, plan: LoadPlan) -> bool:
    """Whether the graph is what its recorded digests say and the new digests cover every node."""
    record = tx.run(cypher.READ_DIGESTS_OF, name=cypher.DATASET_NAME).single()
    if record is None or record["digestsOf"] is None or record["digestsOf"] != record["version"]:
        return False
    return len(history.digests) == plan.node_count and all(iri in history.digests for iri in plan.by_iri)


def _write_changed(
    tx: Transaction,
    plan: LoadPlan,
    old: dict[str, Digest],
    new: dict[str, Digest],
    batch_size: int,
    progress: ProgressReporter,
    vocab: Vocabulary,
) -> Counter[str]:
    """Write only the resources whose digest changed (added, changed, removed), with the
    relationships leaving them; the cost follows the change, not the dataset."""
    changed = [iri for iri, digest in new.items() if (before := old.get(iri)) is None or before.digest != digest.digest]
    removed = [iri for iri in old if iri not in new]
    changed_set = set(changed)
    outgoing: dict[str, list[_Rel]] = defaultdict(list)
    for key in plan.relationships:
        if key[1] in changed_set:
            outgoing[key[1]].append(key)
    wanted = sorted(changed_set | set(removed) | {end for keys in outgoing.values() for _, _, end in keys})
    element_ids: dict[str, str] = {}
    for batch in _batches(wanted, batch_size):
        record = tx.run(cypher.ELEMENT_IDS, iris=list(batch)).single(strict=True)
        element_ids.update((str(iri), str(element_id)) for iri, element_id in record["pairs"])

    # The relationships now leaving the changed nodes that exist: those no longer in the data go
    # (and duplicates of those that stay), those missing are created.
    found: dict[_Rel, list[str]] = defaultdict(list)
    existing = [element_ids[iri] for iri in changed if iri in element_ids]
    types = sorted(vocab.relationship_types)
    for batch in _batches(existing, batch_size):
        record = tx.run(cypher.READ_OUTGOING, ids=list(batch), types=types).single(strict=True)
        for start, rel_type, end, rel_id in record["rows"]:
            found[(str(rel_type), str(start), str(end))].append(str(rel_id))
    rels_to_delete = [
        rel_id
        for key, rel_ids in found.items()
        for rel_id in (rel_ids if key not in plan.relationships else rel_ids[1:])
    ]
    rels_to_create = [key for iri in changed for key in outgoing[iri] if key not in found]
    stale = [element_ids[iri] for iri in removed if iri in element_ids]

    groups: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for iri in changed:
        node = plan.by_iri[iri]
        groups[node.labels].append(node.properties)
    progress.start("neo4j: loading what changed", len(rels_to_delete) + len(stale) + len(changed) + len(rels_to_create))
    return _apply(tx, progress, vocab, batch_size, rels_to_delete, stale, groups, element_ids, rels_to_create)


def _write(
    tx: Transaction,
    plan: LoadPlan,
    batch_size: int,
    progress: ProgressReporter,
    vocab: Vocabulary,
) -> Counter[str]:
    # 1. What the graph holds now: node IRIs with their element ids.
    element_ids: dict[str, str] = {}  # iri -> element id, for every node the dataset keeps
    stale: list[str] = []  # element ids of nodes the dataset no longer has
    for iri, element_id in _chunks(tx, cypher.READ_RESOURCES):
        node = plan.by_iri.get(iri)
        if node is None:
            stale.append(element_id)
        else:
            element_ids[node.iri] = element_id

    # 2. Its milcoop relationships between nodes the dataset keeps (DETACH DELETE takes care of
    # the others). On an empty graph, the usual first load, there is nothing to read.
    found: dict[_Rel, list[str]] = defaultdict(list)
    if element_ids:
        iri_of = {element_id: iri for iri, element_id in element_ids.items()}
        types = sorted(vocab.relationship_types)
        for start, rel_type, end, rel_id in _chunks(tx, cypher.READ_RELATIONSHIPS, types=types):
            start_iri, end_iri = iri_of.get(start), iri_of.get(end)
            if start_iri is not None and end_iri is not None:
                found[(rel_type, start_iri, end_iri)].append(rel_id)
    # Relationships no longer in the data go, and so do duplicates of those that stay.
    rels_to_delete = [
        rel_id
        for key, rel_ids in found.items()
        for rel_id in (rel_ids if key not in plan.relationships else rel_ids[1:])
    ]
    rels_to_create = [key for key in plan.relationships if key not in found]
    progress.start("neo4j: loading", len(rels_to_delete) + len(stale) + plan.node_count + len(rels_to_create))
    return _apply(tx, progress, vocab, batch_size, rels_to_delete, stale, plan.nodes, element_ids, rels_to_create)


def _apply(
    tx: Transaction,
    progress: ProgressReporter,
    vocab: Vocabulary,
    batch_size: int,
    rels_to_delete: Sequence[str],
    stale: Sequence[str],
    groups: dict[tuple[str, ...], list[dict[str, Any]]],
    element_ids: dict[str, str],
    rels_to_create: Sequence[_Rel],
) -> Counter[str]:
    """Write a planned change: delete relationships, then nodes (by element id, so nothing stale is
    matched by what follows); create the nodes of ``groups`` that ``element_ids`` lacks and bring
    the others to their record; then create the relationships, addressing their ends by element id."""
    writer = _Writer(tx, progress)
    for batch in _batches(rels_to_delete, batch_size):
        writer.run(cypher.DELETE_RELATIONSHIPS, {"ids": batch}, len(batch))
    for batch in _batches(stale, batch_size):
        writer.run(cypher.DELETE_NODES, {"ids": batch}, len(batch))

    new_ids: dict[str, str] = {}

    def remember(record: Record) -> None:
        new_ids.update(zip(record["iris"], record["ids"], strict=True))

    def count_changed(record: Record) -> None:
        writer.counters["changed"] += int(record["changed"])

    for labels, rows in groups.items():
        fresh = [row for row in rows if row["iri"] not in element_ids]
        query = cypher.create_nodes(labels, vocab)
        for batch in _batches(fresh, batch_size):
            writer.run(query, {"rows": batch}, len(batch), on_record=remember)
        kept = [{"id": element_ids[row["iri"]], "props": row} for row in rows if row["iri"] in element_ids]
        query = cypher.update_nodes(labels, vocab)
        for batch in _batches(kept, batch_size):
            writer.run(query, {"rows": batch}, len(batch), on_record=count_changed)
    writer.flush()
    element_ids.update(new_ids)

    by_type: dict[str, list[list[str]]] = defaultdict(list)
    for rel_type, start, end in rels_to_create:
        by_type[rel_type].append([element_ids[start], element_ids[end]])
    for rel_type, ends in by_type.items():
        query = cypher.create_relationships(rel_type, vocab)
        for batch in _batches(ends, batch_size):
            writer.run(query, {"rows": batch}, len(batch), expect_relationships=len(batch))
    writer.flush()
    return writer.counters


def _record_version(
    tx: Transaction, history: Versioning, data_version: str, batch_size: int, old: dict[str, Digest]
) -> None:
    """Record the data version and the resources that changed since the previous load (``old``:
    the digests recorded before this load)."""
    last_row = tx.run(_history.READ_LAST_VERSION).single()
    last = VersionRecord.from_dict(last_row["version"]) if last_row is not None else None
    planned = plan_version(
        old,
        history.digests,
        last,
        version=data_version,
        files=history.files,
        triples=history.triples,
        at=now_iso(),
        partition=history.partition,
    )
    if planned is None:
        return
    version, changes = planned
    tx.run(_history.CREATE_VERSION, version=version.to_dict()).consume()
    rows = [c.to_dict() for c in changes]
    for batch in _batches(rows, batch_size):
        tx.run(_history.CREATE_CHANGES, rows=batch).consume()
    upserts = [
        {"iri": c.iri, "kind": c.kind, "digest": c.after, "asserts": list(history.digests[c.iri].asserts)}
        for c in changes
        if c.after is not None
    ]
    for batch in _batches(upserts, batch_size):
        tx.run(_history.MERGE_DIGESTS, rows=batch).consume()
    removed = [c.iri for c in changes if c.after is None]
    for batch in _batches(removed, batch_size):
        tx.run(_history.DELETE_DIGESTS, iris=batch).consume()


def read_dataset_version(tx: ManagedTransaction | Transaction) -> str | None:
    """The data version recorded by the last successful load, or None."""
    record = tx.run(cypher.READ_DATASET, name=cypher.DATASET_NAME).single()
    return None if record is None else str(record["version"])
