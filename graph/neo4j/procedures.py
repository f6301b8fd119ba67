"""The procedures a query posted to ``/v1/cypher`` may call: the one allow-list.

It is used in two places:

* ``/v1/cypher`` (graph/neo4j/user_cypher.py) refuses, before running anything, a query whose
  ``EXPLAIN`` plan holds a ``ProcedureCall`` of a procedure that is not listed here;
* the Neo4j servers milcoop configures load no plugin procedure or function outside it and
  :data:`SERVER_ONLY_PROCEDURES` (``dbms.security.procedures.allowlist`` =
  :data:`SERVER_ALLOWLIST`). tools/neo4j/neo4j_dev.py passes it to the dev server
  (DevServer.java); docker-compose.yml carries a copy, which tests/graph/test_cypher_allowlist.py
  compares with this one. So a plugin such as APOC cannot offer ``apoc.load.*`` (files, URLs)
  or ``apoc.export.*`` to any query.

Both servers run APOC core, for tools that read the graph's schema through it (neo4j-graphrag's
schema reader calls ``apoc.meta.data`` and ``apoc.schema.nodes``). These APOC procedures read
the database's internals (token and count stores, index states), which Neo4j's sandbox refuses
them, so they and only they are ``dbms.security.procedures.unrestricted``
(:data:`SERVER_UNRESTRICTED`): none of them reads files or URLs or writes. The ``/v1/cypher``
guard is unchanged by all this: it admits :data:`CYPHER_PROCEDURES`, the same list as before,
checked against the query's plan, in a read-only session with a time limit.

Neo4j always loads its built-in procedures whatever the server setting says (``db.*``,
``dbms.*``, ``tx.*``); the check of the plan is what keeps ``/v1/cypher`` to the ones below.
Nothing here reads files or URLs, writes, or reveals or changes the server's configuration.
"""

from __future__ import annotations

#: APOC core's read-only descriptions of the graph's schema, sampled from the data.
APOC_SCHEMA_PROCEDURES: tuple[str, ...] = (
    "apoc.meta.data",
    "apoc.meta.schema",
    "apoc.meta.stats",
    "apoc.meta.graph",
    "apoc.meta.nodeTypeProperties",
    "apoc.meta.relTypeProperties",
)

#: Procedures ``/v1/cypher`` may call: read-only descriptions of the graph's schema.
CYPHER_PROCEDURES: tuple[str, ...] = (
    "db.labels",
    "db.relationshipTypes",
    "db.propertyKeys",
    "db.schema.visualization",
    "db.schema.nodeTypeProperties",
    "db.schema.relTypeProperties",
    # APOC's read-only schema procedures (APOC core runs in the dev and compose servers).
    *APOC_SCHEMA_PROCEDURES,
)

#: Procedures the servers load for the tools that connect to them directly, beyond what
#: ``/v1/cypher`` may call: APOC's read-only listings of indexes and constraints, which
#: neo4j-graphrag's schema reader asks for beside ``apoc.meta.data``. ``/v1/cypher`` still
#: refuses them (its plan check admits :data:`CYPHER_PROCEDURES` only).
SERVER_ONLY_PROCEDURES: tuple[str, ...] = (
    "apoc.schema.nodes",
    "apoc.schema.relationships",
)

#: ``dbms.security.procedures.allowlist`` of the servers milcoop configures.
SERVER_ALLOWLIST = ",".join((*CYPHER_PROCEDURES, *SERVER_ONLY_PROCEDURES))

#: ``dbms.security.procedures.unrestricted``: the APOC procedures the servers load, all of them
#: read-only descriptions of the schema that need the database's internals; every other
#: procedure stays in Neo4j's sandbox.
SERVER_UNRESTRICTED = ",".join((*APOC_SCHEMA_PROCEDURES, *SERVER_ONLY_PROCEDURES))
