"""The breach rules (ontology/breach-rules.ttl): one entry per measure kind, each well formed."""

from __future__ import annotations

from rdflib import RDF, SKOS

from milcoop.ontology import ontology_graph
from milcoop.ontology.breach_rules import breach_rules
from milcoop.ontology.kinds import EVENT_KIND_LABELS
from milcoop.ontology.namespace import MC


def test_every_measure_kind_has_one_rule_or_says_why_nothing_is_derived() -> None:
    onto = ontology_graph()
    kinds = {str(onto.value(k, SKOS.notation)) for k in onto.subjects(RDF.type, MC.MeasureKind)}
    rules = breach_rules()
    assert set(rules) == kinds
    assert len({r.id for r in rules.values()}) == len(rules)
    assert {k for k, r in rules.items() if r.derives} == {"supply-ban", "procurement-ban", "quantity-cap"}


def test_each_rule_names_a_side_and_known_event_kinds() -> None:
    for rule in breach_rules().values():
        if not rule.derives:
            assert not rule.event_kinds and rule.target_side is None, rule.id
            continue
        assert rule.target_side in ("from", "to"), rule.id
        assert rule.event_kinds and rule.event_kinds <= set(EVENT_KIND_LABELS), rule.id
        assert rule.label and rule.definition, rule.id


def test_the_cap_rule_compares_only_lower_bounds_per_calendar_year() -> None:
    cap = breach_rules()["quantity-cap"]
    assert cap.requires_over_cap
    assert cap.lower_bound_qualifiers == {"exact", "more-than", "at-least"}
    assert [(r.cap_unit, r.claimed_unit, r.period) for r in cap.cap_readings] == [
        ("barrels-per-year", "barrels", "calendar-year")
    ]
    assert not cap.quantity_statuses & {"denied", "sought"}


def test_an_event_only_denied_or_sought_is_never_considered() -> None:
    for rule in breach_rules().values():
        if rule.derives:
            assert rule.event_statuses and not rule.event_statuses & {"denied", "sought"}, rule.id
