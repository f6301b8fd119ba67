"""Every quote in the bundled dataset stands in its source, word for word.

The source texts live in ``../shared/sources/`` beside the checkout (as in CI). A quote may skip
words with ``(...)``; each part must then appear, in order. Whitespace is normalised because the
notes wrap their lines.
"""

from __future__ import annotations

import re

import pytest
from rdflib import URIRef

from milcoop.loaders.curated import CompiledFacts, entity_iri
from milcoop.ontology.namespace import MC
from tests.conftest import ROOT

SOURCES_DIR = ROOT.parent / "shared" / "sources"
SOURCE_FILES = {
    "voice-news-article": "voice-news-dprk-russia-article.txt",
    "source-notes": "dprk-russia-source-notes.md",
}


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\\", "")).strip()


@pytest.fixture(scope="module")
def source_texts() -> dict[URIRef, str]:
    if not SOURCES_DIR.is_dir():
        pytest.skip(f"source texts not found at {SOURCES_DIR}")
    return {
        entity_iri("source", source_id): _normalise((SOURCES_DIR / name).read_text(encoding="utf-8"))
        for source_id, name in SOURCE_FILES.items()
    }


def test_every_quote_is_verbatim_in_its_source(bundled: CompiledFacts, source_texts: dict[URIRef, str]) -> None:
    graph = bundled.graph
    checked = 0
    missing = []
    for claim, quote in graph.subject_objects(MC.quote):
        source = graph.value(claim, MC.source)
        text = source_texts.get(source)  # type: ignore[arg-type]
        if text is None:
            continue
        position = 0
        for part in str(quote).split("(...)"):
            part = _normalise(part).strip(" .")
            found = text.find(part, position)
            if found < 0:
                missing.append(f"{claim}: {part!r}")
                break
            position = found + len(part)
        checked += 1
    assert missing == [], "\n".join(missing)
    assert checked > 60


QUALIFIER_WORDS = {
    "asManyAs": ["as many as", "up to"],
    "moreThan": ["more than"],
    "atLeast": ["at least"],
    "nearly": ["nearly"],
    "about": ["about", "around", "some "],
}


def test_every_quantity_keeps_the_qualifier_its_quote_uses(bundled: CompiledFacts) -> None:
    """A quantity's qualifier is the one its quote words; an unqualified number stays 'exact'."""
    graph = bundled.graph
    checked = 0
    for claim, quantity in graph.subject_objects(MC.claimedQuantity):
        quote = str(graph.value(claim, MC.quote)).lower()
        qualifier = str(graph.value(quantity, MC.qualifier)).rsplit("#", 1)[1]
        if qualifier == "exact":
            for words in QUALIFIER_WORDS.values():
                assert not any(w in quote for w in words), (claim, quote)
        else:
            assert any(w in quote for w in QUALIFIER_WORDS[qualifier]), (claim, qualifier, quote)
        checked += 1
    assert checked >= 12
