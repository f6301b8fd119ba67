"""Constraints and indexes of the milcoop graph in Neo4j.

Every statement is idempotent (``IF NOT EXISTS``) and named, so :func:`ensure_schema` can run
before every load and at API start-up. To add an index, add a named constant and list it in
:data:`SCHEMA`; nothing else needs to change. Schema statements cannot share a transaction with
data writes in Neo4j, so they run, each in its own transaction, before the load's transaction.
"""

from __future__ import annotations

from typing import LiteralString

from neo4j import Driver

from milcoop.ontology.vocabulary import vocabulary

#: Every milcoop node carries ``:Resource`` and a unique ``iri``. The loader looks nodes up by it
#: (MERGE/MATCH on ``{iri: ...}``), so this also serves as its main index.
RESOURCE_IRI_UNIQUE: LiteralString = (
    "CREATE CONSTRAINT milcoop_resource_iri IF NOT EXISTS FOR (n:Resource) REQUIRE n.iri IS UNIQUE"
)

#: Look-ups by short id (``PRK``, ``prk-rus-ammunition-2024``), as users and the API write them.
RESOURCE_ID_INDEX: LiteralString = "CREATE INDEX milcoop_resource_id IF NOT EXISTS FOR (n:Resource) ON (n.id)"

#: Window queries on events ("since 2023", "in force on a date") compare these two dates.
EVENT_SPAN_START_INDEX: LiteralString = (
    "CREATE INDEX milcoop_event_span_start IF NOT EXISTS FOR (n:CooperationEvent) ON (n.spanStart)"
)
EVENT_SPAN_END_INDEX: LiteralString = (
    "CREATE INDEX milcoop_event_span_end IF NOT EXISTS FOR (n:CooperationEvent) ON (n.spanEnd)"
)

#: States by ISO 3166-1 alpha-3 code, which users look states up by: one state per code. The
#: constraint's own index serves the look-ups; it replaces the plain index earlier versions made
#: (:data:`DROPPED`), since Neo4j refuses a constraint beside an index on the same property.
STATE_ISO_CODE_UNIQUE: LiteralString = (
    "CREATE CONSTRAINT milcoop_state_iso_code_unique IF NOT EXISTS FOR (n:State) REQUIRE n.isoCode IS UNIQUE"
)

#: Every node's ``id`` is unique within each of its labels (a claim and the quantity it gives
#: share an id, so not across all ``:Resource``). One constraint per label of the ontology's
#: vocabulary (labels checked as identifiers there), so a new class gets one without an edit.
ID_UNIQUE_BY_LABEL: dict[str, LiteralString] = {
    label: f"CREATE CONSTRAINT milcoop_{label.lower()}_id_unique IF NOT EXISTS FOR (n:{label}) REQUIRE n.id IS UNIQUE"
    for label in sorted(vocabulary().labels.values())
}

#: The full-text index ``/v1/entities?q=`` searches (graph/neo4j/fulltext.py): names
#: (``skos:prefLabel``), aliases (``skos:altLabel``, a list) and ids, the three things the search
#: matches. The analyzer splits on word boundaries and lower-cases, and keeps stop words ("of",
#: "and"), which a name may well contain.
NAMES_FULLTEXT_INDEX_NAME: LiteralString = "milcoop_names"
NAMES_FULLTEXT_INDEX: LiteralString = (
    "CREATE FULLTEXT INDEX milcoop_names IF NOT EXISTS FOR (n:Resource) ON EACH [n.name, n.aliases, n.id] "
    "OPTIONS {indexConfig: {`fulltext.analyzer`: 'standard-no-stop-words'}}"
)

#: Indexes earlier versions created that a constraint now replaces; :func:`ensure_schema` drops
#: them (if they exist) before it creates :data:`SCHEMA`.
DROPPED: list[LiteralString] = ["DROP INDEX milcoop_state_iso_code IF EXISTS"]

#: Claims filtered by status (confirmed, reported, ...).
CLAIM_STATUS_INDEX: LiteralString = "CREATE INDEX milcoop_claim_status IF NOT EXISTS FOR (n:Claim) ON (n.status)"

#: Treaties in force on a date.
TREATY_ENTRY_INTO_FORCE_INDEX: LiteralString = (
    "CREATE INDEX milcoop_treaty_entry_into_force IF NOT EXISTS FOR (n:Treaty) ON (n.entryIntoForce)"
)

#: The one metadata node of the loaded dataset (not a ``:Resource``; see graph/neo4j/cypher/load.py).
DATASET_NAME_UNIQUE: LiteralString = (
    "CREATE CONSTRAINT milcoop_dataset_name IF NOT EXISTS FOR (d:MilcoopDataset) REQUIRE d.name IS UNIQUE"
)

#: The records of data versions and changes (graph/neo4j/cypher/history.py).
DATA_VERSION_SEQ_UNIQUE: LiteralString = (
    "CREATE CONSTRAINT milcoop_data_version_seq IF NOT EXISTS FOR (v:DataVersion) REQUIRE v.seq IS UNIQUE"
)
RESOURCE_DIGEST_IRI_UNIQUE: LiteralString = (
    "CREATE CONSTRAINT milcoop_resource_digest_iri IF NOT EXISTS FOR (d:ResourceDigest) REQUIRE d.iri IS UNIQUE"
)
RESOURCE_CHANGE_SEQ_INDEX: LiteralString = (
    "CREATE INDEX milcoop_resource_change_seq IF NOT EXISTS FOR (c:ResourceChange) ON (c.seq)"
)

#: Everything :func:`ensure_schema` creates, in order (constraints first).
SCHEMA: list[LiteralString] = [
    RESOURCE_IRI_UNIQUE,
    STATE_ISO_CODE_UNIQUE,
    *ID_UNIQUE_BY_LABEL.values(),
    DATASET_NAME_UNIQUE,
    DATA_VERSION_SEQ_UNIQUE,
    RESOURCE_DIGEST_IRI_UNIQUE,
    RESOURCE_ID_INDEX,
    RESOURCE_CHANGE_SEQ_INDEX,
    EVENT_SPAN_START_INDEX,
    EVENT_SPAN_END_INDEX,
    NAMES_FULLTEXT_INDEX,
    CLAIM_STATUS_INDEX,
    TREATY_ENTRY_INTO_FORCE_INDEX,
]

#: Wait until every index is online (a new index on a populated graph fills in the background).
AWAIT_INDEXES: LiteralString = "CALL db.awaitIndexes($seconds)"


def ensure_schema(driver: Driver, database: str, *, await_seconds: int = 300) -> None:
    """Create every constraint and index in :data:`SCHEMA` that does not exist yet, and wait for them.

    Neo4j errors propagate; callers map them to the store's errors.
    """
    with driver.session(database=database) as session:
        for statement in [*DROPPED, *SCHEMA]:
            session.run(statement).consume()
        session.run(AWAIT_INDEXES, seconds=await_seconds).consume()
