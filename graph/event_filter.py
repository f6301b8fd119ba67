"""The one event filter: which cooperation events a selection keeps.

:class:`~milcoop.graph.store.EventFilter` says what to keep; :func:`matches` decides it for one
event, given as :class:`EventFacts`. The embedded store's event index and the export's selection
both call it, so flows, deployments and exports keep exactly the same events. (Neo4j evaluates the
same rule in Cypher, ``graph/neo4j/cypher/queries.py``; the parity suite checks they agree.)

``involving`` and ``statuses`` are the export's dimensions (an actor on either side, several
statuses): the export reads events through :class:`~milcoop.graph.rdf_source.RdfSource` and decides
here, and the API's selections do not use them, so the Cypher rule has no counterpart for them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from milcoop.graph.store import EventFilter

#: What a filter looks at in one claim: (status code, source reliability, information credibility).
ClaimFacts = tuple[str, str, int]


@dataclass(frozen=True)
class EventFacts:
    """What an event filter looks at: kind, span, the actors on each side, the claims' gradings."""

    iri: str
    key: str
    label: str
    start: dt.date | None
    end: dt.date | None
    #: (relationship type, actor) for every from-side relationship
    sources: tuple[tuple[str, str], ...]
    #: (relationship type, actor) for every to-side and target relationship
    to: tuple[tuple[str, str], ...]
    #: (status, reliability, credibility) of every claim asserting the event
    claims: tuple[ClaimFacts, ...]


def matches(event: EventFacts, flt: EventFilter, *, check_source: bool = False, check_claims: bool = True) -> bool:
    """Whether ``event`` passes ``flt``.

    An event is undated when it has neither a start nor an end (``include_undated`` decides it);
    otherwise it is kept when its span may overlap the window: its start, if known, is on or
    before ``until``, and its end, if known, on or after ``since``.

    The source actor is usually the anchor an index selected by, so it is checked only with
    ``check_source``. ``check_claims=False`` leaves the claim conditions out, for a caller that
    looks the claims up only for the events that pass the rest (the export's selection).
    """
    if check_source and flt.source is not None and not any(actor == flt.source for _, actor in event.sources):
        return False
    if flt.labels and event.label not in flt.labels:
        return False
    if flt.target is not None and not any(
        actor == flt.target and rel_type in flt.to_types for rel_type, actor in event.to
    ):
        return False
    if flt.involving and not flt.involving <= {actor for _, actor in (*event.sources, *event.to)}:
        return False
    if event.start is None and event.end is None:
        if not flt.include_undated:
            return False
    else:
        # A missing start is unknown (it may lie any time before the end), a missing end open:
        # each bound drops the event only on the date that is known.
        if flt.until is not None and event.start is not None and event.start > flt.until:
            return False
        if flt.since is not None and event.end is not None and event.end < flt.since:
            return False
    if check_claims and flt.filters_claims:
        return any(claim_matches(claim, flt) for claim in event.claims)
    return True


def claim_matches(claim: ClaimFacts, flt: EventFilter) -> bool:
    """Whether one claim meets the filter's claim conditions (status and grading; A1 is best).

    An event passes a filter with claim conditions when one of its claims does; the export also
    keeps only the claims that do.
    """
    status, reliability, credibility = claim
    if flt.status is not None and status != flt.status:
        return False
    if flt.statuses and status not in flt.statuses:
        return False
    return flt.max_reliability is None or (
        reliability <= flt.max_reliability and credibility <= (flt.max_credibility or 6)
    )
