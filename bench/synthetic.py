"""A deterministic synthetic dataset for load benchmarks and crash tests, built straight as records.

Building a 100,000-event dataset through YAML, the compiler and an rdflib ``Graph`` would take
minutes and gigabytes (about three million triples), so this module produces the property-graph
records directly, in exactly the shapes :func:`graph.mapping.to_property_graph` gives for compiled
facts: the same labels, property keys, enum codes, ``<key>Precision`` partial dates, ``spanStart``
/ ``spanEnd``, claims with sources and quantities, relationship types. A test maps a small
dataset to RDF with :func:`graph.mapping.to_rdf` and validates it against the shipped SHACL
shapes, so the records stay true to the model.

The shape of the data (see :func:`generate`):

* ~200 states with ISO-style codes from the user-assigned ``X..`` range (no clash with real
  states), and partner choice skewed Zipf-like, so a few states take part in most events;
* a few hundred source documents, also cited with a skew;
* N cooperation events of all six kinds, each with 2-4 claims from distinct sources (a quantity
  on about a third of the claims), items from the real materiel taxonomy
  (``ontology/materiel.ttl``), periods of year, month or day precision, some open-ended, some a
  single date, some undated;
* a handful of resolutions, sanctions measures, treaties (with provisions, some replacing
  others) and breaches linking transfers to measures, each with its claims.

Everything is a function of ``(events, seed)``: the same arguments give the same records.

Other helpers reuse this module to fill both stores: :func:`triples` and
:func:`ntriples_lines` stream the same data as RDF through :func:`graph.mapping.node_triples`.

From a shell::

    python -m bench.synthetic --events 1000 --seed 7            # print the dataset's shape
    python -m bench.synthetic --events 1000 --ntriples out.nt   # write it as N-Triples
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import itertools
import json
import random
import sys
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rdflib import Literal, URIRef

from milcoop.graph.mapping import NodeRecord, RelationshipRecord, node_triples, to_property_graph
from milcoop.ontology import materiel_graph
from milcoop.ontology.dates import PartialDate
from milcoop.ontology.namespace import ID
from milcoop.ontology.vocabulary import Vocabulary, vocabulary

DEFAULT_EVENTS = 100_000
DEFAULT_SEED = 7
DEFAULT_STATES = 200
DEFAULT_SOURCES = 300

_ID_BASE = str(ID)

#: Taxonomy concepts that are technology rather than materiel (for technology transfers).
_TECHNOLOGY = ("technology-and-data", "battlefield-data", "operational-know-how", "satellite-technology")

#: Event kinds with their share of events, (label, superlabel) and from/to relationship types.
_KINDS: tuple[tuple[str, float, str, str, str | None], ...] = (
    ("materiel-transfer", 0.55, "MaterielTransfer", "SUPPLIER", "RECIPIENT"),
    ("technology-transfer", 0.10, "TechnologyTransfer", "SUPPLIER", "RECIPIENT"),
    ("troop-deployment", 0.10, "TroopDeployment", "SENDING_STATE", "HOST_STATE"),
    ("weapons-use", 0.07, "WeaponsUse", "USED_BY", None),
    ("support-request", 0.08, "SupportRequest", "REQUESTER", "REQUESTED_FROM"),
    ("official-statement", 0.10, "OfficialStatement", "STATED_BY", None),
)

_STATUSES = ("reported", "confirmed", "estimated", "alleged", "acknowledged", "denied", "sought")
_STATUS_WEIGHTS = tuple(itertools.accumulate((50, 15, 12, 10, 5, 5, 3)))
_RELIABILITY = "ABCDEF"
_RELIABILITY_WEIGHTS = tuple(itertools.accumulate((5, 35, 35, 15, 5, 5)))
_QUALIFIERS = ("exact", "about", "nearly", "more-than", "at-least", "as-many-as")
_TRANSFER_UNITS = ("rounds", "containers", "missiles", "systems", "barrels")
_TRANSPORT = ("air", "rail", "road", "sea")
_SOURCE_KINDS = ("monitoring-report", "news-article", "coverage-compilation", "official-document")
_WORDS = (
    "shipment", "convoy", "cargo", "vessel", "rail cars", "consignment", "delivery", "batch",
    "containers", "crates", "launchers", "rounds", "personnel", "specialists", "components",
    "observed", "reported", "satellite imagery shows", "officials said", "according to",
    "in the port of", "near the border", "over several months", "in early", "late in",
)


@dataclass
class SyntheticDataset:
    """Node and relationship records plus where each event's records lie in the lists.

    ``nodes[:reference_nodes]`` and ``relationships[:reference_relationships]`` are the reference
    data (taxonomy, states, sources, resolutions, measures, treaties and their claims). Event
    ``i`` owns ``nodes[b[0]:b[1]]`` (the event, its claims and their quantities) and
    ``relationships[b[2]:b[3]]`` for ``b = bundles[i]``; the records after the last bundle are
    the breaches and their claims, which refer to events.
    """

    nodes: list[NodeRecord]
    relationships: list[RelationshipRecord]
    events: int
    seed: int
    reference_nodes: int
    reference_relationships: int
    bundles: list[tuple[int, int, int, int]]

    @property
    def version(self) -> str:
        """A data version for the metadata node, like a compiled dataset's digest."""
        return f"synthetic-{self.events}-{self.seed}"

    def shape(self) -> dict[str, Any]:
        """Counts that describe the dataset (for benchmark reports)."""
        labels = Counter(node.labels[0] for node in self.nodes)
        types = Counter(rel.type for rel in self.relationships)
        return {
            "events": self.events,
            "seed": self.seed,
            "nodes": len(self.nodes),
            "relationships": len(self.relationships),
            "claims": labels["Claim"],
            "quantities": labels["Quantity"],
            "states": labels["State"],
            "sources": labels["SourceDocument"],
            "undated_events": sum(
                1 for n in self.nodes if "CooperationEvent" in n.labels and "spanStart" not in n.properties
            ),
            "open_ended_events": sum(
                1
                for n in self.nodes
                if "CooperationEvent" in n.labels and "spanStart" in n.properties and "spanEnd" not in n.properties
            ),
            "labels": dict(sorted(labels.items())),
            "relationship_types": dict(sorted(types.items())),
        }


def _iri(kind: str, ident: str) -> str:
    return f"{_ID_BASE}{kind}/{ident}"


def _state_codes(count: int) -> list[str]:
    # ISO 3166-1 reserves AAA-AAZ, QMA-QZZ, XAA-XZZ and ZZA-ZZZ for user assignment: X.. and Q..
    # codes can never clash with a real state's.
    codes = [f"X{a}{b}" for a, b in itertools.product("ABCDEFGHIJKLMNOPQRSTUVWXYZ", repeat=2)]
    codes += [f"Q{a}{b}" for a, b in itertools.product("MNOPQRSTUVWXYZ", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")]
    if count > len(codes):
        raise ValueError(f"at most {len(codes)} synthetic states")
    return codes[:count]


def _zipf_cumulative(count: int, exponent: float = 1.1) -> list[float]:
    return list(itertools.accumulate(1.0 / (rank**exponent) for rank in range(1, count + 1)))


class _Builder:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.nodes: list[NodeRecord] = []
        self.rels: list[RelationshipRecord] = []

    def node(self, iri: str, labels: tuple[str, ...], props: dict[str, Any]) -> None:
        props["iri"] = iri
        props["id"] = iri.rsplit("/", 1)[-1]
        self.nodes.append(NodeRecord(iri, labels, props))

    def rel(self, rel_type: str, start: str, end: str) -> None:
        self.rels.append(RelationshipRecord(rel_type, start, end))

    # -- values ------------------------------------------------------------------------------

    def partial_date(self, first_year: int = 1995, last_year: int = 2025) -> PartialDate:
        year = self.rng.randint(first_year, last_year)
        roll = self.rng.random()
        if roll < 0.3:
            return PartialDate(year)
        month = self.rng.randint(1, 12)
        if roll < 0.7:
            return PartialDate(year, month)
        return PartialDate(year, month, self.rng.randint(1, 28))

    def later_date(self, start: PartialDate) -> PartialDate:
        """A date whose last day is not before ``start``'s first day, of any precision."""
        first = start.first_day + dt.timedelta(days=self.rng.randint(0, 900))
        roll = self.rng.random()
        if roll < 0.3:
            return PartialDate(first.year)
        if roll < 0.7:
            return PartialDate(first.year, first.month)
        return PartialDate(first.year, first.month, first.day)

    def text(self, words: int) -> str:
        return " ".join(self.rng.choices(_WORDS, k=words))

    @staticmethod
    def set_date(props: dict[str, Any], key: str, value: PartialDate) -> None:
        props[key] = value.first_day
        props[f"{key}Precision"] = value.precision

    def claim(self, fact: str, fact_iri: str, source: str, sources: Sequence[str], unit: str | None) -> None:
        """One claim on ``fact`` (``claim/<fact>--<source>``), maybe with a quantity."""
        rng = self.rng
        claim_iri = _iri("claim", f"{fact}--{source}")
        props: dict[str, Any] = {
            "status": rng.choices(_STATUSES, cum_weights=_STATUS_WEIGHTS)[0],
            "sourceReliability": rng.choices(_RELIABILITY, cum_weights=_RELIABILITY_WEIGHTS)[0],
            "informationCredibility": rng.randint(1, 6),
            "quote": self.text(rng.randint(8, 20)),
        }
        if rng.random() < 0.5:
            props["locator"] = f"paragraph {rng.randint(1, 400)}"
        if rng.random() < 0.1:
            props["analystNote"] = self.text(10)
        if rng.random() < 0.05:
            props["attribution"] = "a synthetic intelligence service"
        self.node(claim_iri, ("Claim",), props)
        self.rel("ASSERTS", claim_iri, fact_iri)
        self.rel("SOURCE", claim_iri, _iri("source", source))
        if rng.random() < 0.3:
            cited = rng.choice(sources)
            if cited != source:
                self.rel("CITES", claim_iri, _iri("source", cited))
        if unit is not None and rng.random() < 0.33:
            quantity_iri = _iri("quantity", f"{fact}--{source}")
            value = int(rng.lognormvariate(6, 2)) + 1
            self.node(
                quantity_iri,
                ("Quantity",),
                {"value": value, "unit": unit, "qualifier": rng.choice(_QUALIFIERS)},
            )
            self.rel("CLAIMED_QUANTITY", claim_iri, quantity_iri)

    def claims(self, fact: str, fact_iri: str, count: int, sources: Sequence[str], weights: Sequence[float],
               unit: str | None) -> None:
        chosen: list[str] = []
        while len(chosen) < count:
            source = self.rng.choices(sources, cum_weights=weights)[0]
            if source not in chosen:
                chosen.append(source)
        for source in chosen:
            self.claim(fact, fact_iri, source, sources, unit)


def generate(
    events: int = DEFAULT_EVENTS,
    seed: int = DEFAULT_SEED,
    *,
    states: int = DEFAULT_STATES,
    sources: int = DEFAULT_SOURCES,
) -> SyntheticDataset:
    """Build the synthetic dataset of ``events`` cooperation events (see the module docstring)."""
    if events < 1:
        raise ValueError("events must be at least 1")
    # Millions of small dicts and tuples, none of them cyclic: the cycle collector would only
    # rescan them again and again (it roughly doubles the run time).
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _generate(events, seed, states, sources)
    finally:
        if enabled:
            gc.enable()


def _generate(events: int, seed: int, states: int, sources: int) -> SyntheticDataset:
    rng = random.Random(seed)
    b = _Builder(rng)

    # -- reference data --------------------------------------------------------------------------
    taxonomy_nodes, taxonomy_rels = to_property_graph(materiel_graph())
    b.nodes += taxonomy_nodes
    b.rels += taxonomy_rels
    concepts = [n.iri for n in taxonomy_nodes if n.labels == ("MaterielConcept",)]
    technology = [iri for iri in concepts if iri.rsplit("/", 1)[-1] in _TECHNOLOGY]
    materiel = [iri for iri in concepts if iri not in technology]

    codes = _state_codes(states)
    state_iris = [_iri("state", code) for code in codes]
    for code, iri in zip(codes, state_iris, strict=True):
        b.node(iri, ("State", "Actor"), {"isoCode": code, "name": f"Synthetic state {code}"})
    state_weights = _zipf_cumulative(states)

    source_ids = [f"syn-src-{i:04d}" for i in range(sources)]
    for i, ident in enumerate(source_ids):
        kind = _SOURCE_KINDS[i % len(_SOURCE_KINDS)]
        props: dict[str, Any] = {
            "name": f"Synthetic {kind.replace('-', ' ')} {i}",
            "publisher": f"Synthetic publisher {i % 37}",
            "sourceKind": kind,
        }
        if rng.random() < 0.8:
            b.set_date(props, "issued", b.partial_date(2000, 2025))
        if rng.random() < 0.5:
            props["title"] = f"Synthetic report on military cooperation, part {i}"
        b.node(_iri("source", ident), ("SourceDocument",), props)
    source_weights = _zipf_cumulative(sources, 0.9)

    council = _iri("organisation", "syn-council")
    b.node(council, ("InternationalOrganisation", "Actor"), {"name": "Synthetic security council"})

    resolutions = []
    for i in range(10):
        ident = f"syn-res-{i:02d}"
        iri = _iri("resolution", ident)
        props = {"name": f"Synthetic resolution {3000 + i}", "resolutionNumber": 3000 + i}
        b.set_date(props, "adoptedOn", PartialDate(2006 + i, 1 + i, 10 + i))
        b.node(iri, ("Resolution",), props)
        b.rel("ADOPTED_BY", iri, council)
        b.claims(ident, iri, 1, source_ids, source_weights, None)
        resolutions.append(iri)

    measures = []
    for i in range(6):
        ident = f"syn-measure-{i}"
        iri = _iri("measure", ident)
        kind = ("supply-ban", "procurement-ban", "quantity-cap")[i % 3]
        b.node(iri, ("SanctionsMeasure",), {"name": f"Synthetic {kind} {i}", "measureKind": kind})
        b.rel("TARGET_STATE", iri, state_iris[i])
        for resolution in rng.sample(resolutions, 2):
            b.rel("IMPOSED_BY", iri, resolution)
        for concept in rng.sample(materiel, 3):
            b.rel("COVERS_MATERIEL", iri, concept)
        if kind == "quantity-cap":
            cap = _iri("quantity", f"{ident}-cap")
            b.node(cap, ("Quantity",), {"value": 500_000, "unit": "barrels-per-year", "qualifier": "exact"})
            b.rel("CAP", iri, cap)
        b.claims(ident, iri, 2, source_ids, source_weights, None)
        measures.append(iri)

    treaties: list[str] = []
    for i in range(20):
        ident = f"syn-treaty-{i:02d}"
        iri = _iri("treaty", ident)
        first = rng.choices(range(states), cum_weights=state_weights)[0]
        second = (first + 1 + rng.randrange(states - 1)) % states
        signed = b.partial_date(1995, 2024)
        props = {"name": f"Synthetic treaty {i}", "articleCount": rng.randint(5, 40)}
        b.set_date(props, "signedOn", signed)
        if rng.random() < 0.8:
            in_force = b.later_date(signed)
            b.set_date(props, "entryIntoForce", in_force)
            if rng.random() < 0.25:
                b.set_date(props, "terminatedOn", b.later_date(in_force))
            elif rng.random() < 0.5:
                props["openEnded"] = True
        b.node(iri, ("Treaty",), props)
        for party in (state_iris[first], state_iris[second]):
            b.rel("PARTY", iri, party)
        if treaties and rng.random() < 0.2:
            b.rel("REPLACES", iri, rng.choice(treaties))
        for article in sorted(rng.sample(range(1, 30), rng.randint(1, 2))):
            provision = _iri("provision", f"{ident}-art{article}")
            b.node(
                provision,
                ("Provision",),
                {
                    "articleNumber": article,
                    "name": f"Article {article}",
                    "provisionKind": rng.choice(("mutual-defence", "entry-into-force")),
                    "description": b.text(12),
                },
            )
            b.rel("PROVISION", iri, provision)
        b.claims(ident, iri, 1, source_ids, source_weights, None)
        treaties.append(iri)

    reference_nodes, reference_rels = len(b.nodes), len(b.rels)

    # -- events ------------------------------------------------------------------------------------
    kind_weights = list(itertools.accumulate(k[1] for k in _KINDS))
    bundles: list[tuple[int, int, int, int]] = []
    transfers: list[str] = []
    event_iris: list[str] = []
    for i in range(events):
        node_start, rel_start = len(b.nodes), len(b.rels)
        kind, _, label, from_type, to_type = rng.choices(_KINDS, cum_weights=kind_weights)[0]
        ident = f"syn-{i:07d}"
        iri = _iri("event", ident)
        supplier = rng.choices(range(states), cum_weights=state_weights)[0]
        recipient = supplier
        while recipient == supplier:
            recipient = rng.choices(range(states), cum_weights=state_weights)[0]
        props = {"name": f"Synthetic {kind.replace('-', ' ')} {i} from {codes[supplier]} to {codes[recipient]}"}
        if rng.random() < 0.1:
            props["description"] = b.text(15)
        roll = rng.random()
        if roll >= 0.1:  # one event in ten is undated: no start, no end, no span
            start = b.partial_date()
            end = start if roll < 0.35 else (None if roll < 0.45 else b.later_date(start))
            b.set_date(props, "startDate", start)
            props["spanStart"] = start.first_day
            if end is not None:
                b.set_date(props, "endDate", end)
                props["spanEnd"] = end.last_day
        unit: str | None = None
        if kind in ("materiel-transfer", "technology-transfer"):
            pool = materiel if kind == "materiel-transfer" else technology
            for item in rng.sample(pool, rng.randint(1, 3)):
                b.rel("ITEM", iri, item)
            if kind == "materiel-transfer":
                unit = rng.choice(_TRANSFER_UNITS)
                if rng.random() < 0.4:
                    props["transportMode"] = sorted(rng.sample(_TRANSPORT, rng.randint(1, 3)))
                if rng.random() < 0.05:
                    props["vesselName"] = sorted({f"SYN VESSEL {rng.randint(1, 500)}" for _ in range(2)})
                transfers.append(iri)
        elif kind == "troop-deployment":
            unit = "personnel"
        elif kind == "weapons-use":
            b.rel("ITEM", iri, rng.choice(materiel))
            b.rel("TARGET_STATE", iri, state_iris[recipient])
            if transfers and rng.random() < 0.5:
                b.rel("USES_MATERIEL_FROM", iri, rng.choice(transfers))
            unit = "missiles"
        elif kind == "support-request":
            for item in rng.sample(concepts, rng.randint(1, 2)):
                b.rel("ITEM", iri, item)
        else:  # official statement
            props["stance"] = rng.choice(("acknowledgement", "denial", "rejection"))
            b.rel("CONCERNS", iri, rng.choice(event_iris) if event_iris else rng.choice(treaties))
        b.node(iri, (label, "CooperationEvent"), props)
        b.rel(from_type, iri, state_iris[supplier])
        if to_type is not None:
            b.rel(to_type, iri, state_iris[recipient])
        b.claims(ident, iri, rng.randint(2, 4), source_ids, source_weights, unit)
        event_iris.append(iri)
        bundles.append((node_start, len(b.nodes), rel_start, len(b.rels)))

    # -- breaches: about one transfer in a hundred, at least one ------------------------------------
    for n, transfer in enumerate(transfers[:: max(1, min(100, len(transfers)))]):
        ident = f"syn-breach-{n:05d}"
        iri = _iri("breach", ident)
        b.node(iri, ("Breach",), {"name": f"Synthetic breach {n}"})
        b.rel("BREACHING_EVENT", iri, transfer)
        b.rel("BREACHED_MEASURE", iri, rng.choice(measures))
        b.claims(ident, iri, 1, source_ids, source_weights, None)

    return SyntheticDataset(b.nodes, b.rels, events, seed, reference_nodes, reference_rels, bundles)


# -- as RDF ------------------------------------------------------------------------------------------


def triples(
    nodes: Iterable[NodeRecord], relationships: Iterable[RelationshipRecord], vocab: Vocabulary | None = None
) -> Iterator[tuple[URIRef, URIRef, URIRef | Literal]]:
    """Stream the records as rdflib triples, through the same mapping the Neo4j export uses."""
    vocab = vocab or vocabulary()
    for node in nodes:
        yield from node_triples(node.iri, node.labels, node.properties, vocab)
    for rel in relationships:
        yield URIRef(rel.start), vocab.relationship_for_type(rel.type).iri, URIRef(rel.end)


_NT_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"})


def _nt_term(term: URIRef | Literal) -> str:
    if isinstance(term, URIRef):
        return f"<{term}>"
    lexical = f'"{str(term).translate(_NT_ESCAPES)}"'
    if term.language:
        return f"{lexical}@{term.language}"
    if term.datatype is not None:
        return f"{lexical}^^<{term.datatype}>"
    return lexical


def ntriples_lines(
    nodes: Iterable[NodeRecord], relationships: Iterable[RelationshipRecord], vocab: Vocabulary | None = None
) -> Iterator[str]:
    """Stream the records as N-Triples lines (each ends with a newline)."""
    for s, p, o in triples(nodes, relationships, vocab):
        yield f"{_nt_term(s)} {_nt_term(p)} {_nt_term(o)} .\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.synthetic", description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=DEFAULT_EVENTS)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--ntriples", type=Path, help="write the dataset as N-Triples to this file")
    args = parser.parse_args(argv)
    dataset = generate(args.events, args.seed)
    if args.ntriples:
        with args.ntriples.open("w", encoding="utf-8") as out:
            out.writelines(ntriples_lines(dataset.nodes, dataset.relationships))
    json.dump(dataset.shape(), sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
