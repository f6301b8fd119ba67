"""Data versions and changes: what each load added, removed and changed, by resource.

A resource is a subject IRI of the facts (an event, a claim, a state, ...). Its *digest* is a hash
of its own triples (each written in N-Triples, sorted), so two loads agree on which resources
changed without keeping the previous facts. Every load compares the digests of its facts with the
digests the store recorded at the previous load and records, in the store itself, one
:class:`VersionRecord` and one :class:`ChangeRecord` per resource added, removed or changed: the
cost is proportional to what changed, and an unchanged reload records nothing.

Both stores keep the same records (the embedded store in named graphs beside the facts, Neo4j in
nodes outside ``:Resource``; see docs/analysis.md, "Versions and changes") and hand them to
:mod:`milcoop.graph.service` through the same read primitives, so both answer alike. The rules
here (digests, what a load records, the net change between two points) are the one definition.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pyoxigraph as ox
from rdflib import RDF, Graph, URIRef

from milcoop.graph.mapping import node_id
from milcoop.graph.terms import lines_by_subject, ntriples_of, oxigraph_quads
from milcoop.ontology.kinds import ENTITY_KINDS, EVENT_LABEL_KINDS
from milcoop.ontology.namespace import MC
from milcoop.ontology.vocabulary import vocabulary

ChangeKind = Literal["added", "removed", "changed"]

_RDF_TYPE = str(RDF.type)
_ASSERTS = str(MC.asserts)


@dataclass(frozen=True)
class Digest:
    """One resource as a load saw it: its kind, the hash of its triples, and (for a claim) the
    facts it asserts (so that a removed claim still points at its facts)."""

    kind: str
    digest: str
    asserts: tuple[str, ...] = ()

    def to_json(self) -> str:
        return json.dumps([self.kind, self.digest, list(self.asserts)], separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> Digest:
        kind, digest, asserts = json.loads(text)
        return cls(str(kind), str(digest), tuple(str(a) for a in asserts))


@dataclass(frozen=True)
class VersionRecord:
    """One load that changed the store: its position, data version, time, files and counts."""

    seq: int
    version: str
    at: str
    files: tuple[str, ...] = ()
    resources: int = 0
    triples: int = 0
    added: int = 0
    removed: int = 0
    changed: int = 0
    #: The partition the load replaced (:mod:`milcoop.graph.partitions`): ``curated`` or a register.
    partition: str = "curated"

    def to_dict(self) -> dict[str, Any]:
        return {
            "partition": self.partition,
            "seq": self.seq,
            "version": self.version,
            "at": self.at,
            "files": list(self.files),
            "resources": self.resources,
            "triples": self.triples,
            "added": self.added,
            "removed": self.removed,
            "changed": self.changed,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> VersionRecord:
        return cls(
            seq=int(data["seq"]),
            version=str(data["version"]),
            at=str(data["at"]),
            files=tuple(str(f) for f in data.get("files") or ()),
            resources=int(data.get("resources") or 0),
            triples=int(data.get("triples") or 0),
            added=int(data.get("added") or 0),
            removed=int(data.get("removed") or 0),
            changed=int(data.get("changed") or 0),
            partition=str(data.get("partition") or "curated"),
        )


@dataclass(frozen=True)
class ChangeRecord:
    """One resource added, removed or changed by the load ``seq``; ``before`` and ``after`` are its
    digests on either side (None where it did not exist)."""

    seq: int
    version: str
    at: str
    iri: str
    kind: str
    change: ChangeKind
    before: str | None
    after: str | None
    asserts: tuple[str, ...] = field(default=())

    @property
    def id(self) -> str:
        return node_id(self.iri)

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "version": self.version,
            "at": self.at,
            "iri": self.iri,
            "kind": self.kind,
            "change": self.change,
            "before": self.before,
            "after": self.after,
            "asserts": list(self.asserts),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ChangeRecord:
        change = str(data["change"])
        if change not in ("added", "removed", "changed"):
            raise ValueError(f"unknown change {change!r}")
        return cls(
            seq=int(data["seq"]),
            version=str(data["version"]),
            at=str(data["at"]),
            iri=str(data["iri"]),
            kind=str(data["kind"]),
            change=change,  # type: ignore[arg-type]
            before=None if data.get("before") is None else str(data["before"]),
            after=None if data.get("after") is None else str(data["after"]),
            asserts=tuple(str(a) for a in data.get("asserts") or ()),
        )


def kind_of(class_iris: Iterable[str]) -> str:
    """The kind users see for a resource of these classes: its event kind, else its entity kind."""
    labels = vocabulary().labels
    for cls in sorted(class_iris):
        label = labels.get(URIRef(cls))
        if label is not None:
            return EVENT_LABEL_KINDS.get(label) or ENTITY_KINDS.get(label) or label
    return "resource"


_TYPE_PREFIX = f"<{_RDF_TYPE}> <"
_ASSERTS_PREFIX = f"<{_ASSERTS}> <"


def digests_of_lines(lines: Mapping[str, Sequence[str]]) -> dict[str, Digest]:
    """The digest of every IRI subject of :func:`~milcoop.graph.terms.lines_by_subject`'s text:
    the hash of its ``<predicate> object`` lines, sorted (so the order triples come in does not
    matter), with its kind and the facts it asserts."""
    found = {}
    for iri, own in lines.items():
        types = [line[len(_TYPE_PREFIX) : -1] for line in own if line.startswith(_TYPE_PREFIX)]
        asserts = sorted(line[len(_ASSERTS_PREFIX) : -1] for line in own if line.startswith(_ASSERTS_PREFIX))
        digest = hashlib.sha256("\n".join(sorted(own)).encode()).hexdigest()[:32]
        found[iri] = Digest(kind_of(types), digest, tuple(asserts))
    return found


def digests_of_quads(quads: Iterable[ox.Quad]) -> dict[str, Digest]:
    """The digest of every IRI subject among default-graph ``quads`` (:func:`digests_of_lines`)."""
    return digests_of_lines(lines_by_subject(ntriples_of(quads)))


def digests(graph: Graph) -> dict[str, Digest]:
    """The digest of every resource (IRI subject) of ``graph``."""
    return digests_of_quads(oxigraph_quads(graph))


@dataclass(frozen=True)
class Difference:
    """One resource that differs between two states (``before`` or ``after`` None where absent)."""

    iri: str
    kind: str
    change: ChangeKind
    before: str | None
    after: str | None
    asserts: tuple[str, ...]

    @property
    def id(self) -> str:
        return node_id(self.iri)


def compare(old: Mapping[str, Digest], new: Mapping[str, Digest]) -> list[Difference]:
    """The resources added, removed and changed from ``old`` to ``new``, by IRI."""
    found = []
    for iri in sorted(old.keys() | new.keys()):
        was, now = old.get(iri), new.get(iri)
        if was is None and now is not None:
            found.append(Difference(iri, now.kind, "added", None, now.digest, now.asserts))
        elif now is None and was is not None:
            found.append(Difference(iri, was.kind, "removed", was.digest, None, was.asserts))
        elif was is not None and now is not None and was.digest != now.digest:
            found.append(
                Difference(
                    iri, now.kind, "changed", was.digest, now.digest, tuple(sorted({*was.asserts, *now.asserts}))
                )
            )

    return found


def relative_file_names(files: Iterable[object]) -> list[str]:
    """The fact files' names relative to the folder they share (no server paths in the store)."""
    paths = [Path(str(f)).absolute() for f in files]
    if not paths:
        return []
    common = Path(os.path.commonpath([p.parent for p in paths]))
    return sorted(p.relative_to(common).as_posix() for p in paths)


def now_iso() -> str:
    """The time a load records: UTC, to the second."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def plan_version(
    old: Mapping[str, Digest],
    new: Mapping[str, Digest],
    last: VersionRecord | None,
    *,
    version: str,
    files: Sequence[str],
    triples: int,
    at: str,
    partition: str = "curated",
) -> tuple[VersionRecord, list[ChangeRecord]] | None:
    """What a load from ``old`` to ``new`` records, or None when it changes nothing (same data
    version as the last record and no resource differs)."""
    differences = compare(old, new)
    if last is not None and not differences and last.version == version:
        return None
    seq = (last.seq if last is not None else 0) + 1
    counts = {kind: sum(1 for d in differences if d.change == kind) for kind in ("added", "removed", "changed")}
    record = VersionRecord(
        seq, version, at, tuple(files), len(new), triples, counts["added"], counts["removed"], counts["changed"],
        partition,
    )
    changes = [
        ChangeRecord(seq, version, at, d.iri, d.kind, d.change, d.before, d.after, d.asserts) for d in differences
    ]
    return record, changes


def net(changes: Iterable[ChangeRecord]) -> list[ChangeRecord]:
    """The net change of each resource over ``changes`` (in load order): compared with the state
    before the first, added, removed, changed, or nothing (left out). Each keeps the version and
    time of its last change. Sorted by that load, then IRI."""
    by_iri: dict[str, list[ChangeRecord]] = defaultdict(list)
    for step in sorted(changes, key=lambda c: c.seq):
        by_iri[step.iri].append(step)
    found = []
    for iri, steps in by_iri.items():
        first, last = steps[0], steps[-1]
        before, after = first.before, last.after
        if before == after:
            continue
        change: ChangeKind = "added" if before is None else "removed" if after is None else "changed"
        asserts = tuple(sorted({a for step in steps for a in step.asserts}))
        found.append(ChangeRecord(last.seq, last.version, last.at, iri, last.kind, change, before, after, asserts))
    return sorted(found, key=lambda c: (c.seq, c.iri))


def state_at(current: Mapping[str, Digest], changes_after: Iterable[ChangeRecord]) -> dict[str, Digest]:
    """The digests the store held before ``changes_after`` (every change since a point), from the
    digests it holds now: each change undone, latest first."""
    state = dict(current)
    for change in sorted(changes_after, key=lambda c: c.seq, reverse=True):
        if change.before is None:
            state.pop(change.iri, None)
        else:
            state[change.iri] = Digest(change.kind, change.before, change.asserts)
    return state


_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}([T ].*)?$")


class UnknownPoint(ValueError):
    """A ``since`` that names no recorded data version and is no ISO date or date-time."""


def parse_moment(text: str) -> dt.datetime | None:
    """An ISO date (its first instant, UTC) or date-time (UTC unless it says), or None when
    ``text`` does not look like one. Raises UnknownPoint when it looks like one but is not valid."""
    if not _DATE.match(text):
        return None
    try:
        if len(text) == 10:
            moment = dt.datetime.combine(dt.date.fromisoformat(text), dt.time(), dt.UTC)
        else:
            # A "+" left unencoded in a query string arrives as a space.
            text = re.sub(r" ([0-9]{2}:?[0-9]{2})$", r"+\1", text.replace("Z", "+00:00"))
            moment = dt.datetime.fromisoformat(text)
    except ValueError as exc:
        raise UnknownPoint(f"{text!r} is not a valid ISO date or date-time") from exc
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def resolve_point(text: str, versions: Sequence[VersionRecord]) -> VersionRecord | None:
    """The load a ``since`` names: a data version (its latest load; a unique prefix of six or more
    characters will do) or an ISO date or date-time (the last load before it; None when every
    load came after it). Raises UnknownPoint otherwise."""
    moment = parse_moment(text)
    if moment is not None:
        before = [v for v in versions if dt.datetime.fromisoformat(v.at) < moment]
        return max(before, key=lambda v: v.seq) if before else None
    exact = [v for v in versions if v.version == text]
    if not exact and len(text) >= 6:
        prefixed = {v.version for v in versions if v.version.startswith(text)}
        if len(prefixed) == 1:
            exact = [v for v in versions if v.version in prefixed]
    if not exact:
        raise UnknownPoint(f"{text!r} is no data version this store recorded, nor an ISO date or date-time")
    return max(exact, key=lambda v: v.seq)
