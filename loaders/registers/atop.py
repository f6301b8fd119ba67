"""ATOP (Alliance Treaty Obligations and Provisions, v5.1): the alliance and member files.

``milcoop import atop FOLDER`` reads ``atop5_1a.csv`` (one row per alliance) and
``atop5_1m.csv`` (one row per member per phase) from the folder the publisher's zip unpacks to.
An alliance with one phase (``phase`` 0) is one treaty; an alliance with phases (an amendment
that changed the coding starts a new one) is one treaty per phase, each phase ``replaces`` the
one before. Members resolve by COW country code (``member``) through the reference data.

Obligations become provisions by kind (``defense``: mutual defence, ``offense``, ``neutral``,
``nonagg``, ``consul``), listing the members bound and those whose obligation is conditional
(``defcon``, ``offcon``, ``neucon``, ``concon``; ``conditio`` for any condition). Each member
row's entry and exit are steps of the treaty (ATOP's entry is the signature; an exit of
``0, 0, 0`` means still in effect at the end of the data). Every member row and the alliance row
are claims citing the release, their coded values as the quote.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from milcoop.loaders.curated import ReferenceIndex
from milcoop.loaders.problems import CurationError, Problem, display_path
from milcoop.loaders.registers.alliances import Alliance, coded
from milcoop.loaders.registers.base import (
    RegisterImporter,
    RegisterRead,
    Release,
    Rows,
    Table,
    Unresolved,
    date_of,
    digest_of,
    flag,
    release_version,
    slug,
    unresolved_error,
)

OBLIGATIONS = {
    "defense": ("mutual-defence", "defcon", "Defence obligation (ATOP 'defense')"),
    "offense": ("offence", "offcon", "Offence obligation (ATOP 'offense')"),
    "neutral": ("neutrality", "neucon", "Neutrality obligation (ATOP 'neutral')"),
    "nonagg": ("non-aggression", None, "Non-aggression obligation (ATOP 'nonagg')"),
    "consul": ("consultation", "concon", "Consultation obligation (ATOP 'consul')"),
}
#: The member file's columns this importer reads.
MEMBER_COLUMNS: tuple[str, ...] = (
    "atopid", "member", "yrent", "moent", "dayent", "yrexit", "moexit", "dayexit", "ineffect", "phase", "maxphase",
    "defense", "offense", "neutral", "nonagg", "consul", "conditio", "defcon", "offcon", "neucon", "concon",
    "version",
)  # fmt: skip
#: The alliance file's columns this importer reads.
ALLIANCE_COLUMNS: tuple[str, ...] = (
    "atopid", "begyr", "begmo", "begday", "endyr", "endmo", "endday", "ineffect", "maxphase",
    "defense", "offense", "neutral", "nonagg", "consul", "conditio", "defcon", "offcon", "mem1", "mem2", "version",
)  # fmt: skip
_CODED = ("defense", "offense", "neutral", "nonagg", "consul", "conditio", "defcon", "offcon", "neucon", "concon")


def _find(folder: Path, suffix: str) -> Path:
    found = sorted(p for p in folder.glob("atop*.csv") if p.stem.endswith(suffix) and "NNA" not in p.stem)
    if not found:
        raise CurationError(
            [
                Problem(
                    display_path(folder), 0, "", f"no ATOP file ending in '{suffix}.csv' (such as atop5_1{suffix}.csv)"
                )
            ]
        )
    return found[-1]


class AtopImporter(RegisterImporter):
    """ATOP's alliance-level and member-level files."""

    name = "atop"
    default_grading = "B2"
    publisher = "Alliance Treaty Obligations and Provisions project (Brett Ashley Leeds et al.)"
    url = "http://www.atopdata.org/"

    def read(
        self,
        path: Path,
        *,
        index: ReferenceIndex,
        grading: str,
        release: str | None,
        skip_unresolved: bool,
    ) -> RegisterRead:
        if not path.is_dir():
            raise CurationError(
                [Problem(display_path(path), 0, "", "give the folder holding atop5_1a.csv and atop5_1m.csv")]
            )
        alliances_table = Table(_find(path, "a"), ALLIANCE_COLUMNS, "ATOP's alliance-level file (atop5_1a.csv)")
        members_table = Table(_find(path, "m"), MEMBER_COLUMNS, "ATOP's member-level file (atop5_1m.csv)")
        version_name = release_version([alliances_table, members_table], release)
        source_id = f"atop-{slug(version_name)}"
        rel = Release(
            register=self.name,
            source_id=source_id,
            title=f"Alliance Treaty Obligations and Provisions (ATOP) v{version_name}",
            publisher=self.publisher,
            version=version_name,
            url=self.url,
        )
        rows = Rows(members_table.shown)
        rows.add(
            "sources",
            members_table.header_line,
            rel.source_record(
                f"v{version_name}", "Military alliance agreements coded by the ATOP project (Leeds et al. 2002)."
            ),
        )
        by_alliance = {r["atopid"]: (line, r) for line, r in alliances_table.rows}
        phases: dict[tuple[str, int], Alliance] = {}
        unresolved: list[Unresolved] = []
        skipped: set[int] = set()
        bound: dict[tuple[str, int], dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        for line, r in members_table.rows:
            aid = r["atopid"]
            state = index.cow_codes.get(int(r["member"])) if r["member"].isdigit() else None
            if state is None:
                unresolved.append(Unresolved(members_table.shown, line, "member", r["member"]))
                skipped.add(line)
                continue
            if aid not in by_alliance:
                rows.problem(line, "atopid", f"alliance {aid} is not in {alliances_table.name}")
                continue
            phase = int(r["phase"]) if r["phase"].isdigit() else -1
            if phase < 0:
                rows.problem(line, "phase", f"'{r['phase']}' is not a phase number")
                continue
            key = (aid, phase)
            alliance = phases.get(key)
            if alliance is None:
                maxphase = r["maxphase"] or "0"
                ident = f"atop-alliance-{aid}" if phase == 0 else f"atop-alliance-{aid}-phase-{phase}"
                title = f"ATOP alliance {aid}" + (f", phase {phase} of {maxphase}" if phase else "")
                alliance = Alliance(ident, title)
                alliance.line = line
                if phase > 1:
                    alliance.replaces = f"atop-alliance-{aid}-phase-{phase - 1}"
                phases[key] = alliance
            alliance.party(state)
            entered = date_of(rows, line, r, "yrent", "moent", "dayent")
            in_effect = flag(rows, line, r, "ineffect")
            exited = None if in_effect else date_of(rows, line, r, "yrexit", "moexit", "dayexit")
            alliance.step(state, entered, "Entered (ATOP: signature)")
            alliance.step(state, exited, "Left (ATOP)")
            for column, (kind, condition, _) in OBLIGATIONS.items():
                if flag(rows, line, r, column):
                    conditional = condition is not None and flag(rows, line, r, condition)
                    bound[key][kind].append(f"{state} (conditional)" if conditional else state)
            flag(rows, line, r, "conditio")
            quote = (
                f"{coded(r, _CODED)}; entry {entered or 'not given'}; "
                f"exit {'none (in effect at the end of the data)' if in_effect else (exited or 'not given')}"
            )
            alliance.claim(
                f"{alliance.ident}--{source_id}--m{line}",
                source_id,
                f"{members_table.name} line {line} (atopid {aid}, member {r['member']}, phase {r['phase']})",
                grading,
                quote,
            )
        if unresolved and not skip_unresolved:
            raise unresolved_error(unresolved)
        # Each phase's dates: its earliest entry; its end, the latest exit when every member left.
        last_phase: dict[str, int] = {}
        for (aid, phase), alliance in phases.items():
            last_phase[aid] = max(last_phase.get(aid, 0), phase)
            entries = sorted(s["date"] for s in alliance.steps if s["step"].startswith("Entered"))
            alliance.signed = entries[0] if entries else None
        for (aid, phase), alliance in phases.items():
            a_line, a = by_alliance[aid]
            if phase in (0, 1):
                alliance.signed = date_of(rows, a_line, a, "begyr", "begmo", "begday") or alliance.signed
            if phase == last_phase[aid] and not flag(rows, a_line, a, "ineffect"):
                alliance.terminated = date_of(rows, a_line, a, "endyr", "endmo", "endday")
            elif phase != last_phase[aid]:
                exits = sorted(s["date"] for s in alliance.steps if s["step"].startswith("Left"))
                alliance.terminated = exits[-1] if exits else None
            for kind, states in bound[(aid, phase)].items():
                column = next(c for c, (k, _, _) in OBLIGATIONS.items() if k == kind)
                alliance.provisions[kind] = f"{OBLIGATIONS[column][2]}, coded for {', '.join(sorted(states))}"
            alliance.claim(
                f"{alliance.ident}--{source_id}--a{a_line}",
                source_id,
                f"{alliances_table.name} line {a_line} (atopid {aid})",
                grading,
                f"{coded(a, ('begyr', 'begmo', 'begday', 'endyr', 'endmo', 'endday', 'ineffect', 'maxphase'))}; "
                f"{coded(a, _CODED[:8])}",
            )
        for aid in by_alliance:
            if aid not in last_phase and not skip_unresolved:
                line, _ = by_alliance[aid]
                rows.problems.append(
                    Problem(alliances_table.shown, line, "atopid", f"alliance {aid} has no member rows")
                )
        for alliance in phases.values():
            if len(alliance.parties) < 2:
                if not skip_unresolved:
                    rows.problem(alliance.line, alliance.ident, "an alliance needs at least two members that resolve")
                continue
            rows.add("treaties", alliance.line, alliance.record())
        if rows.problems:
            raise CurationError(rows.problems)
        files = [alliances_table.path, members_table.path]
        return RegisterRead(
            release=rel,
            files=files,
            document=rows.document(),
            rows=len(members_table.rows) + len(alliances_table.rows),
            unresolved=unresolved,
            version=digest_of(files, grading, version_name, f"skip={','.join(map(str, sorted(skipped)))}"),
            counts={"treaties": len(phases), "alliances": len(by_alliance), "skipped": len(skipped)},
        )
