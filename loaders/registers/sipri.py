"""SIPRI Arms Transfers Database: the trade register's CSV export ("legacy" layout).

One row of the trade register is one ``materiel-transfer`` event with one claim citing the
release (see docs/importers.md for the full mapping and docs/registers.md for the model):

* Supplier, Recipient: the event's ``from`` and ``to``, resolved through the reference data
  (names, aliases, former states such as the Soviet Union; "unknown" is the reference's
  ``unidentified-party``);
* Year of order and its ``?``: ``ordered`` and ``ordered_uncertain``;
* Number ordered and Number delivered, each with its ``?``: the claim's ``ordered`` and
  ``quantity`` in ``items``, a number in brackets with the qualifier ``estimate``;
* Weapon designation and description: a reference system when the designation is one, else a
  system of the register named as SIPRI names it, with SIPRI's description;
* Year(s) of delivery (``;``-separated): ``delivery_years``;
* status: the materiel's ``condition`` (new, second-hand, second-hand but modernised);
* Comments: the claim's ``quote``, SIPRI's own words, not read further;
* the three SIPRI TIV columns: the claim's ``tiv``.

The file starts with lines of metadata (title, notes, the date it was generated); the header row
is found by its first columns, and a layout other than this one is refused, naming the header
expected.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from pathlib import Path
from typing import Any

from milcoop.loaders.curated import ReferenceIndex
from milcoop.loaders.problems import CurationError, Problem, display_path
from milcoop.loaders.registers.base import (
    RegisterImporter,
    RegisterRead,
    Release,
    Rows,
    Unresolved,
    csv_rows,
    digest_of,
    read_text,
    short_hash,
    slug,
    unresolved_error,
)

#: The header row of the trade register, as the publisher writes it ("" for the blank-headed
#: columns that hold the ``?`` marks of the column before them).
HEADER: tuple[str, ...] = (
    "Recipient",
    "Supplier",
    "Year of order",
    "",
    "Number ordered",
    "",
    "Weapon designation",
    "Weapon description",
    "Number delivered",
    "",
    "Year(s) of delivery",
    "status",
    "Comments",
    "SIPRI TIV per unit",
    "SIPRI TIV for total order",
    "SIPRI TIV of delivered weapons",
)
#: How far into the file the header row may stand (the metadata lines before it).
HEADER_WITHIN = 40

#: SIPRI's "status" column, which says whether the weapons were new or second-hand.
CONDITIONS = {
    "new": "new",
    "second hand": "second-hand",
    "second-hand": "second-hand",
    "second hand but modernized": "second-hand-modernised",
    "second hand but modernised": "second-hand-modernised",
    "second-hand but modernized": "second-hand-modernised",
}

_NUMBER = re.compile(r"^\(?\s*([0-9]+)\s*\)?$")
_DECIMAL = re.compile(r"^[0-9]+(\.[0-9]+)?$")
_YEAR = re.compile(r"^[12][0-9]{3}$")
_GENERATED = re.compile(r"generated[^0-9]*(.+)$", re.IGNORECASE)
_MONTHS = {
    m: i
    for i, m in enumerate(
        (
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ),
        start=1,
    )
}


def _generated_date(text: str) -> str | None:
    """The date in a metadata line such as ``Information generated: 12 March 2025`` (ISO), or None."""
    match = _GENERATED.search(text)
    if not match:
        return None
    words = re.findall(r"[0-9]+|[A-Za-z]+", match.group(1))
    try:
        if len(words) >= 3 and words[0].isdigit() and words[1].casefold() in _MONTHS and words[2].isdigit():
            return dt.date(int(words[2]), _MONTHS[words[1].casefold()], int(words[0])).isoformat()
        if len(words) >= 3 and all(w.isdigit() for w in words[:3]) and len(words[0]) == 4:
            return dt.date(int(words[0]), int(words[1]), int(words[2])).isoformat()
    except ValueError:
        return None
    return None


class SipriImporter(RegisterImporter):
    """The SIPRI Arms Transfers Database's trade-register CSV."""

    name = "sipri"
    default_grading = "B2"
    publisher = "Stockholm International Peace Research Institute (SIPRI)"
    url = "https://www.sipri.org/databases/armstransfers"

    def read(
        self,
        path: Path,
        *,
        index: ReferenceIndex,
        grading: str,
        release: str | None,
        skip_unresolved: bool,
    ) -> RegisterRead:
        shown = display_path(path)
        if path.is_dir():
            raise CurationError([Problem(shown, 0, "", "give the trade register's CSV file, not a folder")])
        text = read_text(path)
        records = list(csv_rows(text))
        header_at = None
        generated = None
        for position, (_line, cells) in enumerate(records[:HEADER_WITHIN]):
            stripped = tuple(c.strip() for c in cells)
            if stripped[:3] == HEADER[:3]:
                header_at = position
                break
            generated = generated or _generated_date(" ".join(cells))
        if header_at is None:
            raise CurationError(
                [
                    Problem(
                        shown,
                        0,
                        "",
                        "not a SIPRI trade register in the layout milcoop reads: expected, within the first "
                        f"{HEADER_WITHIN} lines, the header row '{', '.join(HEADER)}' (SIPRI's legacy CSV export). "
                        "Other exports (per-field estimate flags) are not read yet",
                    )
                ]
            )
        header_line, header = records[header_at]
        found = tuple(c.strip() for c in header)
        if found[: len(HEADER)] != HEADER or any(found[len(HEADER) :]):
            raise CurationError(
                [
                    Problem(
                        shown,
                        header_line,
                        "header",
                        f"the header row is '{', '.join(found)}'; expected exactly '{', '.join(HEADER)}'",
                    )
                ]
            )
        if release is None and generated is None:
            raise CurationError(
                [
                    Problem(
                        shown,
                        0,
                        "",
                        "the file's metadata names no date it was generated; give the release with --release "
                        "(such as 2025)",
                    )
                ]
            )
        version_name = release or str(generated)
        source_id = f"sipri-arms-transfers-{slug(version_name)}"
        rel = Release(
            register=self.name,
            source_id=source_id,
            title=f"SIPRI Arms Transfers Database, trade register ({version_name})",
            publisher=self.publisher,
            version=version_name,
            url=self.url,
            issued=generated,
        )
        rows = Rows(shown)
        source = rel.source_record(
            version_name, "SIPRI's trade register of transfers of major conventional weapons, as exported to CSV."
        )
        rows.add("sources", header_line, source)

        unresolved: list[Unresolved] = []
        systems: dict[tuple[str, str], str] = {}
        seen: Counter[str] = Counter()
        count = 0
        for line, cells in records[header_at + 1 :]:
            if not any(c.strip() for c in cells):
                continue
            count += 1
            row = self._row(rows, line, cells, index, unresolved, skip_unresolved)
            if row is None:
                continue
            designation, description = row["designation"], row["description"]
            item = index.system(designation) if designation else None
            if item is None:
                key = (designation, description)
                item = systems.get(key)
                if item is None:
                    item = f"sipri-system-{slug(designation)}-{short_hash(designation, description)[:6]}"
                    systems[key] = item
                    system: dict[str, Any] = {
                        "id": item,
                        "name": designation or description or "unnamed weapon",
                        "category": "major-conventional-weapons",
                    }
                    if description:
                        system["description"] = f"{description} (SIPRI's description)"
                    rows.add("systems", line, system)
            identity = short_hash(row["supplier"], row["recipient"], row["ordered"], designation, description)
            seen[identity] += 1
            ident = f"sipri-{identity}" + (f"-{seen[identity]}" if seen[identity] > 1 else "")
            rows.add("events", line, self._event(ident, item, row, source_id, grading, line))
        if unresolved and not skip_unresolved:
            raise unresolved_error(unresolved)
        if rows.problems:
            raise CurationError(rows.problems)
        skipped = sorted({u.line for u in unresolved})
        return RegisterRead(
            release=rel,
            files=[path],
            document=rows.document(),
            rows=count,
            unresolved=unresolved,
            version=digest_of([path], grading, version_name, f"skip={','.join(map(str, skipped))}"),
            counts={"events": count - len(skipped), "systems": len(systems), "skipped": len(skipped)},
        )

    def _row(
        self,
        rows: Rows,
        line: int,
        cells: list[str],
        index: ReferenceIndex,
        unresolved: list[Unresolved],
        skip_unresolved: bool,
    ) -> dict[str, Any] | None:
        """The values of one row, or None when a party does not resolve (reported) or a value
        cannot be read (a problem)."""
        cells = [c.strip() for c in cells]
        if len(cells) < len(HEADER):
            cells += [""] * (len(HEADER) - len(cells))
        if any(cells[len(HEADER) :]):
            rows.problem(line, "row", f"the row has {len(cells)} cells; the header has {len(HEADER)}")
            return None
        (
            recipient,
            supplier,
            year,
            year_mark,
            ordered,
            ordered_mark,
            designation,
            description,
            delivered,
            delivered_mark,
            years,
            status,
            comments,
            tiv_unit,
            tiv_order,
            tiv_delivered,
        ) = cells[: len(HEADER)]
        parties: dict[str, str] = {}
        missing = False
        for column, value in (("Supplier", supplier), ("Recipient", recipient)):
            ident = index.actor(value) if value else None
            if ident is None:
                unresolved.append(Unresolved(rows.file, line, column, value))
                missing = True
            else:
                parties[column] = ident
        problems_before = len(rows.problems)
        row: dict[str, Any] = {
            "supplier": parties.get("Supplier"),
            "recipient": parties.get("Recipient"),
            "supplier_name": supplier,
            "recipient_name": recipient,
            "designation": designation,
            "description": description,
            "comments": comments,
        }
        if year and not _YEAR.match(year):
            rows.problem(line, "Year of order", f"'{year}' is not a year")
        row["ordered"] = year or None
        row["ordered_uncertain"] = self._mark(rows, line, "Year of order", year_mark)
        row["ordered_count"] = self._number(rows, line, "Number ordered", ordered)
        row["ordered_count_uncertain"] = self._mark(rows, line, "Number ordered", ordered_mark)
        row["delivered_count"] = self._number(rows, line, "Number delivered", delivered)
        row["delivered_count_uncertain"] = self._mark(rows, line, "Number delivered", delivered_mark)
        delivery_years = []
        for part in (p.strip() for p in years.split(";")) if years else ():
            if not _YEAR.match(part):
                rows.problem(line, "Year(s) of delivery", f"'{part}' is not a year (years are separated by ';')")
            else:
                delivery_years.append(int(part))
        row["delivery_years"] = delivery_years
        condition = CONDITIONS.get(status.casefold()) if status else None
        if status and condition is None:
            rows.problem(
                line, "status", f"'{status}' is not one of SIPRI's statuses ({', '.join(sorted(set(CONDITIONS)))})"
            )
        row["condition"] = condition
        row["tiv"] = {
            key: self._decimal(rows, line, column, value)
            for key, column, value in (
                ("per_unit", "SIPRI TIV per unit", tiv_unit),
                ("order", "SIPRI TIV for total order", tiv_order),
                ("delivered", "SIPRI TIV of delivered weapons", tiv_delivered),
            )
        }
        if missing or len(rows.problems) > problems_before:
            return None
        return row

    @staticmethod
    def _mark(rows: Rows, line: int, column: str, mark: str) -> bool:
        if mark not in ("", "?"):
            rows.problem(line, f"{column} (mark)", f"the mark beside {column} is '{mark}'; SIPRI marks with '?'")
        return mark == "?"

    @staticmethod
    def _number(rows: Rows, line: int, column: str, value: str) -> tuple[int, bool] | None:
        """``(number, estimate)`` of a count (brackets: SIPRI's estimate), or None when blank."""
        if not value:
            return None
        match = _NUMBER.match(value)
        if not match or value.startswith("(") != value.endswith(")"):
            rows.problem(line, column, f"'{value}' is not a whole number (SIPRI writes estimates in brackets)")
            return None
        return int(match.group(1)), value.startswith("(")

    @staticmethod
    def _decimal(rows: Rows, line: int, column: str, value: str) -> str | None:
        if not value:
            return None
        if not _DECIMAL.match(value):
            rows.problem(line, column, f"'{value}' is not a number")
            return None
        return value

    def _event(
        self, ident: str, item: str, row: dict[str, Any], source_id: str, grading: str, line: int
    ) -> dict[str, Any]:
        designation = row["designation"] or row["description"] or "weapons"
        event: dict[str, Any] = {
            "id": ident,
            "kind": "materiel-transfer",
            "name": f"{designation} from {row['supplier_name']} to {row['recipient_name']} (SIPRI)",
            "from": row["supplier"],
            "to": row["recipient"],
            "items": [item],
        }
        if row["ordered"]:
            event["ordered"] = row["ordered"]
            if row["ordered_uncertain"]:
                event["ordered_uncertain"] = True
        years = row["delivery_years"]
        if years:
            event["delivery_years"] = sorted(set(years))
        ordered, delivered = row["ordered_count"], row["delivered_count"]
        complete = (
            ordered is not None
            and delivered is not None
            and not ordered[1]
            and not delivered[1]
            and (delivered[0] >= ordered[0])
        )
        # How far the transfer has got, only where the row says so: nothing delivered yet, or every
        # unit ordered delivered. A partial delivery is left to the numbers (it may be ongoing or
        # the order cut short).
        if not years and not delivered:
            event["transfer_status"] = "ordered"
        elif complete and years:
            event["transfer_status"] = "delivered"
        if row["condition"]:
            event["condition"] = row["condition"]
        start = row["ordered"] or (str(min(years)) if years else None)
        if start is not None:
            period: dict[str, Any] = {"start": start}
            if complete and years:
                period["end"] = str(max(years))
            event["period"] = period
        claim: dict[str, Any] = {
            "source": source_id,
            "locator": f"line {line}",
            "status": "estimated" if (ordered and ordered[1]) or (delivered and delivered[1]) else "reported",
            "grading": grading,
        }
        for key, count, uncertain in (
            ("ordered", ordered, row["ordered_count_uncertain"]),
            ("quantity", delivered, row["delivered_count_uncertain"]),
        ):
            if count is not None:
                quantity: dict[str, Any] = {
                    "value": count[0],
                    "unit": "items",
                    "qualifier": "estimate" if count[1] else "exact",
                }
                if uncertain:
                    quantity["uncertain"] = True
                claim[key] = quantity
        tiv = {k: float(v) for k, v in row["tiv"].items() if v is not None}
        if tiv:
            claim["tiv"] = tiv
        if row["comments"]:
            claim["quote"] = row["comments"]
        event["claims"] = [claim]
        return event
