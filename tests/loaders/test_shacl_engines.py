"""The Rust SHACL engine gives the same results as pyshacl, the reference, wherever we can look.

The default engine (``rust``, the ``shacl`` package) is many times faster than pyshacl; it is
trusted only as far as this file shows it agrees with pyshacl: the same verdict and the same
results (focus node, path, constraint component) on the bundled facts, every fixture that
compiles, the register fixtures, and graphs broken on purpose in hundreds of ways. The broken
graphs are made from the bundled facts and from bench/synthetic.py's fictional states
(ISO 3166 user-assigned codes): they say nothing true of any real state.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from rdflib import RDF, Graph, Literal, URIRef
from rdflib.namespace import SH

from bench.synthetic import generate, triples
from milcoop.loaders.curated import CompiledFacts, bundled_facts_dir, compile_facts, reference_dir
from milcoop.loaders.registers import read_register
from milcoop.loaders.shacl import Violation, pyshacl_violations, rust_violations, shacl_problems
from milcoop.ontology import shapes_graph
from milcoop.settings import get_settings

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CASES = sorted((FIXTURES / "cases").glob("*.yaml"))
NOWHERE = URIRef("https://w3id.org/milcoop/id/nothing/here")


def _copy(graph: Graph) -> Graph:
    copy = Graph()
    for triple in graph:
        copy.add(triple)
    return copy


def _agree(graph: Graph) -> list[Violation]:
    """Both engines' results on ``graph``, asserted equal; returns them."""
    reference = pyshacl_violations(graph)
    fast = rust_violations(graph)
    assert [v.key for v in fast] == [v.key for v in reference]
    # A shape's own sh:message reaches the user the same from both engines; where the shape has
    # none, each engine words it itself, and ours must say something.
    own_words = {str(message) for message in shapes_graph().objects(None, SH.message)}
    for ours, theirs in zip(fast, reference, strict=True):
        assert ours.message == theirs.message if theirs.message in own_words else ours.message, (ours, theirs)
    return reference


def _broken(graph: Graph, seed: int, removals: int = 25, retargets: int = 10, garbage: int = 10) -> Graph:
    """A copy of ``graph`` with triples removed, IRIs pointed at nothing and literals spoiled."""
    rng = random.Random(seed)
    ordered = sorted(graph, key=lambda t: (str(t[0]), str(t[1]), str(t[2])))
    copy = _copy(graph)
    removed = rng.sample(ordered, removals)
    for triple in removed:
        copy.remove(triple)
    iris = [t for t in ordered if isinstance(t[2], URIRef) and t not in removed]
    for s, p, o in rng.sample(iris, retargets):
        copy.remove((s, p, o))
        copy.add((s, p, NOWHERE))
    literals = [t for t in ordered if isinstance(t[2], Literal) and t not in removed]
    for s, p, o in rng.sample(literals, garbage):
        copy.remove((s, p, o))
        copy.add((s, p, Literal("garbage")))
    return copy


def test_both_engines_find_the_bundled_facts_valid(bundled: CompiledFacts) -> None:
    assert _agree(bundled.graph) == []


@pytest.mark.parametrize("case", CASES, ids=[p.stem for p in CASES])
def test_both_engines_agree_on_every_fixture_case(case: Path) -> None:
    compiled = compile_facts([bundled_facts_dir(), case], shacl=False)
    assert _agree(compiled.graph) == []


@pytest.mark.parametrize(
    ("register", "path"),
    [
        ("sipri", "sipri/trade-register-2025.csv"),
        ("atop", "atop"),
        ("cow", "cow/alliance_v4.1_by_member.csv"),
    ],
)
def test_both_engines_agree_on_the_register_fixtures(register: str, path: str) -> None:
    _, compiled = read_register(
        register, FIXTURES / "registers" / path, reference=[reference_dir(), FIXTURES / "registers" / "reference"]
    )
    assert _agree(compiled.graph) == []


@pytest.mark.parametrize("seed", range(8))
def test_both_engines_agree_on_broken_bundled_facts(bundled: CompiledFacts, seed: int) -> None:
    found = _agree(_broken(bundled.graph, seed))
    assert found, "the broken copy must break some shape, or this test shows nothing"


@pytest.mark.parametrize("seed", range(3))
def test_both_engines_agree_on_broken_synthetic_data(seed: int) -> None:
    dataset = generate(120, seed)
    graph = Graph()
    for triple in triples(dataset.nodes, dataset.relationships):
        graph.add(triple)
    assert _agree(graph) == []
    assert _agree(_broken(graph, seed, removals=60, retargets=20, garbage=20))


def test_both_engines_agree_when_a_type_is_lost(bundled: CompiledFacts) -> None:
    """sh:class on a node that lost its rdf:type: every claim citing the source now fails."""
    graph = _copy(bundled.graph)
    (source, kind) = next((s, o) for s, o in graph.subject_objects(RDF.type) if str(s).endswith("/source/source-notes"))
    graph.remove((source, RDF.type, kind))
    found = _agree(graph)
    assert {v.component for v in found} >= {"ClassConstraintComponent"}


def test_a_violation_reaches_the_user_located_in_the_fact_file(bundled: CompiledFacts, tmp_path: Path) -> None:
    """What a curator sees from the default engine: the file, line and field of the broken fact."""
    graph = _copy(bundled.graph)
    event = next(s for s in graph.subjects(RDF.type, None) if str(s).endswith("/event/prk-rus-ballistic-missiles"))
    supplier = next(p for p in graph.predicates(event, None) if str(p).endswith("#supplier"))
    graph.remove((event, supplier, None))
    broken = CompiledFacts(graph, bundled.locations, bundled.files, bundled.version)
    get_settings.cache_clear()
    problems = shacl_problems(broken)
    (problem,) = problems
    assert problem.file.endswith("dprk-russia.yaml") and problem.line > 0
    assert "supplier" in problem.message and problem.message.startswith("shape violation")
    assert [p.message for p in shacl_problems(broken, "pyshacl")] == [problem.message]  # the shape's own words
