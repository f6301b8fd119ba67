"""Standard vocabularies beside milcoop's own terms, so a partner without a reasoner reads them.

The ontology declares milcoop's terms as specialisations of standard ones: ``mc:source`` is a
``prov:wasDerivedFrom``, ``mc:cites`` a ``prov:wasQuotedFrom``, a claim a ``prov:Entity``, an event
a ``prov:Activity``, an actor a ``prov:Agent``, the enumerations and the taxonomy ``skos:Concept``
s. A reasoner infers the standard triples; a partner's PROV-O or SKOS tool without one sees none.
So every export (and every dereferenced description) also states them: for each triple whose
predicate has standard super-properties, the same triple with each of them, and for each
``rdf:type`` whose class has standard super-classes, a type triple for each. SKOS's own axiom
``skos:prefLabel rdfs:subPropertyOf rdfs:label`` is stated the same way, so tools that read
``rdfs:label`` find every name.

Only terms outside milcoop's namespace are added (``mc:`` super-classes such as
``mc:CooperationEvent`` are the ontology's business), and all of them come from the ontology
file, transitively (a state is an ``mc:Actor``, so a ``prov:Agent``): nothing is listed here by
hand but the SKOS axiom. Dates need nothing added: they are already ``xsd:date``, ``xsd:gYearMonth``
or ``xsd:gYear`` literals whose datatype is their precision; source documents already use Dublin
Core (``dct:publisher``, ``dct:issued``) and labels SKOS.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable, Iterator, Sequence
from functools import cache

import pyoxigraph as ox
from rdflib import RDF, RDFS, URIRef
from rdflib.namespace import SKOS

from milcoop.graph.rdf_source import RDF_TYPE, SubjectBlock
from milcoop.ontology import ontology_graph
from milcoop.ontology.namespace import MC

_OWN = str(MC._NS)
_TYPE_LINE = f"<{RDF.type}>"
#: Axioms of the standard vocabularies themselves that milcoop's data relies on.
_STANDARD_AXIOMS: dict[str, tuple[str, ...]] = {str(SKOS.prefLabel): (str(RDFS.label),)}


def _supers(relation: URIRef) -> dict[str, tuple[str, ...]]:
    """For each milcoop term, its standard super-terms by ``relation`` (transitively)."""
    graph = ontology_graph()
    direct: dict[str, set[str]] = {}
    for sub, sup in graph.subject_objects(relation):
        if isinstance(sub, URIRef) and isinstance(sup, URIRef):
            direct.setdefault(str(sub), set()).add(str(sup))
    out: dict[str, tuple[str, ...]] = {}
    for term in direct:
        if not term.startswith(_OWN):
            continue
        seen: set[str] = set()
        todo = list(direct[term])
        while todo:
            current = todo.pop()
            if current in seen:
                continue
            seen.add(current)
            todo += direct.get(current, ())
        standard = tuple(sorted(t for t in seen if not t.startswith(_OWN)))
        if standard:
            out[term] = standard
    return out


@cache
def super_properties() -> dict[str, tuple[str, ...]]:
    """milcoop property (and ``skos:prefLabel``) -> the standard properties it specialises."""
    return {**_supers(RDFS.subPropertyOf), **_STANDARD_AXIOMS}


@cache
def super_classes() -> dict[str, tuple[str, ...]]:
    """milcoop class -> the standard classes it specialises."""
    return _supers(RDFS.subClassOf)


@cache
def fingerprint() -> str:
    """A digest of what is materialised: a kept export snapshot made with another one is never replayed."""
    text = repr((sorted(super_properties().items()), sorted(super_classes().items())))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def standard_quads(quads: Iterable[ox.Quad]) -> list[ox.Quad]:
    """The standard triples ``quads`` entail by the ontology's declarations (none already among them)."""
    properties, classes = super_properties(), super_classes()
    present = set(quads)
    out: list[ox.Quad] = []
    for quad in present:
        if quad.predicate == RDF_TYPE and isinstance(quad.object, ox.NamedNode):
            for cls in classes.get(quad.object.value, ()):
                out.append(ox.Quad(quad.subject, RDF_TYPE, ox.NamedNode(cls), quad.graph_name))
        for prop in properties.get(quad.predicate.value, ()):
            out.append(ox.Quad(quad.subject, ox.NamedNode(prop), quad.object, quad.graph_name))
    added = [q for q in dict.fromkeys(out) if q not in present]
    added.sort(key=lambda q: (q.predicate.value, str(q.object)))
    return added


@cache
def _line_terms() -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]]:
    """:func:`super_properties` and :func:`super_classes` as N-Triples IRIs (``<...>``)."""
    properties = {f"<{p}>": tuple(f"<{s}>" for s in sups) for p, sups in super_properties().items()}
    classes = {f"<{c}>": tuple(f"<{s}>" for s in sups) for c, sups in super_classes().items()}
    return properties, classes


def standard_lines(lines: Sequence[str]) -> list[str]:
    """:func:`standard_quads` for one subject's triples written as ``<predicate> object`` lines
    (:func:`~milcoop.graph.terms.lines_by_subject`): the lines of the standard triples they
    entail, none already among them, in first-entailed order. The embedded store keeps these
    beside each resource, so that its whole N-Triples and Turtle exports are the store's own dump."""
    properties, classes = _line_terms()
    out: list[str] = []
    for line in lines:
        predicate, _, obj = line.partition(" ")
        if predicate == _TYPE_LINE:
            supers = classes.get(obj)
            if supers:
                out.extend([f"{_TYPE_LINE} {cls}" for cls in supers])
        supers = properties.get(predicate)
        if supers:
            out.extend([f"{prop} {obj}" for prop in supers])
    if not out:
        return out
    # A resource has a few lines: scanning them is cheaper than hashing them all (a load calls this
    # for every resource), but not for the rare resource with many.
    present: Collection[str] = lines if len(lines) <= 32 else set(lines)
    return [line for line in dict.fromkeys(out) if line not in present]


def with_standard_terms(blocks: Iterable[SubjectBlock]) -> Iterator[SubjectBlock]:
    """Each block with the standard triples it entails added to it (same subject, same graph)."""
    for block in blocks:
        extra = standard_quads(block.quads)
        if extra:
            block = SubjectBlock(block.subject, [*block.quads, *extra], block.source)
        yield block


def standard_triples(triples: Iterable[tuple[object, object, object]]) -> set[tuple[URIRef, URIRef, object]]:
    """The same for rdflib triples (a compiled graph): what an export of them adds. For tests and tools."""
    properties, classes = super_properties(), super_classes()
    present = set(triples)
    out: set[tuple[URIRef, URIRef, object]] = set()
    for s, p, o in present:
        if p == RDF.type:
            out |= {(s, RDF.type, URIRef(c)) for c in classes.get(str(o), ())}  # type: ignore[misc]
        out |= {(s, URIRef(q), o) for q in properties.get(str(p), ())}  # type: ignore[misc]
    return {t for t in out if t not in present}
