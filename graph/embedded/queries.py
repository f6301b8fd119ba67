"""SPARQL read queries of the embedded store, as named constants.

Request values reach these queries only as SEP-0007 substitutions (``EmbeddedStore.select``'s
``bindings``), never as text. Oxigraph substitutes only variables the query projects, so every
parameter appears in the SELECT clause. It also decides ``BOUND(?x)`` from the query text alone,
so an optional filter cannot be switched off by leaving its variable unbound: every parameter is
always bound, and "no filter" is spelt with a flag (``?hasSince false``) or a sentinel
(``?target`` bound to :data:`NONE`, ``?kinds`` to the empty string).

Ordering keys are the same strings the Neo4j store computes (``milcoop.ontology.kinds.time_key``):
``"<day> <iri>"``, the day being an event's ``spanStart``, else its ``spanEnd`` (a start not
known), else ``~`` (undated). Each query returns at most :data:`MAX_ROWS` rows; callers slice.
"""

from __future__ import annotations

from milcoop.ontology.kinds import FROM_TYPES, TO_TYPES
from milcoop.ontology.vocabulary import vocabulary

#: The sentinel bound to an IRI parameter that does not filter.
NONE = "urn:milcoop:none"

#: A constant LIMIT (it cannot be a parameter): the API's largest page plus one.
MAX_ROWS = 501

PREFIXES = """\
PREFIX mc: <https://w3id.org/milcoop/ontology#>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
"""


def _iris(types: tuple[str, ...]) -> str:
    vocab = vocabulary()
    return " ".join(f"<{vocab.relationship_for_type(t).iri}>" for t in types)



#: The first day a partial date (xsd:gYear, xsd:gYearMonth or xsd:date) denotes, as a string.
_FIRST_DAY = (
    'IF(DATATYPE(?signed) = xsd:gYear, CONCAT(STR(?signed), "-01-01"), '
    'IF(DATATYPE(?signed) = xsd:gYearMonth, CONCAT(STR(?signed), "-01"), STR(?signed)))'
)

#: Treaties with ``?party1`` and ``?party2`` as parties (each only when its flag is set), keyed
#: by the first day of signature.
TREATIES = f"""{PREFIXES}
SELECT ?t ?key ?hasParty1 ?party1 ?hasParty2 ?party2 WHERE {{
  ?t rdf:type mc:Treaty .
  FILTER(!?hasParty1 || EXISTS {{ ?t mc:party ?party1 }})
  FILTER(!?hasParty2 || EXISTS {{ ?t mc:party ?party2 }})
  OPTIONAL {{ ?t mc:signedOn ?signed }}
  BIND(CONCAT(IF(BOUND(?signed), {_FIRST_DAY}, "~"), " ", STR(?t)) AS ?key)
}} ORDER BY ?key
"""

#: The predicates linking an event to the actors on either side (the sub-properties of
#: mc:fromActor and mc:toActor, ontology/kinds.py).
_SIDE_PREDICATES = _iris(tuple(sorted({*FROM_TYPES, *TO_TYPES})))

_BREACH_PARAMETERS = "?hasState ?state ?hasMeasure ?measure ?after"
_BREACH_CONDITIONS = f"""
  ?breach rdf:type mc:Breach ; mc:breachingEvent ?e ; mc:breachedMeasure ?m .
  FILTER(!?hasMeasure || ?m = ?measure)
  FILTER(!?hasState || EXISTS {{ ?e ?side ?state . VALUES ?side {{ {_SIDE_PREDICATES} }} }})
  OPTIONAL {{ ?e mc:spanStart ?spanStart }}
  OPTIONAL {{ ?e mc:spanEnd ?spanEnd }}
  BIND(CONCAT(COALESCE(STR(?spanStart), STR(?spanEnd), "~"), " ", STR(?breach)) AS ?key)
  FILTER(?key > ?after)
"""

#: Breaches of ``?measure``: anchored on the measure.
BREACHES_OF_MEASURE = f"""{PREFIXES}
SELECT ?breach ?key {_BREACH_PARAMETERS} WHERE {{
  ?breach mc:breachedMeasure ?measure .
  {_BREACH_CONDITIONS}
}} ORDER BY ?key LIMIT {MAX_ROWS}
"""

#: Breaches by events involving ``?state``: anchored on the state.
BREACHES_BY_STATE = f"""{PREFIXES}
SELECT DISTINCT ?breach ?key {_BREACH_PARAMETERS} WHERE {{
  VALUES ?anchorSide {{ {_SIDE_PREDICATES} }}
  ?anchorEvent ?anchorSide ?state .
  ?breach mc:breachingEvent ?anchorEvent .
  {_BREACH_CONDITIONS}
}} ORDER BY ?key LIMIT {MAX_ROWS}
"""

#: Every breach (no state or measure given).
BREACHES = f"""{PREFIXES}
SELECT ?breach ?key {_BREACH_PARAMETERS} WHERE {{
  {_BREACH_CONDITIONS}
}} ORDER BY ?key LIMIT {MAX_ROWS}
"""

#: Every source document.
SOURCES = f"""{PREFIXES}
SELECT ?s WHERE {{ ?s rdf:type mc:SourceDocument }}
"""

#: Facts asserted by a claim read in ``?source`` or citing it, keyed by IRI.
SOURCE_FACTS = f"""{PREFIXES}
SELECT DISTINCT ?fact ?key ?source ?after WHERE {{
  {{ ?claim mc:source ?source }} UNION {{ ?claim mc:cites ?source }}
  ?claim mc:asserts ?fact .
  BIND(STR(?fact) AS ?key)
  FILTER(?key > ?after)
}} ORDER BY ?key LIMIT {MAX_ROWS}
"""

#: Named nodes with a name, alias or id containing ``?text`` (lower case). The store ranks the
#: rows in Python (exact, prefix, contains), as the Neo4j store does in Cypher.
SEARCH = f"""{PREFIXES}
SELECT ?n ?label ?text WHERE {{
  {{
    ?n skos:prefLabel ?label .
  }} UNION {{
    ?n skos:altLabel ?label ; skos:prefLabel ?name .
  }} UNION {{
    ?n skos:prefLabel ?name .
    BIND(REPLACE(STR(?n), "^.*[/#]", "") AS ?label)
  }}
  FILTER(CONTAINS(LCASE(STR(?label)), ?text))
}}
"""
