"""What the two alliance registers (ATOP and COW) share: an alliance as a treaty record.

Each register codes obligations, members and dates, not treaty texts. An alliance (for ATOP,
each phase of one) becomes one ``treaties`` item: its members are the parties, the coded
obligations its provisions (by kind, without article numbers), each member's entry and exit
its steps (``ratifications``), and each row of the register one claim citing the release with
the row as locator and the row's coded values as the claim's quote.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Alliance:
    """One treaty being assembled from a register's rows."""

    ident: str
    name: str
    parties: list[str] = field(default_factory=list)
    signed: str | None = None
    terminated: str | None = None
    replaces: str | None = None
    #: provision kind -> the summary of who is bound and how
    provisions: dict[str, str] = field(default_factory=dict)
    steps: list[dict[str, str]] = field(default_factory=list)
    claims: list[dict[str, Any]] = field(default_factory=list)
    line: int = 0

    def party(self, state: str) -> None:
        if state not in self.parties:
            self.parties.append(state)

    def step(self, state: str, date: str | None, step: str) -> None:
        if date is not None and not any(s["state"] == state and s["date"] == date for s in self.steps):
            self.steps.append({"state": state, "date": date, "step": step})

    def claim(self, ident: str, source: str, locator: str, grading: str, quote: str) -> None:
        self.claims.append(
            {
                "id": ident,
                "source": source,
                "locator": locator,
                "status": "reported",
                "grading": grading,
                "quote": quote,
            }
        )

    def record(self) -> dict[str, Any]:
        treaty: dict[str, Any] = {"id": self.ident, "name": self.name, "parties": sorted(self.parties)}
        if self.signed:
            treaty["signed"] = self.signed
        if self.terminated:
            treaty["terminated"] = self.terminated
        if self.replaces:
            treaty["replaces"] = self.replaces
        if self.provisions:
            treaty["provisions"] = [{"kind": k, "summary": v} for k, v in sorted(self.provisions.items())]
        if self.steps:
            treaty["ratifications"] = sorted(self.steps, key=lambda s: (s["date"], s["state"], s["step"]))
        treaty["claims"] = self.claims
        return treaty


def coded(record: Mapping[str, str], columns: tuple[str, ...]) -> str:
    """The row's coding of ``columns`` as the register writes it: ``defense=1, offense=0``."""
    return ", ".join(f"{c}={record.get(c, '') or 'blank'}" for c in columns)
