"""'Did you mean' hints (milcoop.loaders.hints): close in spelling, never of opposite meaning, bounded."""

from __future__ import annotations

import random
import string
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from milcoop.loaders import hints
from milcoop.loaders.curated import bundled_facts_dir, compile_facts
from milcoop.loaders.hints import did_you_mean, hinting, max_edits, reset_budget, suggest
from milcoop.loaders.problems import CurationError
from milcoop.ontology.namespace import MC
from milcoop.ontology.vocabulary import vocabulary

# The codes as the ontology defines them (a new code changes the message, not this test).
STATUSES = sorted(vocabulary().enum_properties[MC.status].codes)
QUALIFIERS = sorted(vocabulary().enum_properties[MC.qualifier].codes)

#: A transfer with one claim; {from_}, {to}, {status} and {quantity} are filled in by each test.
FACTS = """\
sources:
  - id: test-article
    kind: news-article
    publisher: Test Publisher
    name: Test article
events:
  - id: test-transfer
    kind: materiel-transfer
    name: Test transfer
    from: {from_}
    to: {to}
    items: [ammunition]
    claims:
      - source: test-article
        status: {status}
        grading: C3
{quantity}"""


@pytest.fixture(autouse=True)
def _full_budget() -> Iterator[None]:
    """Each test starts with, and leaves behind, a full budget (the context is the test session's)."""
    reset_budget()
    yield
    reset_budget()


def _problems(tmp_path: Path, from_: str = "RUS", to: str = "PRK", status: str = "reported", quantity: str = "") -> list[str]:
    """The problems of the facts above compiled with the bundled reference states, as shown."""
    path = tmp_path / "facts.yaml"
    path.write_text(FACTS.format(from_=from_, to=to, status=status, quantity=quantity))
    with pytest.raises(CurationError) as caught:
        compile_facts([path, bundled_facts_dir() / "reference"], shacl=False)
    return [str(p) for p in caught.value.problems]


def _about(problems: list[str], value: str) -> str:
    """The one problem that quotes ``value``."""
    (problem,) = [p for p in problems if f"'{value}'" in p]
    return problem


# -- through validation ------------------------------------------------------------------------


def test_states_are_hinted_from_their_names_and_aliases(tmp_path: Path) -> None:
    """Codes alone gave "North Korae" nothing: it is one swap from the alias North Korea."""
    problems = _problems(tmp_path, from_="Rusia", to="North Korae")
    assert _about(problems, "Rusia").endswith("'Rusia' is not a known state, organisation or person (did you mean RUS?)")
    assert _about(problems, "North Korae").endswith(
        "'North Korae' is not a known state, organisation or person (did you mean PRK?)"
    )


def test_a_mistyped_qid_is_not_hinted_as_the_state_it_resembles(tmp_path: Path) -> None:
    """Q195 is one swap from RUS's Q159, but a digit off is another Wikidata entity, not a slip."""
    problems = _problems(tmp_path, from_="Q195")
    assert "did you mean" not in _about(problems, "Q195")


def test_a_status_of_another_meaning_gets_no_hint(tmp_path: Path) -> None:
    """difflib suggested 'denied' for 'ordered': four edits away, beyond the bound of 2."""
    problem = _about(_problems(tmp_path, status="ordered"), "ordered")
    assert problem.endswith(f"status 'ordered' is not one of {', '.join(sorted(STATUSES))}")
    assert "did you mean" not in problem


def test_a_misspelt_status_is_hinted(tmp_path: Path) -> None:
    assert _about(_problems(tmp_path, status="reportd"), "reportd").endswith("(did you mean reported?)")


@pytest.mark.parametrize(
    ("qualifier", "hint"),
    [
        # 9 characters, 2 edits allowed: one letter short.
        ("as-many-a", " (did you mean as-many-as?)"),
        # 7 characters, 2 edits allowed: three letters short, so no hint.
        ("as-many", ""),
        # 7 characters: one letter dropped.
        ("at-lest", " (did you mean at-least?)"),
    ],
)
def test_qualifiers_are_hinted_within_the_bound(tmp_path: Path, qualifier: str, hint: str) -> None:
    quantity = f"        quantity: {{value: 5, unit: rounds, qualifier: {qualifier}}}\n"
    problem = _about(_problems(tmp_path, quantity=quantity), qualifier)
    assert problem.endswith(f"qualifier '{qualifier}' is not one of {', '.join(sorted(QUALIFIERS))}{hint}")


def test_each_compilation_gets_a_fresh_budget(tmp_path: Path) -> None:
    hints._hints_left.set(0)
    assert not hinting()
    assert _about(_problems(tmp_path, status="reportd"), "reportd").endswith("(did you mean reported?)")


# -- suggest() ---------------------------------------------------------------------------------


def test_edits_allowed_grow_with_the_length() -> None:
    assert [max_edits(n) for n in (1, 2, 3, 5, 6, 12, 13, 100)] == [0, 0, 1, 1, 2, 2, 3, 3]


def test_adjacent_transpositions_are_one_edit() -> None:
    # Three characters allow one edit: a swap is one, where Levenshtein counts two.
    assert suggest("RSU", ["RUS", "USA"]) == "RUS"
    assert suggest("nroth korea", {"north korea": "PRK", "south korea": "KOR"}) == "PRK"
    # Optimal string alignment edits no substring twice: "ca" -> "abc" is 3, not 2.
    assert hints._distance("ca", "abc", 3) == 3


def test_case_and_surrounding_whitespace_are_ignored() -> None:
    assert suggest("rEPORTD", STATUSES) == "reported"
    assert suggest("  Russia ", {"russia": "RUS"}) == "RUS"
    # An exact match but for case is returned: the caller could not resolve it (case-sensitive codes).
    assert suggest("Reported", STATUSES) == "reported"


def test_a_mapping_suggests_its_values_and_an_iterable_itself() -> None:
    assert suggest("Rusia", {"russia": "RUS", "russian federation": "RUS", "rus": "RUS"}) == "RUS"
    assert suggest("Rusia", ["Russia", "Ukraine"]) == "Russia"


@pytest.mark.parametrize(
    ("value", "candidates"),
    [
        ("ordered", STATUSES),
        ("xyz", STATUSES),
        ("as-many", QUALIFIERS),
        # Two characters must match but for case: "UA" is one edit from both US and UK.
        ("UA", {"us": "USA", "uk": "GBR"}),
        # "Korea" is two deletions from KOR, beyond the one edit five characters allow.
        ("Korea", {"kor": "KOR", "prk": "PRK"}),
        ("", ["a"]),
        ("anything", []),
    ],
)
def test_far_values_get_none(value: str, candidates: dict[str, str] | list[str]) -> None:
    assert suggest(value, candidates) is None


def test_ties_are_broken_the_same_way_whatever_the_order() -> None:
    # Equally close: the alphabetically first suggestion.
    assert suggest("abd", ["abe", "abc"]) == suggest("abd", ["abc", "abe"]) == "abc"
    # Equally close, but two spellings of Y agree against one of X.
    spellings = {"abc": "X", "abe": "Y", "abf": "Y"}
    assert suggest("abd", spellings) == suggest("abd", dict(reversed(spellings.items()))) == "Y"
    # Closer beats more numerous.
    assert suggest("abcd", {"abcx": "X", "abxy": "Y", "abyx": "Y"}) == "X"


def test_distance_agrees_with_the_full_table() -> None:
    """The banded, early-exiting, affix-stripping distance against the plain textbook table."""

    def osa(a: str, b: str) -> int:
        d = [[i + j if i * j == 0 else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
        for i in range(1, len(a) + 1):
            for j in range(1, len(b) + 1):
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] != b[j - 1]))
                if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                    d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
        return d[-1][-1]

    rng = random.Random(0)
    for _ in range(20_000):
        a, b = ("".join(rng.choice("abc") for _ in range(rng.randint(0, 8))) for _ in range(2))
        bound = rng.randint(0, 4)
        assert hints._distance(a, b, bound) == min(osa(a, b), bound + 1), (a, b, bound)


# -- the budget ----------------------------------------------------------------------------------


def test_the_budget_is_spent_and_then_nothing_is_hinted(monkeypatch: pytest.MonkeyPatch) -> None:
    reset_budget()
    assert did_you_mean("reportd", STATUSES) == " (did you mean reported?)"
    one_hint = hints._HINT_BUDGET - hints._hints_left.get()
    assert one_hint > 0

    monkeypatch.setattr(hints, "_HINT_BUDGET", one_hint * 3 // 2)
    reset_budget()
    assert hinting()
    assert did_you_mean("reportd", STATUSES) == " (did you mean reported?)"
    # The second would cost more than is left: none, and the budget is spent rather than kept
    # for cheaper calls, so problems after this one carry no hint either.
    assert did_you_mean("reportd", STATUSES) == ""
    assert not hinting()
    assert did_you_mean("reportd", ["reported"]) == ""
    reset_budget()
    assert did_you_mean("reportd", ["reported"]) == " (did you mean reported?)"


def test_a_value_longer_than_any_id_gets_no_hint_and_costs_nothing() -> None:
    reset_budget()
    long = "a" * (hints._HINT_MAX_CHARS + 1)
    assert did_you_mean(long, [long[:-1]]) == ""
    assert hints._hints_left.get() == hints._HINT_BUDGET


def _words(rng: random.Random, count: int, length: int) -> list[str]:
    return ["".join(rng.choice(string.ascii_lowercase) for _ in range(length)) for _ in range(count)]


def test_ten_thousand_candidates_and_a_long_value_stay_bounded() -> None:
    rng = random.Random(1)
    value = _words(rng, 1, 100)[0]

    # Short ids: none within three edits in length, so only the scan is charged.
    short = _words(rng, 10_000, 8)
    reset_budget()
    started = time.process_time()
    assert did_you_mean(value, short) == ""
    assert time.process_time() - started < 2
    assert hints._HINT_BUDGET - hints._hints_left.get() == 80_000

    # As long as the value: comparing them all would cost 10,000 x 100 x 100 pairs, over the
    # budget, so the call stops scanning there and spends it.
    long = _words(rng, 10_000, 100)
    reset_budget()
    started = time.process_time()
    assert did_you_mean(value, long) == ""
    assert time.process_time() - started < 2
    assert not hinting()

    # What fits is compared, even when every candidate is within the bound (no early exit).
    near = [value[:50] + "".join(rng.choice("xyz") for _ in range(3)) + value[53:] for _ in range(900)]
    near.append(value[:50] + value[51] + value[50] + value[52:])
    reset_budget()
    started = time.process_time()
    assert did_you_mean(value, near) == f" (did you mean {near[-1]}?)"
    assert time.process_time() - started < 2
    assert 0 < hints._hints_left.get() < hints._HINT_BUDGET
