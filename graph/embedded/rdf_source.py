"""The export's source over the embedded store: its subject-ordered index, one block per subject."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence
from operator import attrgetter
from pathlib import Path
from typing import IO, cast

import pyoxigraph as ox

from milcoop.graph.embedded.files import STANDARD, EmbeddedStore
from milcoop.graph.embedded.source_graphs import block_in
from milcoop.graph.rdf_source import (
    EVENT_CLASSES,
    RDF_TYPE,
    RdfSource,
    Referrers,
    StoreDump,
    Subject,
    SubjectBlock,
    date_of,
)

_DEFAULT = ox.DefaultGraph()
#: The formats in which two documents one after the other are one document (a second Turtle
#: document may declare its prefixes again).
_CONCATENABLE = frozenset({ox.RdfFormat.N_TRIPLES, ox.RdfFormat.TURTLE})
_COUNT_STANDARD = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{STANDARD.value}> {{ ?s ?p ?o }} }}"


class EmbeddedSource(RdfSource):
    """The embedded pyoxigraph store, read through its subject-ordered index (flat memory)."""

    def __init__(self, store: EmbeddedStore) -> None:
        self._store = store
        self._ox = store.store
        self.data_version = store.info.data_version
        self.issued = date_of(store.info.loaded_at)
        # A store folder is written once and never changed, so a whole-dataset export of it can be
        # kept and replayed (see graph.export.Snapshots).
        self.snapshot_key = store.path.name
        self.snapshot_root: Path | None = store.path.parent / "exports"

    @classmethod
    def open(cls, data_dir: Path) -> EmbeddedSource:
        return cls(EmbeddedStore.open(data_dir))

    def blocks(self) -> Iterator[SubjectBlock]:
        # The default graph's SPO index returns each subject's quads next to each other.
        quads = self._ox.quads_for_pattern(None, None, None, _DEFAULT)
        for subject, group in itertools.groupby(quads, key=attrgetter("subject")):
            yield self._block(cast(Subject, subject), list(group))

    def dump_writer(self, fmt: ox.RdfFormat, prefixes: Mapping[str, str] | None = None) -> StoreDump | None:
        # The default graph holds the facts and STANDARD their standard triples, when the load
        # wrote them by the ontology as it is now: the two graphs' dumps are the whole export, in
        # a format whose documents may follow one another.
        if fmt not in _CONCATENABLE or not self._store.info.standard_current:
            return None
        store, recorded = self._ox, self._store.info.triples

        def write(out: IO[bytes]) -> None:
            for graph in (_DEFAULT, STANDARD):
                store.dump(out, fmt, from_graph=graph, prefixes=dict(prefixes or {}))

        def count() -> int:
            # The default graph's count is recorded; the standard graph's is counted in Rust, in
            # about 1 % of the dump's time.
            [row] = cast(ox.QuerySolutions, store.query(_COUNT_STANDARD))
            return recorded + int(cast(ox.Literal, row["n"]).value)

        return StoreDump(write, count)

    def event_blocks(self) -> Iterator[SubjectBlock]:
        for cls in EVENT_CLASSES:
            for quad in self._ox.quads_for_pattern(None, RDF_TYPE, cls, _DEFAULT):
                subject = cast(Subject, quad.subject)
                yield self._block(subject, list(self._ox.quads_for_pattern(subject, None, None, _DEFAULT)))

    def describe(self, subjects: Sequence[ox.NamedNode]) -> list[SubjectBlock]:
        out = []
        for subject in subjects:
            quads = list(self._ox.quads_for_pattern(subject, None, None, _DEFAULT))
            if quads:
                out.append(self._block(subject, quads))
        return out

    def referrers(self, objects: Sequence[ox.NamedNode], predicate: ox.NamedNode) -> Referrers:
        return [
            (obj, quad.subject)
            for obj in objects
            for quad in self._ox.quads_for_pattern(None, predicate, obj, _DEFAULT)
            if isinstance(quad.subject, ox.NamedNode)
        ]

    def _block(self, subject: Subject, quads: list[ox.Quad]) -> SubjectBlock:
        # The same claim source the store's named graphs were written with (source_graphs.py).
        return block_in(self._ox, subject, quads)
