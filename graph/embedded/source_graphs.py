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

from collections.abc import Sequence

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
)

_DEFAULT = ox.DefaultGraph()
#: Quads per bulk write, as the store's own loads batch them.
_BATCH = 50_000


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


def source_graph_quads_of(store: ox.Store, *parts: Sequence[ox.Quad]) -> list[ox.Quad]:
    """What :func:`source_graph_quads` reads from ``store``, found instead in ``parts``: the very
    quads just written to its default graph (all of them), so that no claim is read back.

    Two passes in memory: which subjects are claims or quantities, then their quads and which
    claims state which quantity. A quantity stated by one claim takes that claim's source; one
    stated by several is left to :func:`quantity_source` on the store, so that "the first claim"
    is the store's first, exactly as the export decides.
    """
    wanted: set[Subject] = set()
    for part in parts:
        for q in part:
            if q.predicate == RDF_TYPE and (q.object == CLAIM or q.object == QUANTITY):
                wanted.add(q.subject)  # type: ignore[arg-type]
    blocks: dict[Subject, list[ox.Quad]] = {subject: [] for subject in wanted}
    stated_by: dict[ox.NamedNode | ox.BlankNode, list[Subject]] = {}
    for part in parts:
        for q in part:
            own = blocks.get(q.subject)  # type: ignore[arg-type]
            if own is None:
                continue
            own.append(q)
            if q.predicate in CLAIM_QUANTITIES and isinstance(q.object, (ox.NamedNode, ox.BlankNode)):
                stated_by.setdefault(q.object, []).append(q.subject)  # type: ignore[arg-type]
    sources = {subject: claim_source(quads) for subject, quads in blocks.items()}
    out: list[ox.Quad] = []
    for subject, found in blocks.items():
        quads = list(dict.fromkeys(found))  # a resource both kept and new is written once
        source = sources[subject]
        if source is None and any(q.predicate == RDF_TYPE and q.object == QUANTITY for q in quads):
            claims = stated_by.get(subject, [])
            source = sources.get(claims[0]) if len(claims) == 1 else quantity_source(store, subject)
        if source is not None:
            out.extend(in_graph(SubjectBlock(subject, quads, source)))
    return out


def write_source_graphs(store: ox.Store, *written: Sequence[ox.Quad]) -> None:
    """Copy every claim's and claimed quantity's quads from the default graph of ``store`` into
    its source's named graph; from ``written`` (every quad of that default graph) when given,
    else read from the store."""
    quads = source_graph_quads_of(store, *written) if written else source_graph_quads(store)
    for start in range(0, len(quads), _BATCH):
        store.bulk_extend(quads[start : start + _BATCH])
