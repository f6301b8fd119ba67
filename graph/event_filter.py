"""The one event filter: which cooperation events a selection keeps.

:class:`~milcoop.graph.store.EventFilter` says what to keep; :func:`matches` decides it for one
event, given as :class:`EventFacts`. The embedded store's event index and the export's selection
both call it, so flows, deployments and exports keep exactly the same events. (Neo4j evaluates the
same rule in Cypher, ``graph/neo4j/cypher/queries.py``; the parity suite checks they agree.)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from milcoop.graph.store import EventFilter


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
    claims: tuple[tuple[str, str, int], ...]


def matches(event: EventFacts, flt: EventFilter, *, check_source: bool = False) -> bool:
    """Whether ``event`` passes ``flt``.

    The source actor is usually the anchor an index selected by, so it is checked only with
    ``check_source``.
    """
    if check_source and flt.source is not None and not any(actor == flt.source for _, actor in event.sources):
        return False
    if flt.labels and event.label not in flt.labels:
        return False
    if flt.target is not None and not any(
        actor == flt.target and rel_type in flt.to_types for rel_type, actor in event.to
    ):
        return False
    if event.start is None:
        if not flt.include_undated:
            return False
    else:
        if flt.until is not None and event.start > flt.until:
            return False
        if flt.since is not None and event.end is not None and event.end < flt.since:
            return False
    if flt.filters_claims:
        return any(
            (flt.status is None or status == flt.status)
            and (flt.max_reliability is None or (reliability <= flt.max_reliability
                                                 and credibility <= (flt.max_credibility or 6)))
            for status, reliability, credibility in event.claims
        )
    return True
