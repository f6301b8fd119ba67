"""Store records (:class:`~milcoop.graph.store.NodeView`) turned into the answer models of
graph/models.py, through caches that live as long as one data version.

Every function here takes a :class:`Nodes`, the per-request reader: it describes each node once
per request and keeps what it learns in the service's cache of the data version
(:class:`~milcoop.graph.cache.VersionedLru`), so the sources, actors and busy events that recur
in every page are asked of the store once. Both stores hand over the same records, so what is
assembled here is the same for both.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Literal

from milcoop.graph import models as m
from milcoop.graph.cache import VersionedLru
from milcoop.graph.mapping import node_id
from milcoop.graph.service.consolidate import Amount, consolidate
from milcoop.graph.service.requests import Grade, Undated
from milcoop.graph.store import GraphStore, NodeView
from milcoop.ontology.dates import PartialDate
from milcoop.ontology.kinds import (
    CREDIBILITIES,
    ENTITY_KINDS,
    EVENT_LABEL_KINDS,
    EVENT_LABELS,
    FROM_TYPES,
    PARTICIPANT_TYPES,
    PLACE_ROLES,
    RELIABILITIES,
    TARGET_TYPES,
    TO_TYPES,
    UNDATED,
)

if TYPE_CHECKING:
    from milcoop.graph.service.derive import DerivedBreach
    from milcoop.graph.service.paths import PathSearch

#: Entries (node descriptions, claim lists, assembled events) the shared cache keeps; about
#: 1.5 KB each.
DEFAULT_CACHE_SIZE = 100_000

#: The identifiers an entity's answer lists apart: property key -> the name the answer gives it.
IDENTIFIERS: dict[str, str] = {
    "isoCode": "iso_code",
    "isoAlpha2": "iso_alpha2",
    "isoNumeric": "iso_numeric",
    "isoAlpha4": "iso_alpha4",
    "cowCode": "cow_code",
    "cowAbbreviation": "cow_abbreviation",
    "wikidataId": "wikidata",
}
#: What a claim's answer shows of the nodes it points at.
CLAIM_TARGETS: tuple[str, ...] = ("SOURCE", "CITES", "CLAIMED_QUANTITY", "ORDERED_QUANTITY", "DEAL_VALUE")
#: A claim's SIPRI trend-indicator values: property key -> the name the answer gives it.
TIV_KEYS: dict[str, str] = {"tivPerUnit": "per_unit", "tivOfOrder": "order", "tivDelivered": "delivered"}


# -- caches ----------------------------------------------------------------------------------------


class Nodes:
    """Describes nodes through the shared cache and the store, once per request.

    ``shared`` is the service's cache (None for none) and ``version`` the data version the
    request read: what is taken from the cache and kept in it belongs to that version. Nodes and
    their claims are described again and again (the same sources, actors and busy events in every
    page) and the store's answers change only with the data version, which empties the cache.
    Neo4j's version is re-read every few seconds (graph/neo4j/store.py), so after a load answers
    may lag by that long.
    """

    def __init__(self, store: GraphStore, shared: VersionedLru[str, Any] | None = None, version: str = "") -> None:
        self.store = store
        self.shared = shared
        self.version = version
        self.cache: dict[str, NodeView | None] = {}

    def cached(self, kind: str, keys: Iterable[str]) -> dict[str, Any]:
        """What the shared cache holds of ``kind`` for those of ``keys`` it holds (nothing without one)."""
        return self.shared.take(self.version, kind, keys) if self.shared is not None else {}

    def keep(self, kind: str, items: dict[str, Any]) -> None:
        """Keep ``items`` of ``kind`` in the shared cache, if there is one."""
        if self.shared is not None:
            self.shared.keep(self.version, kind, items)

    def load(self, iris: Iterable[str]) -> None:
        """Describe those of ``iris`` not yet known, in one store call."""
        missing = sorted({iri for iri in iris if iri not in self.cache})
        if not missing:
            return
        self.cache.update(self.cached("node", missing))
        missing = [iri for iri in missing if iri not in self.cache]
        if missing:
            found = self.store.describe(missing)
            fetched = {iri: found.get(iri) for iri in missing}
            self.cache.update(fetched)
            self.keep("node", fetched)

    def incoming(self, iris: Collection[str], rel_type: str) -> dict[str, list[str]]:
        """The starts of ``rel_type`` relationships ending at each of ``iris``."""
        kind = f"in:{rel_type}"
        found: dict[str, list[str]] = self.cached(kind, iris)
        missing = [iri for iri in iris if iri not in found]
        if missing:
            fetched: dict[str, list[str]] = {iri: [] for iri in missing}
            for edge in self.store.incoming(missing, [rel_type]):
                fetched[edge.end].append(edge.start)
            found.update(fetched)
            self.keep(kind, fetched)
        return found

    def get(self, iri: str) -> NodeView | None:
        """The node, or None when the store has no such node."""
        if iri not in self.cache:
            self.load([iri])
        return self.cache[iri]

    def views(self, iris: Iterable[str]) -> list[NodeView]:
        """The nodes that exist among ``iris``, in order (described in one call)."""
        chosen = list(iris)
        self.load(chosen)
        return [v for v in (self.get(i) for i in chosen) if v is not None]

    def targets(self, iri: str) -> list[str]:
        """Where the node's outgoing relationships lead (none for an unknown node)."""
        view = self.get(iri)
        return [t for _, t in view.out] if view else []

    def ref(self, iri: str) -> m.Ref:
        """The node as a reference: id, IRI, kind, name."""
        view = self.get(iri)
        if view is None:
            return m.Ref(id=node_id(iri), iri=iri, kind="resource", name=None)
        return m.Ref(id=view.id, iri=iri, kind=kind_of(view.labels), name=view.name)

    def ref_or_none(self, iri: str | None) -> m.Ref | None:
        """:meth:`ref`, or None for no IRI."""
        return self.ref(iri) if iri else None

    def refs(self, iris: Iterable[str]) -> list[m.Ref]:
        """The nodes as references, by id then IRI."""
        return sorted((self.ref(iri) for iri in iris), key=lambda r: (r.id, r.iri))


def kind_of(labels: Collection[str]) -> str:
    """The kind shown to users for a node with these labels: an event's kind, else the entity's."""
    for label in sorted(labels):
        if label in EVENT_LABEL_KINDS:
            return EVENT_LABEL_KINDS[label]
    for label in sorted(labels):
        if label in ENTITY_KINDS:
            return ENTITY_KINDS[label]
    return "resource"


# -- values --------------------------------------------------------------------------------------------


def partial(props: Any, key: str) -> PartialDate | None:
    """A date property with its precision (``<key>Precision``, a day when absent)."""
    value = props.get(key)
    if not isinstance(value, dt.date):
        return None
    return PartialDate.from_date(value, str(props.get(f"{key}Precision", "day")))


def date_value(props: Any, key: str) -> m.DateValue | None:
    """A date property as an answer: as precise as the sources give it."""
    date = partial(props, key)
    return m.DateValue(value=str(date), precision=date.precision) if date is not None else None


def text(props: Any, key: str) -> str | None:
    """A property as text, None when absent."""
    value = props.get(key)
    return None if value is None else str(value)


def integer(props: Any, key: str) -> int | None:
    """A property as a number, None when absent."""
    value = props.get(key)
    return None if value is None else int(value)


def quantity(view: NodeView | None) -> m.Quantity | None:
    """A Quantity node (a claimed quantity, a measure's cap) as an answer."""
    if view is None:
        return None
    return m.Quantity(
        value=int(view.properties["value"]),
        unit=str(view.properties.get("unit", "")),
        qualifier=str(view.properties.get("qualifier", "")),
        uncertain=flag(view.properties, "uncertain"),
    )


def flag(props: Any, key: str) -> bool | None:
    """A boolean property, None when absent."""
    value = props.get(key)
    return None if value is None else bool(value)


def many(props: Any, key: str) -> list[Any]:
    """A many-valued property as a list (one value stored alone counts as a list of one)."""
    value = props.get(key)
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def codes(props: Any, key: str) -> list[str]:
    """A many-valued property of codes as sorted text; empty when absent."""
    return sorted(str(v) for v in many(props, key))


def tiv(props: Any) -> m.Tiv | None:
    """A claim's SIPRI trend-indicator values, None when it gives none."""
    values = {name: float(props[key]) for key, name in TIV_KEYS.items() if props.get(key) is not None}
    return m.Tiv(**values) if values else None


def meets(claim: NodeView, grade: Grade | None) -> bool:
    """Whether a claim's grading is at least ``grade`` (an ungraded claim counts as the worst)."""
    if grade is None:
        return True
    reliability = str(claim.properties.get("sourceReliability", RELIABILITIES[-1]))
    credibility = int(claim.properties.get("informationCredibility", CREDIBILITIES[-1]))
    return reliability <= grade[0] and credibility <= grade[1]


# -- claims --------------------------------------------------------------------------------------------


def claims_of(nodes: Nodes, iris: Collection[str]) -> dict[str, list[str]]:
    """The claims asserting each of ``iris``, described with their sources and quantities in
    two batches (one store call each, whatever the number of facts)."""
    found = nodes.incoming(iris, "ASSERTS")
    claim_iris = [c for cs in found.values() for c in cs]
    nodes.load(claim_iris)
    nodes.load(t for c in claim_iris if (view := nodes.cache.get(c)) is not None for t in view.targets(*CLAIM_TARGETS))
    return found


def claims(nodes: Nodes, claim_iris: Iterable[str], grade: Grade | None) -> list[m.Claim]:
    """The claims that meet ``grade``, by id."""
    views = [v for v in nodes.views(sorted(set(claim_iris))) if meets(v, grade)]
    nodes.load(t for v in views for t in v.targets(*CLAIM_TARGETS))
    answers = []
    for view in views:
        props = view.properties
        source = nodes.ref_or_none(view.first("SOURCE"))
        claimed, ordered, value = (view.first(t) for t in ("CLAIMED_QUANTITY", "ORDERED_QUANTITY", "DEAL_VALUE"))
        answers.append(
            m.Claim(
                id=view.id,
                source=m.SourceRef(
                    id=source.id if source else "",
                    iri=source.iri if source else "",
                    name=source.name if source else None,
                ),
                cites=[m.SourceRef(id=r.id, iri=r.iri, name=r.name) for r in nodes.refs(view.targets("CITES"))],
                status=str(props.get("status", "")),
                grading=f"{props.get('sourceReliability', '')}{props.get('informationCredibility', '')}",
                quote=text(props, "quote"),
                locator=text(props, "locator"),
                attribution=text(props, "attribution"),
                quantity=quantity(nodes.get(claimed) if claimed else None),
                ordered=quantity(nodes.get(ordered) if ordered else None),
                value=quantity(nodes.get(value) if value else None),
                tiv=tiv(props),
                note=text(props, "analystNote"),
            )
        )
    return sorted(answers, key=lambda c: c.id)


# -- events ----------------------------------------------------------------------------------------------


def events(nodes: Nodes, iris: Sequence[str], grade: Grade | None = None) -> list[m.Event]:
    """The events as answers, in the order given; assembled ones come from the shared cache
    (an event's answer depends only on the data version and the grade its claims must meet)."""
    kind = f"event:{grade}"
    cached: dict[str, m.Event] = nodes.cached(kind, iris)
    missing = [iri for iri in iris if iri not in cached]
    if missing:
        built = {event.iri: event for event in _build_events(nodes, missing, grade)}
        nodes.keep(kind, built)
        cached.update(built)
    return [cached[iri] for iri in iris if iri in cached]


def _build_events(nodes: Nodes, iris: Sequence[str], grade: Grade | None) -> list[m.Event]:
    views = nodes.views(iris)
    claims_by_event = claims_of(nodes, [v.iri for v in views])
    nodes.load(target for v in views for _, target in v.out)
    answers = []
    for view in views:
        props = view.properties
        event_claims = claims(nodes, claims_by_event.get(view.iri, []), grade)
        start, end = partial(props, "startDate"), partial(props, "endDate")
        period = None
        if start is not None or end is not None:
            period = m.Period(
                start=str(start) if start is not None else None,
                start_precision=start.precision if start is not None else None,
                end=str(end) if end else None,
                end_precision=end.precision if end else None,
            )
        places = [
            m.PlaceRole(place=nodes.ref(target), role=PLACE_ROLES[rel_type])
            for rel_type, target in view.out
            if rel_type in PLACE_ROLES
        ]
        quantities = [
            m.ClaimedQuantity(
                value=c.quantity.value,
                unit=c.quantity.unit,
                qualifier=c.quantity.qualifier,
                uncertain=c.quantity.uncertain,
                claim=c.id,
                source=c.source.id,
                status=c.status,
            )
            for c in event_claims
            if c.quantity is not None
        ]
        # Participants are on both sides of every query (mc:participant is a sub-property of
        # mc:fromActor and mc:toActor), but an exercise has no direction: no from, no to.
        sides = [(t, target) for t, target in view.out if t not in PARTICIPANT_TYPES]
        first_from = next((target for t, target in sides if t in FROM_TYPES), None)
        first_to = next((target for t, target in sides if t in TO_TYPES), None)
        answers.append(
            m.Event(
                id=view.id,
                iri=view.iri,
                kind=kind_of(view.labels),
                name=view.name,
                description=text(props, "description"),
                from_=nodes.ref_or_none(first_from),
                to=nodes.ref_or_none(first_to),
                participants=nodes.refs(view.targets(*PARTICIPANT_TYPES)),
                against=nodes.refs(view.targets(*TARGET_TYPES)),
                items=nodes.refs(view.targets("ITEM")),
                quantities=quantities,
                period=period,
                transport=sorted(str(t) for t in props.get("transportMode", [])),
                vessels=sorted(str(v) for v in props.get("vesselName", [])),
                places=sorted(places, key=lambda p: (p.role, p.place.id)),
                stance=text(props, "stance"),
                concerns=nodes.refs(view.targets("CONCERNS")),
                uses=nodes.refs(view.targets("USES_MATERIEL_FROM")),
                in_exchange_for=nodes.refs(view.targets("IN_EXCHANGE_FOR")),
                on_behalf_of=nodes.ref_or_none(view.first("ON_BEHALF_OF")),
                transfer_status=text(props, "transferStatus"),
                terms=text(props, "transferTerms"),
                condition=text(props, "materielCondition"),
                production=text(props, "productionArrangement"),
                ordered=date_value(props, "orderDate"),
                ordered_uncertain=flag(props, "orderDateUncertain"),
                delivery_years=sorted(int(y) for y in many(props, "deliveryYear")),
                delivery_years_uncertain=flag(props, "deliveryYearsUncertain"),
                access=codes(props, "accessKind"),
                forms=codes(props, "industrialForm"),
                form=text(props, "financingForm"),
                consolidated=consolidate(
                    Amount(q.claim, q.value, q.unit, q.qualifier, q.status, q.uncertain) for q in quantities
                ),
                statuses=sorted({c.status for c in event_claims}),
                claims=event_claims,
            )
        )
    return answers


def flow_query(
    nodes: Nodes,
    source: str | None,
    target: str | None,
    kinds: list[str],
    window: tuple[dt.date | None, dt.date | None],
    undated: Undated,
    status: str | None,
    grade: Grade | None,
) -> m.FlowQuery:
    """What an event page selected, as the answer echoes it."""
    start, end = window
    return m.FlowQuery(
        from_=nodes.ref_or_none(source),
        to=nodes.ref_or_none(target),
        kinds=kinds,
        since=start.isoformat() if start else None,
        until=end.isoformat() if end else None,
        undated=undated,
        status=status,
        min_grade=f"{grade[0]}{grade[1]}" if grade else None,
    )


def relation_items(nodes: Nodes, keyed: Sequence[tuple[str, str]], a: str, b: str) -> list[m.RelationItem]:
    """One page of the timeline between actors ``a`` and ``b``: treaties and events, in order."""
    iris = [iri for iri, _ in keyed]
    nodes.load([a, b, *iris])
    treaty_iris = [i for i in iris if (v := nodes.get(i)) is not None and "Treaty" in v.labels]
    event_iris = [i for i in iris if i not in treaty_iris]
    by_event = {e.iri: e for e in events(nodes, event_iris)}
    by_treaty = {t.iri: t for t in treaties(nodes, treaty_iris)}
    items = []
    for iri, key in keyed:
        day = key.split(" ", 1)[0]
        start = None if day == UNDATED else day
        if iri in by_treaty:
            items.append(m.RelationItem(type="treaty", start=start, treaty=by_treaty[iri]))
        elif iri in by_event:
            event = by_event[iri]
            if event.period is None or event.period.start is None:
                start = None  # the key's day is the event's end: its start is not known
            direction: Literal["a-to-b", "b-to-a"] | None = None
            if event.from_ is not None and event.kind != "official-statement":
                direction = "a-to-b" if event.from_.iri == a else "b-to-a" if event.from_.iri == b else None
            items.append(m.RelationItem(type="event", start=start, direction=direction, event=event))
    return items


# -- treaties ------------------------------------------------------------------------------------------


def treaties(nodes: Nodes, iris: Sequence[str]) -> list[m.Treaty]:
    """The treaties as answers, in the order given, with provisions, ratifications and claims."""
    views = nodes.views(iris)
    claims_by_treaty = claims_of(nodes, [v.iri for v in views])
    replaced_by = nodes.incoming([v.iri for v in views], "REPLACES")
    nodes.load([t for v in views for _, t in v.out] + [r for rs in replaced_by.values() for r in rs])
    nodes.load(t for v in views for i in v.targets("RATIFICATION") for t in nodes.targets(i))
    answers = []
    for view in views:
        props = view.properties
        provisions = [
            m.Provision(
                id=provision.id,
                article=integer(provision.properties, "articleNumber"),
                kind=text(provision.properties, "provisionKind"),
                name=provision.name,
                summary=text(provision.properties, "description"),
            )
            for provision in nodes.views(view.targets("PROVISION"))
        ]
        ratifications = [
            m.Ratification(
                state=nodes.ref_or_none(step.first("RATIFYING_STATE")),
                date=date_value(step.properties, "ratifiedOn"),
                step=step.name,
            )
            for step in nodes.views(view.targets("RATIFICATION"))
        ]
        open_ended = props.get("openEnded")
        answers.append(
            m.Treaty(
                id=view.id,
                iri=view.iri,
                name=view.name,
                title=text(props, "title"),
                parties=nodes.refs(view.targets("PARTY")),
                signed=date_value(props, "signedOn"),
                signed_at=nodes.ref_or_none(view.first("SIGNED_AT")),
                signatories=nodes.refs(view.targets("SIGNATORY")),
                article_count=integer(props, "articleCount"),
                open_ended=bool(open_ended) if open_ended is not None else None,
                entry_into_force=date_value(props, "entryIntoForce"),
                terminated=date_value(props, "terminatedOn"),
                replaces=nodes.refs(view.targets("REPLACES")),
                replaced_by=nodes.refs(replaced_by.get(view.iri, [])),
                provisions=sorted(provisions, key=lambda p: (p.article or 0, p.id)),
                ratifications=sorted(
                    ratifications,
                    key=lambda r: (
                        r.date.value if r.date else UNDATED,
                        r.state.id if r.state else "",
                        r.step or "",
                    ),
                ),
                claims=claims(nodes, claims_by_treaty.get(view.iri, []), None),
            )
        )
    return answers


def in_force(nodes: Nodes, iris: Sequence[str], day: dt.date) -> set[str]:
    """Those of the treaties ``iris`` in force on ``day``: entered into force by then (the whole
    entry-into-force date on or before it), not terminated on or before it, and not replaced
    by a treaty in force on it."""
    # Follow REPLACES backwards until every treaty that replaces one of ours is known.
    replaced_by: dict[str, list[str]] = {}
    known: set[str] = set()
    todo = set(iris)
    while todo:
        nodes.load(todo)
        known |= todo
        found = nodes.store.incoming(sorted(todo), ["REPLACES"])
        for edge in found:
            replaced_by.setdefault(edge.end, []).append(edge.start)
        todo = {edge.start for edge in found} - known

    memo: dict[str, bool] = {}

    def holds(iri: str, seen: frozenset[str]) -> bool:
        if iri in memo:
            return memo[iri]
        view = nodes.get(iri)
        result = False
        if view is not None and iri not in seen:
            entry = partial(view.properties, "entryIntoForce")
            ended = partial(view.properties, "terminatedOn")
            result = (
                entry is not None
                and entry.last_day <= day
                and (ended is None or ended.first_day > day)
                and not any(holds(r, seen | {iri}) for r in replaced_by.get(iri, []))
            )
        memo[iri] = result
        return result

    return {iri for iri in iris if holds(iri, frozenset())}


# -- breaches --------------------------------------------------------------------------------------------


def violations(nodes: Nodes, ids: Sequence[str], derived: Sequence[DerivedBreach] = ()) -> list[m.Violation]:
    """The breaches as answers, in the order given, each with its event and measure: ``ids``
    holds breach IRIs (asserted) and the ids of ``derived`` ones; an asserted breach names the
    rules of ``derived`` that find the same event and measure."""
    by_id = {d.id: d for d in derived}
    views = {v.iri: v for v in nodes.views([i for i in ids if i not in by_id])}
    event_iris = sorted(
        {e for v in views.values() if (e := v.first("BREACHING_EVENT"))} | {by_id[i].event for i in ids if i in by_id}
    )
    measure_iris = sorted(
        {x for v in views.values() if (x := v.first("BREACHED_MEASURE"))}
        | {by_id[i].measure for i in ids if i in by_id}
    )
    by_event = {e.iri: e for e in events(nodes, event_iris)}
    by_measure = measures(nodes, measure_iris)
    claims_by_breach = claims_of(nodes, list(views))
    rules_by_pair: dict[tuple[str, str], list[m.Rule]] = {}
    for d in derived:
        rules_by_pair.setdefault((d.event, d.measure), []).append(rule_answer(d))
    answers = []
    for ident in ids:
        if ident in by_id:
            answers.append(derived_violation(nodes, by_id[ident], by_event, by_measure))
            continue
        view = views.get(ident)
        if view is None:
            continue
        event_iri, measure_iri = view.first("BREACHING_EVENT"), view.first("BREACHED_MEASURE")
        answers.append(
            m.Violation(
                id=view.id,
                iri=view.iri,
                name=view.name,
                basis="asserted",
                also_derived_by=sorted(rules_by_pair.get((event_iri or "", measure_iri or ""), []), key=lambda r: r.id),
                event=by_event.get(event_iri) if event_iri else None,
                measure=by_measure.get(measure_iri) if measure_iri else None,
                claims=claims(nodes, claims_by_breach.get(view.iri, []), None),
            )
        )
    return answers


def rule_answer(derived: DerivedBreach) -> m.Rule:
    rule = derived.rule
    return m.Rule(id=rule.id, measure_kind=rule.measure_kind, label=rule.label, definition=rule.definition)


def _day(day: dt.date | None) -> str | None:
    return day.isoformat() if day is not None else None


def derived_violation(
    nodes: Nodes, d: DerivedBreach, by_event: dict[str, m.Event], by_measure: dict[str, m.Measure]
) -> m.Violation:
    """A derived breach as an answer: the rule, what it rests on, and no claims."""
    nodes.load([d.event, d.measure, d.target, *(i for item in d.items for i in item if i)])
    event, measure = nodes.ref(d.event), nodes.ref(d.measure)
    cap = None
    if d.cap is not None:
        c = d.cap
        cap = m.CapComparison(
            claim=c.claim,
            source=c.source,
            status=c.status,
            quantity=m.Quantity(value=c.value, unit=c.unit, qualifier=c.qualifier),
            cap=m.Quantity(value=c.cap_value, unit=c.cap_unit, qualifier=c.cap_qualifier),
            year=c.year,
        )
    rests_on = m.RestsOn(
        event=event,
        measure=measure,
        target=nodes.ref(d.target),
        side="from" if d.side == "from" else "to",
        items=[
            m.MatchedItem(item=nodes.ref(item), covered=nodes.ref(covered), category=nodes.ref_or_none(category))
            for item, covered, category in d.items
        ],
        event_span=m.DaySpan(start=_day(d.span_start), end=_day(d.span_end)),
        in_force=m.DaySpan(start=_day(d.force_from), end=_day(d.force_until)),
        in_force_from=d.force_from_basis,
        within=d.within,
        cap=cap,
    )
    return m.Violation(
        id=d.id,
        iri=None,
        name=f"Derived by rule {d.rule.id}: {event.id} under {measure.id}",
        basis="derived",
        rule=rule_answer(d),
        rests_on=rests_on,
        event=by_event.get(d.event),
        measure=by_measure.get(d.measure),
        claims=[],
    )


def measures(nodes: Nodes, iris: Sequence[str]) -> dict[str, m.Measure]:
    """The sanctions measures as answers, by IRI, with their caps and resolutions."""
    views = nodes.views(iris)
    nodes.load(t for v in views for _, t in v.out)
    nodes.load(t for v in views for r in v.targets("IMPOSED_BY") for t in nodes.targets(r))
    answers = {}
    for view in views:
        cap = view.first("CAP")
        resolutions = [
            m.Resolution(
                id=res.id,
                iri=res.iri,
                name=res.name,
                number=integer(res.properties, "resolutionNumber"),
                adopted=date_value(res.properties, "adoptedOn"),
                by=nodes.ref_or_none(res.first("ADOPTED_BY")),
            )
            for res in nodes.views(view.targets("IMPOSED_BY"))
        ]
        answers[view.iri] = m.Measure(
            id=view.id,
            iri=view.iri,
            name=view.name,
            kind=text(view.properties, "measureKind"),
            target=nodes.ref_or_none(view.first("TARGET_STATE")),
            covers=nodes.refs(view.targets("COVERS_MATERIEL")),
            cap=quantity(nodes.get(cap) if cap else None),
            resolutions=sorted(resolutions, key=lambda r: (r.number or 0, r.id)),
        )
    return answers


# -- sources ---------------------------------------------------------------------------------------------


def sources(nodes: Nodes, iris: Sequence[str]) -> list[m.Source]:
    """The source documents as answers, in the order given, with how many claims use each."""
    answers = []
    for view in nodes.views(iris):
        props = view.properties
        counts = nodes.store.incoming_counts(view.iri)
        answers.append(
            m.Source(
                id=view.id,
                iri=view.iri,
                name=view.name,
                title=text(props, "title"),
                publisher=text(props, "publisher"),
                kind=text(props, "sourceKind"),
                number=text(props, "documentNumber"),
                issued=date_value(props, "issued"),
                briefed=date_value(props, "briefedOn"),
                urls=sorted(str(u) for u in props.get("url", [])),
                description=text(props, "description"),
                claims_read_here=counts.get("SOURCE", 0),
                claims_citing=counts.get("CITES", 0),
            )
        )
    return answers


def supported_facts(nodes: Nodes, source: str, fact_iris: Sequence[str]) -> list[m.SupportedFact]:
    """The facts ``source`` supports, each with the claims that tie it to the source: read in it
    (``source``) or attributed to it (``cites``)."""
    nodes.load(fact_iris)
    claims_by_fact = claims_of(nodes, fact_iris)
    facts = []
    for fact in fact_iris:
        tied = []
        via: set[Literal["source", "cites"]] = set()
        for claim in nodes.views(claims_by_fact.get(fact, [])):
            if source in claim.targets("SOURCE"):
                via.add("source")
                tied.append(claim.iri)
            if source in claim.targets("CITES"):
                via.add("cites")
                tied.append(claim.iri)
        facts.append(m.SupportedFact(fact=nodes.ref(fact), claims=claims(nodes, tied, None), via=sorted(via)))
    return facts


# -- entities --------------------------------------------------------------------------------------------


def summary(nodes: Nodes, iri: str) -> m.EntitySummary:
    """An entity in a list: reference and aliases."""
    ref = nodes.ref(iri)
    view = nodes.get(iri)
    aliases = sorted(str(a) for a in view.properties.get("aliases", [])) if view else []
    return m.EntitySummary(id=ref.id, iri=ref.iri, kind=ref.kind, name=ref.name, aliases=aliases)


def entity_detail(nodes: Nodes, view: NodeView) -> m.EntityDetail:
    """One entity in full: identifiers, properties, outgoing links, counts of incoming ones, and
    the event or treaty answer when it is one."""
    iri = view.iri
    nodes.load(t for _, t in view.out)
    identifiers = {
        name: str(value) for key, name in IDENTIFIERS.items() if (value := view.properties.get(key)) is not None
    }
    skip = {"iri", "id", "name", "aliases", "description", *IDENTIFIERS}
    properties: dict[str, Any] = {}
    for key, value in sorted(view.properties.items()):
        if key in skip or key.endswith("Precision"):
            continue
        if isinstance(value, dt.date):
            date = date_value(view.properties, key)
            properties[key] = date.model_dump() if date else value.isoformat()
        elif isinstance(value, list):
            properties[key] = [v.isoformat() if isinstance(v, dt.date) else v for v in value]
        else:
            properties[key] = value
    outgoing = sorted(
        (m.Link(type=rel_type, target=nodes.ref(target)) for rel_type, target in view.out),
        key=lambda link: (link.type, link.target.id, link.target.iri),
    )
    counts = nodes.store.incoming_counts(iri)
    return m.EntityDetail(
        entity=summary(nodes, iri),
        identifiers=identifiers,
        description=text(view.properties, "description"),
        properties=properties,
        outgoing=outgoing,
        incoming=[m.LinkCount(type=t, count=c) for t, c in sorted(counts.items())],
        event=events(nodes, [iri])[0] if view.labels & EVENT_LABELS else None,
        treaty=treaties(nodes, [iri])[0] if "Treaty" in view.labels else None,
    )


# -- paths -----------------------------------------------------------------------------------------------


def path_answer(nodes: Nodes, search: PathSearch, limit: int) -> m.PathAnswer:
    """A finished path search as an answer: its counts and the first ``limit`` paths."""
    paths = list(search.paths(limit))
    nodes.load([search.source, search.target, *[n for p in paths for n in p[0]]])
    return m.PathAnswer(
        from_=nodes.ref(search.source),
        to=nodes.ref(search.target),
        max_hops=search.max_hops,
        length=search.length,
        total=search.count(),
        complete=search.complete,
        paths=[
            m.Path(
                length=len(steps),
                nodes=[nodes.ref(n) for n in path_nodes],
                steps=[m.PathStep(type=rel_type, direction=d) for rel_type, d in steps],
            )
            for path_nodes, steps in paths
        ],
    )
