"""The description of one resource, as its dereferenced IRI answers it.

A resource's own triples, and the triples a reader needs to judge them, each whole:

* the claims asserting it (``mc:asserts``), with the quantities they give, since every milcoop
  fact stands on its claims;
* for an event, the breaches it is the breaching event of (``mc:breachingEvent``), with their
  claims;
* for a claim, its quantities.

Each with the standard triples the ontology's declarations entail (:mod:`.standard`).
Everything else it points at is a link the reader can dereference in turn. Works over any
:class:`RdfSource` (either store, or a shipped Turtle file), so the answer is the same whichever
store the server uses.
"""

from __future__ import annotations

from collections.abc import Iterable

import pyoxigraph as ox

from milcoop.graph.rdf_source import CLAIM_QUANTITIES, RdfSource, SubjectBlock
from milcoop.graph.standard import with_standard_terms
from milcoop.ontology.namespace import MC

_ASSERTS = ox.NamedNode(str(MC.asserts))
_BREACHING_EVENT = ox.NamedNode(str(MC.breachingEvent))


def _quantities(blocks: Iterable[SubjectBlock]) -> list[ox.NamedNode]:
    return [
        q.object for b in blocks for q in b.quads
        if q.predicate in CLAIM_QUANTITIES and isinstance(q.object, ox.NamedNode)
    ]


def describe_resource(source: RdfSource, iri: str) -> list[SubjectBlock]:
    """The blocks describing ``iri`` (see the module); empty when the source knows nothing of it."""
    subject = ox.NamedNode(iri)
    own = source.describe([subject])
    if not own:
        return []
    blocks: dict[ox.NamedNode | ox.BlankNode, SubjectBlock] = {subject: own[0]}

    def add(subjects: list[ox.NamedNode]) -> list[SubjectBlock]:
        fresh = [s for s in dict.fromkeys(subjects) if s not in blocks]
        found = source.describe(fresh) if fresh else []
        for block in found:
            blocks[block.subject] = block
        return found

    breaches = add([s for _, s in source.referrers([subject], _BREACHING_EVENT)])
    claims = add([s for _, s in source.referrers([subject, *(b.subject for b in breaches if isinstance(
        b.subject, ox.NamedNode))], _ASSERTS)])
    add(_quantities([own[0], *claims]))
    return list(with_standard_terms(blocks.values()))
