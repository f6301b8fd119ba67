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


def write_source_graphs(store: ox.Store) -> None:
    """Copy every claim's and claimed quantity's quads from the default graph of ``store`` into
    its source's named graph."""
    quads = source_graph_quads(store)
    for start in range(0, len(quads), _BATCH):
        store.bulk_extend(quads[start : start + _BATCH])
