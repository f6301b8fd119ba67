"""Generate the reference data for every state from maintained packages.

Writes two curated-facts files (the format is in data/README.md; the fields and where each comes
from are in docs/reference-data.md):

* ``data/reference/states.yaml``: one record per ISO 3166-1 entry, from pycountry, with the
  Correlates of War (COW) codes and the other spellings that countrycode knows;
* ``data/reference/former-states.yaml``: one record per ISO 3166-3 entry (codes ISO withdrew),
  merged with countrycode's former states where the names match, plus the former states that
  only COW codes (``cow-<number>``);

and adds the hand-kept entries of ``tools/reference/overrides.yaml`` (names the bundled data
already shows, aliases no package spells, Wikidata QIDs).

Run it as ``./dev reference``; ``./dev reference --check`` writes nothing and exits 1, naming the
file, when a committed file is not what the installed packages give. The output is deterministic:
records sorted by id, keys in one fixed order, aliases sorted.

countrycode rather than country-converter: country-converter pulls in pandas and breaks with
pandas 3, while countrycode ships its table as a plain dict of columns.
"""

from __future__ import annotations

import argparse
import difflib
import re
import sys
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pycountry
import yaml
from countrycode import codelist as _codelist

ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = ROOT / "data" / "reference"
OVERRIDES = Path(__file__).resolve().parent / "overrides.yaml"
STATES_FILE = "states.yaml"
FORMER_FILE = "former-states.yaml"

#: pycountry's English spellings of a current ISO 3166-1 entry, in the order they are read.
PYCOUNTRY_NAMES = ("name", "official_name", "common_name")
#: countrycode's English spellings. Deliberately absent: 'gwn'/'gwc' (Gleditsch–Ward codes, which
#: differ from COW codes for Germany, Vietnam, Serbia and others) and the regexes (patterns for
#: matching, not spellings).
COUNTRYCODE_NAMES = (
    "country.name.en",
    "cow.name",
    "un.name.en",
    "iso.name.en",
    "cldr.short.en",
    "cldr.variant.en",
    "cldr.name.en",
)
#: Keys of one record, in the order they are written.
FIELD_ORDER = (
    "id",
    "name",
    "former",
    "official_name",
    "aliases",
    "alpha2",
    "alpha4",
    "numeric",
    "cow_code",
    "cow_abbreviation",
    "iso_withdrawn",
    "successors",
    "qid",
    "claims",
)
#: The source documents (data/reference/sources.yaml) that a former state's claim cites: what it
#: says of a former state (that it is one, its withdrawn code, its successors) is a fact, and every
#: fact needs a claim. ISO's own record of its codes is graded A1; the COW list's membership B2.
ISO_3166_3_SOURCE = "iso-3166-3"
COW_SOURCE = "cow-state-list"
OVERRIDE_KEYS = {"id", "why", "name", "aliases", "qid"}
_QID = re.compile(r"^Q[1-9][0-9]*$")

Row = dict[str, Any]


class GenerationError(Exception):
    """Something the generator cannot decide by itself (say, two states with one name); it needs
    an entry in the overrides file or a look at the packages' data."""


@dataclass
class State:
    """One record being built. ``spellings`` are every alias candidate, in source order; they
    become ``aliases`` once duplicates, the state's own id and name, and collisions are removed.
    ``claimed`` are spellings the overrides file adds: a collision with one of them is an error,
    not a silent drop."""

    id: str
    name: str
    former: bool = False
    official_name: str | None = None
    spellings: list[str] = field(default_factory=list)
    claimed: list[str] = field(default_factory=list)
    aliases: list[str] = field(default_factory=list)
    alpha2: str | None = None
    alpha4: str | None = None
    numeric: str | None = None
    cow_code: int | None = None
    cow_abbreviation: str | None = None
    iso_withdrawn: str | None = None
    successors: list[str] = field(default_factory=list)
    qid: str | None = None

    def protected_keys(self) -> list[str]:
        """Names that identify this state and are never dropped: id, name, QID, claimed aliases,
        and the alpha-2 code of a current state (a former state's alpha-2 code is history: ISO
        reuses them, CS was Czechoslovakia's and then Serbia and Montenegro's)."""
        keys = [self.id, self.name, *self.claimed]
        if self.qid:
            keys.append(self.qid)
        if self.alpha2 and not self.former:
            keys.append(self.alpha2)
        return keys

    def claims(self) -> list[dict[str, str]]:
        """A former state's facts come with the claim of the list they come from."""
        if not self.former:
            return []
        if self.alpha4:
            return [
                {
                    "source": ISO_3166_3_SOURCE,
                    "locator": f"alpha-4 {self.alpha4}",
                    "status": "confirmed",
                    "grading": "A1",
                }
            ]
        return [{"source": COW_SOURCE, "locator": f"ccode {self.cow_code}", "status": "reported", "grading": "B2"}]

    def record(self) -> dict[str, Any]:
        """The record as written: fixed key order, fields without a value left out."""
        values: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "former": True if self.former else None,
            "official_name": self.official_name,
            "aliases": self.aliases,
            "alpha2": self.alpha2,
            "alpha4": self.alpha4,
            "numeric": self.numeric,
            "cow_code": self.cow_code,
            "cow_abbreviation": self.cow_abbreviation,
            "iso_withdrawn": self.iso_withdrawn,
            "successors": self.successors,
            "qid": self.qid,
            "claims": self.claims(),
        }
        return {key: values[key] for key in FIELD_ORDER if values[key] not in (None, [])}


@dataclass
class Report:
    """What the generator decided by rule and a reviewer should see: printed on stderr and, for
    dropped aliases, written into the header of the file whose records lost them."""

    dropped: dict[str, list[str]] = field(default_factory=lambda: {STATES_FILE: [], FORMER_FILE: []})
    notes: list[str] = field(default_factory=list)


def clean(value: object) -> str | None:
    """A spelling with its whitespace collapsed, or None for anything that is not text."""
    if not isinstance(value, str):
        return None
    text = " ".join(value.split())
    return text or None


def countrycode_rows() -> list[Row]:
    """countrycode's table as one dict per row. The package exports the table (``codelist``, a
    dict of equally long columns) but no way to iterate over rows, so the columns are zipped here."""
    if not isinstance(_codelist, dict):
        raise GenerationError("countrycode could not load its codelist (countrycode.codelist is not a dict)")
    columns = list(_codelist)
    length = len(_codelist[columns[0]])
    return [{column: _codelist[column][i] for column in columns} for i in range(length)]


def reads_as_name(text: str | None) -> bool:
    """Whether a spelling reads as the name people use. ISO's short names put the distinguishing
    part last ("Korea, Republic of") and some carry a qualifier in parentheses ("Holy See (Vatican
    City State)"); pycountry writes one official name in lower case ("the State of Palestine")."""
    return text is not None and ", " not in text and "(" not in text and text[:1].isupper()


def uninverted(text: str | None) -> str | None:
    """ISO's inverted form turned round ("Zaire, Republic of" to "Republic of Zaire", "Virgin
    Islands, British" to "British Virgin Islands"), or None when the text is not one: only one comma,
    and what follows it ends in "of" ("of the") or is a single word. "Bonaire, Sint Eustatius and
    Saba" is a list and stays as it is."""
    if text is None:
        return None
    head, comma, tail = text.partition(", ")
    if not comma or ", " in tail:
        return None
    if tail.endswith((" of", " of the")) or " " not in tail:
        return f"{tail} {head}"
    return None


def choose_name(country: Any, row: Row | None) -> str:
    """The rule for a current state's name: the first of pycountry's common_name, pycountry's
    (ISO's) name, pycountry's official_name, countrycode's UN name, ISO's name turned round
    (:func:`uninverted`) and countrycode's English name that reads as a name
    (:func:`reads_as_name`), else ISO's name as it is. common_name comes first because pycountry
    gives it exactly where ISO's name is not what people say ("Iran", "Bolivia", "Vietnam");
    countrycode's English name comes last because it is CLDR's short form ("Bosnia & Herzegovina",
    "St. Lucia", "Congo - Kinshasa")."""
    row = row or {}
    candidates = [
        clean(getattr(country, "common_name", None)),
        clean(country.name),
        clean(getattr(country, "official_name", None)),
        clean(row.get("un.name.en")),
        uninverted(clean(country.name)),
        clean(row.get("country.name.en")),
    ]
    for candidate in candidates:
        if candidate is not None and reads_as_name(candidate):
            return candidate
    return clean(country.name) or country.alpha_3


def cow_fields(row: Row | None) -> tuple[int | None, str | None]:
    """COW numeric code and abbreviation from countrycode ('cown', 'cowc'), never its GW columns."""
    if row is None:
        return None, None
    cown = row.get("cown")
    return (int(cown) if cown is not None else None), clean(row.get("cowc"))


def current_states(rows: list[Row], report: Report) -> list[State]:
    """One state per ISO 3166-1 entry in pycountry, joined to countrycode's row by alpha-3 code."""
    by_iso3 = {row["iso3c"]: row for row in rows if row.get("iso3c")}
    states = []
    for country in pycountry.countries:
        row = by_iso3.get(country.alpha_3)
        if row is None:
            report.notes.append(f"{country.alpha_3}: countrycode has no row for it; no COW code, ISO names only")
        elif row.get("iso2c") != country.alpha_2:
            # Only a sanity check of the join: the two packages should agree on ISO's own codes.
            report.notes.append(
                f"{country.alpha_3}: countrycode says alpha-2 {row.get('iso2c')}, pycountry {country.alpha_2}"
            )
        cow_code, cow_abbreviation = cow_fields(row)
        spellings = [clean(getattr(country, key, None)) for key in PYCOUNTRY_NAMES]
        spellings += [clean((row or {}).get(column)) for column in COUNTRYCODE_NAMES]
        states.append(
            State(
                id=country.alpha_3,
                name=choose_name(country, row),
                official_name=clean(getattr(country, "official_name", None)),
                spellings=[s for s in spellings if s],
                alpha2=country.alpha_2,
                numeric=country.numeric,
                cow_code=cow_code,
                cow_abbreviation=cow_abbreviation,
            )
        )
    return states


def successor(entry: Any, historic: list[Any], current_by_alpha2: dict[str, str]) -> str | None:
    """The single successor ISO 3166-3 gives for a withdrawn entry, or None.

    ISO 3166-3 (section 5, principles for the four-letter codes): the first two letters are the
    withdrawn alpha-2 code; the last two are the new alpha-2 code when the country changed its
    name (BUMM: Burma to Myanmar, MM), or AA when it changed its name but kept its alpha-2 code
    (BYAA: Byelorussian SSR to Belarus, BY); the alpha-2 code of the country it merged into (DDDE:
    German Democratic Republic into Germany, DE); HH when it split into several parts, so that
    there is no single successor (CSHH, SUHH), and XX for the split of Serbia and Montenegro (CSXX,
    so as not to repeat Czechoslovakia's CSHH). Nothing else is derived: HH and XX give none.

    The successor's alpha-2 code is looked up among current codes first. A code no longer current
    is looked up among the ISO 3166-3 entries that held it and were withdrawn later (YUCS:
    Yugoslavia to Serbia and Montenegro, CS, withdrawn after it; not Czechoslovakia, withdrawn
    before); it gives a successor only when exactly one such entry exists.
    """
    tail = entry.alpha_4[2:]
    if tail in ("HH", "XX"):
        return None
    code = entry.alpha_2 if tail == "AA" else tail
    if code in current_by_alpha2:
        return current_by_alpha2[code]
    if tail == "AA":
        return None
    # Withdrawal dates are ISO dates of a year or a day ("1977", "1992-08-30"): as text they sort
    # in time order.
    later = [h for h in historic if h.alpha_2 == code and h is not entry and h.withdrawal_date > entry.withdrawal_date]
    return later[0].alpha_3 if len(later) == 1 else None


def match_former_rows(entries: list[Any], former_rows: list[Row], report: Report) -> dict[str, Row]:
    """ISO 3166-3 entries matched to countrycode's former states (rows without an ISO code), with
    countrycode's own name regexes (the ones its ``countrycode()`` uses, matched case-insensitively
    as it does), so "Czechoslovakia, Czechoslovak Socialist Republic" finds "Czechoslovakia".

    Only rows without an ISO alpha-3 code are candidates: countrycode folds some former states
    into their successor's row (its Russia row's regex matches "soviet union"), and merging the USSR
    into Russia's COW code is the mistake this avoids. A match counts only when it is one to one."""
    hits: dict[str, list[int]] = {}
    for entry in entries:
        hits[entry.alpha_3] = [
            i
            for i, row in enumerate(former_rows)
            if row.get("country.name.en.regex") and re.search(row["country.name.en.regex"], entry.name, re.IGNORECASE)
        ]
    matched: dict[str, Row] = {}
    for alpha3, found in hits.items():
        if len(found) > 1:
            names = ", ".join(str(former_rows[i]["country.name.en"]) for i in found)
            report.notes.append(f"{alpha3}: matches several countrycode former states ({names}); not merged")
            continue
        if len(found) == 1:
            shared = [other for other, theirs in hits.items() if other != alpha3 and found[0] in theirs]
            if shared:
                also = ", ".join(shared)
                report.notes.append(f"{alpha3}: its countrycode match is also matched by {also}; not merged")
                continue
            matched[alpha3] = former_rows[found[0]]
    return matched


def former_states(rows: list[Row], current: list[State], report: Report) -> list[State]:
    """ISO 3166-3 entries whose alpha-3 code ISO has not reused, merged with countrycode's former
    states where their names match; then countrycode's former states with a COW code that match
    no ISO 3166-3 entry, as ``cow-<code>``."""
    current_alpha3 = {state.id for state in current}
    current_by_alpha2 = {state.alpha2: state.id for state in current if state.alpha2}
    historic = list(pycountry.historic_countries)
    entries = []
    for entry in historic:
        if entry.alpha_3 in current_alpha3:
            # One id may name one state: ISO gave the code to a current entry again (ATF).
            report.notes.append(
                f"ISO 3166-3 {entry.alpha_4} ({entry.name}) left out: its alpha-3 code {entry.alpha_3} "
                "is a current ISO 3166-1 code"
            )
        else:
            entries.append(entry)
    former_rows = [row for row in rows if not row.get("iso3c")]
    matched = match_former_rows(entries, former_rows, report)

    states = []
    for entry in entries:
        row = matched.get(entry.alpha_3)
        cow_code, cow_abbreviation = cow_fields(row)
        iso_name = clean(entry.name) or entry.alpha_3
        spellings = [iso_name] + [s for s in (clean((row or {}).get(c)) for c in COUNTRYCODE_NAMES) if s]
        succeeded_by = successor(entry, historic, current_by_alpha2)
        states.append(
            State(
                id=entry.alpha_3,
                # countrycode's English name is the one people use ("Czechoslovakia"); ISO 3166-3's
                # is an inverted catalogue entry ("Czechoslovakia, Czechoslovak Socialist Republic"),
                # turned round where that reads ("Republic of Zaire") and kept as an alias.
                name=(clean(row.get("country.name.en")) if row else None) or uninverted(iso_name) or iso_name,
                former=True,
                spellings=spellings,
                alpha2=entry.alpha_2,
                alpha4=entry.alpha_4,
                numeric=getattr(entry, "numeric", None),
                cow_code=cow_code,
                cow_abbreviation=cow_abbreviation,
                # The date ISO withdrew the code, as pycountry gives it; not when the state ended.
                iso_withdrawn=entry.withdrawal_date,
                successors=[succeeded_by] if succeeded_by else [],
            )
        )

    merged = {id(row) for row in matched.values()}
    for row in former_rows:
        if id(row) in merged or row.get("cown") is None:
            # Rows with neither an ISO nor a COW code (Prussia, Tibet, "Unknown") have no id to give.
            continue
        cow_code, cow_abbreviation = cow_fields(row)
        name = clean(row.get("country.name.en")) or f"COW {cow_code}"
        if clean(row.get("cldr.name.en")):
            # CLDR names only present-day territories, so such a row is a current state without an
            # ISO 3166-1 code (Kosovo), not a former one; it belongs in neither file.
            report.notes.append(
                f"countrycode {name} (COW {cow_code}) left out: current (CLDR names it) but not in ISO 3166-1"
            )
            continue
        states.append(
            State(
                id=f"cow-{cow_code}",
                name=name,
                former=True,
                spellings=[s for s in (clean(row.get(c)) for c in COUNTRYCODE_NAMES) if s],
                cow_code=cow_code,
                cow_abbreviation=cow_abbreviation,
            )
        )
    return states


def load_overrides(path: Path) -> list[dict[str, Any]]:
    """The hand-kept entries, checked: each names an id and says why, with known keys only."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    entries = data.get("states") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise GenerationError(f"{path}: expected a 'states:' list")
    seen: set[str] = set()
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            raise GenerationError(f"{path}: every entry needs an id: {entry!r}")
        ident = entry["id"]
        unknown = set(entry) - OVERRIDE_KEYS
        if unknown:
            raise GenerationError(f"{path}: {ident}: unknown keys {sorted(unknown)}")
        if not clean(entry.get("why")):
            raise GenerationError(f"{path}: {ident}: every override says why")
        if ident in seen:
            raise GenerationError(f"{path}: {ident} appears twice")
        seen.add(ident)
        aliases = entry.get("aliases", [])
        if not isinstance(aliases, list) or not all(clean(a) for a in aliases):
            raise GenerationError(f"{path}: {ident}: aliases must be a list of text")
        if "name" in entry and not clean(entry["name"]):
            raise GenerationError(f"{path}: {ident}: name must be text")
        if "qid" in entry and not (isinstance(entry["qid"], str) and _QID.match(entry["qid"])):
            raise GenerationError(f"{path}: {ident}: qid {entry['qid']!r} is not a Wikidata QID")
    return entries


def apply_overrides(states: list[State], overrides: list[dict[str, Any]]) -> None:
    """Put the hand-kept names, aliases and QIDs on the generated states. A replaced name stays an
    alias, so nothing a package gives is lost."""
    by_id = {state.id: state for state in states}
    for entry in overrides:
        state = by_id.get(entry["id"])
        if state is None:
            raise GenerationError(f"overrides: {entry['id']} is not a generated state id")
        if "name" in entry:
            name = clean(entry["name"])
            assert name is not None  # checked by load_overrides
            if name == state.name:
                raise GenerationError(f"overrides: {state.id}: the packages already give the name {name!r}; drop it")
            state.spellings.append(state.name)
            state.name = name
        for alias in entry.get("aliases", []):
            text = clean(alias)
            assert text is not None
            state.spellings.append(text)
            state.claimed.append(text)
        if "qid" in entry:
            state.qid = entry["qid"]


def settle_aliases(current: list[State], former: list[State], report: Report) -> None:
    """Turn each state's spellings into its aliases: deduplicated case-insensitively (the first
    spelling wins), without the state's own id and name, and without any spelling that names
    another state too. The compiler refuses a name or alias used by two states, and guessing which
    one a shared spelling means would be wrong half the time, so a shared alias is dropped from
    every state that has it, and reported. A spelling that is another state's id, name, QID,
    current alpha-2 code or hand-kept alias is dropped from this state only: that is how a former
    state keeps its own name ("East Timor") and "Burma" stays Myanmar's. Two states that share
    one of those identifying keys are an error the overrides file must settle."""
    everyone = current + former
    owners: dict[str, set[str]] = {}
    for state in everyone:
        for key in state.protected_keys():
            owners.setdefault(key.casefold(), set()).add(state.id)
    clashes = {key: ids for key, ids in owners.items() if len(ids) > 1}
    if clashes:
        listed = "; ".join(f"{key!r}: {', '.join(sorted(ids))}" for key, ids in sorted(clashes.items()))
        raise GenerationError(f"states share an id, name, QID, alpha-2 code or hand-kept alias: {listed}")

    candidates: dict[str, list[str]] = {}
    alias_owners: dict[str, set[str]] = {}
    for state in everyone:
        own = {key.casefold() for key in (state.id, state.name)}
        unique: dict[str, str] = {}
        for spelling in state.spellings:
            key = spelling.casefold()
            if key not in own and key not in unique:
                unique[key] = spelling
        candidates[state.id] = list(unique.values())
        for key in unique:
            alias_owners.setdefault(key, set()).add(state.id)

    for state in everyone:
        kept = []
        claimed = {alias.casefold() for alias in state.claimed}
        for alias in candidates[state.id]:
            key = alias.casefold()
            if key in claimed:
                # The overrides file gave it to this state on purpose; others lose it instead.
                kept.append(alias)
                continue
            named_by = owners.get(key, set()) - {state.id}
            shared_with = alias_owners[key] - {state.id}
            if named_by:
                why = f"it names {', '.join(sorted(named_by))}"
            elif shared_with:
                why = f"{', '.join(sorted(shared_with))} has it too"
            else:
                kept.append(alias)
                continue
            file = FORMER_FILE if state.former else STATES_FILE
            report.dropped[file].append(f"{alias!r} dropped from {state.id}: {why}")
        state.aliases = sorted(kept, key=lambda a: (a.casefold(), a))


def build(overrides_path: Path = OVERRIDES) -> tuple[list[State], list[State], Report]:
    """Every current and former state, with overrides applied and aliases settled."""
    report = Report()
    rows = countrycode_rows()
    current = current_states(rows, report)
    former = former_states(rows, current, report)
    apply_overrides(current + former, load_overrides(overrides_path))
    settle_aliases(current, former, report)
    return sorted(current, key=lambda s: s.id), sorted(former, key=lambda s: s.id), report


class _Dumper(yaml.SafeDumper):
    """Block-style YAML with list items indented under their key (as the hand-written files are),
    and never an anchor: the project's reader refuses YAML aliases."""

    def ignore_aliases(self, data: Any) -> bool:
        return True

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _represent_str(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    """Quote text made of digits ("076", "008"): PyYAML would leave "008" plain, which it reads back
    as text but a YAML 1.2 reader takes for the number 8."""
    style = "'" if text.isdigit() else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_Dumper.add_representer(str, _represent_str)


def render(file: str, states: list[State], report: Report) -> str:
    """One output file's text: the generated-file header, then the records."""
    versions = f"pycountry {version('pycountry')} and countrycode {version('countrycode')}"
    what = (
        "Current states: one record per ISO 3166-1 entry."
        if file == STATES_FILE
        else "Former states: ISO 3166-3 entries (codes ISO withdrew), and those only COW codes (cow-<code>)."
    )
    header = [
        "# GENERATED FILE: do not edit by hand.",
        f"# Made by `./dev reference` (tools/reference/generate.py) from {versions},",
        "# plus the hand-kept entries of tools/reference/overrides.yaml; change those and run it again.",
        "# `./dev reference --check` tells whether this file is current. Fields: docs/reference-data.md.",
        f"# {what}",
    ]
    dropped = sorted(report.dropped[file])
    if dropped:
        header.append("# Aliases dropped because another state has the same spelling:")
        header += [f"#   {line}" for line in dropped]
    body = yaml.dump(
        {"states": [state.record() for state in states]},
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=10_000,
    )
    return "\n".join(header) + "\n" + body


def shown(path: Path) -> str:
    """A path as messages show it: relative to the checkout when it lies inside."""
    resolved = path.resolve()
    return str(resolved.relative_to(ROOT)) if resolved.is_relative_to(ROOT) else str(path)


def main(argv: list[str] | None = None) -> int:
    """Write (or with --check, compare) the generated files; the exit status says the outcome."""
    parser = argparse.ArgumentParser(prog="./dev reference", description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if a committed file is not current")
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR, help="the files' folder (default: data/reference)")
    parser.add_argument("--overrides", type=Path, default=OVERRIDES, help="the hand-kept entries")
    parser.add_argument("--quiet", action="store_true", help="print only problems and differences")
    args = parser.parse_args(argv)

    try:
        current, former, report = build(args.overrides)
    except GenerationError as exc:
        print(f"reference: {exc}", file=sys.stderr)
        return 2
    outputs = {STATES_FILE: render(STATES_FILE, current, report), FORMER_FILE: render(FORMER_FILE, former, report)}

    if not args.quiet:
        for note in report.notes:
            print(f"reference: {note}", file=sys.stderr)
        for file, lines in report.dropped.items():
            for line in sorted(lines):
                print(f"reference: {file}: {line}", file=sys.stderr)

    stale = []
    for file, text in outputs.items():
        path = args.data_dir / file
        old = path.read_text(encoding="utf-8") if path.exists() else None
        if args.check:
            if old != text:
                stale.append(path)
                committed, generated = (old or "").splitlines(), text.splitlines()
                name = shown(path)
                diff = difflib.unified_diff(committed, generated, f"{name} (committed)", f"{name} (generated)")
                lines = [line.rstrip("\n") for line in diff]
                print(f"reference: {name} is not what the installed packages give", file=sys.stderr)
                for line in lines[:40]:
                    print(f"  {line}", file=sys.stderr)
                if len(lines) > 40:
                    print(f"  ... {len(lines) - 40} more diff lines", file=sys.stderr)
        elif old != text:
            path.write_text(text, encoding="utf-8")
            if not args.quiet:
                print(f"reference: wrote {shown(path)}", file=sys.stderr)
    if stale:
        print("reference: run `./dev reference` and commit the result", file=sys.stderr)
        return 1
    if not args.quiet:
        counts = f"{len(current)} current and {len(former)} former states"
        print(f"reference: {'up to date' if args.check else 'done'}: {counts}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
