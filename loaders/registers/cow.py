"""Correlates of War Formal Alliances (v4.1): the file by member, ``alliance_v4.1_by_member.csv``.

One alliance (``version4id``) is one treaty; each member row adds a party, its membership dates
as steps, and one claim. The four pledge flags are the provisions (``defense``: mutual defence,
``neutrality``, ``nonaggression``, ``entente``); the publisher's type (``ss_type``, "Type I:
Defense Pact" ...) is kept in each claim's quote, with ``left_censor`` and ``right_censor``: a
left-censored member's start (1 January 1816, where the data begins) is not a date it joined, so
no step is written for it. Members resolve by COW country code through the reference data.
"""

from __future__ import annotations

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

#: The columns of the by-member file (v4.1), in the publisher's order.
COLUMNS: tuple[str, ...] = (
    "version4id", "ccode", "state_name",
    "all_st_day", "all_st_month", "all_st_year", "all_end_day", "all_end_month", "all_end_year",
    "ss_type",
    "mem_st_day", "mem_st_month", "mem_st_year", "mem_end_day", "mem_end_month", "mem_end_year",
    "left_censor", "right_censor", "defense", "neutrality", "nonaggression", "entente", "version",
)  # fmt: skip
PLEDGES = {
    "defense": ("mutual-defence", "Defence pledge (COW 'defense', type I)"),
    "neutrality": ("neutrality", "Neutrality pledge (COW 'neutrality', type II)"),
    "nonaggression": ("non-aggression", "Non-aggression pledge (COW 'nonaggression', type II)"),
    "entente": ("entente", "Consultation pledge, entente (COW 'entente', type III)"),
}


class CowImporter(RegisterImporter):
    """The COW Formal Alliances data set, by member."""

    name = "cow"
    default_grading = "B2"
    publisher = "Correlates of War Project (Douglas M. Gibler)"
    url = "https://correlatesofwar.org/data-sets/formal-alliances/"

    def read(
        self,
        path: Path,
        *,
        index: ReferenceIndex,
        grading: str,
        release: str | None,
        skip_unresolved: bool,
    ) -> RegisterRead:
        if path.is_dir():
            candidates = sorted(path.glob("alliance_v*_by_member.csv"))
            if not candidates:
                raise CurationError(
                    [Problem(display_path(path), 0, "", "no alliance_v<version>_by_member.csv in the folder")]
                )
            path = candidates[-1]
        table = Table(path, COLUMNS, "the COW Formal Alliances file by member (alliance_v4.1_by_member.csv)")
        version_name = release_version([table], release)
        source_id = f"cow-formal-alliances-{slug(version_name)}"
        rel = Release(
            register=self.name,
            source_id=source_id,
            title=f"Correlates of War Formal Alliances (v{version_name})",
            publisher=self.publisher,
            version=version_name,
            url=self.url,
        )
        rows = Rows(table.shown)
        rows.add(
            "sources",
            table.header_line,
            rel.source_record(
                f"v{version_name}", "Formal alliances 1816-2012 coded by the Correlates of War Project (Gibler 2009)."
            ),
        )
        alliances: dict[str, Alliance] = {}
        unresolved: list[Unresolved] = []
        skipped: set[int] = set()
        for line, r in table.rows:
            aid = r["version4id"]
            state = index.cow_codes.get(int(r["ccode"])) if r["ccode"].isdigit() else None
            if state is None:
                unresolved.append(Unresolved(table.shown, line, "ccode", f"{r['ccode']} ({r['state_name']})"))
                skipped.add(line)
                continue
            if not aid.isdigit():
                rows.problem(line, "version4id", f"'{aid}' is not an alliance number")
                continue
            alliance = alliances.get(aid)
            if alliance is None:
                alliance = Alliance(f"cow-alliance-{aid}", f"COW alliance {aid} ({r['ss_type'] or 'type not given'})")
                alliance.line = line
                alliance.signed = date_of(rows, line, r, "all_st_year", "all_st_month", "all_st_day")
                alliance.terminated = date_of(rows, line, r, "all_end_year", "all_end_month", "all_end_day")
                alliances[aid] = alliance
            alliance.party(state)
            left = flag(rows, line, r, "left_censor")
            right = flag(rows, line, r, "right_censor")
            start = date_of(rows, line, r, "mem_st_year", "mem_st_month", "mem_st_day")
            end = date_of(rows, line, r, "mem_end_year", "mem_end_month", "mem_end_day")
            if not left:
                alliance.step(state, start, "Member from (COW)")
            alliance.step(state, end, "Member until (COW)")
            for column, (kind, summary) in PLEDGES.items():
                if flag(rows, line, r, column):
                    alliance.provisions[kind] = summary
            quote = (
                f'ss_type "{r["ss_type"]}"; {coded(r, tuple(PLEDGES))}; '
                f"member {start or 'start not given'} to "
                f"{end or ('the end of the data' if right else 'end not given')}; "
                f"left_censor={int(left)}, right_censor={int(right)}"
            )
            alliance.claim(
                f"{alliance.ident}--{source_id}--line{line}",
                source_id,
                f"{table.name} line {line} (version4id {aid}, ccode {r['ccode']})",
                grading,
                quote,
            )
        if unresolved and not skip_unresolved:
            raise unresolved_error(unresolved)
        for alliance in alliances.values():
            if len(alliance.parties) < 2:
                if not skip_unresolved:
                    rows.problem(alliance.line, alliance.ident, "an alliance needs at least two members that resolve")
                continue
            rows.add("treaties", alliance.line, alliance.record())
        if rows.problems:
            raise CurationError(rows.problems)
        return RegisterRead(
            release=rel,
            files=[path],
            document=rows.document(),
            rows=len(table.rows),
            unresolved=unresolved,
            version=digest_of([path], grading, version_name, f"skip={','.join(map(str, sorted(skipped)))}"),
            counts={"treaties": len(alliances), "skipped": len(skipped)},
        )
