"""The tolerances of hedged quantities, read from the ontology (``mc:tolerance``).

``about``, ``nearly`` and ``estimate`` carry an ``mc:tolerance`` in milcoop.ttl: how far from the
stated number an amount so worded may lie, as a fraction of the number. ``mc:uncertain`` carries
one too: how much further an uncertain number's bounds reach. These are milcoop's convention, not
any source's word; they are stated once, as data, and read here (docs/analysis.md explains them).
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from functools import cache

from rdflib import RDF, SKOS, Literal

from milcoop.ontology import ontology_graph
from milcoop.ontology.namespace import MC


def _fraction(value: object, term: object) -> Fraction:
    if not isinstance(value, Literal) or not isinstance(value.toPython(), (Decimal, int)):
        raise ValueError(f"mc:tolerance of {term} is not a decimal: {value!r}")
    fraction = Fraction(value.toPython())
    if not 0 <= fraction < 1:
        raise ValueError(f"mc:tolerance of {term} must lie in [0, 1): {fraction}")
    return fraction


@cache
def qualifier_tolerances() -> dict[str, Fraction]:
    """Qualifier code (``about``) -> its tolerance, for the qualifiers that have one."""
    onto = ontology_graph()
    found: dict[str, Fraction] = {}
    for qualifier in onto.subjects(RDF.type, MC.Qualifier):
        value = onto.value(qualifier, MC.tolerance)
        if value is not None:
            found[str(onto.value(qualifier, SKOS.notation))] = _fraction(value, qualifier)
    return found


@cache
def uncertain_tolerance() -> Fraction:
    """How much further, as a fraction of the number, the bounds of an uncertain number reach."""
    value = ontology_graph().value(MC.uncertain, MC.tolerance)
    if value is None:
        raise ValueError("milcoop.ttl gives mc:uncertain no mc:tolerance")
    return _fraction(value, MC.uncertain)
