"""The RDF export: six formats, streamed subject by subject, with filters and a dataset description.

``export(source, fmt, flt)`` yields bytes as it reads: the exporting process holds one chunk of
subjects (a few thousand triples) at a time, whatever the size of the graph. The package, by job:

* :mod:`.formats`: the formats (:data:`FORMATS`) and content negotiation (:func:`format_for`);
* :mod:`.context`: the prefixes and the JSON-LD ``@context`` (``ontology/context.jsonld``);
* :mod:`.selection`: :class:`ExportFilter` and the subjects a filtered export holds;
* :mod:`.description`: the VoID/DCAT triples that end every export;
* :mod:`.writers`: the six serializers and :func:`serialize_blocks` (with :mod:`.pipe`, which
  turns a pyoxigraph ``serialize`` call into an iterator of chunks), and :func:`serialize_dump`,
  which streams a store's own dump (the embedded store's whole N-Triples and Turtle exports);
* :mod:`.snapshots`: whole exports of an immutable store folder, kept and replayed;
* :mod:`milcoop.graph.standard`: the PROV-O, SKOS and RDFS triples the ontology's declarations
  entail, added to every subject (a partner needs no reasoner to read ``prov:wasDerivedFrom``);
* :mod:`.describe`: one resource's description, as its dereferenced IRI answers it.

Named graphs (TriG, N-Quads): a claim and the quantity it states go in the graph of the source
document the analyst read, ``https://w3id.org/milcoop/graph/{source id}``; everything else (facts,
reference data, the taxonomy, the dataset description) is in the default graph. See docs/rdf.md.

Filters (:class:`ExportFilter`) select events and the claims behind them; the export then holds
the matching events with every property, their claims that pass the claim filters, those claims'
quantities, the breaches of the events, and every resource they reference, each whole.

The last triples describe the export (VoID and DCAT): title, data version, licence, the day the
data was loaded, the triple count and the ontology it conforms to, with its version IRI. They are
a function of the data version and the load day only, so two exports of the same load agree.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence

import pyoxigraph as ox

from milcoop.graph.export.context import (
    CONTEXT_FILE,
    CONTEXT_PATH,
    ENTITY_KINDS,
    JSONLD_PREFIXES,
    TURTLE_PREFIXES,
    VOCABULARY_PREFIXES,
    build_context,
    published_context,
    write_context,
)
from milcoop.graph.export.derived import DERIVED, Consolidation, parse_derived
from milcoop.graph.export.description import (
    DATASET_DESCRIPTION,
    DATASET_TITLE,
    DCAT_VERSION,
    DatasetLinks,
    data_licence,
    description_triples,
)
from milcoop.graph.export.formats import FORMATS, ExportError, RdfFormat, format_for, format_named, negotiate
from milcoop.graph.export.selection import LOOKUP_BATCH, ExportFilter, select_blocks
from milcoop.graph.export.snapshots import Snapshots
from milcoop.graph.export.writers import (
    CHUNK_TRIPLES,
    DUMP_FORMATS,
    ExportStats,
    blocks_of,
    serialize_blocks,
    serialize_dump,
)
from milcoop.graph.rdf_source import RdfSource, SubjectBlock, graph_of
from milcoop.graph.standard import standard_quads, standard_triples, with_standard_terms

__all__ = [
    "CHUNK_TRIPLES",
    "CONTEXT_FILE",
    "CONTEXT_PATH",
    "DATASET_DESCRIPTION",
    "DATASET_TITLE",
    "DCAT_VERSION",
    "DERIVED",
    "ENTITY_KINDS",
    "FORMATS",
    "JSONLD_PREFIXES",
    "LOOKUP_BATCH",
    "TURTLE_PREFIXES",
    "VOCABULARY_PREFIXES",
    "Consolidation",
    "DatasetLinks",
    "ExportError",
    "ExportFilter",
    "ExportStats",
    "RdfFormat",
    "Snapshots",
    "blocks_of",
    "build_context",
    "data_licence",
    "description_triples",
    "export",
    "format_for",
    "format_named",
    "graph_of",
    "negotiate",
    "parse_derived",
    "published_context",
    "select_blocks",
    "serialize_blocks",
    "serialize_dump",
    "standard_quads",
    "standard_triples",
    "with_standard_terms",
    "write_context",
]


def export(
    source: RdfSource,
    fmt: RdfFormat,
    flt: ExportFilter | None = None,
    stats: ExportStats | None = None,
    *,
    snapshots: bool = True,
    derived: Sequence[str] = (),
    links: DatasetLinks | None = None,
) -> Iterator[bytes]:
    """Stream ``source`` (or a filter's selection of it) as ``fmt``, ending with the description.

    ``derived`` (names in :data:`DERIVED`, see :func:`parse_derived`) adds derived triples after
    the facts and before the description, in the default graph (:mod:`.derived`); without it the
    export holds the facts alone.

    An unfiltered export of a source that allows it (the embedded store) is kept as a snapshot
    and later replayed from disk (see :class:`Snapshots`); ``snapshots=False`` always reads the
    store. An export with derived triples is always read from the store. ``links`` (where the
    deployment serves the SPARQL endpoint and the dumps) go into the description.
    """
    stats = stats if stats is not None else ExportStats()

    def description(s: ExportStats) -> list[ox.Triple]:
        return description_triples(source.data_version, source.issued, s.triples, flt, links)

    def blocks() -> Iterator[SubjectBlock]:
        selected = select_blocks(source, flt)
        if "consolidated" in derived:
            selected = _then_derived(selected, Consolidation())
        # Every subject also in PROV-O, SKOS and RDFS terms, as the ontology declares (.standard).
        return with_standard_terms(selected)

    whole = (flt is None or flt.is_empty) and not derived

    def from_store() -> Iterator[bytes]:
        # A whole export straight from the store's own dump where it can (the embedded store's
        # N-Triples and Turtle): the same triples, without one Python object per triple.
        dumped = DUMP_FORMATS.get(fmt.name) if whole else None
        dump = source.dump_writer(*dumped) if dumped is not None else None
        if dump is not None:
            return serialize_dump(dump, fmt, stats, description)
        return serialize_blocks(blocks(), fmt, stats, description)

    if not (snapshots and whole and source.snapshot_key and source.snapshot_root):
        return from_store()
    # The description names the links, so a snapshot is kept per link base.
    key = source.snapshot_key if links is None else f"{source.snapshot_key}-{_digest(links.base)}"
    return Snapshots(source.snapshot_root, key).export(fmt, stats, from_store)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:8]


def _then_derived(selected: Iterator[SubjectBlock], consolidation: Consolidation) -> Iterator[SubjectBlock]:
    """The selected blocks, watched, then the consolidated quantities' blocks (default graph)."""
    try:
        yield from consolidation.watch(selected)
    finally:
        # Release the store's iterator in this (the writer's) thread, as serialize_blocks does.
        close = getattr(selected, "close", None)
        if close is not None:
            close()
    yield from blocks_of(consolidation.triples())
