"""The Lucene query that ``/v1/entities?q=`` sends to the names full-text index.

The search matches a name, alias or id that *contains* the text (graph/store.py's ranking:
exact, prefix, contains). The index (``milcoop_names``, graph/neo4j/cypher/schema.py) holds
each value as lower-cased words, so the index cannot answer "contains" by itself; it narrows
the candidates, and the same Cypher rank as the scan (``SEARCH_RANK``) then decides, so both
stores answer alike. For that the candidates must include every real match:

* the text is cut into runs of letters, digits and ``_`` (a piece); each piece of a text found
  inside a value lies inside one word of that value, since the word breaker joins such runs
  (Unicode word-break rules as Lucene's standard tokenizer applies them);
* each piece becomes a required wildcard term ``+*piece*``, escaped for Lucene's syntax; the
  query travels as a parameter, never as query text.

Where that does not hold the store scans instead (:func:`fulltext_query` returns None): a text
with no piece at all (``"("``, ``"-"``), or with a character the word breaker treats apart,
such as ideographs, kana, Thai, or a symbol or mark inside a run.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["fulltext_query", "lucene_escape"]

#: Characters Lucene's classic query syntax gives a meaning (``&&`` and ``||`` as their ``&``, ``|``).
_LUCENE_SPECIAL = re.compile(r'([+\-&|!(){}\[\]^"~*?:\\/])')

#: Runs of word characters; everything else separates pieces.
_PIECES = re.compile(r"\w+")

#: Unicode categories the word breaker never splits between: letters and decimal digits.
_WORD = frozenset({"Lu", "Ll", "Lt", "Lm", "Lo", "Nd"})

#: From Thai on, scripts whose words the breaker splits per character or by dictionary.
_FIRST_SPLIT_SCRIPT = 0x0E00


def lucene_escape(term: str) -> str:
    """``term`` with every character of Lucene's query syntax escaped by a backslash."""
    return _LUCENE_SPECIAL.sub(r"\\\1", term)


def _kept_whole(piece: str) -> bool:
    """Whether the word breaker keeps ``piece`` inside one word: letters, decimal digits, ``_``."""
    return all(ch == "_" or (ord(ch) < _FIRST_SPLIT_SCRIPT and unicodedata.category(ch) in _WORD) for ch in piece)


def fulltext_query(text: str) -> str | None:
    """The Lucene query whose hits include every node a name, alias or id of which contains
    ``text`` (lower case); None when the index cannot promise that and the store must scan."""
    pieces = _PIECES.findall(text)
    if not pieces or not all(_kept_whole(piece) for piece in pieces):
        return None
    return " ".join(f"+*{lucene_escape(piece)}*" for piece in dict.fromkeys(pieces))
