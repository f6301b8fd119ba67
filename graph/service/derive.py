"""Derived breaches: the rules of ontology/breach-rules.ttl evaluated over the stores' read
primitives (named entities, describe, select_events, incoming), so both stores derive the same.

A derived breach is a conclusion, never a source's claim: it carries the rule and what the rule
compared, and /v1/violations lists it with basis "derived" and no claims. docs/analysis.md
("Derived breaches") states the rules, what counts as in force, how materiel is matched and
what is never derived.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from milcoop.graph.service.assemble import Nodes, claims, claims_of, partial
from milcoop.graph.store import EventFilter, NodeView
from milcoop.ontology.breach_rules import BreachRule, breach_rules
from milcoop.ontology.kinds import EVENT_KIND_LABELS, FROM_TYPES, PARTICIPANT_TYPES, TO_TYPES, time_key

#: Events asked of the store per call while collecting a measure's candidates.
_BATCH = 1000


@dataclass(frozen=True)
class CapEvidence:
    claim: str
    source: str
    status: str
    value: int
    unit: str
    qualifier: str
    cap_value: int
    cap_unit: str
    cap_qualifier: str
    year: int


@dataclass(frozen=True)
class DerivedBreach:
    """One event that a rule finds under one measure, with what the rule compared."""

    id: str
    key: str
    rule: BreachRule
    event: str
    measure: str
    target: str
    side: str
    #: (item, covered concept, the system's category or None)
    items: tuple[tuple[str, str, str | None], ...]
    span_start: dt.date | None
    span_end: dt.date | None
    force_from: dt.date
    force_until: dt.date | None
    force_from_basis: str
    within: bool
    #: Every actor on either side of the event (for the ``state`` filter, as asserted breaches).
    sides: frozenset[str]
    cap: CapEvidence | None = None


def derived_breaches(nodes: Nodes) -> list[DerivedBreach]:
    """Every derived breach of the data version, sorted by key (cached with the version)."""
    cached = nodes.cached("derived", ["all"])
    if "all" in cached:
        found: list[DerivedBreach] = cached["all"]
        return found
    found = _derive(nodes)
    nodes.keep("derived", {"all": found})
    return found


def asserted_pairs(nodes: Nodes, events: Iterable[str]) -> set[tuple[str, str]]:
    """The (event, measure) pairs that an asserted breach (a mc:Breach node) links, for ``events``."""
    breaches = nodes.incoming(sorted(set(events)), "BREACHING_EVENT")
    views = nodes.views(sorted({b for bs in breaches.values() for b in bs}))
    return {(e, m) for v in views if (e := v.first("BREACHING_EVENT")) and (m := v.first("BREACHED_MEASURE"))}


def _derive(nodes: Nodes) -> list[DerivedBreach]:
    rules = breach_rules()
    measure_iris = sorted(v.iri for v in nodes.store.named_entities() if "SanctionsMeasure" in v.labels)
    found: list[DerivedBreach] = []
    for measure in nodes.views(measure_iris):
        rule = rules.get(str(measure.properties.get("measureKind", "")))
        if rule is not None and rule.derives:
            found.extend(_measure_breaches(nodes, rule, measure))
    return sorted(found, key=lambda d: d.key)


def _force(nodes: Nodes, measure: NodeView) -> tuple[dt.date, dt.date | None, str] | None:
    """The days the measure was certainly in force, and where the start comes from."""
    until = partial(measure.properties, "inForceUntil")
    end = until.first_day if until is not None else None
    start = partial(measure.properties, "inForceFrom")
    if start is not None:
        return start.last_day, end, "in-force-from"
    adopted = [
        (date.last_day, res.id)
        for res in nodes.views(measure.targets("IMPOSED_BY"))
        if (date := partial(res.properties, "adoptedOn")) is not None
    ]
    if not adopted:
        return None
    day, resolution = min(adopted)
    return day, end, resolution


def _events(nodes: Nodes, rule: BreachRule, target: str) -> list[NodeView]:
    labels = frozenset(EVENT_KIND_LABELS[k] for k in rule.event_kinds)
    flt = (
        EventFilter(source=target, labels=labels, include_undated=False)
        if rule.target_side == "from"
        else EventFilter(target=target, labels=labels, include_undated=False)
    )
    iris: list[str] = []
    after: str | None = None
    while True:
        batch = nodes.store.select_events(flt, after, _BATCH)
        iris.extend(iri for iri, _ in batch)
        if len(batch) < _BATCH:
            break
        after = batch[-1][1]
    return nodes.views(iris)


def _broader(nodes: Nodes, concepts: Iterable[str]) -> dict[str, set[str]]:
    """Each concept with itself and every concept it is narrower than (skos:broader*)."""
    closure: dict[str, set[str]] = {}
    for concept in concepts:
        seen: set[str] = set()
        todo = [concept]
        while todo:
            current = todo.pop()
            if current in seen:
                continue
            seen.add(current)
            view = nodes.get(current)
            if view is not None:
                todo.extend(view.targets("BROADER"))
        closure[concept] = seen
    return closure


def _matches(nodes: Nodes, items: list[str], covered: set[str]) -> list[tuple[str, str, str | None]]:
    """The event's items under a covered concept: (item, concept, the system's category)."""
    nodes.load(items)
    matched: list[tuple[str, str, str | None]] = []
    for item in items:
        view = nodes.get(item)
        if view is None:
            continue
        if "MaterielConcept" in view.labels:
            hits = _broader(nodes, [item])[item] & covered
            matched.extend((item, c, None) for c in sorted(hits))
        elif "WeaponSystem" in view.labels:
            categories = view.targets("CATEGORY")
            for category, above in _broader(nodes, categories).items():
                matched.extend((item, c, category) for c in sorted(above & covered))
    return sorted(set(matched))


def _asserted_as(nodes: Nodes, event: str, statuses: frozenset[str]) -> bool:
    """Whether a claim with one of ``statuses`` asserts the event."""
    views = nodes.views(claims_of(nodes, [event]).get(event, []))
    return any(str(v.properties.get("status", "")) in statuses for v in views)


def _over_cap(
    nodes: Nodes, rule: BreachRule, measure: NodeView, event: NodeView, force: tuple[dt.date, dt.date | None]
) -> CapEvidence | None:
    """The claim whose quantity shows this one transfer above a yearly cap (see the rule)."""
    start, end = event.properties.get("spanStart"), event.properties.get("spanEnd")
    if not isinstance(start, dt.date) or not isinstance(end, dt.date) or start.year != end.year:
        return None
    if start < force[0] or (force[1] is not None and end > force[1]):
        return None
    cap_iri = measure.first("CAP")
    cap = nodes.get(cap_iri) if cap_iri else None
    if cap is None:
        return None
    cap_unit, cap_value = str(cap.properties.get("unit", "")), int(cap.properties["value"])
    reading = next((r for r in rule.cap_readings if r.cap_unit == cap_unit and r.period == "calendar-year"), None)
    if reading is None:
        return None
    for claim in claims(nodes, claims_of(nodes, [event.iri]).get(event.iri, []), None):
        q = claim.quantity
        if (
            q is not None
            and q.unit == reading.claimed_unit
            and q.qualifier in rule.lower_bound_qualifiers
            and not q.uncertain
            and claim.status in rule.quantity_statuses
            and q.value > cap_value
        ):
            return CapEvidence(
                claim=claim.id,
                source=claim.source.id,
                status=claim.status,
                value=q.value,
                unit=q.unit,
                qualifier=q.qualifier,
                cap_value=cap_value,
                cap_unit=cap_unit,
                cap_qualifier=str(cap.properties.get("qualifier", "")),
                year=start.year,
            )
    return None


def _measure_breaches(nodes: Nodes, rule: BreachRule, measure: NodeView) -> list[DerivedBreach]:
    target = measure.first("TARGET_STATE")
    covers = set(measure.targets("COVERS_MATERIEL"))
    force = _force(nodes, measure)
    if target is None or not covers or force is None:
        return []
    force_from, force_until, basis = force
    side_types = FROM_TYPES if rule.target_side == "from" else TO_TYPES
    found = []
    for event in _events(nodes, rule, target):
        props = event.properties
        if target not in event.targets(*(t for t in side_types if t not in PARTICIPANT_TYPES)):
            continue
        if str(props.get("transferStatus", "")) in rule.excluded_statuses:
            continue
        start, end = props.get("spanStart"), props.get("spanEnd")
        start = start if isinstance(start, dt.date) else None
        end = end if isinstance(end, dt.date) else None
        if start is None and end is None:
            continue
        overlaps = (force_until is None or start is None or start <= force_until) and (end is None or end >= force_from)
        if not overlaps:
            continue
        if not _asserted_as(nodes, event.iri, rule.event_statuses):
            continue
        items = _matches(nodes, event.targets("ITEM"), covers)
        if not items:
            continue
        evidence = None
        if rule.requires_over_cap:
            evidence = _over_cap(nodes, rule, measure, event, (force_from, force_until))
            if evidence is None:
                continue
        within = (
            start is not None
            and start >= force_from
            and end is not None
            and (force_until is None or end <= force_until)
        )
        ident = f"derived--{rule.id}--{event.id}--{measure.id}"
        found.append(
            DerivedBreach(
                id=ident,
                key=time_key(start, ident, end),
                rule=rule,
                event=event.iri,
                measure=measure.iri,
                target=target,
                side=rule.target_side or "",
                items=tuple(items),
                span_start=start,
                span_end=end,
                force_from=force_from,
                force_until=force_until,
                force_from_basis=basis,
                within=within,
                sides=frozenset(event.targets(*FROM_TYPES, *TO_TYPES)),
                cap=evidence,
            )
        )
    return found
