"""Dates that keep their precision: a year, a month or a day."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal as Lit

from rdflib import XSD, Literal, URIRef

Precision = Lit["year", "month", "day"]

_PATTERN = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


@dataclass(frozen=True, order=True)
class PartialDate:
    """A date known to the year, the month or the day.

    ``2024`` denotes the whole of 2024: its span runs from 1 January to 31 December, which is
    what window queries compare against.
    """

    year: int
    month: int | None = None
    day: int | None = None

    @property
    def precision(self) -> Precision:
        if self.day is not None:
            return "day"
        return "month" if self.month is not None else "year"

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, self.month or 1, self.day or 1)

    @property
    def last_day(self) -> dt.date:
        if self.day is not None:
            return dt.date(self.year, self.month or 1, self.day)
        if self.month is not None:
            return dt.date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])
        return dt.date(self.year, 12, 31)

    def __str__(self) -> str:
        if self.day is not None:
            return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"
        if self.month is not None:
            return f"{self.year:04d}-{self.month:02d}"
        return f"{self.year:04d}"

    def to_literal(self) -> Literal:
        """As an XSD literal whose datatype carries the precision."""
        datatype = {"day": XSD.date, "month": XSD.gYearMonth, "year": XSD.gYear}[self.precision]
        return Literal(str(self), datatype=datatype)

    @classmethod
    def parse(cls, value: object) -> PartialDate:
        """From YAML: ``2024``, ``"2024-06"``, ``2024-06-19`` (a date) or their string forms.

        Raises ``ValueError`` with a message fit for an analyst.
        """
        if isinstance(value, dt.datetime):
            raise ValueError(f"{value!r} has a time of day; give a date (YYYY, YYYY-MM or YYYY-MM-DD)")
        if isinstance(value, dt.date):
            return cls(value.year, value.month, value.day)
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise ValueError(f"{value!r} is not a date (use YYYY, YYYY-MM or YYYY-MM-DD)")
        match = _PATTERN.match(str(value).strip())
        if not match:
            raise ValueError(f"'{value}' is not a date (use YYYY, YYYY-MM or YYYY-MM-DD)")
        year, month, day = (int(g) if g else None for g in match.groups())
        assert year is not None
        try:
            dt.date(year, month or 1, day or 1)
        except ValueError as exc:
            raise ValueError(f"'{value}' is not a valid date: {exc}") from None
        return cls(year, month, day)

    @classmethod
    def from_literal(cls, literal: Literal) -> PartialDate:
        return cls.parse(str(literal))

    @classmethod
    def from_date(cls, value: dt.date, precision: str) -> PartialDate:
        """From a first day and its precision (as Neo4j stores them)."""
        if precision == "year":
            return cls(value.year)
        if precision == "month":
            return cls(value.year, value.month)
        if precision == "day":
            return cls(value.year, value.month, value.day)
        raise ValueError(f"unknown date precision {precision!r}")


PARTIAL_DATE_TYPES: frozenset[URIRef] = frozenset({XSD.date, XSD.gYearMonth, XSD.gYear})
