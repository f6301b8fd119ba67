"""The claims' named graphs in the embedded store: the export's named graphs, for SPARQL.

The TriG and N-Quads exports put each claim, and each quantity a claim states, in the named graph
of its source document (:func:`milcoop.graph.rdf_source.graph_of` decides which). The embedded
store keeps every fact in its default graph, which every reader and every SPARQL query without a
dataset reads; a load also writes each claim's and each such quantity's quads a second time, into
that same named graph, so that ``GRAPH ?g { ... }``, ``FROM NAMED`` and ``named-graph-uri`` find
the graphs a partner sees in a TriG export. Nothing reads them but SPARQL (see
:mod:`milcoop.graph.embedded.sparql_endpoint`), and they are not counted as triples.

They are derived from the default graph once it is written, so facts copied from other partitions
land in their graphs too, with the export's own rule (:func:`block_in`, the same blocks the
export's source hands out): one pass over the claims and quantities, not the whole store, and a
second copy of their quads. That costs about as much as writing those quads the first time (see
docs/rdf.md); copying them inside Oxigraph with an update was slower (a transaction on disk).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pyoxigraph as ox

from milcoop.graph.rdf_source import (
    CLAIM,
    CLAIM_QUANTITIES,
    QUANTITY,
    RDF_TYPE,
    SOURCE,
    Subject,
    SubjectBlock,
    claim_source,
    in_graph,
    source_graph,
)

_DEFAULT = ox.DefaultGraph()
#: Quads per bulk write, as the store's own loads batch them.
_BATCH = 50_000
#: The lines of :func:`~milcoop.graph.terms.lines_by_subject` that the named graphs are decided by.
_CLAIM_TYPE = f"{RDF_TYPE} {CLAIM}"
_QUANTITY_TYPE = f"{RDF_TYPE} {QUANTITY}"
_SOURCE = str(SOURCE)
#: :data:`CLAIM_QUANTITIES` as they are written in a ``<predicate> object`` line.
CLAIM_QUANTITY_TERMS = frozenset(str(p) for p in CLAIM_QUANTITIES)


def quantity_source(store: ox.Store, quantity: Subject) -> ox.NamedNode | None:
    """The source document of the (first) claim that states ``quantity``, or None."""
    for predicate in CLAIM_QUANTITIES:
        for claim in store.quads_for_pattern(None, predicate, quantity, _DEFAULT):
            for quad in store.quads_for_pattern(claim.subject, SOURCE, None, _DEFAULT):
                if isinstance(quad.object, ox.NamedNode):
                    return quad.object
    return None


def block_in(store: ox.Store, subject: Subject, quads: Sequence[ox.Quad]) -> SubjectBlock:
    """``subject``'s block (its default-graph ``quads``) with the claim source it belongs to."""
    source = claim_source(quads)
    if source is None and any(q.predicate == RDF_TYPE and q.object == QUANTITY for q in quads):
        source = quantity_source(store, subject)
    return SubjectBlock(subject, list(quads), source)


def source_graph_quads(store: ox.Store) -> list[ox.Quad]:
    """Every claim's and claimed quantity's quads in its source's named graph, read from the
    default graph of ``store``."""
    out: list[ox.Quad] = []
    seen: set[Subject] = set()
    for cls in (CLAIM, QUANTITY):
        for typed in store.quads_for_pattern(None, RDF_TYPE, cls, _DEFAULT):
            subject = typed.subject
            if subject in seen or not isinstance(subject, (ox.NamedNode, ox.BlankNode)):
                continue
            seen.add(subject)
            block = block_in(store, subject, list(store.quads_for_pattern(subject, None, None, _DEFAULT)))
            if block.source is not None:
                out.extend(in_graph(block))
    return out


def source_graph_document(store: ox.Store, *parts: Mapping[str, Sequence[str]]) -> str:
    """What :func:`source_graph_quads` reads from ``store``, as an N-Quads document, found instead
    in ``parts``: the very triples just written to its default graph (all of them, grouped by
    :func:`~milcoop.graph.terms.lines_by_subject`), so that no claim is read back.

    Which subjects are claims or quantities (in any part: a subject's lines may be split between
    parts), each claim's source and which claims state which quantity are read from the text. A
    quantity stated by one claim takes that claim's source; one stated by several is left to
    :func:`quantity_source` on the store, so that "the first claim" is the store's first, exactly
    as the export decides.
    """
    wanted = {iri for part in parts for iri, lines in part.items() if _CLAIM_TYPE in lines or _QUANTITY_TYPE in lines}
    blocks: dict[str, list[str]] = {iri: [] for iri in wanted}
    for part in parts:
        for iri, lines in part.items():
            if iri in wanted:
                blocks[iri].extend(lines)
    sources: dict[str, str | None] = {}
    stated_by: dict[str, list[str]] = {}
    for iri, lines in blocks.items():
        if _CLAIM_TYPE not in lines:
            continue
        source = None
        for line in lines:
            predicate, _, obj = line.partition(" ")
            if predicate == _SOURCE and obj.startswith("<"):
                source = obj[1:-1]  # the last, as claim_source reads a claim's quads
            elif predicate in CLAIM_QUANTITY_TERMS and obj.startswith("<"):
                stated_by.setdefault(obj[1:-1], []).append(iri)
        sources[iri] = source
    out: list[str] = []
    for iri, found in blocks.items():
        lines = list(dict.fromkeys(found))  # a resource both kept and new is written once
        source = sources.get(iri)
        if source is None and _QUANTITY_TYPE in lines:
            claims = stated_by.get(iri, [])
            if len(claims) == 1:
                source = sources[claims[0]]
            else:
                node = quantity_source(store, ox.NamedNode(iri))
                source = None if node is None else node.value
        if source is not None:
            graph = source_graph(ox.NamedNode(source))
            out.extend(f"<{iri}> {line} {graph} ." for line in lines)
    return "\n".join(out)


def write_source_graphs(store: ox.Store, *written: Mapping[str, Sequence[str]]) -> None:
    """Copy every claim's and claimed quantity's quads from the default graph of ``store`` into
    its source's named graph; from ``written`` (every triple of that default graph, grouped by
    subject) when given, else read from the store."""
    if written:
        store.bulk_load(source_graph_document(store, *written), format=ox.RdfFormat.N_QUADS)
        return
    quads = source_graph_quads(store)
    for start in range(0, len(quads), _BATCH):
        store.bulk_extend(quads[start : start + _BATCH])
