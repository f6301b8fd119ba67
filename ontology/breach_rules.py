"""The rules that derive breaches of sanctions measures, read from ``breach-rules.ttl``.

The Turtle file is the one definition; this module turns it into plain values, and
:mod:`milcoop.graph.service.derive` evaluates them over the stores' read primitives.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from rdflib import RDF, SKOS, Graph, Literal, Namespace, URIRef
from rdflib.term import Node

from milcoop.ontology import ONTOLOGY_DIR, _parse, ontology_graph

RULES_FILE = ONTOLOGY_DIR / "breach-rules.ttl"
MCR = Namespace("https://w3id.org/milcoop/rules#")


@dataclass(frozen=True)
class CapReading:
    """How a cap in ``cap_unit`` compares with a quantity claimed in ``claimed_unit``."""

    cap_unit: str
    claimed_unit: str
    period: str


@dataclass(frozen=True)
class BreachRule:
    """One rule (or, with ``derives_nothing``, the reason none applies) for one measure kind."""

    id: str
    measure_kind: str
    label: str
    definition: str
    target_side: str | None = None
    event_kinds: frozenset[str] = frozenset()
    excluded_statuses: frozenset[str] = frozenset()
    requires_over_cap: bool = False
    cap_readings: tuple[CapReading, ...] = ()
    lower_bound_qualifiers: frozenset[str] = frozenset()
    quantity_statuses: frozenset[str] = frozenset()
    event_statuses: frozenset[str] = frozenset()
    derives_nothing: str | None = None

    @property
    def derives(self) -> bool:
        return self.derives_nothing is None


def _notation(graph: Graph, iri: Node | None) -> str:
    value = graph.value(iri, SKOS.notation) if iri is not None else None
    if value is None:
        raise ValueError(f"{iri} has no skos:notation")
    return str(value)


def _texts(graph: Graph, subject: URIRef, prop: URIRef) -> frozenset[str]:
    return frozenset(str(o) for o in graph.objects(subject, prop))


def _text(graph: Graph, subject: URIRef, prop: URIRef) -> str | None:
    value = graph.value(subject, prop)
    return str(value) if value is not None else None


def rules_from(graph: Graph, onto: Graph) -> dict[str, BreachRule]:
    """The rules of ``graph`` by measure kind code (kind notations from ``onto``)."""
    rules: dict[str, BreachRule] = {}
    for subject in sorted(s for s in graph.subjects(RDF.type, MCR.BreachRule) if isinstance(s, URIRef)):
        kind = _notation(onto, graph.value(subject, MCR.forKind))
        if kind in rules:
            raise ValueError(f"two breach rules for measure kind {kind}")
        readings = tuple(
            sorted(
                (
                    CapReading(
                        cap_unit=_notation(onto, graph.value(r, MCR.capUnit)),
                        claimed_unit=_notation(onto, graph.value(r, MCR.claimedUnit)),
                        period=str(graph.value(r, MCR.capPeriod)),
                    )
                    for r in graph.objects(subject, MCR.capReading)
                ),
                key=lambda r: r.cap_unit,
            )
        )
        over_cap = graph.value(subject, MCR.requiresOverCap)
        rules[kind] = BreachRule(
            id=_notation(graph, subject),
            measure_kind=kind,
            label=_text(graph, subject, RDF_LABEL) or "",
            definition=_text(graph, subject, SKOS.definition) or "",
            target_side=_text(graph, subject, MCR.targetSide),
            event_kinds=_texts(graph, subject, MCR.eventKind),
            excluded_statuses=_texts(graph, subject, MCR.excludedStatus),
            requires_over_cap=isinstance(over_cap, Literal) and bool(over_cap.toPython()),
            cap_readings=readings,
            lower_bound_qualifiers=_texts(graph, subject, MCR.lowerBoundQualifier),
            quantity_statuses=_texts(graph, subject, MCR.quantityStatus),
            event_statuses=_texts(graph, subject, MCR.eventStatus),
            derives_nothing=_text(graph, subject, MCR.derivesNothing),
        )
    return rules


RDF_LABEL = URIRef("http://www.w3.org/2000/01/rdf-schema#label")


@cache
def breach_rules() -> dict[str, BreachRule]:
    """The shipped rules, by measure kind code (parsed once per process)."""
    return rules_from(_parse(RULES_FILE), ontology_graph())
