"""Derived triples an export may add on request (``derived=consolidated``), with their PROV-O.

An export holds the curated facts and nothing else unless asked: ``derived=consolidated`` adds,
after the facts and before the description, one ``mc:ConsolidatedQuantity`` per event and unit
that has a consolidated interval, computed by the API's own rule
(:func:`milcoop.graph.service.consolidate.consolidate`) from the claims the export holds (so the
export's filters apply to it as to the facts):

```turtle
<https://w3id.org/milcoop/id/consolidated/prk-rus-ammunition-2024-rounds> a mc:ConsolidatedQuantity ;
    mc:consolidates event:prk-rus-ammunition-2024 ; mc:unit mc:rounds ;
    mc:lowerBound "8100000"^^xsd:decimal ; mc:lowerInclusive true ;
    mc:upperBound "9000000"^^xsd:decimal ; mc:upperInclusive false ;
    prov:wasDerivedFrom claim:prk-rus-ammunition-2024--source-notes,
        claim:prk-rus-ammunition-2024--voice-news-article ;
    prov:wasGeneratedBy <https://w3id.org/milcoop/id/derivation/consolidation> .
<https://w3id.org/milcoop/id/derivation/consolidation> a prov:Activity ;
    prov:used mc:consolidationRule .
```

No upper bound: no ``mc:upperBound``. Claims that conflict: no bounds at all, and a
``mc:conflictingClaim`` for each. Derived triples are in the default graph in every format, never
in a source's graph, and never stated as a claim; they are never loaded into a store.

While the export streams, :class:`Consolidation` remembers, of the blocks going out, each claim's
asserted event, status and claimed quantity, and each quantity's number, unit, qualifier and
uncertainty (a few values per claim with a quantity), and works the intervals out at the end.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

import pyoxigraph as ox
from rdflib import XSD
from rdflib.namespace import PROV

from milcoop.graph.export.formats import ExportError
from milcoop.graph.rdf_source import RDF_TYPE, SubjectBlock
from milcoop.graph.service.consolidate import Amount, consolidate
from milcoop.ontology.kinds import EVENT_KINDS
from milcoop.ontology.namespace import ID, MC
from milcoop.ontology.vocabulary import vocabulary

#: What ``derived`` may ask for.
DERIVED: tuple[str, ...] = ("consolidated",)

#: The one activity that generates every consolidated quantity, and the plan it follows.
CONSOLIDATION_ACTIVITY = f"{ID}derivation/consolidation"
CONSOLIDATED_PREFIX = f"{ID}consolidated/"
_EVENT_PREFIX = f"{ID}event/"


def parse_derived(values: Sequence[str] | None, parameter: str = "derived") -> tuple[str, ...]:
    """The derived triples asked for (repeatable or comma-separated), known names only.

    Raises :class:`ExportError` naming ``parameter`` for an unknown name.
    """
    chosen: list[str] = []
    for value in values or ():
        for name in (part.strip() for part in value.split(",")):
            if not name:
                continue
            if name not in DERIVED:
                raise ExportError(parameter, f"unknown derived triples {name!r}; known: {', '.join(DERIVED)}")
            chosen.append(name)
    return tuple(dict.fromkeys(chosen))


def _iri(value: object) -> ox.NamedNode:
    return ox.NamedNode(str(value))


_TYPE = RDF_TYPE
_ASSERTS = _iri(MC.asserts)
_STATUS = _iri(MC.status)
_CLAIMED = _iri(MC.claimedQuantity)
_VALUE = _iri(MC.value)
_UNIT = _iri(MC.unit)
_QUALIFIER = _iri(MC.qualifier)
_UNCERTAIN = _iri(MC.uncertain)
_CLAIM = _iri(MC.Claim)
_QUANTITY = _iri(MC.Quantity)
_DECIMAL = _iri(XSD.decimal)
_BOOLEAN = _iri(XSD.boolean)


@dataclass
class _Claim:
    events: list[str]
    status: str
    quantity: str | None


@dataclass
class _Quantity:
    value: int
    unit: str
    qualifier: str
    uncertain: bool | None


@dataclass
class Consolidation:
    """Watches an export's blocks go by, then gives the consolidated quantities' blocks."""

    claims: dict[str, _Claim] = field(default_factory=dict)
    quantities: dict[str, _Quantity] = field(default_factory=dict)
    events: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        vocab = vocabulary()
        self._event_classes = {_iri(cls) for cls, _, _ in EVENT_KINDS.values()}
        self._status_codes = {_iri(i): c for c, i in vocab.enum_properties[MC.status].codes.items()}
        self._unit_codes = {_iri(i): c for c, i in vocab.enum_properties[MC.unit].codes.items()}
        self._unit_iris = {c: i for i, c in self._unit_codes.items()}
        self._qualifier_codes = {_iri(i): c for c, i in vocab.enum_properties[MC.qualifier].codes.items()}

    def watch(self, blocks: Iterable[SubjectBlock]) -> Iterator[SubjectBlock]:
        """``blocks``, unchanged, noting what consolidation needs of each."""
        for block in blocks:
            self.note(block)
            yield block

    def note(self, block: SubjectBlock) -> None:
        if not isinstance(block.subject, ox.NamedNode):
            return
        types = set(block.types)
        iri = block.subject.value
        if types & self._event_classes:
            self.events.add(iri)
        if _CLAIM in types:
            statuses = [self._status_codes.get(o, "") for o in block.objects(_STATUS)]
            quantity = [o.value for o in block.objects(_CLAIMED) if isinstance(o, ox.NamedNode)]
            self.claims[iri] = _Claim(
                events=[o.value for o in block.objects(_ASSERTS) if isinstance(o, ox.NamedNode)],
                status=statuses[0] if statuses else "",
                quantity=quantity[0] if quantity else None,
            )
        if _QUANTITY in types:
            values = [o for o in block.objects(_VALUE) if isinstance(o, ox.Literal)]
            units = [self._unit_codes[o] for o in block.objects(_UNIT) if o in self._unit_codes]
            qualifiers = [self._qualifier_codes[o] for o in block.objects(_QUALIFIER) if o in self._qualifier_codes]
            uncertain = [o.value == "true" for o in block.objects(_UNCERTAIN) if isinstance(o, ox.Literal)]
            if values and units and qualifiers:
                self.quantities[iri] = _Quantity(
                    int(values[0].value), units[0], qualifiers[0], uncertain[0] if uncertain else None
                )

    def amounts(self) -> dict[str, list[Amount]]:
        """Event IRI -> the amounts of the exported claims asserting it (claims by IRI)."""
        found: dict[str, list[Amount]] = defaultdict(list)
        for claim_iri, claim in self.claims.items():
            quantity = self.quantities.get(claim.quantity) if claim.quantity else None
            if quantity is None:
                continue
            for event in claim.events:
                if event in self.events:
                    q = quantity
                    found[event].append(Amount(claim_iri, q.value, q.unit, q.qualifier, claim.status, q.uncertain))
        return found

    def triples(self) -> list[ox.Triple]:
        """The consolidated quantities, events and units in order, then the activity."""
        out: list[ox.Triple] = []
        activity = ox.NamedNode(CONSOLIDATION_ACTIVITY)
        for event, amounts in sorted(self.amounts().items()):
            event_id = event.removeprefix(_EVENT_PREFIX)
            for answer in consolidate(amounts):
                node = ox.NamedNode(f"{CONSOLIDATED_PREFIX}{event_id}-{answer.unit}")
                out += [
                    ox.Triple(node, _TYPE, _iri(MC.ConsolidatedQuantity)),
                    ox.Triple(node, _iri(MC.consolidates), ox.NamedNode(event)),
                    ox.Triple(node, _UNIT, self._unit_iris[answer.unit]),
                ]
                if not answer.conflicting:
                    if answer.low is not None:
                        out.append(ox.Triple(node, _iri(MC.lowerBound), _decimal(answer.low)))
                        out.append(ox.Triple(node, _iri(MC.lowerInclusive), _boolean(answer.low_inclusive)))
                    if answer.high is not None:
                        out.append(ox.Triple(node, _iri(MC.upperBound), _decimal(answer.high)))
                        out.append(ox.Triple(node, _iri(MC.upperInclusive), _boolean(answer.high_inclusive)))
                out += [ox.Triple(node, _iri(PROV.wasDerivedFrom), ox.NamedNode(c)) for c in answer.claims]
                out += [ox.Triple(node, _iri(MC.conflictingClaim), ox.NamedNode(c)) for c in answer.conflicting]
                out.append(ox.Triple(node, _iri(PROV.wasGeneratedBy), activity))
        if out:
            out += [
                ox.Triple(activity, _TYPE, _iri(PROV.Activity)),
                ox.Triple(activity, _iri(PROV.used), _iri(MC.consolidationRule)),
            ]
        return out


def _decimal(value: int | float) -> ox.Literal:
    text = format(Decimal(value if isinstance(value, int) else repr(value)), "f")
    return ox.Literal(text, datatype=_DECIMAL)


def _boolean(value: bool) -> ox.Literal:
    return ox.Literal("true" if value else "false", datatype=_BOOLEAN)
