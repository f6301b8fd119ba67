"""`milcoop validate`: every problem at once, located by file, line and field."""

from __future__ import annotations

import re
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest
from rdflib import Literal
from typer.testing import CliRunner

from milcoop.cli import app
from milcoop.loaders import hints, yamlio
from milcoop.loaders.curated import compile_facts
from milcoop.loaders.problems import CurationError, display_path
from milcoop.ontology.dates import PartialDate
from milcoop.ontology.namespace import MC
from tests.conftest import BROKEN, DATA

runner = CliRunner()


def test_bundled_data_validates() -> None:
    result = runner.invoke(app, ["validate"])
    assert result.exit_code == 0, result.output
    assert "OK" in result.output


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        (
            "unknown-state.yaml",
            [
                "unknown-state.yaml:7 materiel-transfer 'broken-unknown-state': recipient 'RUSS' is not a known state, organisation or person (did you mean RUS?)"
            ],
        ),
        (
            "missing-source.yaml",
            [
                "missing-source.yaml:10 materiel-transfer 'broken-unknown-source' claim 1: source 'msmt-2026-9' is not a known source (did you mean msmt-2025-1?)",
                "missing-source.yaml:13 troop-deployment 'broken-no-claims': claims is required",
            ],
        ),
        (
            "end-before-start.yaml",
            [
                "end-before-start.yaml:10 materiel-transfer 'broken-end-before-start': end 2024-01 is before start 2024-05"
            ],
        ),
        (
            "unknown-materiel.yaml",
            [
                "unknown-materiel.yaml:7 materiel-transfer 'broken-unknown-materiel': items 'hypersonic-glider' is not a known materiel concept or system",
                "items 'ballistic-misile' is not a known materiel concept or system (did you mean ballistic-missile?)",
            ],
        ),
        (
            "bad-grading.yaml",
            [
                "bad-grading.yaml:11 materiel-transfer 'broken-bad-grading' claim 1: grading 'G7' is not on the Admiralty scale",
                "bad-grading.yaml:10 materiel-transfer 'broken-bad-grading' claim 1: status 'rumoured' is not one of",
            ],
        ),
        (
            "duplicate-id.yaml",
            [
                "duplicate-id.yaml:2 materiel-transfer 'prk-rus-ammunition-2024': duplicate id: already used by materiel-transfer 'prk-rus-ammunition-2024' at data/dprk-russia.yaml:"
            ],
        ),
        ("malformed.yaml", ["malformed.yaml:5 malformed YAML"]),
    ],
)
def test_broken_fact_files_fail_with_located_messages(fixture: str, expected: list[str]) -> None:
    result = runner.invoke(app, ["validate", str(DATA), str(BROKEN / fixture)])
    assert result.exit_code == 1
    output = result.output
    for message in expected:
        assert message in output, output
    assert "nothing was loaded" in output


def test_all_broken_files_together_report_every_problem() -> None:
    with pytest.raises(CurationError) as caught:
        compile_facts([DATA, *sorted(BROKEN.glob("*.yaml"))])
    files = {Path(p.file).name for p in caught.value.problems}
    assert files == {p.name for p in BROKEN.glob("*.yaml")}


def test_missing_path_is_reported() -> None:
    result = runner.invoke(app, ["validate", "no/such/dir"])
    assert result.exit_code == 1
    assert "no/such/dir no such file or folder" in result.output


def test_unknown_field_and_section_are_named(tmp_path: Path) -> None:
    bad = tmp_path / "typos.yaml"
    bad.write_text(
        "event:\n  - id: x\n"
        "events:\n  - id: typo-event\n    kind: materiel-transfer\n    name: n\n    from: PRK\n    to: RUS\n"
        "    items: [ammunition]\n    recipeint: RUS\n"
        "    claims:\n      - {source: source-notes, status: reported, grading: B2}\n"
    )
    with pytest.raises(CurationError) as caught:
        compile_facts([DATA, bad])
    text = str(caught.value)
    assert "typos.yaml:1 unknown section 'event' (did you mean events?)" in text
    assert "typos.yaml:10 materiel-transfer 'typo-event': unknown field 'recipeint'" in text


def test_states_resolve_by_code_qid_and_alias(tmp_path: Path) -> None:
    facts = tmp_path / "aliases.yaml"
    facts.write_text(
        "events:\n"
        "  - id: by-alias\n    kind: troop-deployment\n    name: n\n    from: north korea\n    to: Q159\n"
        "    claims:\n      - {source: source-notes, status: reported, grading: B2}\n"
    )
    compiled = compile_facts([DATA, facts], shacl=False)
    from milcoop.ontology.namespace import MC

    event = next(s for s in compiled.graph.subjects() if str(s).endswith("/event/by-alias"))
    assert str(compiled.graph.value(event, MC.sendingState)).endswith("/state/PRK")
    assert str(compiled.graph.value(event, MC.hostState)).endswith("/state/RUS")


@pytest.mark.parametrize(
    ("text", "precision", "first", "last"),
    [
        (2024, "year", "2024-01-01", "2024-12-31"),
        ("2024-02", "month", "2024-02-01", "2024-02-29"),
        ("2024-06-19", "day", "2024-06-19", "2024-06-19"),
    ],
)
def test_partial_dates_keep_their_precision(text: object, precision: str, first: str, last: str) -> None:
    date = PartialDate.parse(text)
    assert date.precision == precision
    assert str(date.first_day) == first
    assert str(date.last_day) == last
    assert PartialDate.from_literal(date.to_literal()) == date


@pytest.mark.parametrize("text", ["2024-13", "24", "2024-02-30", "June 2024", True])
def test_bad_dates_are_rejected(text: object) -> None:
    with pytest.raises(ValueError):
        PartialDate.parse(text)


# --------------------------------------------------------------------------------------------
# Hostile files: each case once crashed validation (or could have), and now gets a located
# problem. The fuzz tests (test_fuzz.py) look for more.
# --------------------------------------------------------------------------------------------

#: A valid fact file about FICTIONAL states (ISO 3166 user-assigned codes XAA, XAB) and a made-up
#: source: no real-world fact. {date} is on line 14, {value} (a quantity's) on line 19.
FICTIONAL_TRANSFER = """\
# Fictional: XAA and XAB are ISO 3166 user-assigned codes, the source and event are made up.
sources:
  - {{id: fictional-source, name: Fictional source, publisher: Nobody, kind: news-article}}
states:
  - {{id: XAA, name: Fictional State A}}
  - {{id: XAB, name: Fictional State B}}
events:
  - id: fictional-transfer
    kind: materiel-transfer
    name: Fictional shells from State A to State B
    from: XAA
    to: XAB
    items: [artillery-ammunition]
    date: {date}
    claims:
      - source: fictional-source
        status: reported
        grading: C3
        quantity: {{value: {value}, unit: rounds, qualifier: exact}}
"""


def _transfer(date: str = "2001-02-28", value: str = "5") -> str:
    return FICTIONAL_TRANSFER.format(date=date, value=value)


def _laughs(levels: int = 9) -> str:
    """Billion laughs on one line: each level ten aliases of the one before (10**levels strings)."""
    rows = ["&l0 [" + ", ".join(["lol"] * 10) + "]"]
    rows += [f"&l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]" for i in range(1, levels)]
    return "[" + ", ".join(rows) + "]"


TRANSFER = "materiel-transfer 'fictional-transfer'"
CLAIM = f"{TRANSFER} claim 1"
OUT_OF_RANGE = (
    "is out of range: whole numbers must lie between -9223372036854775808 and 9223372036854775807 "
    "(signed 64-bit, what Neo4j stores)"
)
ALIASES = (
    "is not accepted: fact files may not use aliases (*name), since they let a small file expand into a huge "
    "one; write the value out"
)
KEYS = "keys are the names of sections and fields"
CONTROL = "YAML allows no control characters but tab and line breaks"

#: (case, file content, the exact problems: "{file}" is the file as shown).
HOSTILE: list[tuple[str, str | bytes, list[str]]] = [
    (
        "impossible-date-feb-30",
        _transfer(date="2024-02-30"),
        [f"{{file}}:14 {TRANSFER}: date: '2024-02-30' is not a valid date: day is out of range for month"],
    ),
    (
        "impossible-date-feb-29",
        _transfer(date="2023-02-29"),
        [f"{{file}}:14 {TRANSFER}: date: '2023-02-29' is not a valid date: day is out of range for month"],
    ),
    (
        "impossible-date-year-0",
        _transfer(date="0000-01-01"),
        [f"{{file}}:14 {TRANSFER}: date: '0000-01-01' is not a valid date: year 0 is out of range"],
    ),
    (
        "impossible-timestamp-offset",
        _transfer(date="2024-01-01 00:00:00 +99"),
        [f"{{file}}:14 {TRANSFER}: date: '2024-01-01 00:00:00 +99' is not a date (use YYYY, YYYY-MM or YYYY-MM-DD)"],
    ),
    ("complex-key-list", "events:\n  - ? [a, b]\n    : x\n", [f"{{file}}:2 a list is used as a key (a complex key); {KEYS}"]),
    ("complex-key-mapping", "events:\n  - {{a: 1}: x}\n", [f"{{file}}:2 a mapping is used as a key (a complex key); {KEYS}"]),
    (
        "lists-5000-deep",
        "events: " + "[" * 5000 + "]" * 5000 + "\n",
        ["{file}:1 lists and mappings are nested more than 64 deep, the most a fact file may nest"],
    ),
    (
        "block-lists-200-deep",
        "events:\n" + "".join("  " * i + "-\n" for i in range(1, 200)),
        ["{file}:65 lists and mappings are nested more than 64 deep, the most a fact file may nest"],
    ),
    ("alias-bomb-in-date", _transfer(date=_laughs()), [f"{{file}}:14 alias *l0 {ALIASES}"]),
    ("alias-bomb-in-number", _transfer(value=_laughs()), [f"{{file}}:19 alias *l0 {ALIASES}"]),
    ("merge-key", "events:\n  - <<: {id: x}\n", ["{file}:2 merge keys (<<) are not accepted: write each field out"]),
    ("quantity-2-to-the-63", _transfer(value=str(2**63)), [f"{{file}}:19 {CLAIM}: value 9223372036854775808 {OUT_OF_RANGE}"]),
    (
        "quantity-5000-digits",
        _transfer(value="1" * 5000),
        [f"{{file}}:19 {CLAIM}: value 11111111111111111111… (5000 characters) {OUT_OF_RANGE}"],
    ),
    (
        "quantity-below-zero-and-64-bits",
        _transfer(value=str(-(2**63) - 1)),
        [f"{{file}}:19 {CLAIM}: value -9223372036854775809 {OUT_OF_RANGE}"],
    ),
    ("quantity-no-digits", _transfer(value="0b_"), [f"{{file}}:19 {CLAIM}: value must be a whole number, not '0b_'"]),
    (
        "not-utf-8",
        b"events:\n  - id: e\xff1\n",
        [
            "{file}:2 is not UTF-8 text: byte 0xff at byte offset 17 (column 10) cannot be decoded (invalid start "
            "byte); save the file as UTF-8"
        ],
    ),
    (
        "encoded-surrogate",
        b"events:\n  - id: \xed\xa0\x80\n",
        [
            "{file}:2 is not UTF-8 text: byte 0xed at byte offset 16 (column 9) cannot be decoded (invalid "
            "continuation byte); save the file as UTF-8"
        ],
    ),
    ("nul-raw", "events:\n  - id: e\x001\n", [f"{{file}}:2 holds a NUL character (U+0000) at column 10; {CONTROL}"]),
    (
        "nul-escaped",
        'events:\n  - id: "e\\0"\n',
        [f"{{file}}:2 text holds a NUL character (U+0000), written as an escape; {CONTROL}"],
    ),
    (
        "terminal-escape",
        'events:\n  - id: e\n    name: "\\x1b]0;title\\x07"\n',
        [f"{{file}}:3 text holds the control character U+001B, written as an escape; {CONTROL}"],
    ),
    (
        "lone-surrogate-escaped",
        'events:\n  - id: "\\ud800"\n',
        [
            "{file}:2 text holds a lone surrogate (U+D800), which is half of a character, written as an escape; "
            f"{CONTROL}"
        ],
    ),
    (
        "escape-beyond-unicode",
        'events:\n  - id: "\\U7fffffff"\n',
        ["{file}:2 an escape in quoted text names no Unicode character (the last is \\U0010FFFF)"],
    ),
    ("number-key", "events:\n  - id: e\n    1: x\n", [f"{{file}}:3 key '1' is read as a number; {KEYS}"]),
    ("boolean-key", "events:\n  - id: e\n    on: x\n", [f"{{file}}:3 key 'on' is read as true or false; {KEYS}"]),
    ("null-key", "events:\n  - id: e\n    ~: x\n", [f"{{file}}:3 key '~' is read as null; {KEYS}"]),
    ("date-key", "2024-01-01: x\n", [f"{{file}}:1 key '2024-01-01' is read as a date; {KEYS}"]),
    (
        "yaml-directive-of-5000-digits",
        "%YAML 1" + "1" * 5000 + ".1\n---\nevents: []\n",
        ["{file}:1 the %YAML directive gives an impossible version"],
    ),
    ("two-documents", "events: []\n---\nevents: []\n", ["{file}:2 malformed YAML: but found another document"]),
    (
        "tag",
        "events:\n  - id: !!python/object/apply:os.system [echo]\n",
        [
            "{file}:2 tag '!!python/object/apply:os.system' is not accepted: fact files hold plain values, quoted "
            "when they must stay text"
        ],
    ),
]


@pytest.mark.parametrize(("content", "expected"), [(c, e) for _, c, e in HOSTILE], ids=[i for i, _, _ in HOSTILE])
def test_hostile_files_get_exact_located_problems(tmp_path: Path, content: str | bytes, expected: list[str]) -> None:
    path = tmp_path / "hostile.yaml"
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    with pytest.raises(CurationError) as caught:
        compile_facts([path])
    shown = display_path(path)
    assert [str(p) for p in caught.value.problems] == [e.format(file=shown) for e in expected]


@pytest.mark.parametrize(("content", "expected"), [(c, e) for _, c, e in HOSTILE], ids=[i for i, _, _ in HOSTILE])
def test_cli_reports_hostile_files_and_exits_1(tmp_path: Path, content: str | bytes, expected: list[str]) -> None:
    path = tmp_path / "hostile.yaml"
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)
    for message in expected:
        assert message.format(file=display_path(path)) in result.output, result.output
    assert "Traceback" not in result.output


def test_milcoop_validate_on_every_hostile_file_prints_no_traceback(tmp_path: Path) -> None:
    """The real command, in its own process: exit status 1, each file's problems, no traceback.

    The files are validated together, so the fictional ones clash on their ids: the exact
    messages are compared one file at a time above.
    """
    paths = []
    for case, content, _ in HOSTILE:
        path = tmp_path / f"{case}.yaml"
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
        paths.append(path)
    result = subprocess.run(
        [sys.executable, "-c", "from milcoop.cli import app; app(prog_name='milcoop')", "validate", *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "Traceback" not in output
    for path in paths:
        assert re.search(rf"^{re.escape(str(path))}:[1-9][0-9]* ", output, re.MULTILINE), path.name


def _traced_peak(action: Callable[[], object]) -> int:
    """Peak bytes Python allocated while running ``action``."""
    tracemalloc.start()
    try:
        action()
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


def _refused(path: Path) -> list[str]:
    # Without the bundled reference data: these files test the reader's bounds on their own.
    with pytest.raises(CurationError) as caught:
        compile_facts([path], reference=False)
    return [str(p) for p in caught.value.problems]


@pytest.mark.parametrize("field", ["date", "value"])
def test_alias_bombs_are_refused_before_they_expand(tmp_path: Path, bundled: object, field: str) -> None:
    """Ten levels of ten aliases (10**10 strings once expanded): refused at the first alias."""
    path = tmp_path / "laughs.yaml"
    path.write_text(_transfer(**{field: _laughs(levels=10)}))
    started = time.perf_counter()
    peak = _traced_peak(lambda: _refused(path))
    assert peak < 20 * 2**20, f"{peak / 2**20:.0f} MB"
    assert time.perf_counter() - started < 10  # about 50 ms; it took a minute and 5.4 GB
    assert _refused(path) == [f"{display_path(path)}:{14 if field == 'date' else 19} alias *l0 {ALIASES}"]


def test_a_50_mb_file_is_refused_unread(tmp_path: Path, bundled: object) -> None:
    path = tmp_path / "huge.yaml"
    with path.open("w") as handle:
        line = "# " + "x" * 97 + "\n"
        for _ in range(50 * 10**6 // len(line)):
            handle.write(line)
    peak = _traced_peak(lambda: _refused(path))
    assert peak < 20 * 2**20, f"{peak / 2**20:.0f} MB"  # it took 3.1 GB
    assert _refused(path) == [
        f"{display_path(path)} is larger than 5,000,000 bytes, the most a fact file may hold; split it"
    ]


def test_the_size_bound_admits_a_file_of_exactly_that_size(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yamlio, "MAX_FILE_BYTES", 100)
    path = tmp_path / "sized.yaml"
    path.write_text("#" * 99 + "\n")
    compile_facts([path], shacl=False, reference=False)
    path.write_text("#" * 100 + "\n")
    assert _refused(path) == [f"{display_path(path)} is larger than 100 bytes, the most a fact file may hold; split it"]


def test_the_node_bound_counts_every_scalar_list_and_mapping(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yamlio, "MAX_NODES", 10)
    path = tmp_path / "nodes.yaml"
    path.write_text("events:\n" + "".join(f"  - {i}\n" for i in range(7)))  # mapping, key, list, 7 items
    assert "each item of 'events' must be a mapping" in _refused(path)[0]
    path.write_text("events:\n" + "".join(f"  - {i}\n" for i in range(8)))
    assert _refused(path) == [
        f"{display_path(path)}:9 the file holds more than 10 values, lists and mappings, the most one file may "
        "hold; split it into several files"
    ]


def test_the_depth_bound_admits_64_levels(tmp_path: Path) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text("events: " + "[" * 63 + "]" * 63 + "\n")  # the mapping and 63 lists
    assert _refused(path) == [f"{display_path(path)}:1 each item of 'events' must be a mapping of fields"]


def test_the_largest_integers_the_stores_hold_are_accepted(tmp_path: Path) -> None:
    path = tmp_path / "max.yaml"
    path.write_text(_transfer(value=str(2**63 - 1)))
    compiled = compile_facts([path], shacl=False)
    assert any(isinstance(o, Literal) and o.toPython() == 2**63 - 1 for o in compiled.graph.objects())


def test_did_you_mean_hints_stop_at_their_budget(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A 455 kB file with 8,000 place ids and 3,000 misspelt references once took more than ten
    minutes in difflib; the comparisons made for hints are now bounded."""
    pairs = 0
    real = hints._distance

    def counting(a: str, b: str, bound: int) -> int:
        nonlocal pairs
        pairs += len(a) * len(b)
        return real(a, b, bound)

    monkeypatch.setattr(hints, "_distance", counting)
    # Each hint here is charged, for each of 300 ids of 19 characters, 19 (the scan) plus 32
    # (setting up a comparison) plus 20 x 19 (comparing): 129,300 pairs, so 7 fit in 1,000,000.
    monkeypatch.setattr(hints, "_HINT_BUDGET", 1_000_000)
    places = "".join(f"  - {{id: fictional-place-{i:03d}, name: p, kind: city, in: XAA}}\n" for i in range(300))
    misspelt = ", ".join(f"fictional-place-{i:03d}x" for i in range(300))
    path = tmp_path / "typos.yaml"
    path.write_text(
        "# Fictional: XAA is an ISO 3166 user-assigned code, the places are made up.\n"
        "states:\n  - {id: XAA, name: Fictional State A}\nplaces:\n" + places + "events:\n  - id: fictional-deployment\n"
        "    kind: troop-deployment\n    name: n\n    from: XAA\n    to: XAA\n"
        f"    locations: [{misspelt}]\n"
    )
    problems = _refused(path)
    hinted = [p for p in problems if "(did you mean fictional-place-" in p]
    assert len(hinted) == 7
    assert pairs <= 1_000_000
    assert sum("is not a known place" in p for p in problems) == 300


def test_one_alias_given_without_a_list_names_the_state(tmp_path: Path) -> None:
    """aliases: 5 raised TypeError; one alias without a list is read as _Fields.texts reads it."""
    path = tmp_path / "alias.yaml"
    path.write_text(
        "# Fictional: XAA and XAB are ISO 3166 user-assigned codes.\nstates:\n"
        "  - {id: XAA, name: Fictional State A, aliases: 5}\n  - {id: XAB, name: Fictional State B, aliases: Bee}\n"
        "places:\n  - {id: fictional-place, name: Fictional Place, kind: city, in: bee}\n"
    )
    compile_facts([path], shacl=False)


def test_a_symlink_loop_is_reported(tmp_path: Path) -> None:
    loop = tmp_path / "loop.yaml"
    loop.symlink_to(loop)
    result = runner.invoke(app, ["validate", str(loop)])
    assert result.exit_code == 1
    assert f"{loop} no such file or folder" in result.output


# -- a new case with only the reference data ---------------------------------------------------------


def test_a_new_case_naming_only_reference_entities_validates_alone(tmp_path: Path) -> None:
    """`milcoop validate my-case.yaml` of a case outside data/: the reference data (every state,
    the UN bodies) is in scope without the DPRK files. The places and the body are made up for
    this test; they assert nothing about the states but where a fictional place lies."""
    case = tmp_path / "my-case.yaml"
    case.write_text(
        "# Fictional test records: not facts.\n"
        "organisations:\n"
        "  - {id: test-body, name: Fictional test body, part_of: unsc}\n"
        "places:\n"
        "  - {id: test-place-a, name: Fictional test place A, kind: city, in: Russia}\n"
        "  - {id: test-place-b, name: Fictional test place B, kind: city, in: Islamic Republic of Iran}\n"
        "  - {id: test-place-c, name: Fictional test place C, kind: city, in: UKR}\n"
        "  - {id: test-place-d, name: Fictional test place D, kind: city, in: Burma}\n"
        "  - {id: test-place-e, name: Fictional test place E, kind: city, in: BR}\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["validate", str(case)])
    assert result.exit_code == 0, result.output
    compiled = compile_facts([case])
    assert not any("dprk-russia" in str(path) for path in compiled.files)
    located = {str(s).rsplit("/", 1)[-1]: str(o).rsplit("/", 1)[-1] for s, o in compiled.graph.subject_objects(MC.locatedIn)}
    assert [located[f"test-place-{x}"] for x in "abcde"] == ["RUS", "IRN", "UKR", "MMR", "BRA"]


def test_a_claim_whose_source_is_unknown_still_has_its_other_fields_checked(tmp_path: Path) -> None:
    case = tmp_path / "claim.yaml"
    case.write_text(
        "# Fictional: XAA and XAB are ISO 3166 user-assigned codes.\n"
        "states:\n  - {id: XAA, name: Fictional State A}\n  - {id: XAB, name: Fictional State B}\n"
        "events:\n  - id: x-transfer\n    kind: materiel-transfer\n    name: Fictional\n    from: XAA\n"
        "    to: XAB\n    items: [ammunition]\n    claims:\n"
        "      - {source: no-such-source, status: ordered, grading: Z9, colour: red,"
        " quantity: {value: -1, unit: rounds, qualifier: exact}}\n",
        encoding="utf-8",
    )
    with pytest.raises(CurationError) as caught:
        compile_facts([case], reference=False)
    messages = "\n".join(str(p) for p in caught.value.problems)
    assert "source 'no-such-source' is not a known source" in messages
    assert "status 'ordered' is not one of" in messages and "(did you mean" not in messages.split("status")[1]
    assert "grading 'Z9' is not on the Admiralty scale" in messages
    assert "unknown field 'colour'" in messages
    assert "value must be at least 0" in messages
