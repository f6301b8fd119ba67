"""Cypher of the Neo4j loader: batched ``UNWIND $rows`` writers and the reads that plan a load.

Values always travel as parameters. Labels and relationship types cannot be parameters for
Neo4j 5.26's planner and indexes, so some writer templates below take them as text, but only
through :func:`create_nodes`, :func:`update_nodes` and :func:`create_relationships`, which accept
nothing but names from the ontology's allow-list (:mod:`ontology.vocabulary`) and raise
``ValueError`` for anything else. Input never reaches query text.

Within the load's one transaction, nodes are addressed by their IRI once (the plan's read, or
the ``CREATE`` that returns their element id) and by element id afterwards: an element-id seek
costs neither an index look-up nor an index-entry lock, which makes writing relationships two
to three times faster than matching both ends on ``iri``. Element ids are only used inside the
transaction that read them, where they are stable.

What the graph looks like afterwards is documented in docs/cypher.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import LiteralString

from milcoop.ontology.vocabulary import RESOURCE_LABEL, Vocabulary, vocabulary

# -- reads that plan a load (inside the load's transaction) ---------------------------------------
# The Python driver builds one object per record, which costs more than the server's work here;
# so the reads return a few records holding ``$chunk`` rows each.

#: ``[iri, element id]`` of every milcoop node now in the graph, in chunks.
READ_RESOURCES: LiteralString = (
    "MATCH (n:Resource) "
    "WITH collect([n.iri, elementId(n)]) AS rows "
    "UNWIND range(0, size(rows) - 1, $chunk) AS i "
    "RETURN rows[i..i + $chunk] AS chunk"
)

#: ``[start element id, type, end element id, relationship element id]`` of every milcoop
#: relationship now in the graph, in chunks: between two ``:Resource`` nodes and of a type in the
#: allow-list (``$types``). Relationships of other types are not milcoop's and are left alone.
READ_RELATIONSHIPS: LiteralString = (
    "MATCH (a:Resource)-[r]->(b:Resource) WHERE type(r) IN $types "
    "WITH collect([elementId(a), type(r), elementId(b), elementId(r)]) AS rows "
    "UNWIND range(0, size(rows) - 1, $chunk) AS i "
    "RETURN rows[i..i + $chunk] AS chunk"
)

# -- writers ----------------------------------------------------------------------------------------

#: Remove relationships that are no longer in the dataset (``$ids``: their element ids).
DELETE_RELATIONSHIPS: LiteralString = "UNWIND $ids AS id MATCH ()-[r]->() WHERE elementId(r) = id DELETE r"

#: Remove nodes that are no longer in the dataset, with all their relationships.
DELETE_NODES: LiteralString = "UNWIND $ids AS id MATCH (n:Resource) WHERE elementId(n) = id DETACH DELETE n"

#: New nodes, one label set per query; ``row`` is the node's whole property map, ``iri`` and ``id``
#: included. Returns the new nodes' element ids, beside their IRIs, for the relationship writers.
_CREATE_NODES = (
    "UNWIND $rows AS row "
    "CREATE (n:{labels}) SET n = row "
    "RETURN collect(row.iri) AS iris, collect(elementId(n)) AS ids"
)

#: Nodes already in the graph (``row.id``: element id, ``row.props``: property map). Only those
#: whose labels or properties differ are written; ``SET n = row.props`` drops properties that are
#: no longer in the data. Labels outside the allow-list (someone else's) are neither required nor
#: removed. Returns how many nodes changed.
_UPDATE_NODES = (
    "UNWIND $rows AS row "
    "MATCH (n:Resource) WHERE elementId(n) = row.id "
    "WITH n, row WHERE NOT (n:{labels} AND NOT (n:{others_any}) AND properties(n) = row.props) "
    "SET n = row.props, n:{labels} "
    "REMOVE n:{others_all} "
    "RETURN count(n) AS changed"
)

#: New relationships of one type; ``row`` is ``[start element id, end element id]``.
_CREATE_RELATIONSHIPS = (
    "UNWIND $rows AS row "
    "MATCH (a) WHERE elementId(a) = row[0] "
    "MATCH (b) WHERE elementId(b) = row[1] "
    "CREATE (a)-[:{type}]->(b)"
)

# -- the dataset's metadata node ----------------------------------------------------------------------

#: The name of the one ``:MilcoopDataset`` node.
DATASET_NAME = "milcoop"

#: Record which data version the graph holds. The node is not a ``:Resource``, so exports and
#: queries over the knowledge graph never see it, and a reload of the same data leaves every
#: ``:Resource`` node untouched.
#: ``digestsOf`` is the data version whose ``:ResourceDigest`` records describe the graph exactly
#: (set by a load that recorded them in the same transaction, null after one that did not): only
#: then may the next load compare digests instead of reading the whole graph back.
MERGE_DATASET: LiteralString = (
    "MERGE (d:MilcoopDataset {name: $name}) "
    "SET d.version = $version, d.loadedAt = datetime(), d.nodes = $nodes, d.relationships = $relationships, "
    "d.digestsOf = $digests_of"
)

#: Whether the recorded digests describe the graph (see :data:`MERGE_DATASET`); no row when never loaded.
READ_DIGESTS_OF: LiteralString = (
    "MATCH (d:MilcoopDataset {name: $name}) RETURN d.version AS version, d.digestsOf AS digestsOf"
)

#: Element ids of the ``:Resource`` nodes with these IRIs (``$iris``), by the unique ``iri`` index.
ELEMENT_IDS: LiteralString = (
    "UNWIND $iris AS iri MATCH (n:Resource {iri: iri}) RETURN collect([iri, elementId(n)]) AS pairs"
)

#: The milcoop relationships leaving these nodes (``$ids``: element ids; ``$types``: the allow-list).
READ_OUTGOING: LiteralString = (
    "UNWIND $ids AS id MATCH (a:Resource)-[r]->(b:Resource) WHERE elementId(a) = id AND type(r) IN $types "
    "RETURN collect([a.iri, type(r), b.iri, elementId(r)]) AS rows"
)

#: The data version the graph holds (no row when nothing was ever loaded).
READ_DATASET: LiteralString = (
    "MATCH (d:MilcoopDataset {name: $name}) "
    "RETURN d.version AS version, d.loadedAt AS loadedAt, d.nodes AS nodes, d.relationships AS relationships"
)


def node_labels(labels: Iterable[str], vocab: Vocabulary) -> list[str]:
    """``:Resource`` plus ``labels``, each checked against the ontology's allow-list."""
    names = list(dict.fromkeys([RESOURCE_LABEL, *labels]))
    allowed = vocab.all_labels
    for name in names:
        if name not in allowed:
            raise ValueError(f"label {name!r} is not in the ontology's allow-list")
    return names


def _relationship_type(rel_type: str, vocab: Vocabulary) -> str:
    if rel_type not in vocab.relationship_types:
        raise ValueError(f"relationship type {rel_type!r} is not in the ontology's allow-list")
    return rel_type


def _cypher(text: str) -> LiteralString:
    # The only names spliced into the text were checked against the allow-list just before.
    # (mypy treats LiteralString as str; the annotation documents the contract for readers.)
    return text


def create_nodes(labels: Iterable[str], vocab: Vocabulary | None = None) -> LiteralString:
    """The query creating nodes with ``:Resource`` plus ``labels`` (all from the allow-list)."""
    names = node_labels(labels, vocab or vocabulary())
    return _cypher(_CREATE_NODES.format(labels=":".join(names)))


def update_nodes(labels: Iterable[str], vocab: Vocabulary | None = None) -> LiteralString:
    """The query bringing existing nodes to ``:Resource`` plus ``labels`` and their row's properties."""
    vocab = vocab or vocabulary()
    names = node_labels(labels, vocab)
    others = sorted(vocab.all_labels - set(names))
    if not others:  # cannot happen with milcoop's ontology; keeps the text valid regardless
        raise ValueError("a node cannot carry every label of the ontology")
    return _cypher(
        _UPDATE_NODES.format(labels=":".join(names), others_any="|".join(others), others_all=":".join(others))
    )


def create_relationships(rel_type: str, vocab: Vocabulary | None = None) -> LiteralString:
    """The query creating relationships of ``rel_type`` (from the allow-list)."""
    return _cypher(_CREATE_RELATIONSHIPS.format(type=_relationship_type(rel_type, vocab or vocabulary())))


#: Every milcoop resource's IRI (what a load would compare the new facts with).
RESOURCE_IRIS: LiteralString = "MATCH (n:Resource) RETURN n.iri AS iri"


# -- the offline import of a first load (graph/neo4j/offline.py) -----------------------------------

#: Whether the database is empty: an offline import replaces the whole database, so it runs only
#: when there is nothing to lose (Neo4j's count store answers this without a scan).
COUNT_ALL_NODES: LiteralString = "MATCH (n) RETURN count(n) AS count"

#: What an offline import left: the data version, the ``:Resource`` nodes and all relationships
#: (the import writes only milcoop's), from the count store.
IMPORT_CHECK: LiteralString = (
    "OPTIONAL MATCH (d:MilcoopDataset {name: $name}) "
    "CALL () { MATCH (n:Resource) RETURN count(n) AS nodes } "
    "CALL () { MATCH ()-[r]->() RETURN count(r) AS relationships } "
    "RETURN d.version AS version, nodes, relationships"
)
