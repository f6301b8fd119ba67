"""Every answer of the API, assembled from the store primitives of graph/store.py.

Both stores implement the same small interface and this module alone turns what they return
into the JSON models of graph/models.py, so the answers of the Neo4j and the embedded store are
identical by construction (tests/graph/test_parity.py checks it end to end).

It also owns the meaning of the request parameters: how entity references resolve
(:meth:`QueryService.resolve`), how windows, grades and cursors parse, and which domain error
each bad value raises (:class:`NotFound`, :class:`InvalidParameter`, :class:`Ambiguous`);
api/errors.py maps those to HTTP in one place.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import difflib
import hashlib
import heapq
import json
import re
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from milcoop.graph import models as m
from milcoop.graph.mapping import node_id
from milcoop.graph.store import Edge, EventFilter, GraphStore, Keyed, NodeView
from milcoop.ontology.dates import PartialDate
from milcoop.ontology.kinds import (
    ACTOR_LABELS,
    EVENT_KIND_LABELS,
    EVENT_LABEL_KINDS,
    FLOW_KINDS,
    FROM_TYPES,
    PATH_LABELS,
    REFERENCE_LABELS,
    TARGET_TYPES,
    TO_TYPES,
    UNDATED,
    time_key,
)
from milcoop.ontology.namespace import MC
from milcoop.ontology.vocabulary import vocabulary

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
DEFAULT_MAX_HOPS = 4
MAX_HOPS = 6
DEFAULT_PATHS = 10
MAX_PATHS = 100
#: Path search gives up once it has fetched this many relationships (answering complete=false):
#: in a dense graph, a breadth-first search that goes through two busy states touches everything.
PATH_EDGE_BUDGET = 100_000
#: Nodes per neighbours() call, so one call's work stays bounded and the budget is checked often.
_NEIGHBOUR_BATCH = 1_000
#: Entries (node descriptions, claim lists) the shared cache keeps; about 1.5 KB each.
DEFAULT_CACHE_SIZE = 100_000
#: Longest reference or search text accepted.
MAX_TEXT = 300

CLAIM_STATUSES: tuple[str, ...] = tuple(sorted(vocabulary().enum_properties[MC.status].codes))
_GRADE = re.compile(r"^([A-F])([1-6])$")

_PLACE_ROLES: dict[str, Literal["loading-port", "discharge-port", "border-crossing", "location", "target"]] = {
    "LOADING_PORT": "loading-port",
    "DISCHARGE_PORT": "discharge-port",
    "BORDER_CROSSING": "border-crossing",
    "LOCATION": "location",
    "TARGET_PLACE": "target",
}
_EVENT_LABELS = frozenset(EVENT_KIND_LABELS.values())


# -- domain errors ---------------------------------------------------------------------------------


class QueryError(Exception):
    """A request the service cannot answer because of its parameters."""

    def __init__(self, parameter: str | None, message: str, suggestions: Sequence[m.Suggestion] = ()) -> None:
        super().__init__(message)
        self.parameter = parameter
        self.message = message
        self.suggestions = list(suggestions)


class InvalidParameter(QueryError):
    """A parameter's value is malformed or out of range (HTTP 422)."""


class Ambiguous(QueryError):
    """A reference matches several entities (HTTP 422); the suggestions list them."""


class NotFound(QueryError):
    """A reference matches no entity (HTTP 404); the suggestions are close matches."""


# -- parameters ------------------------------------------------------------------------------------


def parse_date(parameter: str, value: str | None, *, last: bool) -> dt.date | None:
    """``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``: the first day of it, or the last when ``last``."""
    if value is None:
        return None
    try:
        date = PartialDate.parse(value.strip())
    except ValueError as exc:
        raise InvalidParameter(parameter, f"{parameter}: {exc}") from None
    return date.last_day if last else date.first_day


def parse_window(since: str | None, until: str | None) -> tuple[dt.date | None, dt.date | None]:
    start = parse_date("since", since, last=False)
    end = parse_date("until", until, last=True)
    if start and end and start > end:
        raise InvalidParameter("since", f"since {since} is after until {until}")
    return start, end


def parse_grade(value: str | None) -> tuple[str, int] | None:
    """``B2`` -> ("B", 2): reliability A..B and credibility 1..2 meet it."""
    if value is None:
        return None
    match = _GRADE.match(value.strip().upper())
    if not match:
        raise InvalidParameter(
            "min_grade",
            f"min_grade '{_clip(value)}' is not an Admiralty grading: a reliability A-F then a credibility 1-6, "
            "such as B2",
        )
    return match.group(1), int(match.group(2))


def parse_status(value: str | None) -> str | None:
    if value is None:
        return None
    status = value.strip().lower()
    if status not in CLAIM_STATUSES:
        raise InvalidParameter("status", f"status '{_clip(value)}' is not one of {', '.join(CLAIM_STATUSES)}")
    return status


def parse_kinds(values: Sequence[str] | None, default: Sequence[str]) -> list[str]:
    """Event kinds from repeated and/or comma-separated ``kind`` values."""
    if not values:
        return sorted(default)
    kinds: set[str] = set()
    for value in values:
        for part in value.split(","):
            kind = part.strip().lower()
            if not kind:
                continue
            if kind not in EVENT_KIND_LABELS:
                raise InvalidParameter(
                    "kind", f"kind '{_clip(part)}' is not one of {', '.join(sorted(EVENT_KIND_LABELS))}"
                )
            kinds.add(kind)
    if not kinds:
        raise InvalidParameter("kind", "kind is empty")
    return sorted(kinds)


def check_limit(limit: int, maximum: int = MAX_LIMIT, parameter: str = "limit") -> int:
    if not 1 <= limit <= maximum:
        raise InvalidParameter(parameter, f"{parameter} must be between 1 and {maximum}")
    return limit


def _clip(value: str, size: int = 60) -> str:
    text = value if len(value) <= size else value[: size - 1] + "…"
    return text.replace("\n", " ")


def _check_text(parameter: str, value: str) -> str:
    text = value.strip()
    if not text:
        raise InvalidParameter(parameter, f"{parameter} is empty")
    if len(text) > MAX_TEXT:
        raise InvalidParameter(parameter, f"{parameter} is longer than {MAX_TEXT} characters")
    if any(ord(ch) < 32 for ch in text):
        raise InvalidParameter(parameter, f"{parameter} contains control characters")
    return text


@dataclass(frozen=True)
class Cursor:
    """Where a page ends: the last key, bound to the query it came from."""

    key: str
    query: str

    def encode(self) -> str:
        raw = json.dumps({"k": self.key, "q": self.query}, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str | None, query: str) -> str | None:
        """The key after which the page starts; None for the first page."""
        if token is None:
            return None
        bad = InvalidParameter("cursor", "cursor is not one this API gave out; start again without it")
        try:
            padded = token.strip() + "=" * (-len(token.strip()) % 4)
            data = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        except (ValueError, binascii.Error, UnicodeError):
            raise bad from None
        if not isinstance(data, dict) or not isinstance(data.get("k"), str) or not isinstance(data.get("q"), str):
            raise bad
        if data["q"] != query:
            raise InvalidParameter("cursor", "cursor belongs to another query; pass the same parameters as before")
        return str(data["k"])


def fingerprint(endpoint: str, *parts: Any) -> str:
    """A short digest of what a query selects, so a cursor cannot be replayed on another."""
    text = json.dumps([endpoint, *[str(p) for p in parts]], separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _page(keyed: Sequence[Keyed], limit: int, query: str) -> tuple[list[str], str | None]:
    """The IRIs of one page and the cursor to the next (``keyed`` holds up to limit + 1)."""
    page = list(keyed[:limit])
    more = len(keyed) > limit
    next_cursor = Cursor(page[-1][1], query).encode() if more and page else None
    return [iri for iri, _ in page], next_cursor


# -- the entity index -------------------------------------------------------------------------------


def kind_of(labels: Collection[str]) -> str:
    """The kind shown to users for a node with these labels."""
    from milcoop.ontology.kinds import ENTITY_KINDS

    for label in sorted(labels):
        if label in EVENT_LABEL_KINDS:
            return EVENT_LABEL_KINDS[label]
    for label in sorted(labels):
        if label in ENTITY_KINDS:
            return ENTITY_KINDS[label]
    return "resource"


@dataclass
class _Entry:
    iri: str
    id: str
    labels: frozenset[str]
    name: str | None
    aliases: list[str]


@dataclass
class EntityIndex:
    """Reference entities (states, organisations, places, ...) by every name people use for them."""

    version: str
    entries: dict[str, _Entry] = field(default_factory=dict)
    by_id: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    by_key: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    @classmethod
    def build(cls, version: str, views: Iterable[NodeView]) -> EntityIndex:
        index = cls(version)
        for view in views:
            aliases = [str(a) for a in view.properties.get("aliases", [])]
            entry = _Entry(view.iri, view.id, view.labels, view.name, aliases)
            index.entries[view.iri] = entry
            index.by_id[view.id].append(view.iri)
            keys = {view.id, *aliases}
            for key in ("name", "isoCode", "wikidataId"):
                value = view.properties.get(key)
                if isinstance(value, str):
                    keys.add(value)
            for key in keys:
                folded = key.strip().casefold()
                if folded and view.iri not in index.by_key[folded]:
                    index.by_key[folded].append(view.iri)
        return index

    def suggestions(self, text: str, allowed: frozenset[str] | None, count: int = 5) -> list[m.Suggestion]:
        pool = {
            key: iris
            for key, iris in self.by_key.items()
            if any(allowed is None or self.entries[i].labels & allowed for i in iris)
        }
        found: list[m.Suggestion] = []
        seen: set[str] = set()
        for key in difflib.get_close_matches(text.casefold(), sorted(pool), n=count * 2, cutoff=0.6):
            for iri in sorted(pool[key]):
                entry = self.entries[iri]
                if iri in seen or (allowed is not None and not entry.labels & allowed):
                    continue
                seen.add(iri)
                found.append(m.Suggestion(id=entry.id, kind=kind_of(entry.labels), name=entry.name))
        return found[:count]


# -- caches ----------------------------------------------------------------------------------------


class SharedCache:
    """A bounded, thread-safe LRU map of what the store said about one data version.

    Nodes and their claims are described again and again (the same sources, actors and busy
    events in every page); the store's answers only change when the data version does, and
    the service drops the whole cache then. Neo4j's version is re-read every few seconds
    (graph/neo4j_store.py), so after a load answers may lag by that long.
    """

    def __init__(self, version: str, size: int) -> None:
        self.version = version
        self.size = size
        self._data: OrderedDict[tuple[str, str], Any] = OrderedDict()
        self._lock = threading.Lock()

    def get_many(self, kind: str, keys: Iterable[str]) -> dict[str, Any]:
        found: dict[str, Any] = {}
        with self._lock:
            for key in keys:
                value = self._data.get((kind, key), _MISSING)
                if value is not _MISSING:
                    self._data.move_to_end((kind, key))
                    found[key] = value
        return found

    def put_many(self, kind: str, items: dict[str, Any]) -> None:
        with self._lock:
            for key, value in items.items():
                self._data[(kind, key)] = value
                self._data.move_to_end((kind, key))
            while len(self._data) > self.size:
                self._data.popitem(last=False)


_MISSING = object()


class _Nodes:
    """Describes nodes through the shared cache and the store, once per request."""

    def __init__(self, store: GraphStore, shared: SharedCache | None = None) -> None:
        self.store = store
        self.shared = shared
        self.cache: dict[str, NodeView | None] = {}

    def load(self, iris: Iterable[str]) -> None:
        missing = sorted({iri for iri in iris if iri not in self.cache})
        if not missing:
            return
        if self.shared is not None:
            self.cache.update(self.shared.get_many("node", missing))
            missing = [iri for iri in missing if iri not in self.cache]
        if missing:
            found = self.store.describe(missing)
            fetched = {iri: found.get(iri) for iri in missing}
            self.cache.update(fetched)
            if self.shared is not None:
                self.shared.put_many("node", fetched)

    def incoming(self, iris: Collection[str], rel_type: str) -> dict[str, list[str]]:
        """The starts of ``rel_type`` relationships ending at each of ``iris``."""
        found: dict[str, list[str]] = {}
        kind = f"in:{rel_type}"
        if self.shared is not None:
            found.update(self.shared.get_many(kind, iris))
        missing = [iri for iri in iris if iri not in found]
        if missing:
            fetched: dict[str, list[str]] = {iri: [] for iri in missing}
            for edge in self.store.incoming(missing, [rel_type]):
                fetched[edge.end].append(edge.start)
            found.update(fetched)
            if self.shared is not None:
                self.shared.put_many(kind, fetched)
        return found

    def get(self, iri: str) -> NodeView | None:
        if iri not in self.cache:
            self.load([iri])
        return self.cache[iri]

    def ref(self, iri: str) -> m.Ref:
        view = self.get(iri)
        if view is None:
            return m.Ref(id=node_id(iri), iri=iri, kind="resource", name=None)
        return m.Ref(id=view.id, iri=iri, kind=kind_of(view.labels), name=view.name)

    def refs(self, iris: Iterable[str]) -> list[m.Ref]:
        return sorted((self.ref(iri) for iri in iris), key=lambda r: (r.id, r.iri))


def _date_value(props: dict[str, Any] | Any, key: str) -> m.DateValue | None:
    value = props.get(key)
    if not isinstance(value, dt.date):
        return None
    precision = str(props.get(f"{key}Precision", "day"))
    partial = PartialDate.from_date(value, precision)
    return m.DateValue(value=str(partial), precision=partial.precision)


def _partial(props: Any, key: str) -> PartialDate | None:
    value = props.get(key)
    if not isinstance(value, dt.date):
        return None
    return PartialDate.from_date(value, str(props.get(f"{key}Precision", "day")))


def _str(props: Any, key: str) -> str | None:
    value = props.get(key)
    return None if value is None else str(value)


def _meets(view: NodeView, grade: tuple[str, int] | None) -> bool:
    if grade is None:
        return True
    reliability = str(view.properties.get("sourceReliability", "F"))
    credibility = int(view.properties.get("informationCredibility", 6))
    return reliability <= grade[0] and credibility <= grade[1]


# -- the service -------------------------------------------------------------------------------------


class QueryService:
    """Answers every API request from a :class:`GraphStore`."""

    def __init__(self, store: GraphStore, cache_size: int = DEFAULT_CACHE_SIZE) -> None:
        self.store = store
        self.cache_size = cache_size
        self._index: EntityIndex | None = None
        self._index_lock = threading.Lock()
        self._shared: SharedCache | None = None

    def _nodes(self) -> _Nodes:
        """A per-request node reader over the shared cache of the current data version."""
        if self.cache_size <= 0:
            return _Nodes(self.store)
        version = self.store.data_version()
        shared = self._shared
        if shared is None or shared.version != version:
            shared = self._shared = SharedCache(version, self.cache_size)
        return _Nodes(self.store, shared)

    # -- references -----------------------------------------------------------------------------

    def index(self) -> EntityIndex:
        """The entity index of the loaded data version (rebuilt when the data changes)."""
        version = self.store.data_version()
        index = self._index
        if index is not None and index.version == version:
            return index
        with self._index_lock:
            if self._index is None or self._index.version != version:
                self._index = EntityIndex.build(version, self.store.named_entities())
            return self._index

    def resolve(self, parameter: str, ref: str, allowed: frozenset[str] | None, what: str) -> str:
        """The IRI of the one entity ``ref`` names, among nodes carrying an ``allowed`` label.

        ``ref`` may be an IRI, an id, an ISO code, a QID, a name or an alias, in any case:
        ``PRK``, ``prk``, ``DPRK``, ``North Korea`` and ``Q423`` all name the state PRK.
        Raises NotFound (with close matches) or Ambiguous.
        """
        text = _check_text(parameter, ref)
        index = self.index()

        def labels_of(iri: str) -> frozenset[str]:
            entry = index.entries.get(iri)
            if entry is not None:
                return entry.labels
            view = self.store.describe([iri]).get(iri)
            return view.labels if view else frozenset()

        tiers: list[Callable[[], list[str]]] = []
        if re.match(r"^(https?|urn):", text):
            tiers.append(lambda: self.store.lookup("iri", text))
        tiers.append(lambda: list(index.by_id.get(text, [])))
        tiers.append(lambda: list(index.by_key.get(text.casefold(), [])))
        tiers.append(lambda: self.store.lookup("id", text))
        other_kind: list[str] = []
        for tier in tiers:
            if tier is tiers[-1] and allowed is not None and allowed <= _REFERENCE_AND_SUPER and other_kind:
                # Every entity of the wanted kinds is in the index; the store is only asked (by id)
                # to say what else the reference names.
                break
            everything = sorted(set(tier()))
            found = [iri for iri in everything if allowed is None or labels_of(iri) & allowed]
            if len(found) > 1:
                # A claim's quantity shares the claim's id; the claim is the one people name.
                found = [iri for iri in found if "Quantity" not in labels_of(iri)] or found
            if len(found) == 1:
                return found[0]
            if len(found) > 1:
                nodes = self._nodes()
                candidates = [nodes.ref(iri) for iri in found]
                listed = ", ".join(f"{r.kind} {r.id}" for r in candidates[:5])
                raise Ambiguous(
                    parameter,
                    f"'{_clip(text)}' (parameter {parameter}) names several entities: {listed}; use an id or IRI",
                    [m.Suggestion(id=r.id, kind=r.kind, name=r.name) for r in candidates],
                )
            other_kind = other_kind or everything
        if other_kind:
            nodes = self._nodes()
            named = [nodes.ref(iri) for iri in other_kind]
            listed = ", ".join(f"{r.kind} {r.id}" for r in named[:5])
            raise InvalidParameter(
                parameter, f"'{_clip(text)}' (parameter {parameter}) is a {listed}, not an {what}"
            )
        suggestions = index.suggestions(text, allowed)
        hint = ""
        if suggestions:
            hint = "; did you mean " + ", ".join(
                f"{s.id} ({s.name})" if s.name and s.name != s.id else s.id for s in suggestions
            ) + "?"
        raise NotFound(parameter, f"no {what} matches '{_clip(text)}' (parameter {parameter}){hint}", suggestions)

    def _resolve_optional(
        self, parameter: str, ref: str | None, allowed: frozenset[str] | None, what: str
    ) -> str | None:
        return None if ref is None else self.resolve(parameter, ref, allowed, what)

    # -- assembling answers -----------------------------------------------------------------------

    def _claims(self, nodes: _Nodes, claim_iris: Iterable[str], grade: tuple[str, int] | None) -> list[m.Claim]:
        views = [v for v in (nodes.get(i) for i in sorted(set(claim_iris))) if v is not None]
        views = [v for v in views if _meets(v, grade)]
        nodes.load(t for v in views for t in v.targets("SOURCE", "CITES", "CLAIMED_QUANTITY"))
        claims = []
        for view in views:
            props = view.properties
            source_iri = view.first("SOURCE")
            source = nodes.ref(source_iri) if source_iri else None
            quantity = None
            quantity_iri = view.first("CLAIMED_QUANTITY")
            quantity_view = nodes.get(quantity_iri) if quantity_iri else None
            if quantity_view is not None:
                quantity = m.Quantity(
                    value=int(quantity_view.properties["value"]),
                    unit=str(quantity_view.properties.get("unit", "")),
                    qualifier=str(quantity_view.properties.get("qualifier", "")),
                )
            claims.append(
                m.Claim(
                    id=view.id,
                    source=m.SourceRef(
                        id=source.id if source else "",
                        iri=source.iri if source else "",
                        name=source.name if source else None,
                    ),
                    cites=[m.SourceRef(id=r.id, iri=r.iri, name=r.name) for r in nodes.refs(view.targets("CITES"))],
                    status=str(props.get("status", "")),
                    grading=f"{props.get('sourceReliability', '')}{props.get('informationCredibility', '')}",
                    quote=_str(props, "quote"),
                    locator=_str(props, "locator"),
                    attribution=_str(props, "attribution"),
                    quantity=quantity,
                    note=_str(props, "analystNote"),
                )
            )
        return sorted(claims, key=lambda c: c.id)

    def _claims_of(self, nodes: _Nodes, iris: Collection[str]) -> dict[str, list[str]]:
        """The claims asserting each of ``iris``, described with their sources and quantities in
        two batches (one store call each, whatever the number of facts)."""
        claims = nodes.incoming(iris, "ASSERTS")
        claim_iris = [c for cs in claims.values() for c in cs]
        nodes.load(claim_iris)
        nodes.load(
            t
            for c in claim_iris
            if (view := nodes.cache.get(c)) is not None
            for t in view.targets("SOURCE", "CITES", "CLAIMED_QUANTITY")
        )
        return claims

    def _events(self, nodes: _Nodes, iris: Sequence[str], grade: tuple[str, int] | None = None) -> list[m.Event]:
        """The events as answers, in the order given; assembled ones come from the shared cache
        (an event's answer depends only on the data version and the grade its claims must meet)."""
        kind = f"event:{grade}"
        cached: dict[str, m.Event] = nodes.shared.get_many(kind, iris) if nodes.shared is not None else {}
        missing = [iri for iri in iris if iri not in cached]
        if missing:
            built = {event.iri: event for event in self._build_events(nodes, missing, grade)}
            if nodes.shared is not None:
                nodes.shared.put_many(kind, built)
            cached.update(built)
        return [cached[iri] for iri in iris if iri in cached]

    def _build_events(self, nodes: _Nodes, iris: Sequence[str], grade: tuple[str, int] | None) -> list[m.Event]:
        nodes.load(iris)
        views = [v for v in (nodes.get(i) for i in iris) if v is not None]
        claims_of = self._claims_of(nodes, [v.iri for v in views])
        nodes.load(target for v in views for _, target in v.out)
        events = []
        for view in views:
            props = view.properties
            claims = self._claims(nodes, claims_of.get(view.iri, []), grade)
            start, end = _partial(props, "startDate"), _partial(props, "endDate")
            period = None
            if start is not None:
                period = m.Period(
                    start=str(start),
                    start_precision=start.precision,
                    end=str(end) if end else None,
                    end_precision=end.precision if end else None,
                )
            from_iri, to_iri = view.first(*FROM_TYPES), view.first(*TO_TYPES)
            places = [
                m.PlaceRole(place=nodes.ref(target), role=_PLACE_ROLES[rel_type])
                for rel_type, target in view.out
                if rel_type in _PLACE_ROLES
            ]
            quantities = [
                m.ClaimedQuantity(
                    value=c.quantity.value,
                    unit=c.quantity.unit,
                    qualifier=c.quantity.qualifier,
                    claim=c.id,
                    source=c.source.id,
                    status=c.status,
                )
                for c in claims
                if c.quantity is not None
            ]
            events.append(
                m.Event(
                    id=view.id,
                    iri=view.iri,
                    kind=kind_of(view.labels),
                    name=view.name,
                    description=_str(props, "description"),
                    from_=nodes.ref(from_iri) if from_iri else None,
                    to=nodes.ref(to_iri) if to_iri else None,
                    against=nodes.refs(view.targets(*TARGET_TYPES)),
                    items=nodes.refs(view.targets("ITEM")),
                    quantities=quantities,
                    period=period,
                    transport=sorted(str(t) for t in props.get("transportMode", [])),
                    vessels=sorted(str(v) for v in props.get("vesselName", [])),
                    places=sorted(places, key=lambda p: (p.role, p.place.id)),
                    stance=_str(props, "stance"),
                    concerns=nodes.refs(view.targets("CONCERNS")),
                    uses=nodes.refs(view.targets("USES_MATERIEL_FROM")),
                    in_exchange_for=nodes.refs(view.targets("IN_EXCHANGE_FOR")),
                    statuses=sorted({c.status for c in claims}),
                    claims=claims,
                )
            )
        return events

    def _treaties(self, nodes: _Nodes, iris: Sequence[str]) -> list[m.Treaty]:
        nodes.load(iris)
        views = [v for v in (nodes.get(i) for i in iris) if v is not None]
        claims_of = self._claims_of(nodes, [v.iri for v in views])
        replaced_by = nodes.incoming([v.iri for v in views], "REPLACES")
        nodes.load([t for v in views for _, t in v.out] + [r for rs in replaced_by.values() for r in rs])
        nodes.load(t for v in views for i in v.targets("RATIFICATION") for t in _targets(nodes, i))
        treaties = []
        for view in views:
            props = view.properties
            provisions = []
            for iri in view.targets("PROVISION"):
                provision = nodes.get(iri)
                if provision is None:
                    continue
                article = provision.properties.get("articleNumber")
                provisions.append(
                    m.Provision(
                        id=provision.id,
                        article=int(article) if article is not None else None,
                        kind=_str(provision.properties, "provisionKind"),
                        name=provision.name,
                        summary=_str(provision.properties, "description"),
                    )
                )
            ratifications = []
            for iri in view.targets("RATIFICATION"):
                step = nodes.get(iri)
                if step is None:
                    continue
                state = step.first("RATIFYING_STATE")
                ratifications.append(
                    m.Ratification(
                        state=nodes.ref(state) if state else None,
                        date=_date_value(step.properties, "ratifiedOn"),
                        step=step.name,
                    )
                )
            signed_at = view.first("SIGNED_AT")
            open_ended = props.get("openEnded")
            article_count = props.get("articleCount")
            treaties.append(
                m.Treaty(
                    id=view.id,
                    iri=view.iri,
                    name=view.name,
                    title=_str(props, "title"),
                    parties=nodes.refs(view.targets("PARTY")),
                    signed=_date_value(props, "signedOn"),
                    signed_at=nodes.ref(signed_at) if signed_at else None,
                    signatories=nodes.refs(view.targets("SIGNATORY")),
                    article_count=int(article_count) if article_count is not None else None,
                    open_ended=bool(open_ended) if open_ended is not None else None,
                    entry_into_force=_date_value(props, "entryIntoForce"),
                    terminated=_date_value(props, "terminatedOn"),
                    replaces=nodes.refs(view.targets("REPLACES")),
                    replaced_by=nodes.refs(replaced_by.get(view.iri, [])),
                    provisions=sorted(provisions, key=lambda p: (p.article or 0, p.id)),
                    ratifications=sorted(
                        ratifications,
                        key=lambda r: (
                            r.date.value if r.date else UNDATED,
                            r.state.id if r.state else "",
                            r.step or "",
                        ),
                    ),
                    claims=self._claims(nodes, claims_of.get(view.iri, []), None),
                )
            )
        return treaties

    # -- flows, deployments, relations ------------------------------------------------------------

    def flows(
        self,
        source: str,
        target: str | None = None,
        kinds: Sequence[str] | None = None,
        since: str | None = None,
        until: str | None = None,
        undated: Literal["include", "exclude"] = "include",
        status: str | None = None,
        min_grade: str | None = None,
        limit: int = DEFAULT_LIMIT,
        cursor: str | None = None,
    ) -> m.FlowPage:
        """Events flowing from one actor (to another), in time order (undated last)."""
        return self._event_page(
            "flows", "from", source, "to", target, kinds, FLOW_KINDS, since, until, undated, status, min_grade,
            limit, cursor,
        )

    def deployments(
        self,
        by: str | None = None,
        to: str | None = None,
        since: str | None = None,
        until: str | None = None,
        undated: Literal["include", "exclude"] = "include",
        status: str | None = None,
        min_grade: str | None = None,
        limit: int = DEFAULT_LIMIT,
        cursor: str | None = None,
    ) -> m.FlowPage:
        """Troop deployments by a state (to another), in time order."""
        return self._event_page(
            "deployments", "by", by, "to", to, ["troop-deployment"], (), since, until, undated, status, min_grade,
            limit, cursor,
        )

    def _event_page(
        self,
        endpoint: str,
        source_parameter: str,
        source_ref: str | None,
        target_parameter: str,
        target_ref: str | None,
        kinds: Sequence[str] | None,
        default_kinds: Sequence[str],
        since: str | None,
        until: str | None,
        undated: Literal["include", "exclude"],
        status: str | None,
        min_grade: str | None,
        limit: int,
        cursor: str | None,
    ) -> m.FlowPage:
        check_limit(limit)
        start, end = parse_window(since, until)
        chosen_kinds = parse_kinds(kinds, default_kinds)
        claim_status = parse_status(status)
        grade = parse_grade(min_grade)
        if undated not in ("include", "exclude"):
            raise InvalidParameter("undated", "undated must be include or exclude")
        actor = "actor (state, organisation or person)"
        source = self._resolve_optional(source_parameter, source_ref, ACTOR_LABELS, actor)
        target = self._resolve_optional(target_parameter, target_ref, ACTOR_LABELS, actor)
        flt = EventFilter(
            source=source,
            target=target,
            labels=frozenset(EVENT_KIND_LABELS[k] for k in chosen_kinds),
            since=start,
            until=end,
            include_undated=undated == "include",
            status=claim_status,
            max_reliability=grade[0] if grade else None,
            max_credibility=grade[1] if grade else None,
        )
        query = fingerprint(endpoint, source, target, chosen_kinds, start, end, undated, claim_status, grade)
        after = Cursor.decode(cursor, query)
        keyed = self.store.select_events(flt, after, limit + 1)
        iris, next_cursor = _page(keyed, limit, query)
        nodes = self._nodes()
        nodes.load([i for i in (source, target) if i])
        items = self._events(nodes, iris, grade)
        return m.FlowPage(
            items=items,
            next_cursor=next_cursor,
            query=m.FlowQuery(
                from_=nodes.ref(source) if source else None,
                to=nodes.ref(target) if target else None,
                kinds=chosen_kinds,
                since=start.isoformat() if start else None,
                until=end.isoformat() if end else None,
                undated=undated,
                status=claim_status,
                min_grade=f"{grade[0]}{grade[1]}" if grade else None,
            ),
        )

    def relations(
        self, a_ref: str, b_ref: str, limit: int = DEFAULT_LIMIT, cursor: str | None = None
    ) -> m.RelationPage:
        """One timeline of everything between two actors: treaties, events either way, and the
        statements about them; ordered by start, undated last."""
        check_limit(limit)
        actor = "actor (state, organisation or person)"
        a = self.resolve("a", a_ref, ACTOR_LABELS, actor)
        b = self.resolve("b", b_ref, ACTOR_LABELS, actor)
        if a == b:
            raise InvalidParameter("b", "a and b name the same actor")
        query = fingerprint("relations", a, b)
        after = Cursor.decode(cursor, query)
        to_types = (*TO_TYPES, *TARGET_TYPES)
        streams = [
            self.store.select_events(EventFilter(source=a, target=b, to_types=to_types), after, limit + 1),
            self.store.select_events(EventFilter(source=b, target=a, to_types=to_types), after, limit + 1),
            self.store.statements_between(a, b, after, limit + 1),
            [(iri, key) for iri, key in self.store.treaties([a, b]) if key > (after or "")],
        ]
        merged: list[Keyed] = []
        seen: set[str] = set()
        for iri, key in heapq.merge(*streams, key=lambda pair: pair[1]):
            if iri not in seen:
                seen.add(iri)
                merged.append((iri, key))
            if len(merged) > limit:
                break
        iris, next_cursor = _page(merged, limit, query)
        keys = dict(merged)
        nodes = self._nodes()
        nodes.load([a, b, *iris])
        treaty_iris = [i for i in iris if (v := nodes.get(i)) is not None and "Treaty" in v.labels]
        event_iris = [i for i in iris if i not in treaty_iris]
        events = {e.iri: e for e in self._events(nodes, event_iris)}
        treaties = {t.iri: t for t in self._treaties(nodes, treaty_iris)}
        items = []
        for iri in iris:
            day = keys[iri].split(" ", 1)[0]
            start = None if day == UNDATED else day
            if iri in treaties:
                items.append(m.RelationItem(type="treaty", start=start, treaty=treaties[iri]))
            elif iri in events:
                event = events[iri]
                direction: Literal["a-to-b", "b-to-a"] | None = None
                if event.from_ is not None and event.kind != "official-statement":
                    direction = "a-to-b" if event.from_.iri == a else "b-to-a" if event.from_.iri == b else None
                items.append(m.RelationItem(type="event", start=start, direction=direction, event=event))
        return m.RelationPage(items=items, next_cursor=next_cursor, a=nodes.ref(a), b=nodes.ref(b))

    # -- treaties ---------------------------------------------------------------------------------

    def treaties(
        self,
        party: str | None = None,
        in_force_on: str | None = None,
        limit: int = DEFAULT_LIMIT,
        cursor: str | None = None,
    ) -> m.TreatyPage:
        """Treaties (of a party), optionally only those in force on a day, by signature date.

        In force on D: entered into force by D (its whole entry-into-force date lies on or
        before D), not terminated on or before D, and not replaced by a treaty in force on D.
        A treaty whose entry into force the sources do not give is never listed as in force.
        """
        check_limit(limit)
        day = parse_date("in_force_on", in_force_on, last=False)
        if in_force_on is not None and day is not None and PartialDate.parse(in_force_on.strip()).precision != "day":
            raise InvalidParameter("in_force_on", "in_force_on must be a day: YYYY-MM-DD")
        party_iri = self._resolve_optional("party", party, frozenset({"State"}), "state")
        query = fingerprint("treaties", party_iri, day)
        after = Cursor.decode(cursor, query)
        keyed = self.store.treaties([party_iri] if party_iri else [])
        nodes = self._nodes()
        if day is not None:
            in_force = self._in_force([iri for iri, _ in keyed], day, nodes)
            keyed = [(iri, key) for iri, key in keyed if iri in in_force]
        keyed = [(iri, key) for iri, key in keyed if key > (after or "")][: limit + 1]
        iris, next_cursor = _page(keyed, limit, query)
        return m.TreatyPage(
            items=self._treaties(nodes, iris),
            next_cursor=next_cursor,
            party=nodes.ref(party_iri) if party_iri else None,
            in_force_on=day.isoformat() if day else None,
        )

    def _in_force(self, iris: Sequence[str], day: dt.date, nodes: _Nodes) -> set[str]:
        # Follow REPLACES backwards until every treaty that replaces one of ours is known.
        replaced_by: dict[str, list[str]] = defaultdict(list)
        known: set[str] = set()
        todo = set(iris)
        while todo:
            nodes.load(todo)
            known |= todo
            found = self.store.incoming(sorted(todo), ["REPLACES"])
            for edge in found:
                replaced_by[edge.end].append(edge.start)
            todo = {edge.start for edge in found} - known

        memo: dict[str, bool] = {}

        def in_force(iri: str, seen: frozenset[str]) -> bool:
            if iri in memo:
                return memo[iri]
            view = nodes.get(iri)
            result = False
            if view is not None and iri not in seen:
                entry = _partial(view.properties, "entryIntoForce")
                ended = _partial(view.properties, "terminatedOn")
                result = (
                    entry is not None
                    and entry.last_day <= day
                    and (ended is None or ended.first_day > day)
                    and not any(in_force(r, seen | {iri}) for r in replaced_by.get(iri, []))
                )
            memo[iri] = result
            return result

        return {iri for iri in iris if in_force(iri, frozenset())}

    # -- violations -----------------------------------------------------------------------------------

    def violations(
        self,
        state: str | None = None,
        measure: str | None = None,
        limit: int = DEFAULT_LIMIT,
        cursor: str | None = None,
    ) -> m.ViolationPage:
        """Breaches of sanctions measures, by the breaching event's start."""
        check_limit(limit)
        state_iri = self._resolve_optional("state", state, ACTOR_LABELS, "actor (state, organisation or person)")
        measure_iri = self._resolve_optional("measure", measure, frozenset({"SanctionsMeasure"}), "sanctions measure")
        query = fingerprint("violations", state_iri, measure_iri)
        after = Cursor.decode(cursor, query)
        iris, next_cursor = _page(self.store.breaches(state_iri, measure_iri, after, limit + 1), limit, query)
        nodes = self._nodes()
        nodes.load([*iris, *[i for i in (state_iri, measure_iri) if i]])
        views = [v for v in (nodes.get(i) for i in iris) if v is not None]
        event_iris = sorted({e for v in views if (e := v.first("BREACHING_EVENT"))})
        measure_iris = sorted({x for v in views if (x := v.first("BREACHED_MEASURE"))})
        events = {e.iri: e for e in self._events(nodes, event_iris)}
        measures = self._measures(nodes, measure_iris)
        claims_of = self._claims_of(nodes, iris)
        items = []
        for view in views:
            event_iri, m_iri = view.first("BREACHING_EVENT"), view.first("BREACHED_MEASURE")
            items.append(
                m.Violation(
                    id=view.id,
                    iri=view.iri,
                    name=view.name,
                    event=events.get(event_iri) if event_iri else None,
                    measure=measures.get(m_iri) if m_iri else None,
                    claims=self._claims(nodes, claims_of.get(view.iri, []), None),
                )
            )
        return m.ViolationPage(
            items=items,
            next_cursor=next_cursor,
            state=nodes.ref(state_iri) if state_iri else None,
            measure=nodes.ref(measure_iri) if measure_iri else None,
        )

    def _measures(self, nodes: _Nodes, iris: Sequence[str]) -> dict[str, m.Measure]:
        nodes.load(iris)
        views = [v for v in (nodes.get(i) for i in iris) if v is not None]
        nodes.load(t for v in views for _, t in v.out)
        nodes.load(t for v in views for r in v.targets("IMPOSED_BY") for t in _targets(nodes, r))
        measures = {}
        for view in views:
            cap_iri = view.first("CAP")
            cap_view = nodes.get(cap_iri) if cap_iri else None
            resolutions = []
            for iri in view.targets("IMPOSED_BY"):
                res = nodes.get(iri)
                if res is None:
                    continue
                number = res.properties.get("resolutionNumber")
                by = res.first("ADOPTED_BY")
                resolutions.append(
                    m.Resolution(
                        id=res.id,
                        iri=res.iri,
                        name=res.name,
                        number=int(number) if number is not None else None,
                        adopted=_date_value(res.properties, "adoptedOn"),
                        by=nodes.ref(by) if by else None,
                    )
                )
            target = view.first("TARGET_STATE")
            measures[view.iri] = m.Measure(
                id=view.id,
                iri=view.iri,
                name=view.name,
                kind=_str(view.properties, "measureKind"),
                target=nodes.ref(target) if target else None,
                covers=nodes.refs(view.targets("COVERS_MATERIEL")),
                cap=m.Quantity(
                    value=int(cap_view.properties["value"]),
                    unit=str(cap_view.properties.get("unit", "")),
                    qualifier=str(cap_view.properties.get("qualifier", "")),
                )
                if cap_view is not None
                else None,
                resolutions=sorted(resolutions, key=lambda r: (r.number or 0, r.id)),
            )
        return measures

    # -- sources ----------------------------------------------------------------------------------------

    def _sources(self, nodes: _Nodes, iris: Sequence[str]) -> list[m.Source]:
        nodes.load(iris)
        counts = {iri: self.store.incoming_counts(iri) for iri in iris}
        sources = []
        for iri in iris:
            view = nodes.get(iri)
            if view is None:
                continue
            props = view.properties
            sources.append(
                m.Source(
                    id=view.id,
                    iri=iri,
                    name=view.name,
                    title=_str(props, "title"),
                    publisher=_str(props, "publisher"),
                    kind=_str(props, "sourceKind"),
                    number=_str(props, "documentNumber"),
                    issued=_date_value(props, "issued"),
                    briefed=_date_value(props, "briefedOn"),
                    urls=sorted(str(u) for u in props.get("url", [])),
                    description=_str(props, "description"),
                    claims_read_here=counts[iri].get("SOURCE", 0),
                    claims_citing=counts[iri].get("CITES", 0),
                )
            )
        return sources

    def sources(self, limit: int = DEFAULT_LIMIT, cursor: str | None = None) -> m.Page[m.Source]:
        """Every source document, by IRI."""
        check_limit(limit)
        query = fingerprint("sources")
        after = Cursor.decode(cursor, query)
        keyed = [(iri, key) for iri, key in self.store.sources() if key > (after or "")][: limit + 1]
        iris, next_cursor = _page(keyed, limit, query)
        return m.Page[m.Source](items=self._sources(self._nodes(), iris), next_cursor=next_cursor)

    def source(self, ref: str, limit: int = DEFAULT_LIMIT, cursor: str | None = None) -> m.SourceDetail:
        """One source and the facts it supports: read in it, or attributed to it by a claim's
        ``cites``; each fact with the claims that tie it to the source."""
        check_limit(limit)
        iri = self.resolve("id", ref, frozenset({"SourceDocument"}), "source")
        query = fingerprint("source", iri)
        after = Cursor.decode(cursor, query)
        fact_iris, next_cursor = _page(self.store.source_facts(iri, after, limit + 1), limit, query)
        nodes = self._nodes()
        [source] = self._sources(nodes, [iri])
        nodes.load(fact_iris)
        claims_of = self._claims_of(nodes, fact_iris)
        facts = []
        for fact in fact_iris:
            tied = []
            via: set[Literal["source", "cites"]] = set()
            for claim in claims_of.get(fact, []):
                view = nodes.get(claim)
                if view is None:
                    continue
                if iri in view.targets("SOURCE"):
                    via.add("source")
                    tied.append(claim)
                if iri in view.targets("CITES"):
                    via.add("cites")
                    tied.append(claim)
            facts.append(
                m.SupportedFact(fact=nodes.ref(fact), claims=self._claims(nodes, tied, None), via=sorted(via))
            )
        return m.SourceDetail(source=source, facts=m.Page[m.SupportedFact](items=facts, next_cursor=next_cursor))

    # -- entities -----------------------------------------------------------------------------------------

    def search(self, q: str, limit: int = DEFAULT_LIMIT, cursor: str | None = None) -> m.Page[m.EntitySummary]:
        """Named entities whose name, alias or id contains ``q`` (any case): exact matches first,
        then prefixes, then the rest; by IRI within each."""
        check_limit(limit)
        text = _check_text("q", q).lower()
        query = fingerprint("search", text)
        after = Cursor.decode(cursor, query)
        iris, next_cursor = _page(self.store.search(text, after, limit + 1), limit, query)
        nodes = self._nodes()
        nodes.load(iris)
        items = [self._summary(nodes, iri) for iri in iris]
        return m.Page[m.EntitySummary](items=items, next_cursor=next_cursor)

    @staticmethod
    def _summary(nodes: _Nodes, iri: str) -> m.EntitySummary:
        ref = nodes.ref(iri)
        view = nodes.get(iri)
        aliases = sorted(str(a) for a in view.properties.get("aliases", [])) if view else []
        return m.EntitySummary(id=ref.id, iri=ref.iri, kind=ref.kind, name=ref.name, aliases=aliases)

    def entity(self, ref: str) -> m.EntityDetail:
        """One entity: identifiers, properties, its outgoing links and counts of incoming ones."""
        iri = self.resolve("ref", ref, None, "entity")
        nodes = self._nodes()
        view = nodes.get(iri)
        if view is None:  # removed between resolution and now
            raise NotFound("ref", f"no entity matches '{_clip(ref)}' (parameter ref)")
        nodes.load(t for _, t in view.out)
        identifiers = {}
        for key, name in (("isoCode", "iso_code"), ("wikidataId", "wikidata")):
            value = view.properties.get(key)
            if value is not None:
                identifiers[name] = str(value)
        skip = {"iri", "id", "name", "aliases", "description", "isoCode", "wikidataId"}
        properties: dict[str, Any] = {}
        for key, value in sorted(view.properties.items()):
            if key in skip or key.endswith("Precision"):
                continue
            if isinstance(value, dt.date):
                date = _date_value(view.properties, key)
                properties[key] = date.model_dump() if date else value.isoformat()
            elif isinstance(value, list):
                properties[key] = [v.isoformat() if isinstance(v, dt.date) else v for v in value]
            else:
                properties[key] = value
        outgoing = sorted(
            (m.Link(type=rel_type, target=nodes.ref(target)) for rel_type, target in view.out),
            key=lambda link: (link.type, link.target.id, link.target.iri),
        )
        counts = self.store.incoming_counts(iri)
        event = self._events(nodes, [iri])[0] if view.labels & _EVENT_LABELS else None
        treaty = self._treaties(nodes, [iri])[0] if "Treaty" in view.labels else None
        return m.EntityDetail(
            entity=self._summary(nodes, iri),
            identifiers=identifiers,
            description=_str(view.properties, "description"),
            properties=properties,
            outgoing=outgoing,
            incoming=[m.LinkCount(type=t, count=c) for t, c in sorted(counts.items())],
            event=event,
            treaty=treaty,
        )

    # -- paths ----------------------------------------------------------------------------------------------

    def paths(
        self, source_ref: str, target_ref: str, max_hops: int = DEFAULT_MAX_HOPS, limit: int = DEFAULT_PATHS
    ) -> m.PathAnswer:
        """The shortest paths (at most ``max_hops`` long) between two actors, events, places or
        treaties, walking only those kinds of node. All shortest paths are counted; ``limit`` of
        them are listed in a fixed order (by the IRIs along the way)."""
        check_limit(max_hops, MAX_HOPS, "max_hops")
        check_limit(limit, MAX_PATHS)
        what = "actor, event, place or treaty"
        s = self.resolve("from", source_ref, PATH_LABELS, what)
        t = self.resolve("to", target_ref, PATH_LABELS, what)
        if s == t:
            raise InvalidParameter("to", "from and to name the same entity")
        search = _PathSearch(self.store, s, t, max_hops)
        search.run()
        nodes = self._nodes()
        paths = list(search.paths(limit))
        nodes.load([s, t, *[n for p in paths for n in p[0]]])
        return m.PathAnswer(
            from_=nodes.ref(s),
            to=nodes.ref(t),
            max_hops=max_hops,
            length=search.length,
            total=search.count(),
            complete=search.complete,
            paths=[
                m.Path(
                    length=len(steps),
                    nodes=[nodes.ref(n) for n in path_nodes],
                    steps=[m.PathStep(type=rel_type, direction=d) for rel_type, d in steps],
                )
                for path_nodes, steps in paths
            ],
        )

    # -- health -----------------------------------------------------------------------------------------------

    def health(self) -> m.Health:
        status = self.store.status()
        return m.Health(status="ok", backend=status.backend, data_version=status.data_version, counts=status.counts)


#: Labels whose nodes all sit in the entity index (with the superlabels they imply).
_REFERENCE_AND_SUPER = frozenset(REFERENCE_LABELS) | {"Actor"}


def _targets(nodes: _Nodes, iri: str) -> list[str]:
    view = nodes.get(iri)
    return [t for _, t in view.out] if view else []


_Step = tuple[str, str, Literal["forward", "backward"]]  # (neighbour, type, direction)


class _PathSearch:
    """Bidirectional breadth-first search, then the shortest-path DAG, walked in IRI order.

    Each expansion asks the store for the neighbours of a whole frontier in one call. The side
    with the smaller frontier expands next; the search stops at the first level where the two
    sides meet (that fixes the shortest length d), when a side runs dry (no path), after
    ``max_hops`` levels in all, or when it has fetched :data:`PATH_EDGE_BUDGET` relationships
    (complete=False, no paths: a partial search cannot tell which paths are shortest).
    """

    def __init__(self, store: GraphStore, source: str, target: str, max_hops: int) -> None:
        self.store = store
        self.source = source
        self.target = target
        self.max_hops = max_hops
        self.dist: dict[str, dict[str, int]] = {source: {source: 0}, target: {target: 0}}
        self.depth = {source: 0, target: 0}
        self.adjacent: dict[str, set[_Step]] = defaultdict(set)
        self.length: int | None = None
        self.complete = True
        self.fetched = 0
        self._ways: dict[str, int] = {}
        self._step_cache: dict[str, list[_Step]] = {}

    def _expand(self, side: str, frontier: list[str]) -> list[str] | None:
        """The next frontier of ``side``; None when the budget ran out part way."""
        for start in range(0, len(frontier), _NEIGHBOUR_BATCH):
            edges: list[Edge] = self.store.neighbours(frontier[start : start + _NEIGHBOUR_BATCH])
            for edge in edges:
                self.adjacent[edge.start].add((edge.end, edge.type, "forward"))
                self.adjacent[edge.end].add((edge.start, edge.type, "backward"))
            self.fetched += len(edges)
            if self.fetched > PATH_EDGE_BUDGET:
                return None
        dist = self.dist[side]
        depth = self.depth[side] + 1
        new: set[str] = set()
        for node in frontier:
            for neighbour, _, _ in self.adjacent[node]:
                if neighbour not in dist:
                    dist[neighbour] = depth
                    new.add(neighbour)
        self.depth[side] = depth
        return list(new)  # the order does not matter: the paths are put in order at the end

    def run(self) -> None:
        s, t = self.source, self.target
        frontiers = {s: [s], t: [t]}
        while self.depth[s] + self.depth[t] < self.max_hops and frontiers[s] and frontiers[t]:
            side = s if len(frontiers[s]) <= len(frontiers[t]) else t
            other = t if side == s else s
            expanded = self._expand(side, frontiers[side])
            if expanded is None:
                self.complete = False
                return
            frontiers[side] = expanded
            meets = [n for n in expanded if n in self.dist[other]]
            if meets:
                self.length = min(self.dist[s][n] + self.dist[t][n] for n in meets)
                return

    def _fits(self, node: str, position: int) -> bool:
        """Whether ``node`` can stand at ``position`` on a shortest path."""
        assert self.length is not None
        to_target = self.dist[self.target]
        if node in to_target:
            return to_target[node] == self.length - position
        return self.dist[self.source].get(node) == position

    def _steps(self, node: str, position: int) -> list[_Step]:
        # A node's position on a shortest path is fixed, so its steps are computed once.
        steps = self._step_cache.get(node)
        if steps is None:
            steps = sorted(step for step in self.adjacent[node] if self._fits(step[0], position + 1))
            self._step_cache[node] = steps
        return steps

    def _count(self, node: str, position: int) -> int:
        if node == self.target:
            return 1
        if node not in self._ways:
            self._ways[node] = sum(self._count(n, position + 1) for n, _, _ in self._steps(node, position))
        return self._ways[node]

    def count(self) -> int:
        return 0 if self.length is None else self._count(self.source, 0)

    def paths(self, limit: int) -> Iterator[tuple[list[str], list[tuple[str, Literal["forward", "backward"]]]]]:
        if self.length is None:
            return
        produced = 0
        stack: list[tuple[str, int, list[str], list[tuple[str, Literal["forward", "backward"]]]]] = [
            (self.source, 0, [self.source], [])
        ]
        while stack and produced < limit:
            node, position, path, steps = stack.pop()
            if node == self.target:
                produced += 1
                yield path, steps
                continue
            options = [
                (n, rel_type, d)
                for n, rel_type, d in self._steps(node, position)
                if self._count(n, position + 1) > 0
            ]
            for neighbour, rel_type, direction in reversed(options):
                stack.append((neighbour, position + 1, [*path, neighbour], [*steps, (rel_type, direction)]))


__all__ = [
    "Ambiguous",
    "InvalidParameter",
    "NotFound",
    "QueryError",
    "QueryService",
    "time_key",
]
