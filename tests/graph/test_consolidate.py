"""Consolidated quantities (graph/service/consolidate.py): each qualifier's interval, the
intersection, the claims that cannot all be true, and the claims that take no part.

The claims here are made up: XDA and XDB are ISO 3166-1 user-assigned codes, no real state, and
no source says any of these numbers.
"""

from __future__ import annotations

from fractions import Fraction

import pytest

from milcoop.graph.service.consolidate import Amount, Interval, consolidate, interval
from milcoop.ontology.tolerance import qualifier_tolerances, uncertain_tolerance

F = Fraction


def amount(qualifier: str, value: int = 1000, *, claim: str = "xda-xdb-shells--a", **kw: object) -> Amount:
    fields: dict[str, object] = {"unit": "rounds", "status": "reported", **kw}
    return Amount(claim=claim, value=value, qualifier=qualifier, **fields)  # type: ignore[arg-type]


def test_the_ontology_states_the_tolerances() -> None:
    assert qualifier_tolerances() == {"about": F(1, 10), "nearly": F(1, 10), "estimate": F(1, 10)}
    assert uncertain_tolerance() == F(1, 10)


@pytest.mark.parametrize(
    ("qualifier", "expected"),
    [
        ("exact", Interval(F(1000), True, F(1000), True)),
        ("about", Interval(F(900), True, F(1100), True)),
        ("estimate", Interval(F(900), True, F(1100), True)),
        ("nearly", Interval(F(900), True, F(1000), False)),
        ("more-than", Interval(F(1000), False, None, False)),
        ("at-least", Interval(F(1000), True, None, False)),
        ("as-many-as", Interval(F(0), True, F(1000), True)),
    ],
)
def test_each_qualifier_allows_its_interval(qualifier: str, expected: Interval) -> None:
    assert interval(amount(qualifier)) == expected


@pytest.mark.parametrize(
    ("qualifier", "expected"),
    [
        ("exact", Interval(F(900), True, F(1100), True)),
        ("about", Interval(F(800), True, F(1200), True)),
        ("nearly", Interval(F(800), True, F(1100), True)),
        ("more-than", Interval(F(900), True, None, False)),
        ("at-least", Interval(F(900), True, None, False)),
        # The 0 of "as many as" is not the number's: it stays.
        ("as-many-as", Interval(F(0), True, F(1100), True)),
    ],
)
def test_uncertain_moves_the_bounds_the_number_sets_outwards(qualifier: str, expected: Interval) -> None:
    assert interval(amount(qualifier, uncertain=True)) == expected


def test_an_unknown_qualifier_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown qualifier"):
        interval(amount("roughly"))


def test_the_intersection_keeps_the_tighter_bound_and_its_openness() -> None:
    (answer,) = consolidate(
        [
            amount("as-many-as", 9000, claim="xda-xdb-shells--a"),
            amount("nearly", 9000, claim="xda-xdb-shells--b"),
            amount("at-least", 8100, claim="xda-xdb-shells--c"),
        ]
    )
    assert (answer.low, answer.low_inclusive, answer.high, answer.high_inclusive) == (8100, True, 9000, False)
    assert answer.claims == ["xda-xdb-shells--a", "xda-xdb-shells--b", "xda-xdb-shells--c"]
    assert answer.conflicting == []
    assert [(i.claim, i.low, i.high) for i in answer.intervals] == [
        ("xda-xdb-shells--a", 0, 9000),
        ("xda-xdb-shells--b", 8100, 9000),
        ("xda-xdb-shells--c", 8100, None),
    ]


def test_bounds_stay_integers_where_whole() -> None:
    whole, fractional = consolidate([amount("about", 1000, unit="rounds"), amount("about", 3, unit="systems")])
    assert isinstance(whole.low, int) and isinstance(whole.high, int)
    assert (fractional.low, fractional.high) == (pytest.approx(2.7), pytest.approx(3.3))


def test_an_empty_intersection_names_the_claims_that_cannot_all_be_true() -> None:
    answers = consolidate(
        [
            amount("as-many-as", 5000, claim="xdb-xda-troops--a"),
            amount("more-than", 8000, claim="xdb-xda-troops--b"),
            amount("at-least", 100, claim="xdb-xda-troops--c"),  # meets both others
        ]
    )
    (answer,) = answers
    assert answer.conflicting == ["xdb-xda-troops--a", "xdb-xda-troops--b"]
    assert answer.claims == ["xdb-xda-troops--a", "xdb-xda-troops--b", "xdb-xda-troops--c"]
    assert (answer.low, answer.high) == (None, None)


def test_touching_bounds_meet_only_when_both_include_the_point() -> None:
    (meets,) = consolidate([amount("at-least", 1000, claim="x--a"), amount("as-many-as", 1000, claim="x--b")])
    assert (meets.low, meets.high, meets.conflicting) == (1000, 1000, [])
    (misses,) = consolidate([amount("more-than", 1000, claim="x--a"), amount("as-many-as", 1000, claim="x--b")])
    assert misses.conflicting == ["x--a", "x--b"]
    (nearly,) = consolidate([amount("nearly", 1000, claim="x--a"), amount("exact", 1000, claim="x--b")])
    assert nearly.conflicting == ["x--a", "x--b"]


def test_denied_and_sought_claims_take_no_part() -> None:
    answers = consolidate(
        [
            amount("about", 1000, claim="xda-xdb-shells--a"),
            amount("exact", 0, claim="xda-xdb-shells--denial", status="denied"),
            amount("exact", 50000, claim="xda-xdb-shells--request", status="sought"),
            amount("exact", 10, claim="xda-xdb-shells--sought-only", unit="missiles", status="sought"),
        ]
    )
    (answer,) = answers  # no entry for missiles: its only claim takes no part
    assert answer.claims == ["xda-xdb-shells--a"]
    assert (answer.low, answer.high, answer.conflicting) == (900, 1100, [])


def test_units_are_consolidated_apart() -> None:
    answers = consolidate([amount("exact", 5, unit="systems", claim="x--a"), amount("exact", 7, claim="x--b")])
    assert [(a.unit, a.low, a.high) for a in answers] == [("rounds", 7, 7), ("systems", 5, 5)]
