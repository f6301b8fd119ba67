"""The FollowTheMoney export: milcoop's people, bodies, events and sanctions as FtM entities.

Sanctions investigators work in FollowTheMoney (FtM: OpenSanctions, Aleph, yente, nomenklatura).
This export writes the part of milcoop that maps honestly onto FtM's schemata as FtM entities,
one JSON object per line, each built with the ``followthemoney`` package's own model (its
property types clean every value: ISO country codes, partial dates, URLs) and checked with its
schema's ``validate`` before it is written:

==========================================  =====================================================
milcoop                                      FollowTheMoney
==========================================  =====================================================
``mc:State``                                 ``PublicBody`` (FtM has no schema for a sovereign
                                             state; its ``country`` is the state's ISO code)
``mc:InternationalOrganisation``             ``Organization``
``mc:memberState``                           ``Membership`` (member: the state)
``mc:Person``                                ``Person`` (``country``: the state they lead or
                                             serve; ``position``: the role or office title)
``mc:OfficeHolding``                         ``Position`` and ``Occupancy`` (holder, dates)
``mc:SanctionsMeasure`` with a target state  ``Sanction`` (entity: the target state; authority:
                                             the bodies that adopted its resolutions; program:
                                             the resolutions; dates: in force from / until)
a cooperation event (all twelve kinds)       ``Event`` (involved: its actors; location: its
                                             places; keywords: its kind and items; notes: the
                                             sanctions measures it breaches)
==========================================  =====================================================

Provenance goes where FtM has properties for it: every entity's ``sourceUrl`` and ``publisher``
are those of the source documents of the claims that assert it. What does not map (claims with
their quotes and gradings, quantities, treaties, resolutions as things of their own, places,
the materiel taxonomy, breaches as links) is listed with the reasons in docs/ftm.md.

Entity ids are milcoop's own, readable and stable: ``milcoop-`` and the IRI's path under
``https://w3id.org/milcoop/id/`` with ``/`` as ``-`` (``milcoop-state-PRK``); the entities FtM
needs beside milcoop's resources (memberships, sanctions per target, occupancies) get ids made
from the resources they link.

The export reads the selection of an RDF export (the same filters) into memory, since an FtM
entity gathers what several subjects say (a sanction needs its resolutions' bodies).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import pyoxigraph as ox
from followthemoney import EntityProxy, model
from rdflib import RDF, RDFS, URIRef
from rdflib.namespace import DCTERMS, SKOS

from milcoop.graph.export.selection import ExportFilter, select_blocks
from milcoop.graph.export.writers import ExportStats
from milcoop.graph.rdf_source import EVENT_CLASSES, RdfSource
from milcoop.ontology import ontology_graph
from milcoop.ontology.namespace import ID, MC

#: The format's name (``--format ftm``, ``/v1/export?format=ftm``), media type and file extension.
FTM_FORMAT = "ftm"
FTM_MEDIA_TYPE = "application/x-ndjson"
FTM_EXTENSION = "ftm.json"

_TYPE = str(RDF.type)
_PREF = str(SKOS.prefLabel)
_ALT = str(SKOS.altLabel)
_DESCRIPTION = str(DCTERMS.description)
_PUBLISHER = str(DCTERMS.publisher)
_EVENTS = frozenset(cls.value for cls in EVENT_CLASSES)
#: The predicates from an event to a place (FtM's ``location`` is the place's name).
_PLACES = tuple(str(p) for p in (MC.location, MC.loadingPort, MC.dischargePort, MC.borderCrossing, MC.targetPlace))
#: The FtM schema of each kind of actor.
_ACTOR_CLASSES = {
    str(MC.State): "PublicBody",
    str(MC.InternationalOrganisation): "Organization",
    str(MC.Person): "Person",
}


def is_ftm(name: str | None) -> bool:
    """Whether an export's ``format`` asks for FollowTheMoney."""
    return name is not None and name.strip().lower() == FTM_FORMAT


def entity_id(iri: str) -> str:
    """The FtM id of the milcoop resource ``iri`` (``milcoop-state-PRK``)."""
    if not iri.startswith(str(ID)):
        raise ValueError(f"{iri} is not a milcoop resource")
    return "milcoop-" + iri.removeprefix(str(ID)).replace("/", "-")


@cache
def _class_labels() -> dict[str, str]:
    graph = ontology_graph()
    return {str(s): str(o) for s, o in graph.subject_objects(RDFS.label) if isinstance(s, URIRef)}


@dataclass
class _Index:
    """The selected subjects: predicate -> values per subject, and who asserts what."""

    values: dict[str, dict[str, list[Any]]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(list)))
    asserted_by: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    by_type: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    breaches: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def add(self, subject: str, predicate: str, obj: Any) -> None:
        self.values[subject][predicate].append(obj)
        if predicate == _TYPE:
            self.by_type[obj.value].append(subject)
        elif predicate == str(MC.asserts) and isinstance(obj, ox.NamedNode):
            self.asserted_by[obj.value].append(subject)
        elif predicate == str(MC.breachingEvent) and isinstance(obj, ox.NamedNode):
            self.breaches[obj.value].append(subject)

    def all(self, subject: str, predicate: str) -> list[Any]:
        return self.values.get(subject, {}).get(predicate, [])

    def text(self, subject: str, predicate: str) -> list[str]:
        return [o.value for o in self.all(subject, predicate) if isinstance(o, ox.Literal)]

    def iris(self, subject: str, predicate: str) -> list[str]:
        return [o.value for o in self.all(subject, predicate) if isinstance(o, ox.NamedNode)]

    def first(self, subject: str, predicate: str) -> str | None:
        found = self.text(subject, predicate)
        return found[0] if found else None

    def is_a(self, subject: str, cls: str) -> bool:
        return any(o.value == cls for o in self.all(subject, _TYPE) if isinstance(o, ox.NamedNode))

    def name(self, subject: str) -> str | None:
        return self.first(subject, _PREF)

    def alpha2(self, state: str) -> str | None:
        return self.first(state, str(MC.isoAlpha2))


class _Builder:
    """FtM entities from an :class:`_Index`, each checked against its schema."""

    def __init__(self, index: _Index) -> None:
        self.index = index
        self.actors = {
            subject: schema
            for cls, schema in _ACTOR_CLASSES.items()
            for subject in index.by_type.get(cls, [])
            if subject.startswith(str(ID))
        }

    def _make(self, schema: str, entity: str) -> EntityProxy:
        proxy = model.make_entity(schema)
        proxy.id = entity
        return proxy

    def _provenance(self, proxy: EntityProxy, *subjects: str) -> None:
        """The urls and publishers of the source documents of the claims asserting ``subjects``."""
        index = self.index
        for subject in subjects:
            for claim in index.asserted_by.get(subject, []):
                for source in index.iris(claim, str(MC.source)):
                    proxy.add("sourceUrl", index.text(source, str(MC.url)), quiet=True)
                    proxy.add("publisher", index.text(source, _PUBLISHER), quiet=True)

    def _named(self, proxy: EntityProxy, subject: str) -> None:
        index = self.index
        name = index.name(subject)
        proxy.add("name", name)
        aliases = index.text(subject, _ALT) + index.text(subject, str(MC.officialName))
        proxy.add("alias", [a for a in aliases if a != name])
        proxy.add("description", index.text(subject, _DESCRIPTION))
        proxy.add("wikidataId", index.text(subject, str(MC.wikidataId)), quiet=True)

    def actor(self, subject: str, schema: str) -> EntityProxy:
        index = self.index
        proxy = self._make(schema, entity_id(subject))
        self._named(proxy, subject)
        if schema == "PublicBody":
            proxy.add("country", index.alpha2(subject), quiet=True)
        elif schema == "Person":
            states = index.iris(subject, str(MC.leaderOf))
            for office in index.iris(subject, str(MC.holdsOffice)):
                states += index.iris(office, str(MC.officeState))
                proxy.add("position", index.text(office, str(MC.officeTitle)))
            proxy.add("country", [index.alpha2(s) for s in states if index.is_a(s, str(MC.State))], quiet=True)
            proxy.add("position", index.text(subject, str(MC.role)))
        self._provenance(proxy, subject)
        return proxy

    def memberships(self, organisation: str) -> Iterator[EntityProxy]:
        for state in self.index.iris(organisation, str(MC.memberState)):
            if state not in self.actors:
                continue
            proxy = self._make("Membership", f"{entity_id(organisation)}--member--{entity_id(state)}")
            proxy.add("organization", entity_id(organisation))
            proxy.add("member", entity_id(state))
            yield proxy

    def offices(self, person: str) -> Iterator[EntityProxy]:
        index = self.index
        for office in index.iris(person, str(MC.holdsOffice)):
            position = self._make("Position", entity_id(office))
            position.add("name", index.first(office, str(MC.officeTitle)) or index.name(office))
            for state in index.iris(office, str(MC.officeState)):
                position.add("country", index.alpha2(state), quiet=True)
                if state in self.actors:
                    position.add("organization", entity_id(state))
            yield position
            occupancy = self._make("Occupancy", f"{entity_id(office)}--holder")
            occupancy.add("holder", entity_id(person))
            occupancy.add("post", position.id)
            occupancy.add("startDate", index.text(office, str(MC.heldFrom)), quiet=True)
            occupancy.add("endDate", index.text(office, str(MC.heldUntil)), quiet=True)
            self._provenance(occupancy, office)
            yield occupancy

    def sanctions(self, measure: str) -> Iterator[EntityProxy]:
        index = self.index
        resolutions = index.iris(measure, str(MC.imposedBy))
        for state in index.iris(measure, str(MC.targetState)):
            if state not in self.actors:
                continue
            proxy = self._make("Sanction", f"{entity_id(measure)}--{entity_id(state)}")
            proxy.add("entity", entity_id(state))
            proxy.add("provisions", index.name(measure))
            proxy.add("description", index.text(measure, _DESCRIPTION))
            proxy.add("program", [index.name(r) for r in resolutions])
            proxy.add("authority", [index.name(b) for r in resolutions for b in index.iris(r, str(MC.adoptedBy))])
            proxy.add("startDate", index.text(measure, str(MC.inForceFrom)), quiet=True)
            proxy.add("endDate", index.text(measure, str(MC.inForceUntil)), quiet=True)
            self._provenance(proxy, measure, *resolutions)
            yield proxy

    def event(self, subject: str) -> EntityProxy:
        index = self.index
        proxy = self._make("Event", entity_id(subject))
        proxy.add("name", index.name(subject))
        proxy.add("summary", index.text(subject, _DESCRIPTION))
        proxy.add("startDate", index.text(subject, str(MC.startDate)), quiet=True)
        proxy.add("endDate", index.text(subject, str(MC.endDate)), quiet=True)
        labels = _class_labels()
        proxy.add("keywords", [labels[t] for t in index.iris(subject, _TYPE) if t in labels])
        proxy.add("keywords", [index.name(item) for item in index.iris(subject, str(MC.item))])
        for values in index.values.get(subject, {}).values():
            for obj in values:
                if isinstance(obj, ox.NamedNode) and obj.value in self.actors:
                    proxy.add("involved", entity_id(obj.value))
                    proxy.add("country", index.alpha2(obj.value), quiet=True)
        for predicate in _PLACES:
            for place in index.iris(subject, predicate):
                proxy.add("location", index.name(place))
                for state in index.iris(place, str(MC.locatedIn)):
                    proxy.add("country", index.alpha2(state), quiet=True)
        proxy.add("notes", [index.name(breach) for breach in index.breaches.get(subject, [])])
        self._provenance(proxy, subject, *index.breaches.get(subject, []))
        return proxy

    def entities(self) -> Iterator[EntityProxy]:
        index = self.index
        for subject, schema in sorted(self.actors.items()):
            yield self.actor(subject, schema)
            if schema == "Organization":
                yield from self.memberships(subject)
            elif schema == "Person":
                yield from self.offices(subject)
        for measure in sorted(index.by_type.get(str(MC.SanctionsMeasure), [])):
            yield from self.sanctions(measure)
        for subject in sorted({s for cls in _EVENTS for s in index.by_type.get(cls, [])}):
            if subject.startswith(str(ID)):
                yield self.event(subject)


def checked(proxy: EntityProxy) -> dict[str, Any]:
    """``proxy`` as FtM's JSON form, after its schema's own validation (a failure is milcoop's bug)."""
    data = proxy.to_dict()
    # Values sorted: the same entity whatever order the store hands out its triples in.
    data["properties"] = {prop: sorted(values) for prop, values in sorted(data["properties"].items())}
    problem = proxy.schema.validate(data)  # type: ignore[arg-type]  # ValidationData is the same dict
    if problem:
        raise ValueError(f"FtM entity {proxy.id} ({proxy.schema.name}) is not valid: {problem}")
    return data


def ftm_entities(blocks: Iterable[Any]) -> Iterator[dict[str, Any]]:
    """The FtM entities (as dicts, validated) of the subject blocks ``blocks``."""
    index = _Index()
    for block in blocks:
        if not isinstance(block.subject, ox.NamedNode):
            continue
        for quad in block.quads:
            index.add(block.subject.value, quad.predicate.value, quad.object)
    for proxy in _Builder(index).entities():
        yield checked(proxy)


def export_ftm(source: RdfSource, flt: ExportFilter | None = None, stats: ExportStats | None = None) -> Iterator[bytes]:
    """The FtM entities of ``source`` (or a filter's selection), one JSON object per line."""
    stats = stats if stats is not None else ExportStats()
    blocks = select_blocks(source, flt)
    try:
        entities = list(ftm_entities(blocks))
    finally:
        close = getattr(blocks, "close", None)
        if close is not None:
            close()
    for data in entities:
        line = json.dumps(data, ensure_ascii=False, sort_keys=True).encode() + b"\n"
        stats.subjects += 1
        stats.bytes += len(line)
        yield line
    stats.done = True

