"""Consolidated quantities: what the claims' numbers allow together.

Every claim keeps its source's words ("as many as 9 million", "nearly nine million"). Here each
claim's number, qualifier and uncertainty become the interval of amounts it allows, and the
claims of one unit are intersected: the amounts they all allow, or, when there are none, the
claims that cannot all be true. The rule (docs/analysis.md, "Consolidated quantities"):

============  ===========================
exact         [v, v]
about         [v(1-t), v(1+t)]
estimate      [v(1-t), v(1+t)]
nearly        [v(1-t), v)
more-than     (v, no upper bound)
at-least      [v, no upper bound)
as-many-as    [0, v]
============  ===========================

``t`` is the qualifier's ``mc:tolerance`` in milcoop.ttl. An uncertain number (``mc:uncertain``)
moves each bound the number sets (not the 0 of as-many-as, not the open top) outwards by
``u * v``, ``u`` being ``mc:uncertain``'s tolerance, and makes it inclusive. Only claims whose
status asserts the amount take part: not ``denied``, not ``sought``.

The result is derived, never a source's claim; it is pure (no store), so both stores, which hand
the same claims to graph/service/assemble.py, answer alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction

from milcoop.graph import models as m
from milcoop.ontology.tolerance import qualifier_tolerances, uncertain_tolerance

#: Claim statuses whose quantity is not an amount the source asserts happened: a party's
#: denial, and what was sought or requested rather than delivered.
NOT_ASSERTING: frozenset[str] = frozenset({"denied", "sought"})


@dataclass(frozen=True)
class Amount:
    """One claim's quantity, as consolidation needs it."""

    claim: str
    value: int
    unit: str
    qualifier: str
    status: str
    uncertain: bool | None = None


@dataclass(frozen=True)
class Interval:
    """Amounts from ``low`` to ``high`` (None: no upper bound), exact fractions."""

    low: Fraction
    low_inclusive: bool
    high: Fraction | None
    high_inclusive: bool

    @property
    def empty(self) -> bool:
        if self.high is None:
            return False
        return self.low > self.high or (self.low == self.high and not (self.low_inclusive and self.high_inclusive))

    def meet(self, other: Interval) -> Interval:
        """The amounts both allow (possibly :attr:`empty`)."""
        if self.low != other.low:
            low, low_inclusive = max((self.low, self.low_inclusive), (other.low, other.low_inclusive))
        else:
            low, low_inclusive = self.low, self.low_inclusive and other.low_inclusive
        if self.high is None or other.high is None:
            high, high_inclusive = (
                (other.high, other.high_inclusive) if self.high is None else (self.high, self.high_inclusive)
            )
        elif self.high != other.high:
            high, high_inclusive = min((self.high, self.high_inclusive), (other.high, other.high_inclusive))
        else:
            high, high_inclusive = self.high, self.high_inclusive and other.high_inclusive
        return Interval(low, low_inclusive, high, high_inclusive)


def interval(
    amount: Amount,
    tolerances: Mapping[str, Fraction] | None = None,
    uncertain_by: Fraction | None = None,
) -> Interval:
    """The amounts ``amount``'s number and qualifier allow (tolerances from the ontology unless given)."""
    tolerances = qualifier_tolerances() if tolerances is None else tolerances
    v = Fraction(amount.value)
    q = amount.qualifier
    # (low, low inclusive, high, high inclusive, whether the number sets the low / the high)
    if q == "exact":
        low, low_in, high, high_in, sets_low, sets_high = v, True, v, True, True, True
    elif q in ("about", "estimate"):
        t = tolerances[q]
        low, low_in, high, high_in, sets_low, sets_high = v * (1 - t), True, v * (1 + t), True, True, True
    elif q == "nearly":
        t = tolerances[q]
        low, low_in, high, high_in, sets_low, sets_high = v * (1 - t), True, v, False, True, True
    elif q == "more-than":
        low, low_in, high, high_in, sets_low, sets_high = v, False, None, False, True, False
    elif q == "at-least":
        low, low_in, high, high_in, sets_low, sets_high = v, True, None, False, True, False
    elif q == "as-many-as":
        low, low_in, high, high_in, sets_low, sets_high = Fraction(0), True, v, True, False, True
    else:
        raise ValueError(f"claim {amount.claim}: unknown qualifier {q!r}")
    if amount.uncertain:
        u = uncertain_tolerance() if uncertain_by is None else uncertain_by
        if sets_low:
            low, low_in = max(Fraction(0), low - u * v), True
        if sets_high and high is not None:
            high, high_in = high + u * v, True
    return Interval(low, low_in, high, high_in)


def number(value: Fraction) -> int | float:
    """A bound as an answer: an integer where it is whole."""
    return value.numerator if value.denominator == 1 else float(value)


def consolidate(
    amounts: Iterable[Amount],
    tolerances: Mapping[str, Fraction] | None = None,
    uncertain_by: Fraction | None = None,
) -> list[m.ConsolidatedQuantity]:
    """Per unit (sorted), the intersection of the asserting claims' intervals, or the claims
    that conflict. Claims with a status in :data:`NOT_ASSERTING` take no part; a unit none of
    whose claims takes part gets no entry."""
    by_unit: dict[str, list[tuple[str, Interval]]] = {}
    for amount in sorted(amounts, key=lambda a: a.claim):
        if amount.status in NOT_ASSERTING:
            continue
        by_unit.setdefault(amount.unit, []).append((amount.claim, interval(amount, tolerances, uncertain_by)))
    answers = []
    for unit, intervals in sorted(by_unit.items()):
        together = intervals[0][1]
        for _, each in intervals[1:]:
            together = together.meet(each)
        # On a line, intervals share a point iff every two of them do (Helly), so the claims
        # that cannot all be true are those whose interval misses another's (or is empty itself,
        # as "nearly 0").
        conflicting = (
            sorted({c for c, a in intervals for d, b in intervals if a.empty or (c != d and a.meet(b).empty)})
            if together.empty
            else []
        )
        answers.append(
            m.ConsolidatedQuantity(
                unit=unit,
                low=None if conflicting else number(together.low),
                low_inclusive=False if conflicting else together.low_inclusive,
                high=None if conflicting or together.high is None else number(together.high),
                high_inclusive=False if conflicting else together.high_inclusive,
                claims=[c for c, _ in intervals],
                intervals=[
                    m.ClaimInterval(
                        claim=c,
                        low=number(i.low),
                        low_inclusive=i.low_inclusive,
                        high=None if i.high is None else number(i.high),
                        high_inclusive=i.high_inclusive,
                    )
                    for c, i in intervals
                ],
                conflicting=conflicting,
            )
        )
    return answers
