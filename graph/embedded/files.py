"""The embedded default store: an on-disk pyoxigraph (RocksDB) RDF store. No server needed.

Layout under ``MILCOOP_DATA_DIR``::

    embedded/
      CURRENT               name of the active store folder (replaced atomically)
      store-<version>-<n>/  one pyoxigraph store per load
      store-<...>.json      what that load held: data version, triple count, time

Every fact is in the default graph. Each claim, and each quantity a claim states, is also in the
named graph of its source document, as the TriG export has it; only SPARQL reads those
(:mod:`milcoop.graph.embedded.source_graphs`). Beside them, each store holds named graphs that
no answer, export, count or SPARQL query reads: ``urn:milcoop:graph:digests`` (one digest per
resource, the state the next load compares with), ``urn:milcoop:graph:history`` (every
recorded data version and its changes, carried over from the previous store at each load; see
:mod:`milcoop.graph.changes`) and ``urn:milcoop:graph:partitions`` (which partitions each
resource belongs to, and what each partition holds; see :mod:`milcoop.graph.partitions`). One
more, ``urn:milcoop:graph:standard``, holds the PROV-O, SKOS and RDFS triples each resource's
facts entail (:mod:`milcoop.graph.standard`), which every export states: the whole N-Triples
and Turtle exports are then the store's own dump of the default graph and that one (no Python
per triple).

A load replaces one partition (the curated facts, or one register's import): the new store holds
the new facts and, copied quad for quad, every resource the other partitions hold.

A load writes a complete new store beside the active one and only then points ``CURRENT`` at
it, so a load that fails half way leaves the previous store untouched (all or nothing), and a
running server keeps reading the store it opened until it reopens. The new store is written in
one of three ways: not at all when every resource's digest is as recorded (the load is
``unchanged``); by digest, when the previous store was written by this layout (:data:`LAYOUT`):
a copy of it, its RocksDB table files linked rather than copied, in which only the resources
whose digest differs are rewritten (:meth:`EmbeddedStore.write_changes`); or whole, the first
time, after an upgrade, with blank nodes, or when asked (``--force``). After a successful switch
the store just replaced is kept (other processes may still be reading it) and older ones are
removed, so a data folder holds at most two stores between loads.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import json
import os
import shutil
import time
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pyoxigraph as ox
from rdflib import Graph
from rdflib.term import Node

from milcoop.graph.changes import (
    ChangeRecord,
    Digest,
    VersionRecord,
    digests_of_lines,
    digests_of_quads,
    now_iso,
    plan_version,
    relative_file_names,
)
from milcoop.graph.embedded.source_graphs import CLAIM_QUANTITY_TERMS, source_graph_document, write_source_graphs
from milcoop.graph.errors import LoadFailed, StoreUnavailable
from milcoop.graph.partitions import CURATED, PartitionRecord, combined_version
from milcoop.graph.rdf_source import CLAIM_QUANTITIES
from milcoop.graph.standard import fingerprint as standard_fingerprint
from milcoop.graph.standard import standard_lines
from milcoop.graph.terms import lines_by_subject, ntriples_of, to_oxigraph, to_rdflib
from milcoop.graph.writer import Facts, LoadSummary, ProgressReporter, SilentProgress

_BATCH = 50_000

#: The named graph of every resource's digest, as the last load left it.
DIGESTS = ox.NamedNode("urn:milcoop:graph:digests")
#: The named graph of the recorded data versions and their changes.
HISTORY = ox.NamedNode("urn:milcoop:graph:history")
#: The named graph of each resource's partitions and each partition's record.
PARTITIONS = ox.NamedNode("urn:milcoop:graph:partitions")
#: The named graph of the standard triples each resource's facts entail (:mod:`milcoop.graph.standard`):
#: the whole N-Triples and Turtle exports are the store's dump of its default graph and this one.
STANDARD = ox.NamedNode("urn:milcoop:graph:standard")
#: The graphs that hold milcoop's own records and derived triples, never facts.
INTERNAL_GRAPHS = frozenset({DIGESTS.value, HISTORY.value, PARTITIONS.value, STANDARD.value})
_PART_OF = ox.NamedNode("urn:milcoop:partOf")
_PARTITION_RECORD = ox.NamedNode("urn:milcoop:partitionRecord")
_DIGEST = ox.NamedNode("urn:milcoop:digest")
_VERSION = ox.NamedNode("urn:milcoop:version")
_CHANGE = ox.NamedNode("urn:milcoop:change")
#: How a load writes a store: raise it when that changes (a new kind of record, another rule for the
#: named graphs), so that the next load writes a whole new store instead of editing an old one.
LAYOUT = 2
_DEFAULT = ox.DefaultGraph()


def standard_document(*parts: Mapping[str, Sequence[str]]) -> str:
    """The standard triples of every resource in ``parts`` (its ``<predicate> object`` lines by
    subject, as :func:`~milcoop.graph.terms.lines_by_subject` cuts them), as an N-Quads document in
    :data:`STANDARD`. A resource whose lines are split between parts is taken whole."""
    graph = f"<{STANDARD.value}>"
    split = set[str]().union(*(part.keys() & other.keys() for i, part in enumerate(parts) for other in parts[i + 1 :]))
    merged: dict[str, list[str]] = {}
    out: list[str] = []
    for part in parts:
        for iri, lines in part.items():
            if iri in split:
                own = merged.setdefault(iri, [])
                own.extend(line for line in lines if line not in own)
                continue
            out.extend([f"<{iri}> {line} {graph} ." for line in standard_lines(lines)])
    for iri, lines in merged.items():
        out.extend([f"<{iri}> {line} {graph} ." for line in standard_lines(lines)])
    return "\n".join(out)


def _load_node(seq: int) -> ox.NamedNode:
    return ox.NamedNode(f"urn:milcoop:load/{seq}")


def _partition_node(name: str) -> ox.NamedNode:
    return ox.NamedNode(f"urn:milcoop:partition/{name}")


@dataclass
class PartitionPlan:
    """What replacing one partition keeps of the store (see :mod:`milcoop.graph.partitions`)."""

    partition: str
    #: Every default-graph quad of the resources the other partitions keep.
    kept_quads: list[ox.Quad]
    #: The partitions of every resource after the replacement.
    members: dict[str, set[str]]
    #: Every partition's record after the replacement.
    records: dict[str, PartitionRecord]
    #: The partitions of every resource before it (empty when the store was empty).
    members_before: dict[str, set[str]] = field(default_factory=dict)

    @property
    def data_version(self) -> str:
        """The store's data version after the replacement."""
        return combined_version({name: record.version for name, record in self.records.items()})

    def kept_triples(self) -> Graph:
        """The kept quads as an rdflib graph (what Neo4j is given beside the new facts)."""
        graph = Graph()
        for quad in self.kept_quads:
            graph.add((to_rdflib(quad.subject), to_rdflib(quad.predicate), to_rdflib(quad.object)))  # type: ignore[arg-type]
        return graph


def _folder_name(data_version: str) -> str:
    """The name of a new store folder: its data version, and a time that no other load shares."""
    return f"store-{data_version}-{time.time_ns()}"


@contextmanager
def _all_or_nothing(path: Path) -> Iterator[None]:
    """Writing the new store folder ``path``: if anything fails, it is removed and the load fails
    saying the active store (which nothing here touches) is as it was."""
    try:
        yield
    except Exception as exc:
        shutil.rmtree(path, ignore_errors=True)
        raise LoadFailed(f"writing the embedded store failed; the previous store is untouched: {exc}") from exc


def _copy_store(source: Path, target: Path) -> None:
    """A copy of the closed store folder ``source`` at ``target``: RocksDB's table files (``.sst``,
    never changed once written) linked, everything else (the manifest, the logs) copied, so that
    writing the copy leaves ``source`` exactly as its readers see it."""
    target.mkdir()
    for entry in source.iterdir():
        if entry.is_dir():
            shutil.copytree(entry, target / entry.name)
        elif entry.suffix == ".sst":
            try:
                os.link(entry, target / entry.name)
            except OSError:  # a file system without hard links
                shutil.copy2(entry, target / entry.name)
        else:
            shutil.copy2(entry, target / entry.name)


@dataclass
class StoreEdit:
    """What one load changes in the store it copies (:meth:`EmbeddedStore.write_changes`)."""

    #: The store folder the load starts from.
    previous: Path
    #: Its default graph's triple count.
    triples: int
    #: Every resource added, removed or changed.
    changes: Sequence[ChangeRecord]
    #: The new facts, and what the store keeps of other partitions, by subject
    #: (:func:`~milcoop.graph.terms.lines_by_subject`).
    lines: Mapping[str, Sequence[str]]
    kept_lines: Mapping[str, Sequence[str]]
    #: Every resource's digest after the load.
    digests: Mapping[str, Digest]
    #: Every resource's partitions before the load.
    members: Mapping[str, set[str]]
    plan: PartitionPlan

    def _own_lines(self, iri: str) -> Sequence[str]:
        return self.lines.get(iri) or self.kept_lines.get(iri) or ()

    def apply(self, store: ox.Store) -> int:
        """Change the copy ``store`` into the store after the load; its default graph's count."""
        gone = {c.iri for c in self.changes if c.change != "added"}
        fresh = {c.iri for c in self.changes if c.change != "removed"}
        # A quantity's named graph is its claim's source: one whose claim changed may move.
        moved: set[str] = set()
        for iri in gone:
            for predicate in CLAIM_QUANTITIES:
                for quad in store.quads_for_pattern(ox.NamedNode(iri), predicate, None, _DEFAULT):
                    if isinstance(quad.object, ox.NamedNode):
                        moved.add(quad.object.value)
        for iri in fresh:
            for line in self._own_lines(iri):
                term, _, obj = line.partition(" ")
                if term in CLAIM_QUANTITY_TERMS and obj.startswith("<"):
                    moved.add(obj[1:-1])
        moved -= gone
        after = self.plan.members
        regrouped = {iri for iri in after.keys() | self.members.keys() if after.get(iri) != self.members.get(iri)}
        removed = 0
        doomed: list[ox.Quad] = []
        for iri in gone | moved | regrouped:
            for quad in store.quads_for_pattern(ox.NamedNode(iri), None, None, None):
                graph = quad.graph_name
                if graph == HISTORY:
                    continue
                if iri in gone:
                    pass  # everything of a resource that changed or went
                elif iri in moved and not (isinstance(graph, ox.DefaultGraph) or graph.value in INTERNAL_GRAPHS):
                    pass  # the named-graph copy of a quantity whose claim changed
                elif iri in regrouped and graph == PARTITIONS and quad.predicate == _PART_OF:
                    pass
                else:
                    continue
                removed += isinstance(graph, ox.DefaultGraph)
                doomed.append(quad)
        doomed.extend(store.quads_for_pattern(None, _PARTITION_RECORD, None, PARTITIONS))
        for quad in doomed:
            store.remove(quad)
        own = {iri: self._own_lines(iri) for iri in sorted(fresh)}
        added = "\n".join(f"<{iri}> {line} ." for iri, lines in own.items() for line in lines)
        store.bulk_load(added, format=ox.RdfFormat.N_TRIPLES)
        # Their standard triples, as a whole load writes them (a resource that went took its own).
        store.bulk_load(standard_document(own), format=ox.RdfFormat.N_QUADS)
        inserted = sum(len(lines) for lines in own.values())
        # The named graphs of the claims and quantities that are new or moved, decided as a whole
        # load decides them: with every claim that states each such quantity beside it.
        placed = {iri for iri in fresh | moved if self._own_lines(iri)}
        for iri in list(placed):
            node = ox.NamedNode(iri)
            for predicate in CLAIM_QUANTITIES:
                for quad in store.quads_for_pattern(None, predicate, node, _DEFAULT):
                    if isinstance(quad.subject, ox.NamedNode):
                        placed.add(quad.subject.value)
        store.bulk_load(
            source_graph_document(store, {iri: self._own_lines(iri) for iri in placed}), format=ox.RdfFormat.N_QUADS
        )
        records = [
            ox.Quad(ox.NamedNode(iri), _DIGEST, ox.Literal(self.digests[iri].to_json()), DIGESTS) for iri in fresh
        ]
        records += [
            ox.Quad(ox.NamedNode(iri), _PART_OF, ox.Literal(name), PARTITIONS)
            for iri in sorted((fresh | regrouped) & after.keys())
            for name in sorted(after[iri])
        ]
        records += [
            ox.Quad(_partition_node(name), _PARTITION_RECORD, ox.Literal(json.dumps(r.to_dict())), PARTITIONS)
            for name, r in self.plan.records.items()
        ]
        store.bulk_extend(records)
        return self.triples - removed + inserted


def _same_records(planned: Mapping[str, PartitionRecord], held: Mapping[str, PartitionRecord]) -> bool:
    """Whether the partitions' records after a load equal those the store holds, but for the
    time each was written."""
    if planned.keys() != held.keys():
        return False
    return all(dataclasses.replace(record, at=held[name].at) == held[name] for name, record in planned.items())


@dataclass(frozen=True)
class StoreInfo:
    """What the active store holds."""

    data_version: str
    triples: int
    loaded_at: str
    #: :data:`LAYOUT` when a load wrote the store with every resource's digest (and no blank node),
    #: so that the next load may copy it and change only what differs; 0 otherwise.
    layout: int = 0
    #: The :func:`~milcoop.graph.standard.fingerprint` of the standard triples the store keeps in
    #: :data:`STANDARD` beside every resource; "" when it keeps none (then an export states them).
    standard: str = ""

    @property
    def standard_current(self) -> bool:
        """Whether the store keeps every resource's standard triples, by the ontology as it is now."""
        return bool(self.standard) and self.standard == standard_fingerprint()


class EmbeddedStore:
    """A read handle on the active embedded store. Open it with :meth:`open`."""

    def __init__(self, store: ox.Store, info: StoreInfo, path: Path) -> None:
        self.store = store
        self.info = info
        self.path = path

    # -- opening ---------------------------------------------------------------------------

    @staticmethod
    def root(data_dir: Path) -> Path:
        return Path(data_dir) / "embedded"

    @classmethod
    def current_path(cls, data_dir: Path) -> Path | None:
        """The active store folder, or None when nothing was ever loaded."""
        pointer = cls.root(data_dir) / "CURRENT"
        if not pointer.is_file():
            return None
        path = cls.root(data_dir) / pointer.read_text(encoding="utf-8").strip()
        return path if path.is_dir() else None

    @classmethod
    def exists(cls, data_dir: Path) -> bool:
        """Whether a load has completed in ``data_dir``."""
        return cls.current_path(data_dir) is not None

    @classmethod
    def open(cls, data_dir: Path) -> EmbeddedStore:
        """Open the active store read-only. Raises StoreUnavailable when there is none."""
        path = cls.current_path(data_dir)
        if path is None:
            raise StoreUnavailable(f"the embedded store in {cls.root(data_dir)} is empty: run `milcoop load` first")
        try:
            store = ox.Store.read_only(str(path))
        except OSError as exc:
            raise StoreUnavailable(f"cannot open the embedded store at {path}: {exc}") from exc
        return cls(store, cls._read_info(path), path)

    @staticmethod
    def _read_info(path: Path) -> StoreInfo:
        meta = path.with_suffix(".json")
        try:
            data = json.loads(meta.read_text(encoding="utf-8"))
            return StoreInfo(
                str(data["data_version"]),
                int(data["triples"]),
                str(data["loaded_at"]),
                int(data.get("layout") or 0),
                str(data.get("standard") or ""),
            )
        except (OSError, ValueError, KeyError) as exc:
            raise StoreUnavailable(f"the embedded store's description {meta} is missing or damaged: {exc}") from exc

    # -- reading ---------------------------------------------------------------------------

    def select(self, query: str, bindings: Mapping[str, Node] | None = None) -> list[dict[str, Node]]:
        """Run a SELECT query with values bound as parameters (SEP-0007 substitutions).

        Query text is always a constant; request values only ever arrive through ``bindings``.
        Oxigraph substitutes only variables that the query projects, so every bound variable
        must appear in the SELECT clause.
        """
        substitutions: dict[ox.Variable, ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple] = {
            ox.Variable(name): to_oxigraph(value) for name, value in (bindings or {}).items()
        }
        solutions = self.store.query(query, substitutions=substitutions)
        if not isinstance(solutions, ox.QuerySolutions):
            raise TypeError("select() needs a SELECT query")
        names = [v.value for v in solutions.variables]
        rows = []
        for solution in solutions:
            row: dict[str, Node] = {}
            for name in names:
                value = solution[name]
                if value is not None:
                    row[name] = to_rdflib(value)
            rows.append(row)
        return rows

    def triples(self) -> Iterator[tuple[Node, Node, Node]]:
        """Every triple of the default graph, as rdflib terms."""
        for quad in self.store.quads_for_pattern(None, None, None, ox.DefaultGraph()):
            yield to_rdflib(quad.subject), to_rdflib(quad.predicate), to_rdflib(quad.object)

    def __len__(self) -> int:
        return self.info.triples

    # -- versions and changes (milcoop.graph.changes) ----------------------------------------------

    def _records(self, predicate: ox.NamedNode) -> Iterator[dict[str, object]]:
        for quad in self.store.quads_for_pattern(None, predicate, None, HISTORY):
            if isinstance(quad.object, ox.Literal):
                yield json.loads(quad.object.value)

    def data_versions(self) -> list[VersionRecord]:
        """Every recorded data version, in load order."""
        return sorted((VersionRecord.from_dict(r) for r in self._records(_VERSION)), key=lambda v: v.seq)

    def changes_after(self, seq: int) -> list[ChangeRecord]:
        """Every change recorded by loads after ``seq``, in load order, then by IRI."""
        found = (ChangeRecord.from_dict(r) for r in self._records(_CHANGE))
        return sorted((c for c in found if c.seq > seq), key=lambda c: (c.seq, c.iri))

    def resource_digests(self) -> dict[str, Digest]:
        """Every resource's digest; computed from the facts for a store written before digests
        were recorded."""
        found = {
            quad.subject.value: Digest.from_json(quad.object.value)
            for quad in self.store.quads_for_pattern(None, _DIGEST, None, DIGESTS)
            if isinstance(quad.subject, ox.NamedNode) and isinstance(quad.object, ox.Literal)
        }
        if found or self.data_versions():
            return found
        return digests_of_quads(self.store.quads_for_pattern(None, None, None, ox.DefaultGraph()))

    def history_quads(self) -> list[ox.Quad]:
        """The history graph's quads, to carry over into the next store."""
        return list(self.store.quads_for_pattern(None, None, None, HISTORY))

    # -- partitions (milcoop.graph.partitions) ------------------------------------------------------

    def partition_records(self) -> dict[str, PartitionRecord]:
        """What each partition holds; a store written before partitions holds only the curated facts."""
        found = {}
        for quad in self.store.quads_for_pattern(None, _PARTITION_RECORD, None, PARTITIONS):
            if isinstance(quad.object, ox.Literal):
                record = PartitionRecord.from_dict(json.loads(quad.object.value))
                found[record.name] = record
        if found:
            return found
        info = self.info
        return {CURATED: PartitionRecord(CURATED, info.data_version, info.loaded_at, triples=info.triples)}

    def memberships(self) -> dict[str, set[str]]:
        """Each resource's partitions (every resource is curated in a store written before partitions)."""
        members: dict[str, set[str]] = {}
        for quad in self.store.quads_for_pattern(None, _PART_OF, None, PARTITIONS):
            if isinstance(quad.subject, ox.NamedNode) and isinstance(quad.object, ox.Literal):
                members.setdefault(quad.subject.value, set()).add(quad.object.value)
        return members

    def _subjects(self) -> set[str]:
        return {
            quad.subject.value
            for quad in self.store.quads_for_pattern(None, None, None, ox.DefaultGraph())
            if isinstance(quad.subject, ox.NamedNode)
        }

    def partition_subjects(self, partition: str) -> frozenset[str]:
        """The resources ``partition`` holds now."""
        return frozenset(iri for iri, parts in self._members_or_curated().items() if partition in parts)

    def _members_or_curated(self) -> dict[str, set[str]]:
        members = self.memberships()
        if members:
            return members
        return {iri: {CURATED} for iri in self._subjects()}

    def plan_replacement(self, partition: str, new_subjects: set[str], record: PartitionRecord) -> PartitionPlan:
        """What the store keeps when ``partition`` is replaced by facts about ``new_subjects``."""
        members = self._members_or_curated()
        kept = {iri for iri, parts in members.items() if parts - {partition} and iri not in new_subjects}
        kept_quads = [
            quad
            for iri in sorted(kept)
            for quad in self.store.quads_for_pattern(ox.NamedNode(iri), None, None, ox.DefaultGraph())
        ]
        after: dict[str, set[str]] = {iri: members[iri] - {partition} for iri in kept}
        for iri in new_subjects:
            after[iri] = (members.get(iri, set()) - {partition}) | {partition}
        records = {name: r for name, r in self.partition_records().items() if name != partition}
        # A partition none of whose resources are kept is gone (its resources all went with it).
        held = {name for parts in after.values() for name in parts}
        records = {name: r for name, r in records.items() if name in held}
        records[partition] = record
        return PartitionPlan(partition, kept_quads, after, records, members)

    # -- writing ---------------------------------------------------------------------------

    @classmethod
    def plan_for(
        cls,
        data_dir: Path,
        facts: Facts,
        subjects: Collection[str] | None = None,
        *,
        previous: EmbeddedStore | Literal[False] | None = False,
    ) -> PartitionPlan:
        """What replacing ``facts``' partition keeps of the active store (nothing when there is
        none). ``subjects``, the facts' IRI subjects, and ``previous``, the active store already
        open (None: there is none), spare reading them again when known."""
        partition = getattr(facts, "partition", CURATED)
        if subjects is None:
            subjects = {q.subject.value for q in facts.quads() if isinstance(q.subject, ox.NamedNode)}
        subjects = set(subjects)
        record = PartitionRecord(
            partition,
            facts.version,
            now_iso(),
            files=tuple(relative_file_names(getattr(facts, "files", ()))),
            resources=len(subjects),
            triples=len(facts.graph),
            release=dict(getattr(facts, "release", None) or {}),
            inputs=str(getattr(facts, "inputs", "") or ""),
        )
        if previous is False:
            previous = cls._previous(data_dir)
        if previous is None:
            return PartitionPlan(partition, [], {iri: {partition} for iri in subjects}, {partition: record})
        return previous.plan_replacement(partition, subjects, record)

    @classmethod
    def _previous(cls, data_dir: Path) -> EmbeddedStore | None:
        if not cls.exists(data_dir):
            return None
        try:
            return cls.open(data_dir)
        except StoreUnavailable:
            return None  # a damaged store is replaced and its history lost with it

    @classmethod
    def replace_contents(
        cls, data_dir: Path, facts: Facts, progress: ProgressReporter | None = None, *, verify: bool = False
    ) -> LoadSummary:
        """Replace ``facts``' partition (:mod:`milcoop.graph.partitions`) of the active store with
        exactly ``facts``' graph, keeping the other partitions, atomically; and record the data
        version and what changed since the previous load (:mod:`milcoop.graph.changes`).

        When the store already holds exactly these facts (every resource's digest and the data
        version as recorded, the partitions' records but for their time), nothing is written and
        the summary says ``unchanged``: the active store folder, and the export snapshots kept
        beside it, stay. ``verify`` (``milcoop load --force``) trusts no record and writes a whole
        new store: the way to rebuild one written by an older milcoop, or changed behind its back."""
        started = time.perf_counter()
        quads = facts.quads()
        lines = lines_by_subject(facts.ntriples())
        previous = cls._previous(data_dir)
        plan = cls.plan_for(data_dir, facts, lines.keys(), previous=previous)
        old: dict[str, Digest] = previous.resource_digests() if previous is not None else {}
        versions = previous.data_versions() if previous is not None else []
        kept_lines = lines_by_subject(ntriples_of(plan.kept_quads)) if plan.kept_quads else {}
        new = digests_of_lines(lines)
        kept_digests = {iri: old[iri] for iri in kept_lines if iri in old}
        kept_digests.update(digests_of_lines({iri: own for iri, own in kept_lines.items() if iri not in kept_digests}))
        new.update(kept_digests)
        data_version = plan.data_version
        planned = plan_version(
            old, new, versions[-1] if versions else None,
            version=data_version, files=relative_file_names(getattr(facts, "files", ())),
            triples=len(facts.graph) + len(plan.kept_quads), at=now_iso(), partition=plan.partition,
        )
        if (
            previous is not None
            and planned is None
            and not verify
            and _same_records(plan.records, previous.partition_records())
        ):
            return LoadSummary(
                backend="embedded",
                data_version=data_version,
                seconds=time.perf_counter() - started,
                triples=previous.info.triples,
                unchanged=True,
            )
        history: list[ox.Quad] = []
        changes: list[ChangeRecord] = []
        if planned is not None:
            version, changes = planned
            node = _load_node(version.seq)
            history.append(ox.Quad(node, _VERSION, ox.Literal(json.dumps(version.to_dict())), HISTORY))
            history.extend(ox.Quad(node, _CHANGE, ox.Literal(json.dumps(c.to_dict())), HISTORY) for c in changes)
        # Blank nodes have no digest, so only a store without them can be edited by digest ("_:" in a
        # literal only sends the load the longer way).
        complete = "_:" not in facts.ntriples() and not any(iri.startswith("_:") for iri in kept_lines)
        progress = progress or SilentProgress()
        if (
            previous is not None
            and previous.info.layout == LAYOUT
            and previous.info.standard_current
            and not verify
            and complete
            and set(kept_lines) <= set(old)
        ):
            edit = StoreEdit(
                previous.path, previous.info.triples, changes, lines, kept_lines, new, plan.members_before, plan
            )
            return cls.write_changes(data_dir, edit, history, progress)
        records = [ox.Quad(ox.NamedNode(iri), _DIGEST, ox.Literal(d.to_json()), DIGESTS) for iri, d in new.items()]
        records += [
            ox.Quad(ox.NamedNode(iri), _PART_OF, ox.Literal(name), PARTITIONS)
            for iri, parts in plan.members.items()
            for name in sorted(parts)
        ]
        records += [
            ox.Quad(_partition_node(name), _PARTITION_RECORD, ox.Literal(json.dumps(r.to_dict())), PARTITIONS)
            for name, r in plan.records.items()
        ]
        carried = previous.history_quads() if previous is not None else []
        return cls.replace_with_quads(
            data_dir, quads, len(quads) + len(plan.kept_quads), data_version, progress,
            extra_quads=[*carried, *records, *history], kept_quads=plan.kept_quads, written_lines=(lines, kept_lines),
            layout=LAYOUT if complete else 0,
        )

    @classmethod
    def write_changes(
        cls, data_dir: Path, edit: StoreEdit, history: Sequence[ox.Quad], progress: ProgressReporter
    ) -> LoadSummary:
        """Make a copy of the previous store with only what ``edit`` changes, and switch to it
        (all or nothing, as :meth:`replace_with_quads`): the cost follows the change, not the store.

        The copy links the previous folder's table files, which RocksDB never changes once written,
        and copies the rest; the previous folder stays as it was for its readers. In the copy, every
        quad of a resource that changed or went is removed (its facts, its named-graph copy, its
        digest and memberships), the new ones are added, the quantities whose claim changed are put
        in their graphs again, and the records follow. The result holds exactly what writing the
        whole store would (tests/graph/test_embedded.py compares the two)."""
        started = time.perf_counter()
        root = cls.root(data_dir)
        data_version = edit.plan.data_version
        name = _folder_name(data_version)
        path = root / name
        progress.start("embedded store: writing what changed", max(len(edit.changes), 1))
        with _all_or_nothing(path):
            _copy_store(edit.previous, path)
            store = ox.Store(str(path))
            stored = edit.apply(store)
            store.bulk_extend(history)
            store.flush()
            del store
        progress.advance(max(len(edit.changes), 1))
        progress.finish()
        cls._switch(root, name, data_version, stored, LAYOUT, standard_fingerprint())
        return LoadSummary(
            backend="embedded", data_version=data_version, seconds=time.perf_counter() - started, triples=stored,
            method="by digest",
        )

    @classmethod
    def replace_with_triples(
        cls,
        data_dir: Path,
        triples: Iterable[tuple[Node, Node, Node]],
        total: int,
        data_version: str,
        progress: ProgressReporter,
        *,
        extra_quads: Sequence[ox.Quad] = (),
        kept_quads: Sequence[ox.Quad] = (),
    ) -> LoadSummary:
        """Write rdflib ``triples`` to a new store and make it the active one (all or nothing);
        see :meth:`replace_with_quads`. The triples are converted as they stream, so a generator
        of many millions (the benchmarks') is never held in memory whole."""
        default = ox.DefaultGraph()
        quads = (
            ox.Quad(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o), default)  # type: ignore[arg-type]
            for s, p, o in triples
        )
        return cls.replace_with_quads(
            data_dir, quads, total, data_version, progress, extra_quads=extra_quads, kept_quads=kept_quads
        )

    @classmethod
    def replace_with_quads(
        cls,
        data_dir: Path,
        quads: Iterable[ox.Quad],
        total: int,
        data_version: str,
        progress: ProgressReporter,
        *,
        extra_quads: Sequence[ox.Quad] = (),
        kept_quads: Sequence[ox.Quad] = (),
        written_lines: Sequence[Mapping[str, Sequence[str]]] = (),
        layout: int = 0,
    ) -> LoadSummary:
        """Write default-graph ``quads`` to a new store and make it the active one (all or nothing).

        ``kept_quads`` (default-graph quads copied from the previous store: the other partitions'
        facts) are written as they are; ``extra_quads`` (milcoop's own records, in named graphs)
        are written beside them and not counted as triples. ``written_lines``, when given, are
        ``quads`` and ``kept_quads`` grouped by :func:`~milcoop.graph.terms.lines_by_subject`
        (a load has them already); the claims' named graphs are found in them instead of being
        read back from the store."""
        started = time.perf_counter()
        root = cls.root(data_dir)
        root.mkdir(parents=True, exist_ok=True)
        name = _folder_name(data_version)
        path = root / name
        progress.start("embedded store: writing triples", total)
        written = 0
        with _all_or_nothing(path):
            store = ox.Store(str(path))
            stream = iter(quads)
            while batch := list(itertools.islice(stream, _BATCH)):
                store.bulk_extend(batch)
                written += len(batch)
                progress.advance(len(batch))
            for start in range(0, len(kept_quads), _BATCH):
                chunk = kept_quads[start : start + _BATCH]
                store.bulk_extend(chunk)
                progress.advance(len(chunk))
            store.flush()
            stored = len(store)
            # The claims again in their sources' graphs (not counted as triples); a stream (the
            # benchmarks' millions) comes without its lines and is read back instead.
            write_source_graphs(store, *written_lines)
            # Each resource's standard triples, from its lines: only for a store without blank
            # nodes (the lines leave them out); a stream (the benchmarks') has none either.
            standard = ""
            if written_lines and layout:
                store.bulk_load(standard_document(*written_lines), format=ox.RdfFormat.N_QUADS)
                standard = standard_fingerprint()
            if extra_quads:
                store.bulk_extend(extra_quads)
            store.flush()
            del store
        progress.finish()
        cls._switch(root, name, data_version, stored, layout, standard)
        return LoadSummary(
            backend="embedded",
            data_version=data_version,
            seconds=time.perf_counter() - started,
            triples=stored,
        )

    @classmethod
    def _switch(cls, root: Path, name: str, data_version: str, triples: int, layout: int, standard: str = "") -> None:
        """Describe the store folder ``name`` and make it the active one."""
        loaded_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        described = {
            "data_version": data_version,
            "triples": triples,
            "loaded_at": loaded_at,
            "layout": layout,
            "standard": standard,
        }
        (root / name).with_suffix(".json").write_text(json.dumps(described), encoding="utf-8")
        # The switch: write the pointer beside the old one and rename over it (atomic on POSIX).
        pointer = root / "CURRENT"
        previous = pointer.read_text(encoding="utf-8").strip() if pointer.exists() else ""
        pointer_tmp = root / "CURRENT.tmp"
        pointer_tmp.write_text(name, encoding="utf-8")
        os.replace(pointer_tmp, pointer)
        # The store just replaced stays until the next switch: readers in other processes (the
        # API's workers, SPARQL's) hold it open until they see the new pointer, within a second.
        cls._remove_old_stores(root, keep={name, previous} - {""})

    @staticmethod
    def _remove_old_stores(root: Path, keep: set[str]) -> None:
        kept = keep | {f"{name}.json" for name in keep}
        for entry in root.iterdir():
            if entry.name.startswith("store-") and entry.name not in kept:
                if entry.is_dir():
                    shutil.rmtree(entry, ignore_errors=True)
                else:
                    entry.unlink(missing_ok=True)
