"""Tables of the list answers: one definition of each table's columns, used by the CSV download of
the /v1 list endpoints (``format=csv`` or ``Accept: text/csv``) and by the site's HTML tables, so
a spreadsheet holds exactly the columns a reader sees on the page.

The CSV writer is here and only here. Cells that a spreadsheet would read as a formula (starting
with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) get a leading apostrophe: the data is
sourced text, and a quote or name beginning with ``=`` must never run as a formula in the
analyst's spreadsheet (CSV or formula injection, OWASP). A negative number would be caught too;
the tables hold none (quantities are counts).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar

from fastapi.responses import Response
from pydantic import BaseModel

from milcoop.graph import models as m

T = TypeVar("T")

Format = Literal["json", "csv"]

#: First characters that make a spreadsheet treat a cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

#: OpenAPI for a list endpoint's 200: JSON (from the response model) or the table as CSV.
CSV_CONTENT: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {"text/csv": {"schema": {"type": "string"}}},
        "description": "The page; as CSV (the table's columns, a header row first) with format=csv or "
        "Accept: text/csv. A CSV page's next cursor is in the X-Next-Cursor header.",
    }
}


def safe_cell(text: str) -> str:
    """``text`` as a spreadsheet will show it, never run it: a leading apostrophe before a formula start."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


@dataclass(frozen=True)
class Cell:
    """One cell: its text, and where it links to on the site (an entity's page), if anywhere."""

    text: str
    href: str | None = None


@dataclass(frozen=True)
class Column(Generic[T]):
    header: str
    cell: Callable[[T], Cell]


@dataclass(frozen=True)
class Table(Generic[T]):
    """The columns of one kind of list, and the file name of its CSV."""

    name: str
    columns: Sequence[Column[T]]

    @property
    def headers(self) -> list[str]:
        return [column.header for column in self.columns]

    def row(self, item: T) -> list[Cell]:
        return [column.cell(item) for column in self.columns]

    def csv(self, items: Iterable[T]) -> str:
        """The items as CSV: a header row, then one row per item, formula starts neutralised."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(self.headers)
        for item in items:
            writer.writerow([safe_cell(cell.text) for cell in self.row(item)])
        return out.getvalue()


def answer(page: BaseModel, items: Sequence[T], table: Table[T], fmt: Format) -> Response:
    """The page as JSON (serialized once by pydantic) or as the table's CSV."""
    if fmt == "json":
        return Response(content=page.model_dump_json(), media_type="application/json")
    headers = {"Content-Disposition": f'attachment; filename="{table.name}.csv"'}
    next_cursor = getattr(page, "next_cursor", None)
    if next_cursor:
        headers["X-Next-Cursor"] = next_cursor
    return Response(content=table.csv(items), media_type="text/csv; charset=utf-8", headers=headers)


# -- cells -------------------------------------------------------------------------------------------

ENTITY_PATH = "/entities/"


def entity_href(ref_id: str) -> str:
    return ENTITY_PATH + ref_id


def ref_cell(ref: m.Ref | m.SourceRef | None, *, by_name: bool = False) -> Cell:
    """An entity by id (actors: ISO codes read well) or by name, linking to its page."""
    if ref is None:
        return Cell("")
    return Cell((ref.name or ref.id) if by_name else ref.id, entity_href(ref.id))


def joined(values: Iterable[str]) -> Cell:
    return Cell("; ".join(values))


def refs_cell(refs: Iterable[m.Ref], *, by_name: bool = True) -> Cell:
    return joined((ref.name or ref.id) if by_name else ref.id for ref in refs)


def date_cell(date: m.DateValue | None) -> Cell:
    return Cell(date.value if date else "")


def quantity_text(quantity: m.Quantity) -> str:
    mark = "?" if quantity.uncertain else ""
    return f"{quantity.qualifier} {quantity.value}{mark} {quantity.unit}"


def unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


def claim_sources(claims: Sequence[m.Claim]) -> Cell:
    return joined(unique(claim.source.id for claim in claims))


def claim_gradings(claims: Sequence[m.Claim]) -> Cell:
    return joined(unique(claim.grading for claim in claims))


def _period_part(event: m.Event, part: Literal["start", "start_precision", "end", "end_precision"]) -> Cell:
    value = getattr(event.period, part) if event.period else None
    return Cell(value or "")


def _quantities(event: m.Event) -> Cell:
    # One line per distinct amount as worded, with the sources giving it: conflicting accounts stay visible.
    by_text: dict[str, list[str]] = {}
    for quantity in event.quantities:
        by_text.setdefault(quantity_text(quantity), []).append(quantity.source)
    return joined(f"{text} ({', '.join(unique(sources))})" for text, sources in by_text.items())


def _amount(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def consolidated_text(quantity: m.ConsolidatedQuantity) -> str:
    """A consolidated quantity in words: what every taking-part claim allows, or that they
    cannot all be true (derived by milcoop, not claimed by a source)."""
    if quantity.low is None and quantity.high is None:
        return f"{quantity.unit}: the claims cannot all be true ({', '.join(quantity.conflicting)})"
    parts = []
    if quantity.low is not None:
        parts.append(f"{'at least' if quantity.low_inclusive else 'more than'} {_amount(quantity.low)}")
    if quantity.high is not None:
        parts.append(f"{'at most' if quantity.high_inclusive else 'less than'} {_amount(quantity.high)}")
    else:
        parts.append("no upper bound")
    return f"{quantity.unit}: {', '.join(parts)}"


def _consolidated(event: m.Event) -> Cell:
    return joined(consolidated_text(q) for q in event.consolidated)


def _event_column(header: str, cell: Callable[[m.Event], Cell]) -> Column[m.Event]:
    return Column(header, cell)


EVENT_COLUMNS: list[Column[m.Event]] = [
    _event_column("id", lambda e: Cell(e.id, entity_href(e.id))),
    _event_column("kind", lambda e: Cell(e.kind)),
    _event_column("from", lambda e: ref_cell(e.from_)),
    _event_column("to", lambda e: ref_cell(e.to)),
    _event_column("items", lambda e: refs_cell(e.items)),
    _event_column("start", lambda e: _period_part(e, "start")),
    _event_column("start_precision", lambda e: _period_part(e, "start_precision")),
    _event_column("end", lambda e: _period_part(e, "end")),
    _event_column("end_precision", lambda e: _period_part(e, "end_precision")),
    _event_column("quantities", _quantities),
    # Derived by milcoop from the claims above (docs/analysis.md, "Consolidated quantities").
    _event_column("consolidated", _consolidated),
    _event_column("transfer_status", lambda e: Cell(e.transfer_status or "")),
    _event_column("statuses", lambda e: joined(e.statuses)),
    _event_column("gradings", lambda e: claim_gradings(e.claims)),
    _event_column("sources", lambda e: claim_sources(e.claims)),
]

FLOWS: Table[m.Event] = Table("flows", EVENT_COLUMNS)
DEPLOYMENTS: Table[m.Event] = Table("deployments", EVENT_COLUMNS)

TREATIES: Table[m.Treaty] = Table(
    "treaties",
    [
        Column("id", lambda t: Cell(t.id, entity_href(t.id))),
        Column("name", lambda t: Cell(t.name or t.title or "")),
        Column("parties", lambda t: refs_cell(t.parties, by_name=False)),
        Column("signed", lambda t: date_cell(t.signed)),
        Column("entry_into_force", lambda t: date_cell(t.entry_into_force)),
        Column("terminated", lambda t: date_cell(t.terminated)),
        Column("provisions", lambda t: Cell(str(len(t.provisions)))),
        Column("statuses", lambda t: joined(unique(c.status for c in t.claims))),
        Column("gradings", lambda t: claim_gradings(t.claims)),
        Column("sources", lambda t: claim_sources(t.claims)),
    ],
)


def _violation_claims(v: m.Violation) -> list[m.Claim]:
    return v.claims or (v.event.claims if v.event else [])


VIOLATIONS: Table[m.Violation] = Table(
    "violations",
    [
        Column("id", lambda v: Cell(v.id, entity_href(v.id) if v.iri else None)),
        Column("basis", lambda v: Cell(v.basis)),
        Column("rule", lambda v: Cell(v.rule.id if v.rule else "")),
        Column("event", lambda v: Cell(v.event.id, entity_href(v.event.id)) if v.event else Cell("")),
        Column("event_kind", lambda v: Cell(v.event.kind if v.event else "")),
        Column("from", lambda v: ref_cell(v.event.from_) if v.event else Cell("")),
        Column("to", lambda v: ref_cell(v.event.to) if v.event else Cell("")),
        Column("start", lambda v: _period_part(v.event, "start") if v.event else Cell("")),
        Column("end", lambda v: _period_part(v.event, "end") if v.event else Cell("")),
        Column("measure", lambda v: Cell(v.measure.id, entity_href(v.measure.id)) if v.measure else Cell("")),
        Column("statuses", lambda v: joined(unique(c.status for c in _violation_claims(v)))),
        Column("gradings", lambda v: claim_gradings(_violation_claims(v))),
        Column("sources", lambda v: claim_sources(_violation_claims(v))),
    ],
)

ENTITIES: Table[m.EntitySummary] = Table(
    "entities",
    [
        Column("id", lambda e: Cell(e.id, entity_href(e.id))),
        Column("kind", lambda e: Cell(e.kind)),
        Column("name", lambda e: Cell(e.name or "")),
        Column("aliases", lambda e: joined(e.aliases)),
        Column("iri", lambda e: Cell(e.iri)),
    ],
)

SOURCES: Table[m.Source] = Table(
    "sources",
    [
        Column("id", lambda s: Cell(s.id, entity_href(s.id))),
        Column("name", lambda s: Cell(s.name or s.title or "")),
        Column("publisher", lambda s: Cell(s.publisher or "")),
        Column("kind", lambda s: Cell(s.kind or "")),
        Column("issued", lambda s: date_cell(s.issued)),
        Column("claims_read_here", lambda s: Cell(str(s.claims_read_here))),
        Column("claims_citing", lambda s: Cell(str(s.claims_citing))),
        Column("urls", lambda s: joined(s.urls)),
    ],
)

SOURCE_FACTS: Table[m.SupportedFact] = Table(
    "source-facts",
    [
        Column("fact", lambda f: ref_cell(f.fact)),
        Column("kind", lambda f: Cell(f.fact.kind)),
        Column("name", lambda f: Cell(f.fact.name or "")),
        Column("via", lambda f: joined(f.via)),
        Column("statuses", lambda f: joined(unique(c.status for c in f.claims))),
        Column("gradings", lambda f: claim_gradings(f.claims)),
    ],
)

CHANGES: Table[m.Change] = Table(
    "changes",
    [
        Column("id", lambda c: Cell(c.id)),
        Column("kind", lambda c: Cell(c.kind)),
        Column("change", lambda c: Cell(c.change)),
        Column("version", lambda c: Cell(c.version)),
        Column("at", lambda c: Cell(c.at)),
        Column("iri", lambda c: Cell(c.iri)),
    ],
)


def _relation_id(item: m.RelationItem) -> Cell:
    thing: m.Event | m.Treaty | None = item.event or item.treaty
    return Cell(thing.id, entity_href(thing.id)) if thing else Cell("")


RELATIONS: Table[m.RelationItem] = Table(
    "relations",
    [
        Column("type", lambda r: Cell(r.type)),
        Column("start", lambda r: Cell(r.start or "")),
        Column("direction", lambda r: Cell(r.direction or "")),
        Column("id", _relation_id),
        Column("kind", lambda r: Cell(r.event.kind if r.event else "treaty")),
        Column("name", lambda r: Cell((r.event.name if r.event else r.treaty.name if r.treaty else None) or "")),
    ],
)
