"""The RDF export: six formats, streamed subject by subject, with filters and a dataset description.

``export(source, fmt, flt)`` yields bytes as it reads: the exporting process holds one chunk of
subjects (a few thousand triples) at a time, whatever the size of the graph. N-Triples, N-Quads,
Turtle, TriG and RDF/XML chunks are written by pyoxigraph's serializers (Rust), one call per
chunk, with the prefix declarations written once at the top; JSON-LD is written node by node here,
compacted with the published ``@context`` (``ontology/context.jsonld``).

Named graphs (TriG, N-Quads): a claim and the quantity it states go in the graph of the source
document the analyst read, ``https://w3id.org/milcoop/graph/{source id}``; everything else (facts,
reference data, the taxonomy, the dataset description) is in the default graph. See docs/rdf.md.

Filters (:class:`ExportFilter`) select events and the claims behind them; the export then holds
the matching events with every property, their claims that pass the claim filters, those claims'
quantities, the breaches of the events, and every resource they reference, each whole.

The last triples describe the export (VoID and DCAT): title, data version, licence, the day the
data was loaded, the triple count and the ontology it conforms to, with its version IRI. They are
a function of the data version and the load day only, so two exports of the same load agree.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import os
import re
import shutil
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox
from rdflib import OWL, RDF, RDFS, SKOS, XSD, URIRef
from rdflib.namespace import DCAT, DCTERMS, PROV, VOID

from milcoop.graph.rdf_source import RDF_TYPE, RdfSource, SubjectBlock
from milcoop.ontology import ONTOLOGY_DIR, ontology_graph
from milcoop.ontology.kinds import EVENT_KINDS
from milcoop.ontology.namespace import (
    DATASET_IRI,
    GRAPH,
    ID,
    MAT,
    MC,
    ONTOLOGY_IRI,
    ONTOLOGY_VERSION,
    ONTOLOGY_VERSION_IRI,
)
from milcoop.ontology.vocabulary import Vocabulary, vocabulary

if TYPE_CHECKING:
    from milcoop.graph.service import QueryService

CONTEXT_FILE = ONTOLOGY_DIR / "context.jsonld"

#: Where the published @context is served (also the IRI the documentation gives for it).
CONTEXT_PATH = "/v1/context.jsonld"

_DEFAULT = ox.DefaultGraph()
_XSD_STRING = str(XSD.string)
_XSD_INTEGER = str(XSD.integer)
_XSD_BOOLEAN = str(XSD.boolean)
_RDF_TYPE = str(RDF.type)

#: Subjects' triples per serializer call: large enough to amortise the call, small enough that a
#: client sees its first bytes at once and memory stays flat.
CHUNK_TRIPLES = 4_096

#: Subjects looked up per round trip by a filtered export.
LOOKUP_BATCH = 500


class ExportError(ValueError):
    """An export request that cannot be met: an unknown format or a bad filter value.

    ``parameter`` names the request parameter (or CLI option) at fault.
    """

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(f"{parameter}: {message}")
        self.parameter = parameter
        self.message = message


# ------------------------------------------------------------------------------------------------
# Formats and media types
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RdfFormat:
    """An RDF serialization the export offers."""

    name: str
    media_type: str
    extension: str
    #: Whether the format keeps named graphs (claims grouped by source document).
    quads: bool
    aliases: tuple[str, ...] = ()
    #: Other media types that ask for this format.
    also: tuple[str, ...] = ()


FORMATS: dict[str, RdfFormat] = {
    f.name: f
    for f in (
        RdfFormat("turtle", "text/turtle", "ttl", False, ("ttl",), ("application/x-turtle",)),
        RdfFormat("ntriples", "application/n-triples", "nt", False, ("nt", "n-triples")),
        RdfFormat("nquads", "application/n-quads", "nq", True, ("nq", "n-quads")),
        RdfFormat("trig", "application/trig", "trig", True),
        RdfFormat("jsonld", "application/ld+json", "jsonld", False, ("json-ld",), ("application/json",)),
        RdfFormat("rdfxml", "application/rdf+xml", "rdf", False, ("rdf", "xml", "rdf-xml")),
    )
}


def format_named(name: str, parameter: str = "format") -> RdfFormat:
    """The format called ``name`` (or an alias); raises ExportError naming ``parameter``."""
    wanted = name.strip().lower()
    for fmt in FORMATS.values():
        if wanted == fmt.name or wanted in fmt.aliases:
            return fmt
    raise ExportError(parameter, f"unknown format {name!r}; use one of {', '.join(FORMATS)}")


def _media_ranges(accept: str) -> list[tuple[str, str, float]]:
    ranges = []
    for part in accept.split(","):
        pieces = [p.strip() for p in part.split(";")]
        if not pieces[0]:
            continue
        kind, _, subtype = pieces[0].lower().partition("/")
        if not subtype:
            continue
        q = 1.0
        for param in pieces[1:]:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        ranges.append((kind, subtype, max(0.0, min(q, 1.0))))
    return ranges


def negotiate(accept: str | None, offered: Sequence[str]) -> str | None:
    """The media type in ``offered`` that the ``Accept`` header prefers, or None if it accepts none.

    The most specific matching range gives a type its quality (``text/turtle`` over ``text/*``
    over ``*/*``); ties go to the earlier offered type. No header (or an empty one) accepts the
    first offered type.
    """
    if accept is None or not accept.strip():
        return offered[0] if offered else None
    ranges = _media_ranges(accept)
    best: tuple[float, str] | None = None
    for media_type in offered:
        kind, _, subtype = media_type.lower().partition("/")
        quality, specificity = 0.0, -1
        for r_kind, r_subtype, q in ranges:
            if (r_kind, r_subtype) == (kind, subtype):
                match = 2
            elif r_kind == kind and r_subtype == "*":
                match = 1
            elif (r_kind, r_subtype) == ("*", "*"):
                match = 0
            else:
                continue
            if match > specificity:
                quality, specificity = q, match
        if quality > 0 and (best is None or quality > best[0]):
            best = (quality, media_type)
    return best[1] if best else None


def format_for(format_name: str | None, accept: str | None) -> RdfFormat:
    """The export format: the ``format`` parameter if given, else negotiated on ``Accept``.

    Raises ExportError naming ``format`` for an unknown name, or ``Accept`` when it accepts no
    format we offer.
    """
    if format_name is not None and format_name.strip():
        return format_named(format_name)
    offered: list[str] = []
    for fmt in FORMATS.values():
        offered.append(fmt.media_type)
    for fmt in FORMATS.values():
        offered += fmt.also
    chosen = negotiate(accept, offered)
    if chosen is None:
        raise ExportError(
            "Accept",
            f"none of {accept!r} can be served; accepted media types are "
            f"{', '.join(f.media_type for f in FORMATS.values())}, or give the format parameter "
            f"({', '.join(FORMATS)})",
        )
    return next(f for f in FORMATS.values() if chosen == f.media_type or chosen in f.also)


# ------------------------------------------------------------------------------------------------
# Prefixes and the JSON-LD context
# ------------------------------------------------------------------------------------------------

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

#: JSON-LD has one prefix for entities (``id:state/PRK``): per-kind prefixes would clash with
#: property terms (``source``).
JSONLD_PREFIXES: dict[str, str] = {**VOCABULARY_PREFIXES, "id": str(ID)}


def _local_name(iri: str) -> str:
    return re.split(r"[#/]", iri)[-1]


def _functional(prop: URIRef) -> bool:
    return (prop, RDF.type, OWL.FunctionalProperty) in ontology_graph()


def _compact(iri: str, prefixes: dict[str, str]) -> str:
    best = ""
    for name, namespace in prefixes.items():
        if iri.startswith(namespace) and len(namespace) > len(prefixes.get(best, "")):
            best = name
    if not best:
        return iri
    return f"{best}:{iri[len(prefixes[best]):]}"


def build_context(vocab: Vocabulary | None = None) -> dict[str, Any]:
    """The JSON-LD ``@context`` for milcoop data, derived from the ontology's allow-list.

    Terms are the property graph's names (``supplier``, ``startDate``, ``name`` for
    skos:prefLabel, ``status``), so JSON-LD, the API and Cypher speak alike. Links and enumeration
    values are IRIs (``"status": "mc:reported"``); many-valued properties are sets; dates that may
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
        add(label, _compact(str(cls), JSONLD_PREFIXES))
    for prop in sorted(vocab.node_properties.values(), key=lambda p: p.key):
        definition: dict[str, Any] = {"@id": _compact(str(prop.iri), JSONLD_PREFIXES)}
        if prop.datatype is not None and str(prop.datatype) != _XSD_STRING:
            definition["@type"] = _compact(str(prop.datatype), JSONLD_PREFIXES)
        if prop.many:
            definition["@container"] = "@set"
        add(prop.key, definition)
    for enum in sorted(vocab.enum_properties.values(), key=lambda p: p.key):
        definition = {"@id": _compact(str(enum.iri), JSONLD_PREFIXES), "@type": "@id"}
        if enum.many:
            definition["@container"] = "@set"
        add(enum.key, definition)
    for rel in sorted(vocab.relationships.values(), key=lambda r: str(r.iri)):
        definition = {"@id": _compact(str(rel.iri), JSONLD_PREFIXES), "@type": "@id"}
        if not _functional(rel.iri):
            definition["@container"] = "@set"
        add(_local_name(str(rel.iri)), definition)
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


# ------------------------------------------------------------------------------------------------
# Filters
# ------------------------------------------------------------------------------------------------

_GRADING = re.compile(r"^([A-F])([1-6])$")
_INVOLVEMENT_TYPES = (
    "REQUESTER",
    "SENDING_STATE",
    "STATED_BY",
    "SUPPLIER",
    "USED_BY",
    "HOST_STATE",
    "RECIPIENT",
    "REQUESTED_FROM",
    "TARGET_STATE",
)


@dataclass(frozen=True)
class ExportFilter:
    """Which events an export keeps, and which of their claims. Empty: everything.

    * ``actors``: resolved IRIs; an event is kept when every one of them takes part in it, on
      either side (supplier, recipient, sending or host state, requester, requested from, user,
      target state, author of a statement);
    * ``since``/``until``: the event's span overlaps the window: its ``spanEnd`` is absent (open)
      or on or after ``since``, and its ``spanStart`` is on or before ``until``;
    * ``include_undated``: whether events with no start (the sources give no time) are kept, with
      or without a window (as the API's ``undated``);
    * ``kinds``: event kind codes (``materiel-transfer``, ...);
    * ``min_grading`` (``B2``) and ``statuses``: a claim passes when its source reliability is at
      least the letter and its information credibility at least the number (A1 best), and its
      status is one of ``statuses``. With either set, an event is kept only if a claim passes,
      and only passing claims are exported with it.
    """

    actors: tuple[str, ...] = ()
    since: dt.date | None = None
    until: dt.date | None = None
    include_undated: bool = True
    kinds: tuple[str, ...] = ()
    min_grading: str | None = None
    statuses: tuple[str, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not (
            self.actors
            or self.since
            or self.until
            or self.kinds
            or self.min_grading
            or self.statuses
            or not self.include_undated
        )

    @property
    def filters_claims(self) -> bool:
        return bool(self.min_grading or self.statuses)

    def describe(self) -> str:
        """The filter in words, for the export's description."""
        parts = []
        if self.actors:
            parts.append("events involving " + " and ".join(self.actors))
        if self.kinds:
            parts.append("of kind " + " or ".join(self.kinds))
        if self.since or self.until:
            parts.append(f"from {self.since or 'any time'} to {self.until or 'any time'}")
        if not self.include_undated:
            parts.append("undated events left out")
        if self.min_grading:
            parts.append(f"claims graded {self.min_grading} or better")
        if self.statuses:
            parts.append("claims with status " + " or ".join(self.statuses))
        return "milcoop export of " + ("; ".join(parts) if parts else "everything")

    @classmethod
    def from_request(
        cls,
        service: QueryService,
        *,
        actors: Sequence[str] | None = None,
        kinds: Sequence[str] | None = None,
        since: str | None = None,
        until: str | None = None,
        undated: str = "include",
        statuses: Sequence[str] | None = None,
        min_grade: str | None = None,
    ) -> ExportFilter:
        """The filter of an export request, parsed and resolved exactly as the API's other endpoints do.

        Actors are resolved by :meth:`graph.service.QueryService.resolve` (id, ISO code, QID, name
        or alias); dates, kinds, statuses and grades by the service's parsers. Bad values raise the
        service's errors (:class:`~graph.service.InvalidParameter`, ``NotFound``, ``Ambiguous``),
        each naming the parameter.
        """
        from milcoop.graph.service import InvalidParameter, parse_grade, parse_kinds, parse_status, parse_window
        from milcoop.ontology.kinds import ACTOR_LABELS

        start, end = parse_window(since, until)
        if undated not in ("include", "exclude"):
            raise InvalidParameter("undated", "undated must be include or exclude")
        chosen_kinds = parse_kinds(kinds, ()) if kinds else []
        chosen_statuses = [s for s in (parse_status(value) for value in statuses or ()) if s is not None]
        grade = parse_grade(min_grade)
        resolved = [
            service.resolve("actor", ref, ACTOR_LABELS, "actor (state, organisation or person)") for ref in actors or ()
        ]
        return cls(
            actors=tuple(dict.fromkeys(resolved)),
            since=start,
            until=end,
            include_undated=undated == "include",
            kinds=tuple(chosen_kinds),
            min_grading=f"{grade[0]}{grade[1]}" if grade else None,
            statuses=tuple(dict.fromkeys(chosen_statuses)),
        )


def _date(literal: Any) -> dt.date | None:
    if isinstance(literal, ox.Literal):
        try:
            return dt.date.fromisoformat(literal.value)
        except ValueError:
            return None
    return None


class _Selection:
    """A filtered export's subjects, streamed: matching events first, then what they reference.

    Memory holds the IRIs of referenced resources (actors, places, sources, ...), which are few
    next to events and claims; events, claims and quantities are streamed and not remembered.
    """

    def __init__(self, source: RdfSource, flt: ExportFilter) -> None:
        vocab = vocabulary()
        self.source = source
        self.flt = flt
        self.kind_classes = {ox.NamedNode(str(EVENT_KINDS[k][0])) for k in flt.kinds}
        self.event_classes = {ox.NamedNode(str(cls)) for cls, _, _ in EVENT_KINDS.values()}
        self.actors = {ox.NamedNode(a) for a in flt.actors}
        self.involvement = {ox.NamedNode(str(vocab.relationship_for_type(t).iri)) for t in _INVOLVEMENT_TYPES}
        self.statuses = {ox.NamedNode(str(vocab.enum_properties[MC.status].codes[s])) for s in flt.statuses}
        self.grading = _GRADING.match(flt.min_grading) if flt.min_grading else None
        self.asserts = ox.NamedNode(str(MC.asserts))
        self.claimed_quantity = ox.NamedNode(str(MC.claimedQuantity))
        self.breaching_event = ox.NamedNode(str(MC.breachingEvent))
        self.status = ox.NamedNode(str(MC.status))
        self.reliability = ox.NamedNode(str(MC.sourceReliability))
        self.credibility = ox.NamedNode(str(MC.informationCredibility))
        self.span_start = ox.NamedNode(str(MC.spanStart))
        self.span_end = ox.NamedNode(str(MC.spanEnd))
        # Links to follow: every relationship except a claim's own (its fact is already there,
        # its quantity goes out with it).
        self.links = {
            ox.NamedNode(str(rel.iri))
            for rel in vocab.relationships.values()
            if rel.iri not in (MC.asserts, MC.claimedQuantity)
        }
        self.seen: set[str] = set()
        self.pending: list[ox.NamedNode] = []

    # -- tests on one block ----------------------------------------------------------------------

    def is_event(self, block: SubjectBlock) -> bool:
        return any(q.predicate == RDF_TYPE and q.object in self.event_classes for q in block.quads)

    def event_matches(self, block: SubjectBlock) -> bool:
        """Kind, actors and window (the claim filters need the claims, see :meth:`claim_passes`)."""
        if self.kind_classes and not any(
            q.predicate == RDF_TYPE and q.object in self.kind_classes for q in block.quads
        ):
            return False
        if self.actors:
            involved = {q.object for q in block.quads if q.predicate in self.involvement}
            if not self.actors <= involved:
                return False
        starts = block.objects(self.span_start)
        if not starts:
            # Undated (the sources give no time): as in the API, kept unless excluded.
            return self.flt.include_undated
        if self.flt.since or self.flt.until:
            start = _date(starts[0])
            ends = block.objects(self.span_end)
            end = _date(ends[0]) if ends else None
            if self.flt.until and start is not None and start > self.flt.until:
                return False
            if self.flt.since and end is not None and end < self.flt.since:
                return False
        return True

    def claim_passes(self, claim: SubjectBlock) -> bool:
        if self.statuses and not any(q.predicate == self.status and q.object in self.statuses for q in claim.quads):
            return False
        if self.grading:
            letters = [o.value for o in claim.objects(self.reliability) if isinstance(o, ox.Literal)]
            numbers = [o.value for o in claim.objects(self.credibility) if isinstance(o, ox.Literal)]
            if not letters or not numbers:
                return False
            try:
                credibility = int(numbers[0])
            except ValueError:
                return False
            if letters[0] > self.grading.group(1) or credibility > int(self.grading.group(2)):
                return False
        return True

    # -- lookups ---------------------------------------------------------------------------------

    def claims_of(self, facts: Sequence[ox.NamedNode]) -> dict[str, list[tuple[SubjectBlock, list[SubjectBlock]]]]:
        """The claims asserting each fact, each with its quantity, sorted by claim IRI."""
        pairs = self.source.referrers(facts, self.asserts)
        claims = {b.subject.value: b for b in self.source.describe(sorted({c for _, c in pairs}, key=str))}
        quantity_iris = sorted(
            {o for b in claims.values() for o in b.objects(self.claimed_quantity) if isinstance(o, ox.NamedNode)},
            key=str,
        )
        quantities = {b.subject.value: b for b in self.source.describe(quantity_iris)}
        out: dict[str, list[tuple[SubjectBlock, list[SubjectBlock]]]] = defaultdict(list)
        for fact, claim in sorted(pairs, key=lambda pair: (pair[0].value, pair[1].value)):
            block = claims.get(claim.value)
            if block is None:
                continue
            owned = [
                quantities[o.value]
                for o in block.objects(self.claimed_quantity)
                if isinstance(o, ox.NamedNode) and o.value in quantities
            ]
            out[fact.value].append((block, owned))
        return out

    def note(self, block: SubjectBlock) -> None:
        for q in block.quads:
            target = q.object
            if q.predicate in self.links and isinstance(target, ox.NamedNode) and target.value not in self.seen:
                self.seen.add(target.value)
                self.pending.append(target)

    def emit(
        self, block: SubjectBlock, claims: Iterable[tuple[SubjectBlock, list[SubjectBlock]]]
    ) -> Iterator[SubjectBlock]:
        yield block
        self.note(block)
        for claim, quantities in claims:
            yield claim
            self.note(claim)
            for quantity in quantities:
                yield quantity
                self.note(quantity)

    # -- the selection ---------------------------------------------------------------------------

    def run(self) -> Iterator[SubjectBlock]:
        for batch in _chunked(self.source.event_blocks(), LOOKUP_BATCH):
            candidates = [b for b in batch if self.event_matches(b)]
            claims = self.claims_of([b.subject for b in candidates])  # type: ignore[misc]
            matched = []
            for event in candidates:
                passing = [c for c in claims.get(event.subject.value, []) if self.claim_passes(c[0])]
                if self.flt.filters_claims and not passing:
                    continue
                matched.append(event.subject)
                yield from self.emit(event, passing)
            yield from self._breaches(matched)  # type: ignore[arg-type]
        while self.pending:
            batch_iris, self.pending = self.pending[:LOOKUP_BATCH], self.pending[LOOKUP_BATCH:]
            blocks = self.source.describe(batch_iris)
            claims = self.claims_of([b.subject for b in blocks])  # type: ignore[misc]
            for block in blocks:
                found = claims.get(block.subject.value, [])
                if self.is_event(block) and self._is_selected_event(block, found):
                    continue  # a matching event, exported above with its passing claims
                # A referenced resource goes out whole, with all its claims: it is context for
                # the selection, not part of what the claim filters choose.
                yield from self.emit(block, found)

    def _is_selected_event(self, block: SubjectBlock, claims: list[tuple[SubjectBlock, list[SubjectBlock]]]) -> bool:
        if not self.event_matches(block):
            return False
        return not self.flt.filters_claims or any(self.claim_passes(c) for c, _ in claims)

    def _breaches(self, events: list[ox.NamedNode]) -> Iterator[SubjectBlock]:
        if not events:
            return
        iris = sorted({b for _, b in self.source.referrers(events, self.breaching_event)}, key=str)
        breaches = self.source.describe(iris)
        claims = self.claims_of([b.subject for b in breaches])  # type: ignore[misc]
        for breach in breaches:
            passing = [c for c in claims.get(breach.subject.value, []) if self.claim_passes(c[0])]
            if self.flt.filters_claims and not passing:
                continue
            yield from self.emit(breach, passing)


def _chunked(blocks: Iterable[SubjectBlock], size: int) -> Iterator[list[SubjectBlock]]:
    iterator = iter(blocks)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def select_blocks(source: RdfSource, flt: ExportFilter | None = None) -> Iterator[SubjectBlock]:
    """The subjects an export holds: all of them, or a filter's selection."""
    if flt is None or flt.is_empty:
        return source.blocks()
    return _Selection(source, flt).run()


# ------------------------------------------------------------------------------------------------
# The dataset description
# ------------------------------------------------------------------------------------------------

#: dcat:version (DCAT 3; rdflib's DCAT namespace is DCAT 2).
DCAT_VERSION = URIRef(f"{DCAT}version")

DATASET_TITLE = "milcoop: a knowledge graph of state military cooperation"
DATASET_DESCRIPTION = (
    "Sourced, graded facts on arms and technology transfers, troop deployments, treaties and the "
    "sanctions measures they breach, each fact with the claims and source documents behind it."
)


@cache
def data_licence() -> str:
    """The licence milcoop's knowledge is published under, as the ontology declares it."""
    licence = ontology_graph().value(ONTOLOGY_IRI, DCTERMS.license)
    if licence is None:
        raise RuntimeError("the ontology declares no dcterms:license")
    return str(licence)


def description_triples(
    data_version: str, issued: dt.date | None, triples: int, flt: ExportFilter | None = None
) -> list[ox.Triple]:
    """The VoID/DCAT description of an export of ``triples`` triples (not counting these).

    An unfiltered export describes the dataset itself (``void:triples``); a filtered one
    describes the dataset and, as its ``void:subset``, the selection with its own count.
    """

    def iri(value: Any) -> ox.NamedNode:
        return ox.NamedNode(str(value))

    def lit(value: str, datatype: URIRef | None = None) -> ox.Literal:
        return ox.Literal(value, datatype=iri(datatype)) if datatype is not None else ox.Literal(value)

    dataset = iri(DATASET_IRI)
    ontology = iri(ONTOLOGY_IRI)
    count = lit(str(triples), XSD.integer)
    out = [
        ox.Triple(dataset, RDF_TYPE, iri(VOID.Dataset)),
        ox.Triple(dataset, RDF_TYPE, iri(DCAT.Dataset)),
        ox.Triple(dataset, iri(DCTERMS.title), lit(DATASET_TITLE)),
        ox.Triple(dataset, iri(DCTERMS.description), lit(DATASET_DESCRIPTION)),
        ox.Triple(dataset, iri(DCTERMS.license), iri(data_licence())),
        ox.Triple(dataset, iri(DCTERMS.conformsTo), ontology),
        ox.Triple(dataset, iri(VOID.vocabulary), iri(MC._NS)),
        ox.Triple(ontology, RDF_TYPE, iri(OWL.Ontology)),
        ox.Triple(ontology, iri(OWL.versionIRI), iri(ONTOLOGY_VERSION_IRI)),
        ox.Triple(ontology, iri(OWL.versionInfo), lit(ONTOLOGY_VERSION)),
    ]
    if data_version:
        out.append(ox.Triple(dataset, iri(DCAT_VERSION), lit(data_version)))
    if issued is not None:
        out.append(ox.Triple(dataset, iri(DCTERMS.issued), lit(issued.isoformat(), XSD.date)))
    if flt is None or flt.is_empty:
        out.append(ox.Triple(dataset, iri(VOID.triples), count))
    else:
        subset = ox.BlankNode("selection")
        out += [
            ox.Triple(dataset, iri(VOID.subset), subset),
            ox.Triple(subset, RDF_TYPE, iri(VOID.Dataset)),
            ox.Triple(subset, iri(DCTERMS.description), lit(flt.describe())),
            ox.Triple(subset, iri(DCTERMS.conformsTo), ontology),
            ox.Triple(subset, iri(VOID.triples), count),
        ]
    return out


def _blocks_of(triples: Iterable[ox.Triple]) -> list[SubjectBlock]:
    by_subject: dict[Any, list[ox.Quad]] = defaultdict(list)
    for t in triples:
        by_subject[t.subject].append(ox.Quad(t.subject, t.predicate, t.object, _DEFAULT))
    return [SubjectBlock(s, quads) for s, quads in by_subject.items()]


# ------------------------------------------------------------------------------------------------
# Writers: header, chunks of whole subjects, footer
# ------------------------------------------------------------------------------------------------


def graph_of(block: SubjectBlock) -> ox.NamedNode | ox.DefaultGraph:
    """The named graph of a block: its claim source's graph, or the default graph."""
    if block.source is None:
        return _DEFAULT
    return ox.NamedNode(f"{GRAPH}{_local_name(block.source.value)}")


def _regraphed(blocks: Sequence[SubjectBlock]) -> list[ox.Quad]:
    quads: list[ox.Quad] = []
    for block in blocks:
        graph = graph_of(block)
        if isinstance(graph, ox.DefaultGraph):
            quads += block.quads
        else:
            quads += [ox.Quad(q.subject, q.predicate, q.object, graph) for q in block.quads]
    return quads


def _serialize(items: Sequence[ox.Triple] | Sequence[ox.Quad], fmt: ox.RdfFormat, **options: Any) -> bytes:
    data = ox.serialize(items, format=fmt, **options)
    assert data is not None  # no output given: pyoxigraph returns the bytes
    return data


def _strip_prefixes(data: bytes) -> bytes:
    # pyoxigraph starts every Turtle/TriG output with the prefix declarations; they are written
    # once, in the header.
    while data.startswith(b"@prefix "):
        data = data[data.index(b"\n") + 1 :]
    return data


def _prefix_header(prefixes: dict[str, str]) -> bytes:
    return "".join(f"@prefix {name}: <{iri}> .\n" for name, iri in prefixes.items()).encode()


class _Writer:
    def __init__(self) -> None:
        #: Whether a chunk with data has been written (JSON-LD needs it for its separators).
        self.has_data = False

    def header(self) -> bytes:
        return b""

    def chunk(self, blocks: Sequence[SubjectBlock]) -> bytes:
        raise NotImplementedError

    def footer(self) -> bytes:
        return b""


class _NTriples(_Writer):
    def chunk(self, blocks: Sequence[SubjectBlock]) -> bytes:
        # Default-graph quads serialize as N-Triples lines.
        return _serialize([q for b in blocks for q in b.quads], ox.RdfFormat.N_QUADS)


class _NQuads(_Writer):
    def chunk(self, blocks: Sequence[SubjectBlock]) -> bytes:
        return _serialize(_regraphed(blocks), ox.RdfFormat.N_QUADS)


class _Turtle(_Writer):
    def header(self) -> bytes:
        return _prefix_header(TURTLE_PREFIXES) + b"\n"

    def chunk(self, blocks: Sequence[SubjectBlock]) -> bytes:
        # TriG of default-graph quads is Turtle: one block per subject, predicates with ';'.
        data = _serialize([q for b in blocks for q in b.quads], ox.RdfFormat.TRIG, prefixes=TURTLE_PREFIXES)
        return _strip_prefixes(data) + b"\n"


class _TriG(_Writer):
    def header(self) -> bytes:
        return _prefix_header(TURTLE_PREFIXES) + b"\n"

    def chunk(self, blocks: Sequence[SubjectBlock]) -> bytes:
        data = _serialize(_regraphed(blocks), ox.RdfFormat.TRIG, prefixes=TURTLE_PREFIXES)
        return _strip_prefixes(data) + b"\n"


_XML_START = re.compile(rb"<rdf:RDF\b[^>]*>\n?")
_XML_END = b"</rdf:RDF>"


class _RdfXml(_Writer):
    def __init__(self) -> None:
        super().__init__()
        # The root element pyoxigraph writes for these namespaces (predicates elsewhere get their
        # namespace declared on their own element, so every chunk fits under this root).
        probe = _serialize(
            [ox.Triple(ox.NamedNode(str(DATASET_IRI)), RDF_TYPE, ox.NamedNode(str(VOID.Dataset)))],
            ox.RdfFormat.RDF_XML,
            prefixes=VOCABULARY_PREFIXES,
        )
        match = _XML_START.search(probe)
        assert match is not None
        self._header = probe[: match.end()]

    def header(self) -> bytes:
        return self._header

    def chunk(self, blocks: Sequence[SubjectBlock]) -> bytes:
        triples = [q.triple for b in blocks for q in b.quads]
        data = _serialize(triples, ox.RdfFormat.RDF_XML, prefixes=VOCABULARY_PREFIXES)
        match = _XML_START.search(data)
        end = data.rfind(_XML_END)
        if match is None or end < 0:
            raise RuntimeError("unexpected RDF/XML from pyoxigraph")
        return data[match.end() : end]

    def footer(self) -> bytes:
        return _XML_END + b"\n"


_CANONICAL_INTEGER = re.compile(r"^(0|-?[1-9][0-9]{0,14})$")


class _JsonLd(_Writer):
    """Compacted JSON-LD, one node object per subject, in one top-level ``@graph``."""

    def __init__(self) -> None:
        super().__init__()
        context = published_context()["@context"]
        self._context = context
        self._prefixes = {k: v for k, v in context.items() if isinstance(v, str) and v.endswith(("#", "/"))}
        self._classes: dict[str, str] = {}
        # predicate IRI -> (term, coercion: "@id" | datatype IRI | None, many)
        self._terms: dict[str, tuple[str, str | None, bool]] = {}
        for term, definition in context.items():
            if isinstance(definition, str):
                if term not in self._prefixes:
                    self._classes[self._expand(definition)] = term
                continue
            coercion = definition.get("@type")
            if coercion is not None and coercion != "@id":
                coercion = self._expand(coercion)
            self._terms[self._expand(definition["@id"])] = (term, coercion, definition.get("@container") == "@set")

    def _expand(self, value: str) -> str:
        prefix, sep, rest = value.partition(":")
        if sep and prefix in self._prefixes:
            return self._prefixes[prefix] + rest
        return value

    def _iri(self, iri: str) -> str:
        return _compact(iri, self._prefixes)

    def _node_id(self, term: Any) -> str:
        if isinstance(term, ox.BlankNode):
            return f"_:{term.value}"
        return self._iri(term.value)

    def _literal(self, literal: ox.Literal, coercion: str | None) -> Any:
        datatype = literal.datatype.value
        if literal.language:
            return {"@value": literal.value, "@language": literal.language}
        if datatype == _XSD_INTEGER and _CANONICAL_INTEGER.match(literal.value):
            return int(literal.value)
        if datatype == _XSD_BOOLEAN and literal.value in ("true", "false"):
            return literal.value == "true"
        if coercion is None and datatype == _XSD_STRING:
            return literal.value
        if coercion is not None and coercion != "@id" and datatype == coercion:
            return literal.value
        if datatype == _XSD_STRING:
            return {"@value": literal.value}
        return {"@value": literal.value, "@type": self._iri(datatype)}

    def node(self, block: SubjectBlock) -> dict[str, Any]:
        node: dict[str, Any] = {"@id": self._node_id(block.subject)}
        types: list[str] = []
        values: dict[str, list[Any]] = {}
        many: dict[str, bool] = {}
        for q in block.quads:
            predicate, obj = q.predicate.value, q.object
            if predicate == _RDF_TYPE and isinstance(obj, ox.NamedNode):
                types.append(self._classes.get(obj.value) or self._iri(obj.value))
                continue
            term, coercion, is_set = self._terms.get(predicate) or (self._iri(predicate), None, False)
            if isinstance(obj, ox.Literal):
                value = self._literal(obj, coercion)
            elif coercion == "@id":
                value = self._node_id(obj)
            else:
                value = {"@id": self._node_id(obj)}
            values.setdefault(term, []).append(value)
            many[term] = is_set
        if types:
            node["@type"] = types[0] if len(types) == 1 else sorted(types)
        for term in sorted(values):
            found = values[term]
            node[term] = found if many[term] or len(found) > 1 else found[0]
        return node

    def header(self) -> bytes:
        return b'{\n"@context": ' + json.dumps(self._context, ensure_ascii=False).encode() + b',\n"@graph": [\n'

    def chunk(self, blocks: Sequence[SubjectBlock]) -> bytes:
        if not blocks:
            return b""
        text = ",\n".join(json.dumps(self.node(b), ensure_ascii=False, separators=(",", ":")) for b in blocks)
        if not self.has_data:
            self.has_data = True
            return text.encode()
        return b",\n" + text.encode()

    def footer(self) -> bytes:
        return b"\n]\n}\n"


_WRITERS: dict[str, Callable[[], _Writer]] = {
    "ntriples": _NTriples,
    "nquads": _NQuads,
    "turtle": _Turtle,
    "trig": _TriG,
    "rdfxml": _RdfXml,
    "jsonld": _JsonLd,
}


# ------------------------------------------------------------------------------------------------
# The export
# ------------------------------------------------------------------------------------------------


@dataclass
class ExportStats:
    """What an export wrote, filled in as it runs (complete once the iterator is exhausted)."""

    triples: int = 0
    subjects: int = 0
    description_triples: int = 0
    bytes: int = 0
    #: "store" when read from the store, "snapshot" when replayed from a kept whole-dataset export.
    origin: str = "store"
    done: bool = False


def _body(blocks: Iterable[SubjectBlock], writer: _Writer, stats: ExportStats) -> Iterator[bytes]:
    """The header and the data, one chunk per :data:`CHUNK_TRIPLES` triples or so."""
    header = writer.header()
    if header:
        yield header
    buffer: list[SubjectBlock] = []
    pending = 0
    for block in blocks:
        buffer.append(block)
        pending += len(block.quads)
        stats.subjects += 1
        if pending >= CHUNK_TRIPLES:
            stats.triples += pending
            yield writer.chunk(buffer)
            buffer, pending = [], 0
    if buffer:
        stats.triples += pending
        yield writer.chunk(buffer)


def _tail(writer: _Writer, stats: ExportStats, extra: list[ox.Triple]) -> Iterator[bytes]:
    stats.description_triples = len(extra)
    if extra:
        yield writer.chunk(_blocks_of(extra))
    footer = writer.footer()
    if footer:
        yield footer


def _counted(chunks: Iterable[bytes], stats: ExportStats) -> Iterator[bytes]:
    for chunk in chunks:
        if chunk:
            stats.bytes += len(chunk)
            yield chunk


def serialize_blocks(
    blocks: Iterable[SubjectBlock],
    fmt: RdfFormat,
    stats: ExportStats | None = None,
    tail: Callable[[ExportStats], list[ox.Triple]] | None = None,
) -> Iterator[bytes]:
    """Serialize ``blocks`` in ``fmt``, chunk by chunk; ``tail`` adds triples once the count is known."""
    stats = stats if stats is not None else ExportStats()
    writer = _WRITERS[fmt.name]()
    yield from _counted(_body(blocks, writer, stats), stats)
    yield from _counted(_tail(writer, stats, tail(stats) if tail is not None else []), stats)
    stats.done = True


@cache
def _writer_fingerprint() -> str:
    from milcoop import __version__

    digest = hashlib.sha256()
    digest.update(__version__.encode())
    digest.update(Path(__file__).read_bytes())
    digest.update(json.dumps(published_context(), sort_keys=True).encode())
    digest.update(ox.__version__.encode() if hasattr(ox, "__version__") else b"")
    return digest.hexdigest()[:12]


class Snapshots:
    """Whole-dataset exports of an immutable store folder, kept beside it and replayed.

    An embedded store folder is written once by a load and never changed, so the unfiltered
    export of it in one format is always the same bytes (but for the description, which is
    written fresh each time). The first unfiltered export in a format writes its body to
    ``<root>/<store folder>/body.<ext>`` as it streams (renamed into place only once complete);
    later ones stream that file. A new store folder (a new load) starts a new set and removes
    the others. Nothing here is needed for correctness: if the folder cannot be written, exports
    simply read the store every time.
    """

    READ_SIZE = 1 << 20

    def __init__(self, root: Path, key: str) -> None:
        self.root = root
        # The bytes also depend on this code (prefixes, context, writers): a snapshot written by
        # another version of milcoop is never replayed.
        self.dir = root / f"{key}-{_writer_fingerprint()}"

    def _paths(self, fmt: RdfFormat) -> tuple[Path, Path]:
        body = self.dir / f"body.{fmt.extension}"
        return body, body.with_suffix(body.suffix + ".json")

    def find(self, fmt: RdfFormat) -> tuple[Path, ExportStats] | None:
        body, meta = self._paths(fmt)
        try:
            data = json.loads(meta.read_text(encoding="utf-8"))
            if not body.is_file() or body.stat().st_size != int(data["bytes"]):
                return None
            return body, ExportStats(triples=int(data["triples"]), subjects=int(data["subjects"]), origin="snapshot")
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def replay(self, body: Path) -> Iterator[bytes]:
        with body.open("rb") as handle:
            while chunk := handle.read(self.READ_SIZE):
                yield chunk

    def record(self, fmt: RdfFormat, chunks: Iterable[bytes], stats: ExportStats) -> Iterator[bytes]:
        """Pass ``chunks`` through, keeping a copy that becomes the snapshot once all went through."""
        body, meta = self._paths(fmt)
        temp = body.with_name(f".{body.name}.{os.getpid()}.{threading.get_ident()}.part")
        handle = None
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            handle = temp.open("wb")
        except OSError:
            handle = None
        written = 0
        complete = False
        try:
            for chunk in chunks:
                if handle is not None:
                    try:
                        handle.write(chunk)
                        written += len(chunk)
                    except OSError:
                        handle.close()
                        handle = None
                        temp.unlink(missing_ok=True)
                yield chunk
            complete = True
        finally:
            if handle is not None:
                handle.close()
                if complete:
                    self._keep(temp, body, meta, written, stats)
                else:
                    temp.unlink(missing_ok=True)

    def _keep(self, temp: Path, body: Path, meta: Path, written: int, stats: ExportStats) -> None:
        try:
            os.replace(temp, body)
            meta.write_text(
                json.dumps({"bytes": written, "triples": stats.triples, "subjects": stats.subjects}), encoding="utf-8"
            )
            for other in self.root.iterdir():
                if other.is_dir() and other != self.dir:
                    shutil.rmtree(other, ignore_errors=True)
        except OSError:
            temp.unlink(missing_ok=True)


def export(
    source: RdfSource,
    fmt: RdfFormat,
    flt: ExportFilter | None = None,
    stats: ExportStats | None = None,
    *,
    snapshots: bool = True,
) -> Iterator[bytes]:
    """Stream ``source`` (or a filter's selection of it) as ``fmt``, ending with the description.

    An unfiltered export of a source that allows it (the embedded store) is kept as a snapshot
    and later replayed from disk (see :class:`Snapshots`); ``snapshots=False`` always reads the
    store.
    """
    stats = stats if stats is not None else ExportStats()

    def description(s: ExportStats) -> list[ox.Triple]:
        return description_triples(source.data_version, source.issued, s.triples, flt)

    whole = flt is None or flt.is_empty
    if not (snapshots and whole and source.snapshot_key and source.snapshot_root):
        return serialize_blocks(select_blocks(source, flt), fmt, stats, description)
    kept = Snapshots(source.snapshot_root, source.snapshot_key)
    return _from_snapshots(kept, source, fmt, stats, description)


def _from_snapshots(
    kept: Snapshots,
    source: RdfSource,
    fmt: RdfFormat,
    stats: ExportStats,
    description: Callable[[ExportStats], list[ox.Triple]],
) -> Iterator[bytes]:
    writer = _WRITERS[fmt.name]()
    found = kept.find(fmt)
    if found is not None:
        body, recorded = found
        stats.triples, stats.subjects, stats.origin = recorded.triples, recorded.subjects, recorded.origin
        writer.has_data = recorded.subjects > 0
        yield from _counted(kept.replay(body), stats)
    else:
        yield from _counted(kept.record(fmt, _body(source.blocks(), writer, stats), stats), stats)
    yield from _counted(_tail(writer, stats, description(stats)), stats)
    stats.done = True


if __name__ == "__main__":  # pragma: no cover - maintenance entry point
    import sys

    if sys.argv[1:] == ["--write-context"]:
        write_context()
        print(f"wrote {CONTEXT_FILE}")
    else:
        print("usage: python -m graph.export --write-context", file=sys.stderr)
        sys.exit(2)
