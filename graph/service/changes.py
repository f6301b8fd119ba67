"""Answers about data versions and changes: ``/v1/changes`` and the ``changed_since`` filters.

The store records, per load, the resources it added, removed and changed
(:mod:`milcoop.graph.changes`); here a ``since`` (a data version or an ISO date or date-time) is
resolved to a recorded load, and the changes after it are netted per resource (added then
removed is no change at all).
"""

from __future__ import annotations

from collections.abc import Callable

from milcoop.graph import models as m
from milcoop.graph.changes import ChangeRecord, Digest, UnknownPoint, VersionRecord, net, resolve_point, state_at
from milcoop.graph.service.errors import InvalidParameter
from milcoop.graph.service.requests import check_text
from milcoop.graph.store import GraphStore, Keyed

#: Keys fetched per store call while a ``changed_since`` filter fills a page.
FILTER_CHUNK = 500


def version_model(record: VersionRecord | None) -> m.DataVersion | None:
    if record is None:
        return None
    return m.DataVersion(
        version=record.version,
        at=record.at,
        files=list(record.files),
        resources=record.resources,
        triples=record.triples,
        added=record.added,
        removed=record.removed,
        changed=record.changed,
        partition=record.partition,
    )


def change_model(change: ChangeRecord) -> m.Change:
    return m.Change(
        iri=change.iri, id=change.id, kind=change.kind, change=change.change, version=change.version, at=change.at
    )


def change_key(change: ChangeRecord) -> str:
    """The order of a change list: by the load that last changed it, then IRI."""
    return f"{change.seq:010d} {change.iri}"


class Changes:
    """The recorded changes of one store, for a ``since``."""

    def __init__(self, store: GraphStore) -> None:
        self.store = store

    def versions(self) -> list[VersionRecord]:
        return self.store.data_versions()

    def point(self, parameter: str, text: str, versions: list[VersionRecord]) -> VersionRecord | None:
        """The load ``text`` names (None: before the first); InvalidParameter when it names none."""
        check_text(parameter, text)
        try:
            return resolve_point(text, versions)
        except UnknownPoint as exc:
            raise InvalidParameter(parameter, f"{parameter}: {exc}") from exc

    def since(self, parameter: str, text: str) -> tuple[VersionRecord | None, VersionRecord | None, list[ChangeRecord]]:
        """(the load named, the latest load, the net changes after the one named)."""
        versions = self.versions()
        point = self.point(parameter, text, versions)
        changes = net(self.store.changes_after(point.seq if point is not None else 0))
        return point, (versions[-1] if versions else None), changes

    def state(self, parameter: str, version: str) -> dict[str, Digest]:
        """Every resource's digest as the store held it right after the load of data version
        ``version`` (a recorded one, or a date: the last load before it)."""
        point = self.point(parameter, version, self.versions())
        return state_at(self.store.resource_digests(), self.store.changes_after(point.seq if point else 0))

    def touched(self, parameter: str, text: str) -> tuple[int, frozenset[str]]:
        """(the load named, as its position; the IRIs changed since, with the facts their changed
        claims assert)."""
        point, _, changes = self.since(parameter, text)
        iris = {c.iri for c in changes} | {a for c in changes for a in c.asserts}
        return (point.seq if point is not None else 0), frozenset(iris)


def filtered(
    fetch: Callable[[str | None, int], list[Keyed]],
    keep: Callable[[list[str]], set[str]] | None,
    after: str | None,
    limit: int,
) -> list[Keyed]:
    """Up to ``limit + 1`` keys from ``fetch(after, n)`` (a store's paginated primitive) that
    ``keep`` keeps (all when None), reading the store chunk by chunk."""
    if keep is None:
        return fetch(after, limit + 1)
    found: list[Keyed] = []
    position = after
    while len(found) <= limit:
        batch = fetch(position, FILTER_CHUNK)
        if not batch:
            break
        kept = keep([iri for iri, _ in batch])
        found.extend(pair for pair in batch if pair[0] in kept)
        if len(batch) < FILTER_CHUNK:
            break
        position = batch[-1][1]
    return found[: limit + 1]
