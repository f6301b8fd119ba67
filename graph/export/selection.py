"""Which subjects an export holds: everything, or a filter's selection of events and their context.

:class:`ExportFilter` is what an export request asks for. Whether an event passes it is decided
by the one event filter (:func:`milcoop.graph.event_filter.matches`, the rule the embedded store's
event index uses too): the selection reads each event's kind, span, actors and claim gradings
from its subject block into an :class:`~milcoop.graph.event_filter.EventFacts` and asks it.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox

from milcoop.graph.event_filter import ClaimFacts, EventFacts, claim_matches, matches
from milcoop.graph.rdf_source import RdfSource, SubjectBlock
from milcoop.graph.store import EventFilter
from milcoop.ontology.grading import parse_grading
from milcoop.ontology.kinds import EVENT_KIND_LABELS, EVENT_KINDS, FROM_TYPES, TARGET_TYPES, TO_TYPES, time_key
from milcoop.ontology.namespace import MC
from milcoop.ontology.vocabulary import vocabulary

if TYPE_CHECKING:
    from milcoop.graph.service import QueryService

#: Subjects looked up per round trip by a filtered export.
LOOKUP_BATCH = 500


@dataclass(frozen=True)
class ExportFilter:
    """Which events an export keeps, and which of their claims. Empty: everything.

    * ``actors``: resolved IRIs; an event is kept when every one of them takes part in it, on
      either side (supplier, recipient, sending or host state, requester, requested from, user,
      target state, author of a statement);
    * ``since``/``until``: the event's span overlaps the window: its ``spanEnd`` is absent (open)
      or on or after ``since``, and its ``spanStart`` is absent (a start not known, so it may lie
      any time before the end) or on or before ``until``;
    * ``include_undated``: whether undated events (neither ``spanStart`` nor ``spanEnd``: the
      sources give no time) are kept, with or without a window (as the API's ``undated``);
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

    def event_filter(self) -> EventFilter:
        """The same filter as the one event filter takes it (raises ValueError for a bad grading)."""
        grading = None
        if self.min_grading:
            grading = parse_grading(self.min_grading)
            if grading is None:
                raise ValueError(f"min_grading {self.min_grading!r} is not an Admiralty grading such as B2")
        return EventFilter(
            labels=frozenset(EVENT_KIND_LABELS[kind] for kind in self.kinds),
            since=self.since,
            until=self.until,
            include_undated=self.include_undated,
            max_reliability=grading[0] if grading else None,
            max_credibility=grading[1] if grading else None,
            involving=frozenset(self.actors),
            statuses=frozenset(self.statuses),
        )

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


def _first_text(block: SubjectBlock, predicate: ox.NamedNode) -> str | None:
    found = [o.value for o in block.objects(predicate) if isinstance(o, ox.Literal)]
    return found[0] if found else None


def _side(block: SubjectBlock, relationships: dict[ox.NamedNode, str]) -> tuple[tuple[str, str], ...]:
    """(relationship type, actor IRI) for each of the block's links through ``relationships``."""
    return tuple(
        (relationships[q.predicate], q.object.value)
        for q in block.quads
        if q.predicate in relationships and isinstance(q.object, ox.NamedNode)
    )


def _relationship_iris(types: Iterable[str]) -> dict[ox.NamedNode, str]:
    vocab = vocabulary()
    return {ox.NamedNode(str(vocab.relationship_for_type(t).iri)): t for t in types}


class _Selection:
    """A filtered export's subjects, streamed: matching events first, then what they reference.

    Memory holds the IRIs of referenced resources (actors, places, sources, ...), which are few
    next to events and claims; events, claims and quantities are streamed and not remembered.
    """

    def __init__(self, source: RdfSource, flt: ExportFilter) -> None:
        vocab = vocabulary()
        self.source = source
        self.flt = flt
        self.rule = flt.event_filter()
        self.labels = {ox.NamedNode(str(cls)): vocab.labels[cls] for cls, _, _ in EVENT_KINDS.values()}
        # The two sides as the event index reads them: the flow's from-side, and its to-side
        # with a weapons use's target (every actor that "takes part", together).
        self.from_side = _relationship_iris(FROM_TYPES)
        self.to_side = _relationship_iris((*TO_TYPES, *TARGET_TYPES))
        self.status_codes = {
            ox.NamedNode(str(iri)): code for code, iri in vocab.enum_properties[MC.status].codes.items()
        }
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

    # -- what the event filter reads from a block ------------------------------------------------

    def label_of(self, block: SubjectBlock) -> str | None:
        """The event kind's node label, or None when the block is not an event."""
        return next((self.labels[o] for o in block.types if o in self.labels), None)

    def claim_facts(self, claim: SubjectBlock) -> ClaimFacts:
        statuses = [self.status_codes.get(o, "") for o in claim.objects(self.status)]
        reliability = _first_text(claim, self.reliability)
        credibility = _first_text(claim, self.credibility)
        # A claim lacking a grading (the shapes forbid it) counts as F6, as in the event index.
        return (
            statuses[0] if statuses else "",
            reliability if reliability is not None else "F",
            int(credibility) if credibility is not None and credibility.isdigit() else 6,
        )

    def event_facts(self, block: SubjectBlock, claims: Sequence[SubjectBlock] = ()) -> EventFacts:
        starts, ends = block.objects(self.span_start), block.objects(self.span_end)
        start = _date(starts[0]) if starts else None
        end = _date(ends[0]) if ends else None
        return EventFacts(
            iri=block.subject.value,
            key=time_key(start, block.subject.value, end),
            label=self.label_of(block) or "",
            start=start,
            end=end,
            sources=_side(block, self.from_side),
            to=_side(block, self.to_side),
            claims=tuple(self.claim_facts(c) for c in claims),
        )

    def claim_passes(self, claim: SubjectBlock) -> bool:
        return claim_matches(self.claim_facts(claim), self.rule)

    def is_selected(self, block: SubjectBlock, claims: Sequence[SubjectBlock]) -> bool:
        """Whether ``block`` is an event that the filter keeps, given every claim asserting it."""
        return self.label_of(block) is not None and matches(self.event_facts(block, claims), self.rule)

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
            # The claim conditions need the claims: they are looked up only for the events that
            # pass the rest of the filter.
            candidates = [b for b in batch if matches(self.event_facts(b), self.rule, check_claims=False)]
            claims = self.claims_of([b.subject for b in candidates])  # type: ignore[misc]
            matched = []
            for event in candidates:
                found = claims.get(event.subject.value, [])
                if not matches(self.event_facts(event, [c for c, _ in found]), self.rule):
                    continue
                matched.append(event.subject)
                yield from self.emit(event, [c for c in found if self.claim_passes(c[0])])
            yield from self._breaches(matched)  # type: ignore[arg-type]
        while self.pending:
            batch_iris, self.pending = self.pending[:LOOKUP_BATCH], self.pending[LOOKUP_BATCH:]
            blocks = self.source.describe(batch_iris)
            claims = self.claims_of([b.subject for b in blocks])  # type: ignore[misc]
            for block in blocks:
                found = claims.get(block.subject.value, [])
                if self.is_selected(block, [c for c, _ in found]):
                    continue  # a matching event, exported above with its passing claims
                # A referenced resource goes out whole, with all its claims: it is context for
                # the selection, not part of what the claim filters choose.
                yield from self.emit(block, found)

    def _breaches(self, events: list[ox.NamedNode]) -> Iterator[SubjectBlock]:
        if not events:
            return
        iris = sorted({b for _, b in self.source.referrers(events, self.breaching_event)}, key=str)
        breaches = self.source.describe(iris)
        claims = self.claims_of([b.subject for b in breaches])  # type: ignore[misc]
        for breach in breaches:
            passing = [c for c in claims.get(breach.subject.value, []) if self.claim_passes(c[0])]
            if self.rule.filters_claims and not passing:
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
