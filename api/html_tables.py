"""The site's tables and claim lists as HTML (escaped with the standard library's ``html.escape``,
quotes included), built in Python rather than by template macros: a
page of 50 events has some 700 cells and 100 claims, and a macro call per cell made the page
several times slower than the JSON it shows (bench/bench_site.py). The columns are the table's
(api/tabular.py), the same as its CSV."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from html import escape
from typing import Any

from markupsafe import Markup

from milcoop.api import tabular
from milcoop.graph import models as m


def _cell(cell: tabular.Cell) -> str:
    text = escape(cell.text)
    return f'<a href="{escape(cell.href)}">{text}</a>' if cell.href else text


def _source_link(source: m.SourceRef) -> str:
    return f'<a href="/entities/{escape(source.id)}">{escape(source.name or source.id)}</a>'


def claims_html(claims: Sequence[m.Claim]) -> Markup:
    """Each claim one click away: a ``<details>`` with its source, status, grading, locator,
    quantity, what it cites, its quote and the analyst's note."""
    items = []
    for claim in claims:
        parts = [
            _source_link(claim.source),
            f'<span class="status status-{escape(claim.status)}">{escape(claim.status)}</span>',
            f'<abbr class="grading" title="Admiralty grading: reliability {escape(claim.grading[:1])}, '
            f'credibility {escape(claim.grading[1:])}">{escape(claim.grading)}</abbr>',
        ]
        if claim.locator:
            parts.append(f'<span class="locator">({escape(claim.locator)})</span>')
        if claim.quantity:
            parts.append(f'<span class="quantity">{escape(tabular.quantity_text(claim.quantity))}</span>')
        if claim.cites:
            parts.append('<span class="cites">citing ' + ", ".join(_source_link(s) for s in claim.cites) + "</span>")
        if claim.attribution:
            parts.append(f'<span class="attribution">attributed to {escape(claim.attribution)}</span>')
        if claim.quote:
            parts.append(f"<blockquote>{escape(claim.quote)}</blockquote>")
        if claim.note:
            parts.append(f'<p class="note">Analyst\'s note: {escape(claim.note)}</p>')
        items.append("<li>" + " ".join(parts) + "</li>")
    count = len(claims)
    return Markup(
        f'<details class="claims"><summary>{count} claim{"s" if count != 1 else ""}</summary>'
        f"<ol>{''.join(items)}</ol></details>"
    )


def table_html(
    table: tabular.Table[Any],
    items: Sequence[Any],
    caption: str,
    claims_of: Callable[[Any], Sequence[m.Claim]] | None = None,
) -> Markup:
    """The table: a caption, a header row, one row per item; each cell labelled with its column
    (the phone layout shows the label before the value) and, with ``claims_of``, a last column
    holding each row's claims."""
    labels = [escape(header.replace("_", " ")) for header in table.headers]
    if claims_of is not None:
        labels.append("claims")
    head = "".join(f'<th scope="col">{label}</th>' for label in labels)
    rows = []
    for item in items:
        cells = [_cell(cell) for cell in table.row(item)]
        if claims_of is not None:
            cells.append(str(claims_html(claims_of(item))))
        row = "".join(f'<td data-label="{label}">{cell}</td>' for label, cell in zip(labels, cells, strict=True))
        rows.append(f"<tr>{row}</tr>")
    if not rows:
        rows.append(f'<tr><td colspan="{len(labels)}">Nothing matches.</td></tr>')
    return Markup(
        f'<div class="table-wrap" tabindex="0" role="region" aria-label="{escape(caption)}"><table>'
        f"<caption>{escape(caption)}</caption><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )
