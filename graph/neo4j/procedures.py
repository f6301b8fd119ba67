"""The procedures a query posted to ``/v1/cypher`` may call: the one allow-list.

It is used in two places:

* ``/v1/cypher`` (graph/neo4j/user_cypher.py) refuses, before running anything, a query whose
  ``EXPLAIN`` plan holds a ``ProcedureCall`` of a procedure that is not listed here;
* the Neo4j servers milcoop configures load no plugin procedure or function outside it
  (``dbms.security.procedures.allowlist`` = :data:`SERVER_ALLOWLIST`, and
  ``dbms.security.procedures.unrestricted`` = :data:`SERVER_UNRESTRICTED`: none may leave
  Neo4j's sandbox). tools/neo4j/neo4j_dev.py passes both to the dev server (DevServer.java);
  docker-compose.yml carries a copy, which tests/graph/test_cypher_allowlist.py compares with
  this one. So a plugin such as APOC cannot offer ``apoc.load.*`` (files, URLs) to any query.

Neo4j always loads its built-in procedures whatever the server setting says (``db.*``,
``dbms.*``, ``tx.*``); the check of the plan is what keeps ``/v1/cypher`` to the ones below.
Nothing here reads files or URLs, writes, or reveals or changes the server's configuration.
"""

from __future__ import annotations

#: Procedures ``/v1/cypher`` may call: read-only descriptions of the graph's schema.
CYPHER_PROCEDURES: tuple[str, ...] = (
    "db.labels",
    "db.relationshipTypes",
    "db.propertyKeys",
    "db.schema.visualization",
    "db.schema.nodeTypeProperties",
    "db.schema.relTypeProperties",
    # APOC's read-only schema procedures, when APOC is installed (it is not in the dev server).
    "apoc.meta.data",
    "apoc.meta.schema",
    "apoc.meta.stats",
    "apoc.meta.graph",
    "apoc.meta.nodeTypeProperties",
    "apoc.meta.relTypeProperties",
)

#: ``dbms.security.procedures.allowlist`` of the servers milcoop configures.
SERVER_ALLOWLIST = ",".join(CYPHER_PROCEDURES)

#: ``dbms.security.procedures.unrestricted``: no procedure may bypass Neo4j's security sandbox.
SERVER_UNRESTRICTED = ""
