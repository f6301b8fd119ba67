"""Cypher of the data versions and changes (see :mod:`milcoop.graph.changes`).

The records live in nodes outside ``:Resource`` (``:DataVersion``, ``:ResourceChange``,
``:ResourceDigest``), so queries over the knowledge graph, the RDF export and the health check's
counts never see them. Each load writes them in its own transaction, after the facts: one
``:DataVersion`` and one ``:ResourceChange`` per resource added, removed or changed, and it brings
the ``:ResourceDigest`` nodes of those resources (only those) to the new state. Values travel as
parameters.
"""

from __future__ import annotations

from typing import LiteralString

#: ``[iri, kind, digest, asserts]`` of every recorded digest, in chunks.
READ_DIGESTS: LiteralString = (
    "MATCH (d:ResourceDigest) "
    "WITH collect([d.iri, d.kind, d.digest, d.asserts]) AS rows "
    "UNWIND range(0, size(rows) - 1, $chunk) AS i "
    "RETURN rows[i..i + $chunk] AS chunk"
)

#: The latest recorded data version (no row when none was).
READ_LAST_VERSION: LiteralString = (
    "MATCH (v:DataVersion) WITH v ORDER BY v.seq DESC LIMIT 1 RETURN properties(v) AS version"
)

#: Whether any data version was recorded (then a missing digest means a missing resource).
COUNT_VERSIONS: LiteralString = "MATCH (v:DataVersion) RETURN count(v) AS count"

#: Record a data version (``$version``: its property map).
CREATE_VERSION: LiteralString = "CREATE (v:DataVersion) SET v = $version"

#: Record changes (``$rows``: their property maps).
CREATE_CHANGES: LiteralString = "UNWIND $rows AS row CREATE (c:ResourceChange) SET c = row"

#: Bring digests to the new state (``$rows``: ``{iri, kind, digest, asserts}``).
MERGE_DIGESTS: LiteralString = (
    "UNWIND $rows AS row MERGE (d:ResourceDigest {iri: row.iri}) "
    "SET d.kind = row.kind, d.digest = row.digest, d.asserts = row.asserts"
)

#: Remove the digests of removed resources (``$iris``).
DELETE_DIGESTS: LiteralString = "UNWIND $iris AS iri MATCH (d:ResourceDigest {iri: iri}) DELETE d"

# -- reads of the API ------------------------------------------------------------------------------

#: Every recorded data version, in load order.
DATA_VERSIONS: LiteralString = "MATCH (v:DataVersion) RETURN properties(v) AS version ORDER BY v.seq"

#: Every change recorded after load ``$seq``, by load then IRI.
CHANGES_AFTER: LiteralString = (
    "MATCH (c:ResourceChange) WHERE c.seq > $seq RETURN properties(c) AS change ORDER BY c.seq, c.iri"
)

#: Every recorded digest.
DIGESTS: LiteralString = (
    "MATCH (d:ResourceDigest) RETURN d.iri AS iri, d.kind AS kind, d.digest AS digest, d.asserts AS asserts"
)
