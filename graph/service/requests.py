"""What the request parameters mean: windows, kinds, statuses, grades, limits, texts and cursors.

Each parser takes the value as the API received it and returns it parsed, or raises
:class:`~milcoop.graph.service.errors.InvalidParameter` naming the parameter. The export
(graph/export.py) parses its filter with the same functions, so a value means one thing
everywhere.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args

from milcoop.graph.service.errors import InvalidParameter
from milcoop.graph.store import Keyed
from milcoop.ontology.dates import PartialDate
from milcoop.ontology.kinds import CLAIM_STATUSES, CREDIBILITIES, EVENT_KIND_LABELS, GRADING, RELIABILITIES

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
DEFAULT_MAX_HOPS = 4
MAX_HOPS = 6
DEFAULT_PATHS = 10
MAX_PATHS = 100
#: Longest reference or search text accepted.
MAX_TEXT = 300

#: An Admiralty grading a claim must meet: (reliability letter, credibility number).
Grade = tuple[str, int]
#: Whether events without a date are kept.
Undated = Literal["include", "exclude"]
UNDATED_CHOICES: tuple[Undated, ...] = get_args(Undated)


def clip(value: str, size: int = 60) -> str:
    """``value`` cut to ``size`` characters on one line, to quote it in a message."""
    text = value if len(value) <= size else value[: size - 1] + "…"
    return text.replace("\n", " ")


def parse_date(parameter: str, value: str | None, *, last: bool) -> dt.date | None:
    """``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``: the first day of it, or the last when ``last``."""
    if value is None:
        return None
    try:
        date = PartialDate.parse(value.strip())
    except ValueError as exc:
        raise InvalidParameter(parameter, f"{parameter}: {exc}") from None
    return date.last_day if last else date.first_day


def parse_day(parameter: str, value: str | None) -> dt.date | None:
    """A whole day, ``YYYY-MM-DD`` (a year or a month alone is refused)."""
    day = parse_date(parameter, value, last=False)
    if value is not None and PartialDate.parse(value.strip()).precision != "day":
        raise InvalidParameter(parameter, f"{parameter} must be a day: YYYY-MM-DD")
    return day


def parse_window(since: str | None, until: str | None) -> tuple[dt.date | None, dt.date | None]:
    """``since`` from its first day, ``until`` to its last; since after until is refused."""
    start = parse_date("since", since, last=False)
    end = parse_date("until", until, last=True)
    if start and end and start > end:
        raise InvalidParameter("since", f"since {since} is after until {until}")
    return start, end


def parse_grade(value: str | None) -> Grade | None:
    """``B2`` -> ("B", 2): reliability A..B and credibility 1..2 meet it."""
    if value is None:
        return None
    match = GRADING.match(value.strip().upper())
    if not match:
        raise InvalidParameter(
            "min_grade",
            f"min_grade '{clip(value)}' is not an Admiralty grading: a reliability "
            f"{RELIABILITIES[0]}-{RELIABILITIES[-1]} then a credibility {CREDIBILITIES[0]}-{CREDIBILITIES[-1]}, "
            "such as B2",
        )
    return match.group(1), int(match.group(2))


def parse_status(value: str | None) -> str | None:
    """A claim status (any case), one of :data:`~milcoop.ontology.kinds.CLAIM_STATUSES`."""
    if value is None:
        return None
    status = value.strip().lower()
    if status not in CLAIM_STATUSES:
        raise InvalidParameter("status", f"status '{clip(value)}' is not one of {', '.join(CLAIM_STATUSES)}")
    return status


def parse_kinds(values: Sequence[str] | None, default: Sequence[str]) -> list[str]:
    """Event kinds from repeated and/or comma-separated ``kind`` values."""
    if not values:
        return sorted(default)
    kinds: set[str] = set()
    for value in values:
        for part in value.split(","):
            kind = part.strip().lower()
            if not kind:
                continue
            if kind not in EVENT_KIND_LABELS:
                raise InvalidParameter(
                    "kind", f"kind '{clip(part)}' is not one of {', '.join(sorted(EVENT_KIND_LABELS))}"
                )
            kinds.add(kind)
    if not kinds:
        raise InvalidParameter("kind", "kind is empty")
    return sorted(kinds)


def parse_undated(value: str) -> Undated:
    """``include`` or ``exclude``."""
    for choice in UNDATED_CHOICES:
        if value == choice:
            return choice
    raise InvalidParameter("undated", f"undated must be {' or '.join(UNDATED_CHOICES)}")


Basis = Literal["asserted", "derived"]
BASIS_CHOICES: tuple[Basis, ...] = ("asserted", "derived")


def parse_basis(value: str | None) -> Basis | None:
    """``asserted``, ``derived`` or None (both)."""
    if value is None:
        return None
    for choice in BASIS_CHOICES:
        if value == choice:
            return choice
    raise InvalidParameter("basis", f"basis must be {' or '.join(BASIS_CHOICES)}")


def check_limit(limit: int, maximum: int = MAX_LIMIT, parameter: str = "limit") -> int:
    """``limit`` when it lies in 1..``maximum``."""
    if not 1 <= limit <= maximum:
        raise InvalidParameter(parameter, f"{parameter} must be between 1 and {maximum}")
    return limit


def check_text(parameter: str, value: str) -> str:
    """A reference or search text, stripped: not empty, not too long, no control characters."""
    text = value.strip()
    if not text:
        raise InvalidParameter(parameter, f"{parameter} is empty")
    if len(text) > MAX_TEXT:
        raise InvalidParameter(parameter, f"{parameter} is longer than {MAX_TEXT} characters")
    if any(ord(ch) < 32 for ch in text):
        raise InvalidParameter(parameter, f"{parameter} contains control characters")
    return text


# -- cursors ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cursor:
    """Where a page ends: the last key, bound to the query it came from."""

    key: str
    query: str

    def encode(self) -> str:
        """The opaque token handed to the client."""
        raw = json.dumps({"k": self.key, "q": self.query}, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str | None, query: str) -> str | None:
        """The key after which the page starts; None for the first page."""
        if token is None:
            return None
        bad = InvalidParameter("cursor", "cursor is not one this API gave out; start again without it")
        try:
            padded = token.strip() + "=" * (-len(token.strip()) % 4)
            data = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        except (ValueError, binascii.Error, UnicodeError):
            raise bad from None
        if not isinstance(data, dict) or not isinstance(data.get("k"), str) or not isinstance(data.get("q"), str):
            raise bad
        if data["q"] != query:
            raise InvalidParameter("cursor", "cursor belongs to another query; pass the same parameters as before")
        return str(data["k"])


def fingerprint(endpoint: str, *parts: Any) -> str:
    """A short digest of what a query selects, so a cursor cannot be replayed on another."""
    text = json.dumps([endpoint, *[str(p) for p in parts]], separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def page(keyed: Sequence[Keyed], limit: int, query: str) -> tuple[list[str], str | None]:
    """The IRIs of one page and the cursor to the next (``keyed`` holds up to limit + 1)."""
    chosen = list(keyed[:limit])
    more = len(keyed) > limit
    next_cursor = Cursor(chosen[-1][1], query).encode() if more and chosen else None
    return [iri for iri, _ in chosen], next_cursor
