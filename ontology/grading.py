"""The Admiralty grading of a claim, defined once: a source reliability A-F and an information
credibility 1-6, written together as ``B2`` (A1 is the best grade, F6 the worst).

The curated files write a claim's grading this way, the API and the export take a minimum grade
this way, and the graph holds its two halves as ``mc:sourceReliability`` (a letter) and
``mc:informationCredibility`` (an integer).
"""

from __future__ import annotations

import re

#: The Admiralty scale, best first: a source's reliability (A completely reliable .. F cannot be
#: judged) and the information's credibility (1 confirmed .. 6 cannot be judged).
RELIABILITIES: tuple[str, ...] = ("A", "B", "C", "D", "E", "F")
CREDIBILITIES: tuple[int, ...] = (1, 2, 3, 4, 5, 6)

#: A grading as analysts and requests write it: one reliability letter, one credibility digit.
GRADING = re.compile(f"^([{RELIABILITIES[0]}-{RELIABILITIES[-1]}])([{CREDIBILITIES[0]}-{CREDIBILITIES[-1]}])$")


def parse_grading(value: str) -> tuple[str, int] | None:
    """``"B2"`` -> ``("B", 2)``; None when ``value`` is not exactly a grading.

    The caller says what is wrong in its own words (a curation problem, a bad request parameter),
    and decides whether to strip or upper-case first.
    """
    match = GRADING.match(value)
    if match is None:
        return None
    return match.group(1), int(match.group(2))
