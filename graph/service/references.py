"""Which entity a reference names: an IRI, an id, an ISO code (alpha-3 or alpha-2), a QID, a
name or an alias.

The entities people name (:data:`~milcoop.ontology.kinds.REFERENCE_LABELS`: states,
organisations, places, treaties, ...) are few, so they sit in an in-memory :class:`EntityIndex`
by every key they are known by, rebuilt when the data version changes; it is also the pool of
"did you mean" hints. Everything else (events, claims, ...) resolves by id or IRI through the
store. A reference that names nothing raises NotFound with close matches, one that names several
raises Ambiguous listing them, and one that names something of another kind says what it names.
"""

from __future__ import annotations

import difflib
import re
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from milcoop.graph import models as m
from milcoop.graph.service.assemble import Nodes, kind_of
from milcoop.graph.service.errors import Ambiguous, InvalidParameter, NotFound
from milcoop.graph.service.requests import check_text, clip
from milcoop.graph.store import GraphStore, NodeView
from milcoop.ontology.kinds import REFERENCE_LABELS
from milcoop.ontology.vocabulary import vocabulary

#: How error messages name what an actor parameter wants.
ACTOR = "actor (state, organisation or person)"
#: The properties besides ``id`` and the aliases that a reference may give.
#: (Not every identifier: the alpha-2 code is added by its own rule below, and the COW codes and
#: the ISO numeric code name nothing, as they collide with other states' codes.)
REFERENCE_KEYS: tuple[str, ...] = ("name", "isoCode", "wikidataId")
#: A state's ISO 3166-1 alpha-2 code names it as its alpha-3 code does (``BR`` names BRA). ISO
#: gave some withdrawn codes to new states (GE: the Gilbert and Ellice Islands, then Georgia), so
#: a former state's code (one with ``isoCodeWithdrawn``) names it only where no current state
#: holds the code. The COW abbreviation is no key: it reuses other states' alpha-3 codes.
ALPHA2_KEY = "isoAlpha2"
WITHDRAWN_KEY = "isoCodeWithdrawn"


def _wholly_indexed() -> frozenset[str]:
    """The labels whose nodes all sit in the index: the reference labels, and each superlabel
    (such as Actor) whose every sublabel is one."""
    supers = vocabulary().superlabels
    indexed = set(REFERENCE_LABELS)
    for label in {s for labels in supers.values() for s in labels}:
        subs = {sub for sub, labels in supers.items() if label in labels}
        if subs <= indexed:
            indexed.add(label)
    return frozenset(indexed)


_WHOLLY_INDEXED = _wholly_indexed()


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
        """The index of the named entities ``views`` (of data version ``version``)."""
        index = cls(version)
        views = list(views)
        current_alpha2 = {
            str(code).casefold()
            for view in views
            if isinstance(code := view.properties.get(ALPHA2_KEY), str) and view.properties.get(WITHDRAWN_KEY) is None
        }
        for view in views:
            aliases = [str(a) for a in view.properties.get("aliases", [])]
            entry = _Entry(view.iri, view.id, view.labels, view.name, aliases)
            index.entries[view.iri] = entry
            index.by_id[view.id].append(view.iri)
            keys = {view.id, *aliases}
            for key in REFERENCE_KEYS:
                value = view.properties.get(key)
                if isinstance(value, str):
                    keys.add(value)
            alpha2 = view.properties.get(ALPHA2_KEY)
            if isinstance(alpha2, str) and (
                view.properties.get(WITHDRAWN_KEY) is None or alpha2.casefold() not in current_alpha2
            ):
                keys.add(alpha2)
            for key in keys:
                folded = key.strip().casefold()
                if folded and view.iri not in index.by_key[folded]:
                    index.by_key[folded].append(view.iri)
        return index

    def suggestions(self, text: str, allowed: frozenset[str] | None, count: int = 5) -> list[m.Suggestion]:
        """Up to ``count`` entities of the ``allowed`` labels known by a key close to ``text``."""
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


class References:
    """Resolves references against a store, through the entity index of its data version."""

    def __init__(self, store: GraphStore, nodes: Callable[[], Nodes]) -> None:
        self.store = store
        #: A node reader for the current request, to describe the entities an error names.
        self.nodes = nodes
        self._index: EntityIndex | None = None
        self._lock = threading.Lock()

    def index(self) -> EntityIndex:
        """The entity index of the loaded data version (rebuilt when the data changes)."""
        version = self.store.data_version()
        index = self._index
        if index is not None and index.version == version:
            return index
        with self._lock:
            if self._index is None or self._index.version != version:
                self._index = EntityIndex.build(version, self.store.named_entities())
            return self._index

    def resolve(self, parameter: str, ref: str, allowed: frozenset[str] | None, what: str) -> str:
        """The IRI of the one entity ``ref`` names, among nodes carrying an ``allowed`` label.

        ``ref`` may be an IRI, an id, an ISO code, a QID, a name or an alias, in any case:
        ``PRK``, ``prk``, ``KP``, ``DPRK``, ``North Korea`` and ``Q423`` all name the state PRK.
        Raises NotFound (with close matches), Ambiguous, or InvalidParameter when it names only
        entities of another kind (``what`` says which kind was wanted).
        """
        text = check_text(parameter, ref)
        index = self.index()

        def labels_of(iri: str) -> frozenset[str]:
            entry = index.entries.get(iri)
            if entry is not None:
                return entry.labels
            view = self.store.describe([iri]).get(iri)
            return view.labels if view else frozenset()

        # From the most to the least exact: the first tier that names something decides.
        tiers: list[Callable[[], list[str]]] = []
        if re.match(r"^(https?|urn):", text):
            tiers.append(lambda: self.store.lookup("iri", text))
        tiers.append(lambda: list(index.by_id.get(text, [])))
        tiers.append(lambda: list(index.by_key.get(text.casefold(), [])))
        tiers.append(lambda: self.store.lookup("id", text))
        other_kind: list[str] = []
        for tier in tiers:
            if tier is tiers[-1] and allowed is not None and allowed <= _WHOLLY_INDEXED and other_kind:
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
                nodes = self.nodes()
                candidates = [nodes.ref(iri) for iri in found]
                listed = ", ".join(f"{r.kind} {r.id}" for r in candidates[:5])
                raise Ambiguous(
                    parameter,
                    f"'{clip(text)}' (parameter {parameter}) names several entities: {listed}; use an id or IRI",
                    [m.Suggestion(id=r.id, kind=r.kind, name=r.name) for r in candidates],
                )
            other_kind = other_kind or everything
        if other_kind:
            nodes = self.nodes()
            named = [nodes.ref(iri) for iri in other_kind]
            listed = ", ".join(f"{r.kind} {r.id}" for r in named[:5])
            raise InvalidParameter(parameter, f"'{clip(text)}' (parameter {parameter}) is a {listed}, not an {what}")
        suggestions = index.suggestions(text, allowed)
        hint = ""
        if suggestions:
            hint = (
                "; did you mean "
                + ", ".join(f"{s.id} ({s.name})" if s.name and s.name != s.id else s.id for s in suggestions)
                + "?"
            )
        raise NotFound(parameter, f"no {what} matches '{clip(text)}' (parameter {parameter}){hint}", suggestions)

    def resolve_optional(
        self, parameter: str, ref: str | None, allowed: frozenset[str] | None, what: str
    ) -> str | None:
        """:meth:`resolve`, or None when no reference was given."""
        return None if ref is None else self.resolve(parameter, ref, allowed, what)
