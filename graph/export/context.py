"""Prefixes and the JSON-LD ``@context`` of milcoop data (``ontology/context.jsonld``).

The context is derived from the ontology's allow-list (:func:`build_context`) and shipped as a
file; the JSON-LD export compacts with the shipped one (:func:`published_context`), and a test
checks that the two agree.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from rdflib import OWL, RDF, RDFS, SKOS, XSD, URIRef
from rdflib.namespace import DCAT, DCTERMS, PROV, VOID

from milcoop.graph.rdf_source import local_name
from milcoop.ontology import ONTOLOGY_DIR, ontology_graph
from milcoop.ontology.namespace import GRAPH, ID, MAT, MC
from milcoop.ontology.vocabulary import Vocabulary, vocabulary

CONTEXT_FILE = ONTOLOGY_DIR / "context.jsonld"

#: Where the published @context is served (also the IRI the documentation gives for it).
CONTEXT_PATH = "/v1/context.jsonld"

_XSD_STRING = str(XSD.string)

#: The kinds of curated entity, each an IRI folder ``https://w3id.org/milcoop/id/{kind}/``.
ENTITY_KINDS: tuple[str, ...] = (
    "state",
    "organisation",
    "person",
    "place",
    "source",
    "treaty",
    "provision",
    "ratification",
    "resolution",
    "measure",
    "event",
    "breach",
    "claim",
    "quantity",
    "system",
)

#: Vocabulary prefixes, shared by every format.
VOCABULARY_PREFIXES: dict[str, str] = {
    "mc": str(MC._NS),
    "mat": str(MAT._NS),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "xsd": str(XSD),
    "owl": str(OWL),
    "skos": str(SKOS),
    "dct": str(DCTERMS),
    "dcat": str(DCAT),
    "void": str(VOID),
    "prov": str(PROV),
}

#: Turtle and TriG also abbreviate entity IRIs by kind (``state:PRK``) and graph names.
TURTLE_PREFIXES: dict[str, str] = {
    **VOCABULARY_PREFIXES,
    **{kind: f"{ID}{kind}/" for kind in ENTITY_KINDS},
    "graph": str(GRAPH),
}

#: JSON-LD has one prefix for entities (``milcoop:state/PRK``): per-kind prefixes would clash with
#: property terms (``source``), and ``id`` with the common ``"id": "@id"`` alias of a user's context.
JSONLD_ENTITY_PREFIX = "milcoop"
JSONLD_PREFIXES: dict[str, str] = {**VOCABULARY_PREFIXES, JSONLD_ENTITY_PREFIX: str(ID)}

#: Reverse terms, so that a JSON-LD user reaches from an event (or a treaty, a breach, ...) the
#: claims asserting it, and from an event its breaches: ``{"@reverse": ...}`` of the forward link.
REVERSE_TERMS: dict[str, URIRef] = {"claims": MC.asserts, "breaches": MC.breachingEvent}


def compact(iri: str, prefixes: dict[str, str]) -> str:
    """``iri`` as ``prefix:rest`` with the longest matching namespace, or unchanged if none does."""
    best = ""
    for name, namespace in prefixes.items():
        if iri.startswith(namespace) and len(namespace) > len(prefixes.get(best, "")):
            best = name
    if not best:
        return iri
    return f"{best}:{iri[len(prefixes[best]) :]}"


def _functional(prop: URIRef) -> bool:
    return (prop, RDF.type, OWL.FunctionalProperty) in ontology_graph()


def build_context(vocab: Vocabulary | None = None) -> dict[str, Any]:
    """The JSON-LD ``@context`` for milcoop data, derived from the ontology's allow-list.

    Terms are the property graph's names (``supplier``, ``startDate``, ``name`` for
    skos:prefLabel, ``status``), so JSON-LD, the API and Cypher speak alike. Links and enumeration
    values are IRIs (``"status": "mc:reported"``); properties the ontology declares functional
    take a single value, the others are sets; ``claims`` and ``breaches`` are reverse terms; dates that may
    be partial carry their datatype in each value (``{"@value": "2024", "@type": "xsd:gYear"}``).
    The shipped ``ontology/context.jsonld`` must equal this (a test checks it).
    """
    vocab = vocab or vocabulary()
    terms: dict[str, Any] = dict(JSONLD_PREFIXES)

    def add(term: str, definition: Any) -> None:
        if term in terms and terms[term] != definition:
            raise ValueError(f"JSON-LD term {term!r} would mean two things")
        terms[term] = definition

    for cls, label in sorted(vocab.labels.items(), key=lambda item: item[1]):
        add(label, compact(str(cls), JSONLD_PREFIXES))
    for prop in sorted(vocab.node_properties.values(), key=lambda p: p.key):
        definition: dict[str, Any] = {"@id": compact(str(prop.iri), JSONLD_PREFIXES)}
        if prop.iri_valued:
            definition["@type"] = "@id"
        elif prop.datatype is not None and str(prop.datatype) != _XSD_STRING:
            definition["@type"] = compact(str(prop.datatype), JSONLD_PREFIXES)
        if prop.many:
            definition["@container"] = "@set"
        add(prop.key, definition)
    for enum in sorted(vocab.enum_properties.values(), key=lambda p: p.key):
        definition = {"@id": compact(str(enum.iri), JSONLD_PREFIXES), "@type": "@id"}
        if enum.many:
            definition["@container"] = "@set"
        add(enum.key, definition)
    for rel in sorted(vocab.relationships.values(), key=lambda r: str(r.iri)):
        definition = {"@id": compact(str(rel.iri), JSONLD_PREFIXES), "@type": "@id"}
        if not _functional(rel.iri):
            definition["@container"] = "@set"
        add(local_name(str(rel.iri)), definition)
    for term, forward in REVERSE_TERMS.items():
        add(term, {"@reverse": compact(str(forward), JSONLD_PREFIXES), "@type": "@id", "@container": "@set"})
    return {"@context": terms}


@cache
def published_context() -> dict[str, Any]:
    """The shipped ``ontology/context.jsonld`` (what ``/v1/context.jsonld`` serves)."""
    loaded: dict[str, Any] = json.loads(CONTEXT_FILE.read_text(encoding="utf-8"))
    return loaded


def write_context(path: Path | None = None) -> None:
    """Regenerate the shipped context from the ontology (``python -m milcoop.graph.export --write-context``)."""
    path = path or Path(str(CONTEXT_FILE))  # a checkout's file: only developers regenerate it
    path.write_text(json.dumps(build_context(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
