"""Cypher of the RDF export: stream ``:Resource`` nodes with their relationships, and a filtered
export's lookups.

Every node comes back in one shape, projected per row (pattern comprehensions, not aggregation),
so Neo4j streams the rows in ``iri`` order straight off the unique index and the driver fetches
them in batches: the exporting process holds one batch, whatever the size of the graph.

``claim_source`` is, for a quantity a claim states, that claim's source document: the TriG and
N-Quads exports put the quantity in the named graph of the claim's source.

Values travel as parameters. :func:`referrers` splices a relationship type into the text, but only
one from the ontology's allow-list (so that Neo4j can use the type to expand dense nodes).
"""

from __future__ import annotations

from typing import LiteralString

from milcoop.ontology.vocabulary import vocabulary

_PROJECTION = (
    "RETURN n.iri AS iri, labels(n) AS labels, properties(n) AS properties, "
    "[(n)-[r]->(m:Resource) | [type(r), m.iri]] AS links, "
    "head([(c:Claim)-[:CLAIMED_QUANTITY|ORDERED_QUANTITY|DEAL_VALUE]->(n) "
    "| head([(c)-[:SOURCE]->(s:Resource) | s.iri])]) AS claim_source"
)

#: Every milcoop node, in IRI order.
ALL_NODES: LiteralString = "MATCH (n:Resource) WHERE n.iri IS NOT NULL WITH n ORDER BY n.iri " + _PROJECTION

#: Every cooperation event, in IRI order.
EVENT_NODES: LiteralString = (
    "MATCH (n:Resource:CooperationEvent) WHERE n.iri IS NOT NULL WITH n ORDER BY n.iri " + _PROJECTION
)

#: The nodes with the IRIs in ``$iris``.
NODES_BY_IRI: LiteralString = "UNWIND $iris AS iri MATCH (n:Resource {iri: iri}) " + _PROJECTION

_REFERRERS = "UNWIND $iris AS iri MATCH (:Resource {{iri: iri}})<-[:{type}]-(n:Resource) RETURN iri, n.iri AS referrer"


def referrers(rel_type: str) -> LiteralString:
    """The nodes pointing at ``$iris`` through ``rel_type`` (a type from the allow-list)."""
    if rel_type not in vocabulary().relationship_types:
        raise ValueError(f"relationship type {rel_type!r} is not in the ontology's allow-list")
    query: LiteralString = _REFERRERS.format(type=rel_type)
    return query
