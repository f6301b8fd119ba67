"""The framed JSON-LD of an event: the event with its claims (and their quantities) and its
breaches (with theirs) embedded, as the published frame (:func:`event_frame`) asks.

The flat export gives one node object per subject, which a JSON-LD user must join by ``@id``;
the framed form nests what belongs to the event under the reverse terms ``claims`` and
``breaches`` of the context. It holds exactly the triples of the event's description
(:func:`.describe.describe_resource`), and reads back to them with any JSON-LD processor.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pyoxigraph as ox

from milcoop.graph.export.context import REVERSE_TERMS, published_context
from milcoop.graph.export.writers import JsonLdNodes
from milcoop.graph.rdf_source import CLAIM_QUANTITIES, SubjectBlock
from milcoop.ontology.kinds import EVENT_KINDS

#: The event classes, as IRIs (an IRI is framed only when it is one of them).
EVENT_CLASS_IRIS = frozenset(str(cls) for cls, _, _ in EVENT_KINDS.values())

#: The ``Accept`` profile that asks for the framed form (JSON-LD 1.1's own IRI for it).
FRAMED_PROFILE = "http://www.w3.org/ns/json-ld#framed"
_QUANTITY_TERMS = ("claimedQuantity", "orderedQuantity", "dealValue")


def event_frame() -> dict[str, Any]:
    """The published frame: any cooperation event, its claims and breaches embedded."""
    event_types = sorted(str(cls).rsplit("#", 1)[-1] for cls, _, _ in EVENT_KINDS.values())
    quantities = {term: {"@embed": "@always"} for term in _QUANTITY_TERMS}
    return {
        "@context": published_context()["@context"],
        "@type": event_types,
        "claims": {"@embed": "@always", **quantities},
        "breaches": {"@embed": "@always", "claims": {"@embed": "@always", **quantities}},
    }


def framed_event(blocks: Sequence[SubjectBlock], event: str) -> dict[str, Any]:
    """The event ``event`` of ``blocks`` (its description) as the frame embeds it."""
    writer = JsonLdNodes()
    nodes: dict[str, dict[str, Any]] = {}
    by_iri: dict[str, SubjectBlock] = {}
    for block in blocks:
        if isinstance(block.subject, ox.NamedNode):
            by_iri[block.subject.value] = block
            nodes[block.subject.value] = writer.node(block)
    asserts, breaching = (str(REVERSE_TERMS["claims"]), str(REVERSE_TERMS["breaches"]))

    def targets(block: SubjectBlock, predicate: str) -> list[str]:
        return [q.object.value for q in block.quads if q.predicate.value == predicate
                and isinstance(q.object, ox.NamedNode)]

    def claims_of(iri: str) -> list[dict[str, Any]]:
        out = []
        for claim_iri, block in by_iri.items():
            if iri in targets(block, asserts):
                claim = dict(nodes[claim_iri])
                for predicate, term in zip(CLAIM_QUANTITIES, _QUANTITY_TERMS, strict=True):
                    embedded = [nodes[q] for q in targets(block, predicate.value) if q in nodes]
                    if embedded:
                        claim[term] = embedded[0] if len(embedded) == 1 else embedded
                out.append(claim)
        return sorted(out, key=lambda n: str(n["@id"]))

    root = dict(nodes[event])
    root["claims"] = claims_of(event)
    breaches = []
    for breach_iri, block in by_iri.items():
        if event in targets(block, breaching):
            breach = dict(nodes[breach_iri])
            breach["claims"] = claims_of(breach_iri)
            breaches.append(breach)
    if breaches:
        root["breaches"] = sorted(breaches, key=lambda n: str(n["@id"]))
    return {"@context": published_context()["@context"], **root}
