"""The site's charts, drawn as SVG on the server: a timeline of events and a network of who
supplies what to whom.

Drawn here rather than by a JavaScript library: the page then needs no script to show them, they
print, they are in the HTML the browser tests read, and nothing is fetched from elsewhere. Every
mark is a link to the event's or entity's page (keyboard-focusable, with an ``aria-label`` and a
``<title>`` tooltip), and each chart has a caption saying what it shows; the table beside it holds
the same facts as text.

The timeline draws each event over the days its dates may denote: a year as the whole year, a
month as the whole month, a day as a day. An open end (``end: null`` with a start) runs to the
right edge with an arrow; an unknown start (an end only) runs dashed from the left edge. Undated
events are listed apart, below the axis, never placed on it.
"""

from __future__ import annotations

import calendar
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from html import escape

from markupsafe import Markup

from milcoop.graph import models as m

WIDTH = 960
LABEL_WIDTH = 300
ROW = 24
AXIS_TOP = 34


def _attr(text: str) -> str:
    return escape(text, quote=True)


def first_day(value: str) -> date:
    """The first day a date of any precision may denote (``2024`` -> 2024-01-01)."""
    parts = [int(part) for part in value.split("-")]
    return date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)


def last_day(value: str) -> date:
    """The last day a date of any precision may denote (``2024-02`` -> 2024-02-29)."""
    parts = [int(part) for part in value.split("-")]
    year = parts[0]
    if len(parts) == 1:
        return date(year, 12, 31)
    month = parts[1]
    if len(parts) == 2:
        return date(year, month, calendar.monthrange(year, month)[1])
    return date(year, month, parts[2])


def _year_fraction(day: date) -> float:
    days = 366 if calendar.isleap(day.year) else 365
    return day.year + (day.timetuple().tm_yday - 1) / days


def _label(event: m.Event) -> str:
    text = event.name or event.id
    return text if len(text) <= 44 else text[:42] + "…"


def _items(event: m.Event) -> str:
    return " ".join(item.id for item in event.items)


def period_text(period: m.Period | None) -> str:
    """A period as a reader should see it: each date with its precision, open ends said so."""
    if period is None:
        return "undated"
    start = f"{period.start} ({period.start_precision})" if period.start else "start unknown"
    if period.end is None:
        return f"{start} – open-ended"
    end = f"{period.end} ({period.end_precision})"
    return start if period.end == period.start else f"{start} – {end}"


@dataclass(frozen=True)
class _Span:
    event: m.Event
    start: float | None  # None: start unknown
    end: float | None  # None: open-ended


def timeline(events: Sequence[m.Event], caption_id: str = "timeline-caption") -> Markup:
    """The events on a time axis, undated ones listed apart below it."""
    spans: list[_Span] = []
    undated: list[m.Event] = []
    for event in events:
        period = event.period
        if period is None or (period.start is None and period.end is None):
            undated.append(event)
            continue
        start = _year_fraction(first_day(period.start)) if period.start else None
        end = _year_fraction(last_day(period.end)) + 1 / 365 if period.end else None
        spans.append(_Span(event, start, end))
    known = [value for span in spans for value in (span.start, span.end) if value is not None]
    lo = math.floor(min(known)) if known else 0
    hi = math.ceil(max(known)) if known else 1
    # An open end should be seen running on past the last date given.
    if any(span.end is None for span in spans) or hi == lo:
        hi += 1
    plot_left, plot_right = LABEL_WIDTH, WIDTH - 20
    scale = (plot_right - plot_left) / (hi - lo)

    def x(year: float) -> float:
        return round(plot_left + (year - lo) * scale, 1)

    parts: list[str] = []
    y = AXIS_TOP
    if spans:
        for year in range(lo, hi + 1):
            parts.append(
                f'<line class="tick" x1="{x(year)}" x2="{x(year)}" y1="{AXIS_TOP - 6}" '
                f'y2="{AXIS_TOP + ROW * len(spans)}"/>'
            )
            if year < hi:
                parts.append(f'<text class="year" x="{x(year + 0.5)}" y="{AXIS_TOP - 12}">{year}</text>')
    for span in spans:
        event = span.event
        text = period_text(event.period)
        left = x(span.start) if span.start is not None else plot_left
        right = x(span.end) if span.end is not None else plot_right
        precision = (event.period.start_precision if event.period else None) or "unknown"
        classes = ["bar", f"precision-{precision}"]
        if span.end is None:
            classes.append("open-end")
        if span.start is None:
            classes.append("open-start")
        label = f"{event.name or event.id}: {text}"
        parts.append(
            f'<a href="/entities/{_attr(event.id)}" aria-label="{_attr(label)}">'
            f'<g class="event" data-event="{_attr(event.id)}" data-kind="{_attr(event.kind)}" '
            f'data-items="{_attr(_items(event))}"><title>{escape(label)}</title>'
            f'<text class="label" x="{plot_left - 8}" y="{y + 16}">{escape(_label(event))}</text>'
            f'<rect class="{" ".join(classes)}" x="{left}" y="{y + 5}" width="{max(right - left, 3)}" '
            f'height="{ROW - 10}" rx="2"/>'
        )
        if span.end is None:
            parts.append(f'<path class="arrow" d="M{plot_right} {y + 3} l10 9 l-10 9 z"/>')
        parts.append(f'<text class="when" x="{min(left, plot_right - 150) + 4}" y="{y + 16}">{escape(text)}</text>')
        parts.append("</g></a>")
        y += ROW
    if undated:
        y += 18
        parts.append(f'<text class="section" x="10" y="{y}">Undated: the sources give no time</text>')
        y += 8
        per_row = 3
        cell = (WIDTH - 20) / per_row
        for index, event in enumerate(undated):
            cx = 10 + (index % per_row) * cell
            cy = y + (index // per_row) * ROW
            label = f"{event.name or event.id}: undated"
            parts.append(
                f'<a href="/entities/{_attr(event.id)}" aria-label="{_attr(label)}">'
                f'<g class="event undated" data-event="{_attr(event.id)}" data-kind="{_attr(event.kind)}" '
                f'data-items="{_attr(_items(event))}"><title>{escape(label)}</title>'
                f'<rect class="chip" x="{cx}" y="{cy + 4}" width="{cell - 8}" height="{ROW - 6}" rx="9"/>'
                f'<text class="label-left" x="{cx + 10}" y="{cy + 17}">{escape(_label(event))}</text></g></a>'
            )
        y += math.ceil(len(undated) / per_row) * ROW
    height = y + 10
    summary = f"Timeline of {len(events)} events: {len(spans)} dated, {len(undated)} undated."
    return Markup(
        f'<svg class="chart timeline" viewBox="0 0 {WIDTH} {height}" width="100%" role="group" '
        f'aria-labelledby="{caption_id}" aria-description="{_attr(summary)}" data-events="{len(events)}">'
        f"<desc>{escape(summary)}</desc>{''.join(parts)}</svg>"
    )


# -- network -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Node:
    key: str
    column: int
    label: str
    href: str | None
    kind: str
    full_name: str | None = None


def network(events: Sequence[m.Event], caption_id: str = "network-caption") -> Markup:
    """Who supplies what to whom: suppliers left, what flows (items, or the event's kind when it
    names none) in the middle, recipients right; nodes and links sized by the number of events."""
    nodes: dict[str, _Node] = {}
    weight: Counter[str] = Counter()
    links: Counter[tuple[str, str]] = Counter()
    link_events: dict[tuple[str, str], list[str]] = {}
    skipped = 0
    for event in events:
        if event.from_ is None or event.to is None:
            skipped += 1  # exercises: participants, no direction
            continue
        source = "from:" + event.from_.id
        target = "to:" + event.to.id
        # Actors by id (ISO codes for states: short enough to stay inside the drawing), named in the tooltip.
        nodes.setdefault(source, _Node(source, 0, event.from_.id, event.from_.id, "actor", event.from_.name))
        nodes.setdefault(target, _Node(target, 2, event.to.id, event.to.id, "actor", event.to.name))
        whats: list[tuple[str, str, str | None]] = [
            ("item:" + item.id, item.name or item.id, item.id) for item in event.items
        ] or [("kind:" + event.kind, event.kind.replace("-", " "), None)]
        weight[source] += 1
        weight[target] += 1
        for key, label, ref in whats:
            nodes.setdefault(key, _Node(key, 1, label, ref, "item" if ref else "kind"))
            weight[key] += 1
            for link in ((source, key), (key, target)):
                links[link] += 1
                link_events.setdefault(link, []).append(event.id)
    columns: list[list[_Node]] = [[], [], []]
    for node in sorted(nodes.values(), key=lambda n: (-weight[n.key], n.label)):
        columns[node.column].append(node)
    rows = max((len(column) for column in columns), default=0)
    height = max(rows, 1) * 40 + 60
    xs = (150, WIDTH // 2, WIDTH - 150)
    position: dict[str, tuple[float, float]] = {}
    for index, column in enumerate(columns):
        gap = (height - 40) / max(len(column), 1)
        for row, node in enumerate(column):
            position[node.key] = (xs[index], round(30 + gap * (row + 0.5), 1))
    parts: list[str] = [
        '<text class="section" x="150" y="16">Supplier</text>',
        f'<text class="section" x="{WIDTH // 2}" y="16">What</text>',
        f'<text class="section" x="{WIDTH - 150}" y="16">Recipient</text>',
    ]
    for (a, b), count in sorted(links.items()):
        (x1, y1), (x2, y2) = position[a], position[b]
        mid = (x1 + x2) / 2
        label = f"{nodes[a].label} → {nodes[b].label}: {count} event{'s' if count != 1 else ''}"
        parts.append(
            f'<path class="link" data-events="{_attr(" ".join(link_events[(a, b)]))}" '
            f'd="M{x1} {y1} C{mid} {y1} {mid} {y2} {x2} {y2}" stroke-width="{min(1.5 + 2 * count, 24)}">'
            f"<title>{escape(label)}</title></path>"
        )
    for node in nodes.values():
        cx, cy = position[node.key]
        count = weight[node.key]
        radius = round(6 + 4 * math.sqrt(count), 1)
        named = f"{node.full_name} ({node.label})" if node.full_name else node.label
        label = f"{named}: {count} event{'s' if count != 1 else ''}"
        anchor = "end" if node.column == 0 else "start"
        dx = -radius - 6 if node.column == 0 else radius + 6
        shape = (
            f'<g class="node {node.kind}" data-node="{_attr(node.key)}"><title>{escape(label)}</title>'
            f'<circle cx="{cx}" cy="{cy}" r="{radius}"/>'
            f'<text x="{cx + dx}" y="{cy + 4}" text-anchor="{anchor}">{escape(node.label)} ({count})</text></g>'
        )
        if node.href:
            shape = f'<a href="/entities/{_attr(node.href)}" aria-label="{_attr(label)}">{shape}</a>'
        parts.append(shape)
    summary = (
        f"Network of {len(events) - skipped} directed events between "
        f"{len(columns[0])} supplier(s) and {len(columns[2])} recipient(s), over {len(columns[1])} kinds of item."
    )
    if skipped:
        summary += f" {skipped} events without a direction (exercises) are not drawn."
    return Markup(
        f'<svg class="chart network" viewBox="0 0 {WIDTH} {height}" width="100%" role="group" '
        f'aria-labelledby="{caption_id}" aria-description="{_attr(summary)}">'
        f"<desc>{escape(summary)}</desc>{''.join(parts)}</svg>"
    )
