"""Fuzzing the curated-facts format: whatever a fact file holds, validation reports, never crashes.

Hypothesis generates fact files two ways: YAML-ish text built from the format's own section and
field names with plausible and hostile values (impossible dates, integers past 64 bits, deep
lists, aliases, complex keys, tags, escapes, bad bytes), and mutations of real files (every
bundled file in data/ and tests/fixtures/fuzz/fictional.yaml, a valid file about fictional
states that reaches every field check): lines dropped, duplicated, swapped or garbled, values
swapped for hostile ones, hostile blocks and bytes inserted. For each file the properties are:

* :func:`compile_facts` either succeeds, with every integer within what the stores hold, or
  raises :class:`CurationError` whose every problem names the file and a line (>= 1: each of
  these files exists and is small, so every problem has a line); never any other exception, and
  never the loader's or compiler's safety-net messages, which would mean a case not yet handled;
* the process's peak RSS grows by less than :data:`MEMORY_BOUND_MB` over the whole module;
* ``milcoop validate FILE`` exits 1 exactly when compile_facts raises, prints each problem's
  ``file:line`` and never a traceback.

Runs are reproducible (``derandomize=True``, no example database) and bounded: 330 examples,
about 24 s for the module (17 s of CPU) on a shared 2-core machine (see :data:`TEXT_EXAMPLES`
and friends).
"""

from __future__ import annotations

import re
import resource
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st
from rdflib import Literal, URIRef
from typer.testing import CliRunner

from milcoop.cli import app
from milcoop.loaders.curated import MAX_INTEGER, MIN_INTEGER, compile_facts
from milcoop.loaders.problems import CurationError, display_path
from tests.conftest import DATA

#: xsd:integer, spelt out: importing rdflib's XSD namespace here makes pytest warn as it inspects the module.
XSD_INTEGER = URIRef("http://www.w3.org/2001/XMLSchema#integer")

FICTIONAL = Path(__file__).resolve().parent.parent / "fixtures" / "fuzz" / "fictional.yaml"

#: Examples per property, chosen so the module runs in well under a minute on a 2-core machine.
TEXT_EXAMPLES = 150
MUTATION_EXAMPLES = 150
CLI_EXAMPLES = 30

#: Most the process's peak RSS may grow over the module. The reported bombs took gigabytes; the
#: largest generated file is tens of kilobytes.
MEMORY_BOUND_MB = 200

FUZZ = settings(
    derandomize=True,
    database=None,
    deadline=timedelta(seconds=5),
    # Generated files are deliberately large and slow to build (deep lists, long numbers).
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)

#: Messages that mean a safety net caught an exception: a case the loader or compiler does not
#: handle yet. The user still sees a located problem, but the fuzz test must fail on it.
SAFETY_NETS = ("cannot be read as YAML:", "could not be checked (internal error")

SECTION_NAMES = [
    "sources", "states", "organisations", "persons", "places", "systems", "resolutions", "measures",
    "treaties", "events", "breaches",
]
FIELD_NAMES = [
    "id", "name", "title", "aliases", "qid", "description", "publisher", "issued", "briefed", "url", "kind",
    "number", "members", "part_of", "established", "mandate_ended", "replaces", "leader_of", "role", "in",
    "category", "origin", "adopted", "by", "target", "imposed_by", "covers", "cap", "parties", "signed",
    "signed_at", "signatories", "articles", "open_ended", "in_force", "terminated", "provisions",
    "ratifications", "article", "summary", "state", "date", "step", "from", "to", "items", "period", "start",
    "end", "transport", "vessels", "loading_ports", "discharge_ports", "border_crossings", "locations",
    "targets", "against", "uses", "in_exchange_for", "stance", "concerns", "event", "measure", "claims",
    "source", "cites", "attribution", "locator", "quote", "status", "grading", "quantity", "note", "value",
    "unit", "qualifier",
]
#: Values the format accepts somewhere: ids of the fictional fixture, codes, enumerations, dates.
PLAUSIBLE_VALUES = [
    "XAA", "XAB", "XAC", "fictional state b", "fictional-report", "fictional-article", "fictional-council",
    "fictional-leader", "fictional-port", "fictional-city", "fictional-launcher", "fictional-resolution-1",
    "fictional-supply-ban", "fictional-shells", "artillery-ammunition", "refined-petroleum",
    "materiel-transfer", "troop-deployment", "official-statement", "weapons-use", "support-request",
    "technology-transfer", "monitoring-report", "news-article", "port", "city", "supply-ban", "quantity-cap",
    "mutual-defence", "reported", "confirmed", "denial", "rounds", "barrels-per-year", "exact", "about",
    "sea", "B2", "C3", "F6", "G7", "Q42", "2000", "2000-09", "2001-02-28", "2001-12-31", "1", "0", "-1",
    "9223372036854775807", "-9223372036854775808", "true", "false", "null", "~", "[]", "{}", "''",
    "https://example.org/x", "{start: 2000-09, end: 2001}", "{value: 5, unit: rounds, qualifier: exact}",
    "[XAA, XAB]", "{source: fictional-report, status: reported, grading: B2}",
]
#: Single-line values that crashed validation, or could, by kind; each kind is drawn as often
#: as any other, so the rarer ones are not drowned by the bigger lists.
HOSTILE_KINDS: dict[str, list[str]] = {
    # YAML reads these as timestamps, but they are none.
    "impossible dates": [
        "2024-02-30", "2023-02-29", "0000-01-01", "2024-13-01", "2024-02-30 10:00:00", "2024-01-01 00:00:00 +99",
        "2024-01-01T25:61:61Z",
    ],
    # Beyond 64 bits, too long to convert, or matching YAML's patterns with no digit.
    "numbers": [
        "9223372036854775808", "-9223372036854775809", "18446744073709551616", "0x8000000000000000",
        "0b" + "1" * 64, "1" * 5000, "-" + "9" * 200, "1" + ":59" * 300, "0b_", "0x_", "._", "1e99999", ".nan",
        "-.inf", "1_000", "0o17", "017", "190:20:30",
    ],
    "tags": [
        "!!int abc", "!!bool maybe", "!!timestamp x", "!!binary aGVsbG8=", "!!seq x", "!!map x", "!!set {a, b}",
        "!!omap [a: 1]", "!!python/object/apply:os.system [echo]", "!foo bar", "! 12",
    ],
    "aliases": ["*undefined", "&anchor value", "&a [*a]", "<<", "="],
    "escapes": ['"\\U7fffffff"', '"\\ud800"', '"\\0"', '"\\x1b[31m"', '"\\x07"', '"\\N"', '"\\uFFFE"'],
    "structure": [
        "? [a, b]", "[" * 1000 + "]" * 1000, "{" * 70 + "}" * 70, "[[[[[[[[", "}}", "- - - - -", "a: b: c", "|",
        ">-", "%YAML 1.1", "---", "...", "'unterminated", '"unterminated',
    ],
    "text": ["#", "@", "`", "\t", "yes", "on", "NO", ":smile:", "[red]markup[/red]", "x" * 3000],
}
HOSTILE_SCALARS = [value for values in HOSTILE_KINDS.values() for value in values]
#: Multi-line hostile fragments, indented like the line they follow.
HOSTILE_BLOCKS = [
    "? [a, b]\n: complex key",
    "? {a: 1}\n: mapping key",
    "<<: {id: merged}",
    "<<: *base",
    "base: &base {id: x}\nother: *base",
    # Billion laughs, short: nine levels of ten aliases each.
    "lol: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
    + "".join(f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]\n" for i in range(1, 9)),
    "deep:\n" + "".join("  " * (i + 1) + "-\n" for i in range(100)),
    "1: number key\ntrue: boolean key\nnull: null key\n2024-01-01: date key\n3.5: float key",
    "dup: 1\ndup: 2",
    "--- \nsecond: document",
    "%TAG ! tag:example.com,2000:\n--- !foo\na: b",
    'quote: "line one\n  line two"',
    "claims:\n  - source: fictional-report\n    quantity: {value: 9223372036854775808, unit: rounds, qualifier: exact}",
]
#: Raw bytes that are not UTF-8 or that YAML refuses written raw.
HOSTILE_BYTES = [
    b"\xff", b"\xfe\xff", b"\xc3", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\x80", b"\x00", b"\x07", b"\x1b",
    b"\x7f", b"\xc2\x85", b"\xc2\x9b", b"\xef\xbb\xbf", b"\xef\xbf\xbe", b"\r", b"\r\n", b"\t",
]

runner = CliRunner()


def _peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024  # bytes on macOS, KiB on Linux


@pytest.fixture(scope="module")
def rss_baseline() -> float:
    """The process's peak RSS before the first fuzzed file, in MB, with the one-off costs paid.

    Those are Hypothesis building its table of Unicode characters (about 200 MB on a first run
    without .hypothesis/) and the first compilation loading the ontology and SHACL shapes.
    """
    find(st.characters(codec="utf-8"), lambda _: True)
    compile_facts([FICTIONAL], reference=False)
    return _peak_rss_mb()


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder for the module: each example overwrites the same file."""
    return tmp_path_factory.mktemp("fuzz")


# --------------------------------------------------------------------------------------------
# Strategies
# --------------------------------------------------------------------------------------------

#: Short text of any character UTF-8 can encode but controls: those (raw) are refused before
#: anything else is looked at, so they come in now and then as HOSTILE_BYTES instead.
_text = st.text(st.characters(codec="utf-8", exclude_categories=["Cc", "Cs"]), max_size=12)
_hostile = st.sampled_from(sorted(HOSTILE_KINDS)).flatmap(lambda kind: st.sampled_from(HOSTILE_KINDS[kind]))
_scalars = st.one_of(
    st.sampled_from(PLAUSIBLE_VALUES),
    _hostile,
    _text,
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
)
#: Hostile keys: the short hostile scalars (long ones only slow generation down as keys).
_keys = st.one_of(st.sampled_from(FIELD_NAMES), st.sampled_from([v for v in HOSTILE_SCALARS if len(v) < 40]), _text)
#: A tree of raw scalar texts: lists and mappings of them, emitted as YAML without quoting.
_trees = st.recursive(
    _scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(_keys, children, max_size=5),
        st.sampled_from(HOSTILE_BLOCKS),
    ),
    max_leaves=30,
)


def _emit(node: object, indent: int) -> list[str]:
    """YAML-ish lines for a tree, block style, scalars written raw (so hostile text stays hostile)."""
    pad = "  " * indent
    if isinstance(node, dict):
        lines = []
        for key, value in node.items():
            if _is_block(value):
                lines.append(f"{pad}{key}:")
                lines += _emit(value, indent + 1)
            else:
                lines.append(f"{pad}{key}: {_inline(value)}")
        return lines or [f"{pad}{{}}"]
    if isinstance(node, list):
        lines = []
        for item in node:
            if _is_block(item):
                nested = _emit(item, indent + 1)
                lines.append(f"{pad}- {nested[0].lstrip()}")
                lines += nested[1:]
            else:
                lines.append(f"{pad}- {_inline(item)}")
        return lines or [f"{pad}[]"]
    return [pad + line for line in str(node).split("\n")]


def _is_block(value: object) -> bool:
    """Written on lines of its own, indented: a non-empty list or mapping, or a hostile block."""
    return (bool(value) and isinstance(value, (dict, list))) or (isinstance(value, str) and "\n" in value)


def _inline(value: object) -> str:
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, list):
        return "[]"
    return str(value)


@st.composite
def yaml_ish_documents(draw: st.DrawFn) -> bytes:
    """A fact-file-shaped document: sections holding lists of records of fields, raw values."""
    records = st.dictionaries(_keys, _trees, max_size=8)
    sections = draw(
        st.dictionaries(
            st.one_of(st.sampled_from(SECTION_NAMES), _keys), st.one_of(st.lists(records, max_size=3), _trees),
            max_size=4,
        )
    )
    text = "\n".join(_emit(sections, 0)) + "\n"
    data = text.encode("utf-8")
    if draw(st.integers(0, 4)) == 0:  # now and then, bytes that are not UTF-8 or not allowed raw
        position = draw(st.integers(0, len(data)))
        data = data[:position] + draw(st.sampled_from(HOSTILE_BYTES)) + data[position:]
    return data


#: The files mutated, as lines: the fictional one and every bundled one, by name.
SEEDS: dict[str, list[bytes]] = {
    "fictional": FICTIONAL.read_bytes().splitlines(keepends=True),
    **{str(p.relative_to(DATA)): p.read_bytes().splitlines(keepends=True) for p in sorted(DATA.rglob("*.yaml"))},
}


@st.composite
def mutated_documents(draw: st.DrawFn) -> bytes:
    """A bundled file, or the fictional one (half the time: it reaches every check), mutated 1-4 times."""
    name = "fictional" if draw(st.booleans()) else draw(st.sampled_from(sorted(SEEDS)))
    lines = list(SEEDS[name])
    for _ in range(draw(st.integers(1, 4))):
        if not lines:
            break
        at = draw(st.integers(0, len(lines) - 1))
        line = lines[at]
        indent = line[: len(line) - len(line.lstrip())].decode("utf-8", "replace")
        operation = draw(
            st.sampled_from(["drop", "duplicate", "swap", "garble", "value", "block", "bytes", "truncate"])
        )
        if operation == "drop":
            del lines[at]
        elif operation == "duplicate":
            lines.insert(at, line)
        elif operation == "swap":
            other = draw(st.integers(0, len(lines) - 1))
            lines[at], lines[other] = lines[other], lines[at]
        elif operation == "garble":
            start = draw(st.integers(0, len(line)))
            end = draw(st.integers(start, len(line)))
            lines[at] = line[:start] + draw(_text).encode("utf-8") + line[end:]
        elif operation == "value":
            # The value after the key (or list dash) swapped for a hostile or plausible one.
            head, sep, _ = line.partition(b": ")
            if not sep:
                head, sep, _ = line.partition(b"- ")
            value = draw(st.one_of(_hostile, st.sampled_from(PLAUSIBLE_VALUES)))
            lines[at] = head + sep + value.encode("utf-8") + b"\n"
        elif operation == "block":
            block = draw(st.sampled_from(HOSTILE_BLOCKS))
            lines[at + 1 : at + 1] = [(indent + part + "\n").encode("utf-8") for part in block.split("\n")]
        elif operation == "bytes":
            position = draw(st.integers(0, len(line)))
            lines[at] = line[:position] + draw(st.sampled_from(HOSTILE_BYTES)) + line[position:]
        else:
            lines = lines[:at]
    return b"".join(lines)


# --------------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------------


def _validate(path: Path) -> CurationError | None:
    """Compile one file: the CurationError it raises, checked, or None when it is valid."""
    try:
        # The fuzzed files define every state they name: the reference data would only slow each
        # example down (it is read and checked in test_validate.py and tests/data/).
        compiled = compile_facts([path], reference=False)
    except CurationError as exc:
        assert exc.problems, "a CurationError without problems"
        shown = display_path(path)
        for problem in exc.problems:
            assert problem.file == shown, str(problem)
            assert problem.line >= 1, f"a problem without a line: {problem}"
            assert not any(net in problem.message for net in SAFETY_NETS), f"an unhandled case: {problem}"
        return exc
    # Valid: then every integer is one both stores hold.
    for obj in compiled.graph.objects():
        if isinstance(obj, Literal) and obj.datatype == XSD_INTEGER:
            assert MIN_INTEGER <= int(obj) <= MAX_INTEGER, obj
    return None


def _check(scratch: Path, rss_baseline: float, document: bytes) -> None:
    path = scratch / "fuzzed.yaml"
    path.write_bytes(document)
    _validate(path)
    growth = _peak_rss_mb() - rss_baseline
    assert growth < MEMORY_BOUND_MB, f"peak RSS grew by {growth:.0f} MB"


@settings(FUZZ, max_examples=TEXT_EXAMPLES)
@given(document=yaml_ish_documents())
def test_yaml_ish_documents_are_reported_not_crashed_on(scratch: Path, rss_baseline: float, document: bytes) -> None:
    _check(scratch, rss_baseline, document)


@settings(FUZZ, max_examples=MUTATION_EXAMPLES)
@given(document=mutated_documents())
def test_mutated_fact_files_are_reported_not_crashed_on(scratch: Path, rss_baseline: float, document: bytes) -> None:
    _check(scratch, rss_baseline, document)


@settings(FUZZ, max_examples=CLI_EXAMPLES)
@given(document=st.one_of(mutated_documents(), yaml_ish_documents()))
def test_cli_validate_exits_1_with_located_problems_and_no_traceback(scratch: Path, document: bytes) -> None:
    path = scratch / "fuzzed.yaml"
    path.write_bytes(document)
    result = runner.invoke(app, ["validate", "--no-reference", str(path)])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    if result.exit_code == 0:
        assert "OK" in result.output, result.output
        return
    assert result.exit_code == 1, result.output
    # What each problem says is checked above and in test_validate.py (Rich drops some control
    # characters from what it prints); here the problems must be printed, located in the file.
    assert re.search(rf"^{re.escape(display_path(path))}:[1-9][0-9]* ", result.output, re.MULTILINE), result.output
    assert re.search(r"^[1-9][0-9]* problems?: nothing was loaded\.$", result.output, re.MULTILINE), result.output


def test_the_fictional_seed_is_valid() -> None:
    """The mutations start from a valid file, so what they find is what the mutation broke."""
    compile_facts([FICTIONAL], reference=False)
