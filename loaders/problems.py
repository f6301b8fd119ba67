"""Problems found in curated fact files, each located by file, line, fact and field."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the curated facts.

    Rendered as ``data/dprk-russia.yaml:42 transfer 'x': recipient 'RUSS' is not a known state
    (did you mean RUS?)``.
    """

    file: str
    line: int
    subject: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where} {self.subject}: {self.message}" if self.subject else f"{where} {self.message}"


class CurationError(Exception):
    """The curated facts are invalid; nothing was written anywhere.

    ``problems`` lists every problem found, not only the first.
    """

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems)
        count = len(self.problems)
        summary = "\n".join(str(p) for p in self.problems)
        super().__init__(f"{count} problem{'s' if count != 1 else ''} in the curated facts:\n{summary}")


def display_path(path: Path) -> str:
    """A path as the analyst would type it: relative to the working directory when possible."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError, RuntimeError):
        # Outside the working directory, or unresolvable: a symlink loop raises RuntimeError
        # before Python 3.13 and OSError from it.
        return str(path)
