"""How the embedded store reads the property-graph shape out of quads: the vocabulary, precomputed."""

from __future__ import annotations

import pyoxigraph as ox
from rdflib import RDF

from milcoop.ontology.vocabulary import EnumProperty, NodeProperty, Vocabulary

RDF_TYPE = ox.NamedNode(str(RDF.type))


class Shapes:
    """Predicate IRI -> how graph/mapping.py stores it, precomputed for fast look-ups."""

    def __init__(self, vocab: Vocabulary) -> None:
        self.vocab = vocab
        self.node_properties: dict[str, NodeProperty] = {str(k): v for k, v in vocab.node_properties.items()}
        self.enum_properties: dict[str, EnumProperty] = {str(k): v for k, v in vocab.enum_properties.items()}
        self.enum_codes: dict[str, dict[str, str]] = {
            iri: {str(ind): code for code, ind in prop.codes.items()} for iri, prop in self.enum_properties.items()
        }
        self.relationships: dict[str, str] = {str(k): v.type for k, v in vocab.relationships.items()}
        self.predicates: dict[str, str] = {t: iri for iri, t in self.relationships.items()}
        self.labels: dict[str, tuple[str, ...]] = {str(c): vocab.labels_for_class(c) for c in vocab.labels}
        self.classes: dict[str, str] = {label: str(c) for c, label in vocab.labels.items()}

    def predicate(self, rel_type: str) -> ox.NamedNode:
        return ox.NamedNode(self.predicates[rel_type])

    def classes_with(self, label: str) -> list[str]:
        """Class IRIs whose nodes carry ``label`` (itself and its subclasses)."""
        return sorted(c for c, labels in self.labels.items() if label in labels)


def text(term: object) -> str:
    """The IRI or lexical form of a pyoxigraph term (quoted triples do not occur in milcoop data)."""
    if isinstance(term, (ox.NamedNode, ox.BlankNode, ox.Literal)):
        return term.value
    raise TypeError(f"unexpected term {term!r}")
