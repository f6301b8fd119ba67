"""Cypher read queries of the API, as named constants with ``$parameters``.

Every value is a parameter. Relationship types and labels appear in the text only from the
constant tuples of ontology/kinds.py, which a test checks against the ontology's allow-list; no
request value ever reaches the text. Each selection is anchored on an index seek of the bound
node (the unique ``Resource.iri`` constraint) and expands from there, so none scans all events;
``bench/bench_api.py`` prints the ``PROFILE`` of the flows query to show it. The store reads an
actor's events once per data version (EVENT_SELECTIONS) and pages through them itself
(graph/neo4j/store.py); EVENTS_FROM, EVENTS_TO and EVENTS_TO_FROM select a page for an actor too
busy to cache, and tests/graph/test_neo4j_selections.py checks the cached pages against them.

Ordering keys are the strings ``milcoop.ontology.kinds.time_key`` describes:
``coalesce(toString(date), '~') + ' ' + iri``, an event's date being its ``spanStart``, else its
``spanEnd`` (a start not known); Neo4j's ``toString`` of a date is its ISO form.
"""

from __future__ import annotations

from typing import LiteralString

from milcoop.graph.neo4j.cypher.schema import NAMES_FULLTEXT_INDEX_NAME
from milcoop.graph.store import SEARCH_MATCHES, SearchMatch
from milcoop.ontology.kinds import FROM_TYPES, PATH_TYPES, TARGET_TYPES, TO_TYPES

#: ``A|B|C`` for a relationship pattern; built once from the constant tuples above.
_FROM = "|".join(FROM_TYPES)
_TO = "|".join(sorted((*TO_TYPES, *TARGET_TYPES)))
#: The actors on either side of an event: the sub-properties of mc:fromActor and mc:toActor.
_SIDES = "|".join(sorted({*FROM_TYPES, *TO_TYPES}))
_PATH = "|".join(PATH_TYPES)

# -- nodes ------------------------------------------------------------------------------------------

#: Nodes by IRI with their labels, properties and outgoing relationships.
DESCRIBE: LiteralString = (
    "UNWIND $iris AS iri "
    "MATCH (n:Resource {iri: iri}) "
    "RETURN n.iri AS iri, labels(n) AS labels, properties(n) AS properties, "
    "[(n)-[r]->(m:Resource) | [type(r), m.iri]] AS out"
)

#: :data:`DESCRIBE` of the nodes ``$iris`` and, for the events among them, of what a page of
#: events shows besides: the nodes asserting each event through ASSERTS (its claims; every start
#: :data:`INCOMING` finds) and the nodes the event and its claims point at (actors, places,
#: materiel, sources, quantities). One round trip instead of one per kind of node.
DESCRIBE_EVENTS: LiteralString = (
    "UNWIND $iris AS iri "
    "MATCH (e:Resource {iri: iri}) "
    "CALL (e) { "
    "  RETURN e AS n "
    "  UNION MATCH (e:CooperationEvent)-->(n:Resource) RETURN n "
    "  UNION MATCH (e:CooperationEvent)<-[:ASSERTS]-(n:Resource) RETURN n "
    "  UNION MATCH (e:CooperationEvent)<-[:ASSERTS]-(:Resource)-->(n:Resource) RETURN n "
    "} "
    "WITH DISTINCT n "
    "RETURN n.iri AS iri, labels(n) AS labels, properties(n) AS properties, "
    "[(n)-[r]->(m:Resource) | [type(r), m.iri]] AS out"
)

#: Nodes carrying one of ``$labels`` (the reference kinds), without relationships.
NAMED_ENTITIES: LiteralString = (
    "MATCH (n:Resource) WHERE any(label IN labels(n) WHERE label IN $labels) "
    "RETURN n.iri AS iri, labels(n) AS labels, properties(n) AS properties"
)

#: Nodes by exact IRI (the unique constraint's index).
LOOKUP_IRI: LiteralString = "MATCH (n:Resource {iri: $value}) RETURN n.iri AS iri"

#: Nodes by exact id (the ``Resource.id`` index).
LOOKUP_ID: LiteralString = "MATCH (n:Resource {id: $value}) RETURN n.iri AS iri ORDER BY iri"

#: Relationships of the types in ``$types`` ending at each node.
INCOMING: LiteralString = (
    "UNWIND $iris AS iri "
    "MATCH (n:Resource {iri: iri})<-[r]-(m:Resource) WHERE type(r) IN $types "
    "RETURN type(r) AS type, m.iri AS start, n.iri AS end"
)

#: How many relationships of each type end at the node.
INCOMING_COUNTS: LiteralString = (
    "MATCH (n:Resource {iri: $iri})<-[r]-(:Resource) RETURN type(r) AS type, count(r) AS count"
)

#: Relationships path search follows, touching each node, whose other end is a path node.
NEIGHBOURS: LiteralString = (
    "UNWIND $iris AS iri "
    "MATCH (n:Resource {iri: iri}) WHERE any(label IN labels(n) WHERE label IN $labels) "
    f"MATCH (n)-[r:{_PATH}]-(m:Resource) WHERE any(label IN labels(m) WHERE label IN $labels) "
    "RETURN DISTINCT type(r) AS type, startNode(r).iri AS start, endNode(r).iri AS end"
)

# -- events -------------------------------------------------------------------------------------------

#: The filters every event selection applies after its anchor (see graph/store.py EventFilter).
#: The source actor is always the anchor when given (EVENTS_FROM, or the EXISTS of EVENTS_TO_FROM),
#: so it is not filtered again; the target is filtered here only when it is not the anchor.
_EVENT_FILTERS = (
    "($labels = [] OR any(label IN labels(e) WHERE label IN $labels)) "
    "AND CASE WHEN e.spanStart IS NULL AND e.spanEnd IS NULL THEN $includeUndated "
    "  ELSE ($until IS NULL OR e.spanStart IS NULL OR e.spanStart <= $until) "
    "   AND ($since IS NULL OR e.spanEnd IS NULL OR e.spanEnd >= $since) END "
    "AND ($claimFilter = false OR EXISTS { "
    "  MATCH (c:Claim)-[:ASSERTS]->(e) "
    "  WHERE ($status IS NULL OR c.status = $status) "
    "    AND ($maxReliability IS NULL OR "
    "         (c.sourceReliability <= $maxReliability AND c.informationCredibility <= $maxCredibility)) }) "
)
_TARGET_FILTER = (
    "($target IS NULL OR EXISTS { "
    f"  MATCH (e)-[r:{_TO}]->(t:Resource {{iri: $target}}) WHERE type(r) IN $toTypes }}) AND "
)
_EVENT_CONDITIONS = _TARGET_FILTER + _EVENT_FILTERS
_EVENT_PAGE = (
    "WITH e, coalesce(toString(e.spanStart), toString(e.spanEnd), '~') + ' ' + e.iri AS key "
    "WHERE $after IS NULL OR key > $after "
    "RETURN e.iri AS iri, key ORDER BY key LIMIT $limit"
)

#: Events flowing from ``$source``: seek the actor, expand to its events.
EVENTS_FROM: LiteralString = (
    f"MATCH (:Resource {{iri: $source}})<-[:{_FROM}]-(e:CooperationEvent) "
    f"WHERE {_EVENT_CONDITIONS}{_EVENT_PAGE}"
)

#: Events flowing to ``$target`` through ``$toTypes``: seek the actor, expand to its events.
EVENTS_TO: LiteralString = (
    f"MATCH (:Resource {{iri: $target}})<-[anchor:{_TO}]-(e:CooperationEvent) WHERE type(anchor) IN $toTypes "
    "WITH DISTINCT e "
    f"WHERE {_EVENT_FILTERS}{_EVENT_PAGE}"
)

#: Events flowing from ``$source`` to ``$target``, anchored on the target: chosen when the target
#: takes part in fewer events than the source (a busy supplier, a rare recipient).
EVENTS_TO_FROM: LiteralString = (
    f"MATCH (:Resource {{iri: $target}})<-[anchor:{_TO}]-(e:CooperationEvent) WHERE type(anchor) IN $toTypes "
    "WITH DISTINCT e "
    f"WHERE EXISTS {{ MATCH (e)-[:{_FROM}]->(:Resource {{iri: $source}}) }} AND {_EVENT_FILTERS}{_EVENT_PAGE}"
)

#: A selection of events for the store's cache (graph/neo4j/store.py): every event flowing from
#: ``$iri`` (anchor ``from``), or to it through any to-side or target relationship (``to``);
#: unordered, each with its key and what graph/event_filter.py's rule looks at: its labels, span,
#: the actors on the other side (``to``: every to-side and target relationship of an event from
#: ``$iri``; ``sources``: every from-side one of an event to ``$iri``), the relationships to
#: ``$iri`` itself for ``to`` (the filter's ``to_types`` are applied to them), and with
#: ``claims``, the gradings of the claims asserting it (only for a filter on claims: reading them
#: is about half the work). The store reads the columns by position: keep their order.
_SELECTION_ROWS: dict[str, LiteralString] = {
    "from": (
        f"MATCH (:Resource {{iri: $iri}})<-[:{_FROM}]-(e:CooperationEvent) WITH DISTINCT e "
        "RETURN e.iri AS iri, coalesce(toString(e.spanStart), toString(e.spanEnd), '~') + ' ' + e.iri AS key, "
        "labels(e) AS labels, e.spanStart AS start, e.spanEnd AS end, [] AS sources, "
        f"[(e)-[r:{_TO}]->(a:Resource) | [type(r), a.iri]] AS to, "
    ),
    "to": (
        f"MATCH (:Resource {{iri: $iri}})<-[:{_TO}]-(e:CooperationEvent) WITH DISTINCT e "
        "RETURN e.iri AS iri, coalesce(toString(e.spanStart), toString(e.spanEnd), '~') + ' ' + e.iri AS key, "
        "labels(e) AS labels, e.spanStart AS start, e.spanEnd AS end, "
        f"[(e)-[r:{_FROM}]->(a:Resource) | [type(r), a.iri]] AS sources, "
        f"[(e)-[r:{_TO}]->(a:Resource {{iri: $iri}}) | [type(r), a.iri]] AS to, "
    ),
}
_SELECTION_CLAIMS: dict[bool, LiteralString] = {
    False: "[] AS claims",
    True: "[(c:Claim)-[:ASSERTS]->(e) | [c.status, c.sourceReliability, c.informationCredibility]] AS claims",
}
#: (anchor, with claims) -> the query.
EVENT_SELECTIONS: dict[tuple[str, bool], LiteralString] = {
    (anchor, claims): _SELECTION_ROWS[anchor] + _SELECTION_CLAIMS[claims]
    for anchor in ("from", "to")
    for claims in (False, True)
}

#: How many events flow from and to an actor (Neo4j reads these from its degree store).
ACTOR_DEGREES: LiteralString = (
    "MATCH (a:Resource {iri: $iri}) "
    f"RETURN COUNT {{ (a)<-[:{_FROM}]-() }} AS sources, COUNT {{ (a)<-[:{_TO}]-() }} AS targets"
)

#: Events of one kind with no actor bound: a scan of that kind's label only.
EVENTS_OF_LABEL: dict[str, LiteralString] = {
    label: f"MATCH (e:{label}) WHERE {_EVENT_CONDITIONS}{_EVENT_PAGE}"
    for label in (
        "BasingAccess",
        "IndustrialCooperation",
        "JointExercise",
        "MaterielTransfer",
        "MilitaryFinancing",
        "OfficialStatement",
        "SupportRequest",
        "TechnologyTransfer",
        "TrainingSupport",
        "TroopDeployment",
        "WeaponsUse",
    )
}

#: Events of several kinds with no actor bound.
EVENTS_ALL: LiteralString = (
    f"MATCH (e:CooperationEvent) WHERE {_EVENT_CONDITIONS}{_EVENT_PAGE}"
)

#: Statements concerning an event between ``$a`` and ``$b`` (either way, through ``$toTypes``),
#: or made by one of them about the other.
STATEMENTS_BETWEEN: LiteralString = (
    "CALL () { "
    f"  MATCH (:Resource {{iri: $a}})<-[:{_FROM}]-(e:CooperationEvent)-[r]->(b:Resource) "
    "  WHERE b.iri = $b AND type(r) IN $toTypes "
    "  MATCH (s:OfficialStatement)-[:CONCERNS]->(e) RETURN s "
    "  UNION "
    f"  MATCH (:Resource {{iri: $b}})<-[:{_FROM}]-(e:CooperationEvent)-[r]->(a:Resource) "
    "  WHERE a.iri = $a AND type(r) IN $toTypes "
    "  MATCH (s:OfficialStatement)-[:CONCERNS]->(e) RETURN s "
    "  UNION "
    "  MATCH (:Resource {iri: $a})<-[:STATED_BY]-(s:OfficialStatement)-[:CONCERNS]->(b:Resource) "
    "  WHERE b.iri = $b RETURN s "
    "  UNION "
    "  MATCH (:Resource {iri: $b})<-[:STATED_BY]-(s:OfficialStatement)-[:CONCERNS]->(a:Resource) "
    "  WHERE a.iri = $a RETURN s "
    "} "
    "WITH s, coalesce(toString(s.spanStart), toString(s.spanEnd), '~') + ' ' + s.iri AS key "
    "WHERE $after IS NULL OR key > $after "
    "RETURN s.iri AS iri, key ORDER BY key LIMIT $limit"
)

# -- treaties, breaches, sources ----------------------------------------------------------------------

_TREATY_KEY = (
    "WITH t WHERE all(p IN $parties WHERE EXISTS { MATCH (t)-[:PARTY]->(x:Resource) WHERE x.iri = p }) "
    "RETURN t.iri AS iri, coalesce(toString(t.signedOn), '~') + ' ' + t.iri AS key ORDER BY key"
)

#: Treaties with the first of ``$parties`` as a party (and every other one): seek the party.
TREATIES_OF_PARTY: LiteralString = (
    f"MATCH (:Resource {{iri: $party}})<-[:PARTY]-(t:Treaty) {_TREATY_KEY}"
)

#: Every treaty (``$parties`` empty).
TREATIES_ALL: LiteralString = f"MATCH (t:Treaty) {_TREATY_KEY}"

_BREACH_CONDITIONS = (
    "WHERE ($measure IS NULL OR m.iri = $measure) "
    "AND ($state IS NULL OR EXISTS { "
    f"  MATCH (e)-[:{_SIDES}]->(x:Resource) WHERE x.iri = $state }}) "
    "WITH DISTINCT b, e "
    "WITH b, coalesce(toString(e.spanStart), toString(e.spanEnd), '~') + ' ' + b.iri AS key "
    "WHERE $after IS NULL OR key > $after "
    "RETURN b.iri AS iri, key ORDER BY key LIMIT $limit"
)

#: Breaches of ``$measure``: seek the measure.
BREACHES_OF_MEASURE: LiteralString = (
    "MATCH (m:Resource {iri: $measure})<-[:BREACHED_MEASURE]-(b:Breach)-[:BREACHING_EVENT]->(e:Resource) "
    f"{_BREACH_CONDITIONS}"
)

#: Breaches by events involving ``$state``: seek the state, expand to its events.
BREACHES_BY_STATE: LiteralString = (
    f"MATCH (:Resource {{iri: $state}})<-[:{_SIDES}]-(e:CooperationEvent)<-[:BREACHING_EVENT]-(b:Breach) "
    "MATCH (b)-[:BREACHED_MEASURE]->(m:Resource) "
    f"{_BREACH_CONDITIONS}"
)

#: Every breach.
BREACHES_ALL: LiteralString = (
    "MATCH (b:Breach)-[:BREACHING_EVENT]->(e:Resource) MATCH (b)-[:BREACHED_MEASURE]->(m:Resource) "
    f"{_BREACH_CONDITIONS}"
)

#: Every source document.
SOURCES: LiteralString = "MATCH (s:SourceDocument) RETURN s.iri AS iri ORDER BY iri"

#: Facts asserted by a claim read in ``$source`` or citing it.
SOURCE_FACTS: LiteralString = (
    "MATCH (:Resource {iri: $source})<-[:SOURCE|CITES]-(:Claim)-[:ASSERTS]->(f:Resource) "
    "WITH DISTINCT f.iri AS key WHERE $after IS NULL OR key > $after "
    "RETURN key AS iri, key ORDER BY key LIMIT $limit"
)

#: Each way a name can match in graph/store.py's ``SEARCH_MATCHES``, in Cypher over a name ``x``.
SEARCH_TESTS: dict[SearchMatch, LiteralString] = {
    "exact": "x = $text",
    "prefix": "x STARTS WITH $text",
    "contains": "x CONTAINS $text",
}
#: The rank of a node whose lower-cased names are ``names``: graph/store.py's search ranking
#: (``SEARCH_MATCHES``, the one definition), one ``WHEN`` per way of matching, best first; null
#: when no name contains ``$text``. tests/graph/test_parity.py checks it against ``search_rank``.
SEARCH_RANK: LiteralString = (
    "CASE "
    + " ".join(
        f"WHEN any(x IN names WHERE {SEARCH_TESTS[match]}) THEN {rank}" for rank, match in enumerate(SEARCH_MATCHES)
    )
    + " END"
)

#: Named nodes whose name, an alias or id contains ``$text`` (lower case), by :data:`SEARCH_RANK`
#: then IRI (the key is graph/store.py's ``search_key``).
_SEARCH_RANKED: LiteralString = (
    "WITH n, [x IN [n.name, n.id] + coalesce(n.aliases, []) | toLower(x)] AS names "
    f"WITH n, {SEARCH_RANK} AS rank "
    "WHERE rank IS NOT NULL "
    "WITH n, toString(rank) + ' ' + n.iri AS key WHERE $after IS NULL OR key > $after "
    "RETURN n.iri AS iri, key ORDER BY key LIMIT $limit"
)
SEARCH: LiteralString = "MATCH (n:Resource) WHERE n.name IS NOT NULL " + _SEARCH_RANKED

#: The same answer as :data:`SEARCH`, with the candidates taken from the names full-text index
#: by the Lucene query ``$lucene`` (graph/neo4j/fulltext.py, whose hits include every match) and
#: ranked by the same rule, so the index narrows the search without changing what it finds.
SEARCH_NAMES: LiteralString = (
    f"CALL db.index.fulltext.queryNodes('{NAMES_FULLTEXT_INDEX_NAME}', $lucene) YIELD node AS n "
    "WITH n WHERE n.name IS NOT NULL " + _SEARCH_RANKED
)

# -- status ---------------------------------------------------------------------------------------------

#: How many nodes carry ``$label`` (Neo4j answers from its count store).
COUNT_LABEL: dict[str, LiteralString] = {
    label: f"MATCH (n:{label}) RETURN count(n) AS count"
    for label in ("Breach", "Claim", "CooperationEvent", "SourceDocument", "State", "Treaty", "Resource")
}
