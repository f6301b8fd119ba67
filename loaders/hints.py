"""'Did you mean' hints: the candidate closest in spelling to a misspelt value, or none.

A hint must help and never mislead. It names a candidate only when the value is a few typing
slips away from one of its spellings, counted as an optimal-string-alignment distance (the
Levenshtein edits, plus swapping two adjacent characters as one edit), case and surrounding
whitespace ignored. How many slips are allowed grows with the value's length
(:func:`max_edits`): a value of two characters must match but for case, and a word does not
become one of another meaning that merely shares letters ("ordered" is four edits from
"denied" and from every other claim status, so it gets no hint, where difflib's ratio
suggested "denied").

Candidates are either names that suggest themselves or a mapping from each spelling to what
to suggest, so a state may be found by its name, an alias or its code and the hint names the
code ("Rusia" and "North Korae" give RUS and PRK).

Hints cost comparisons, so each compilation gets a budget of them (:data:`_HINT_BUDGET`,
restored by :func:`reset_budget`); once it is spent, :func:`did_you_mean` returns ``""`` at once
and :func:`hinting` tells callers not to gather candidates at all. This module imports nothing
of milcoop.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from contextvars import ContextVar

#: "Did you mean" hints compare a misspelt value with every candidate, and the cost grows with
#: the product of their lengths: a 455 kB file with 8,000 place ids and 3,000 misspelt
#: references kept validation busy for more than ten minutes (in difflib, which hints used
#: before). Each compilation may spend this many character pairs on hints (a second or two);
#: problems found after that carry none. A hint is charged, for every candidate, the
#: candidate's length (folding it and comparing lengths) and, when the lengths are close enough
#: to be compared, the product of both lengths; the comparison itself stays within a band of
#: the table and stops early, so it costs less than it is charged.
_HINT_BUDGET = 10_000_000
#: What setting up one comparison costs, in character pairs' worth of time, so that short
#: values against many short ids are not undercharged. Measured on a shared 2-core machine, a
#: whole budget took from 0.1 s to 1.6 s of CPU over the shapes tried, the slowest 13-character
#: values against ids three spread-out edits away (every row of the band computed).
_COMPARISON_PAIRS = 32
#: No id is this long, so a longer value gets no hint.
_HINT_MAX_CHARS = 100
_hints_left: ContextVar[int] = ContextVar("milcoop_hints_left", default=_HINT_BUDGET)


def max_edits(length: int) -> int:
    """How many edits a value of ``length`` characters may be from a spelling to be hinted.

    0 up to 2 characters (only case may differ: one edit in "UA" gives "US"), 1 up to 5 ("RUSS"
    -> RUS, "Rusia" -> Russia, but "Korea" is two deletions from KOR and gets nothing), 2 up
    to 12 ("reportd" -> reported, "msmt-2026-9" -> msmt-2025-1) and 3 beyond
    ("ballistic-misile" -> ballistic-missile). Small on purpose: a hint undoes a slip or two of
    typing; it does not look for a word that happens to share letters ("ordered" is four edits
    from "denied"; "as-many" three insertions short of as-many-as, so no hint either).
    """
    if length <= 2:
        return 0
    if length <= 5:
        return 1
    if length <= 12:
        return 2
    return 3


def reset_budget() -> None:
    """Give the current context a full hint budget: one call per compilation, before it starts."""
    _hints_left.set(_HINT_BUDGET)


def hinting() -> bool:
    """Whether hints are still given: callers skip gathering candidates once this is False."""
    return _hints_left.get() > 0


def suggest(value: str, candidates: Mapping[str, str] | Iterable[str]) -> str | None:
    """The candidate closest in spelling to ``value``, or None when none is close enough.

    ``candidates`` is either a :class:`~collections.abc.Mapping` from each spelling (a name, an
    alias, a code) to what to suggest for it, or any other iterable of names, each suggesting
    itself. Beware: every Mapping is read as spelling -> suggestion, so pass a dict's ``keys()``
    when its keys are the names and its values something else.

    Spellings are compared with ``value`` case-insensitively (casefolded) and with surrounding
    whitespace ignored, by optimal-string-alignment distance, and only within
    :func:`max_edits` of the value's length. The closest wins; among equally close spellings,
    the suggestion the most of them map to (two names of one state beat one of another), then
    the alphabetically first suggestion, so the answer never depends on the candidates' order.

    A value that equals a spelling but for case or whitespace is at distance 0, and its
    suggestion is returned: callers ask only about values they could not resolve, and for them
    that is the answer ("Reported" for a status that is case-sensitive gives "reported"). An
    empty value gets None. No budget is spent: :func:`did_you_mean` is what callers that compare
    untrusted input should use.
    """
    folded = value.strip().casefold()
    if not folded:
        return None
    return _closest(folded, list(_pool(candidates)))


def did_you_mean(value: str, candidates: Mapping[str, str] | Iterable[str]) -> str:
    """``" (did you mean X?)"`` with :func:`suggest`'s answer, or ``""``, spending the budget.

    Returns ``""`` at once when the budget is spent, for a value longer than
    :data:`_HINT_MAX_CHARS`, and when the call would cost more than is left (the budget is then
    spent: later problems carry no hint either, rather than some of them).
    """
    left = _hints_left.get()
    if left <= 0:
        return ""
    folded = value.strip().casefold()
    if not folded or len(folded) > _HINT_MAX_CHARS:
        return ""
    bound = max_edits(len(folded))
    pool: list[tuple[str, str]] = []
    cost = 0
    for spelling, suggestion in _pool(candidates):
        cost += len(spelling)
        if abs(len(spelling) - len(folded)) <= bound:
            cost += _COMPARISON_PAIRS + len(folded) * len(spelling)
            pool.append((spelling, suggestion))
        if cost > left:
            # Spent: from here on no hints at all, so callers stop gathering candidates too.
            _hints_left.set(0)
            return ""
    _hints_left.set(left - cost)
    close = _closest(folded, pool)
    return f" (did you mean {close}?)" if close is not None else ""


def _pool(candidates: Mapping[str, str] | Iterable[str]) -> Iterable[tuple[str, str]]:
    """Each candidate as (folded spelling, suggestion), empty spellings left out."""
    pairs: Iterable[tuple[str, str]] = (
        candidates.items() if isinstance(candidates, Mapping) else ((name, name) for name in candidates)
    )
    for spelling, suggestion in pairs:
        folded = spelling.strip().casefold()
        if folded:
            yield folded, suggestion


def _closest(folded: str, pool: list[tuple[str, str]]) -> str | None:
    """The suggestion of the spellings in ``pool`` closest to ``folded`` (both folded)."""
    limit = max_edits(len(folded))
    # The spellings at distance `limit`, by suggestion.
    agreeing: dict[str, set[str]] = {}
    for spelling, suggestion in pool:
        # Once one is found, only as close is of interest: ties count, farther ones do not.
        distance = _distance(folded, spelling, limit)
        if distance > limit:
            continue
        if distance < limit:
            limit = distance
            agreeing = {}
        agreeing.setdefault(suggestion, set()).add(spelling)
    if not agreeing:
        return None
    return min(agreeing, key=lambda suggestion: (-len(agreeing[suggestion]), suggestion))


def _distance(a: str, b: str, bound: int) -> int:
    """The optimal-string-alignment distance of ``a`` and ``b``, or ``bound + 1`` if it is larger.

    Levenshtein's insertions, deletions and substitutions plus transpositions of two adjacent
    characters, each one edit, where no substring is edited twice (Damerau–Levenshtein's
    restricted form: "ca" to "abc" is 3, not 2). Lengths more than ``bound`` apart are not
    compared at all; a common prefix and suffix are set aside (they change no distance, and ids
    often share long ones: ``fictional-place-001x``); only the cells within ``bound`` of the
    table's diagonal are computed (any other is farther than ``bound``); and the table stops at
    the first row whose every cell exceeds ``bound``, so a far candidate costs a few rows.
    """
    if a == b:
        return 0
    over = bound + 1
    if bound <= 0 or abs(len(a) - len(b)) > bound:
        return over
    if a and b and a[0] == b[0]:
        head = _common_prefix(a, b)
        a, b = a[head:], b[head:]
    if a and b and a[-1] == b[-1]:
        tail = _common_prefix(a[::-1], b[::-1])
        a, b = a[:-tail], b[:-tail]
    n, m = len(a), len(b)
    if not n or not m:
        return n or m  # within bound: the lengths are
    if bound == 1:
        # What is left of one edit, now that it starts and ends with a difference: one character
        # against none or one, or two swapped ones. Codes and short words end here, table-free.
        return 1 if max(n, m) == 1 or (n == m == 2 and a == b[::-1]) else over
    # Three rows of the table: i-2, i-1 and i. A cell not computed holds `over`.
    before: list[int] = [over] * (m + 1)
    previous: list[int] = [*range(min(m, bound) + 1), *[over] * (m - bound)]
    for i in range(1, n + 1):
        current = [over] * (m + 1)
        current[0] = i if i <= bound else over
        row_min = current[0]
        ai = a[i - 1]
        swap = a[i - 2] if i > 1 else ""
        for j in range(max(1, i - bound), min(m, i + bound) + 1):
            bj = b[j - 1]
            # Equal characters: the diagonal, which no edit beats (neighbouring cells differ by 1).
            cell = previous[j - 1]
            if ai != bj:
                if previous[j] < cell:
                    cell = previous[j]
                if current[j - 1] < cell:
                    cell = current[j - 1]
                cell += 1
                if bj == swap and j > 1 and ai == b[j - 2] and before[j - 2] + 1 < cell:
                    cell = before[j - 2] + 1
                if cell > over:
                    cell = over
            current[j] = cell
            if cell < row_min:
                row_min = cell
        if row_min > bound:
            return over
        before, previous = previous, current
    return previous[m]


def _common_prefix(a: str, b: str) -> int:
    """How many leading characters ``a`` and ``b`` share, found by comparing slices (in C)."""
    low, high = 0, min(len(a), len(b))
    while low < high:
        middle = (low + high + 1) // 2
        if a[:middle] == b[:middle]:
            low = middle
        else:
            high = middle - 1
    return low


__all__ = ["did_you_mean", "hinting", "max_edits", "reset_budget", "suggest"]
