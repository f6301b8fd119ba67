"""The query service: one method per endpoint, each parsing its parameters
(:mod:`.requests`), resolving its references (:mod:`.references`), asking the store for one page
of keys, and assembling the answer (:mod:`.assemble`)."""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from milcoop.graph import models as m
from milcoop.graph.cache import VersionedLru
from milcoop.graph.service import assemble, derive
from milcoop.graph.service.assemble import DEFAULT_CACHE_SIZE, Nodes
from milcoop.graph.service.changes import Changes, change_key, change_model, filtered, version_model
from milcoop.graph.service.errors import InvalidParameter, NotFound
from milcoop.graph.service.paths import PathSearch
from milcoop.graph.service.references import ACTOR, EntityIndex, References
from milcoop.graph.service.requests import (
    DEFAULT_LIMIT,
    DEFAULT_MAX_HOPS,
    DEFAULT_PATHS,
    MAX_HOPS,
    MAX_PATHS,
    Cursor,
    Undated,
    check_limit,
    check_text,
    clip,
    fingerprint,
    page,
    parse_basis,
    parse_day,
    parse_grade,
    parse_kinds,
    parse_status,
    parse_undated,
    parse_window,
)
from milcoop.graph.store import EventFilter, GraphStore, Keyed, keys_after
from milcoop.ontology.kinds import ACTOR_LABELS, EVENT_KIND_LABELS, FLOW_KINDS, PATH_LABELS, TARGET_TYPES, TO_TYPES


class QueryService:
    """Answers every API request from a :class:`~milcoop.graph.store.GraphStore`."""

    def __init__(self, store: GraphStore, cache_size: int = DEFAULT_CACHE_SIZE) -> None:
        self.store = store
        self.cache_size = cache_size
        # One cache for the service, emptied when a request reads a new data version.
        self._shared: VersionedLru[str, Any] | None = VersionedLru(cache_size) if cache_size > 0 else None
        self._references = References(store, self._nodes)
        self._changes = Changes(store)

    def _nodes(self) -> Nodes:
        """A per-request node reader over the shared cache of the current data version."""
        if self._shared is None:
            return Nodes(self.store)
        return Nodes(self.store, self._shared, self.store.data_version())

    # -- references -----------------------------------------------------------------------------

    def index(self) -> EntityIndex:
        """The entity index of the loaded data version (rebuilt when the data changes)."""
        return self._references.index()

    def resolve(self, parameter: str, ref: str, allowed: frozenset[str] | None, what: str) -> str:
        """The IRI of the one entity ``ref`` names, among nodes carrying an ``allowed`` label
        (see :meth:`.references.References.resolve`)."""
        return self._references.resolve(parameter, ref, allowed, what)

    # -- flows, deployments, relations ------------------------------------------------------------

    def flows(
        self,
        source: str,
        target: str | None = None,
        kinds: Sequence[str] | None = None,
        since: str | None = None,
        until: str | None = None,
        undated: Undated = "include",
        status: str | None = None,
        min_grade: str | None = None,
        limit: int = DEFAULT_LIMIT,
        cursor: str | None = None,
        changed_since: str | None = None,
    ) -> m.FlowPage:
        """Events flowing from one actor (to another), in time order (undated last); with
        ``changed_since``, only those that (or any of whose claims) changed since then."""
        return self._event_page(
            "flows", ("from", source), ("to", target), kinds, FLOW_KINDS,
            since, until, undated, status, min_grade, limit, cursor, changed_since,
        )  # fmt: skip

    def deployments(
        self,
        by: str | None = None,
        to: str | None = None,
        since: str | None = None,
        until: str | None = None,
        undated: Undated = "include",
        status: str | None = None,
        min_grade: str | None = None,
        limit: int = DEFAULT_LIMIT,
        cursor: str | None = None,
        changed_since: str | None = None,
    ) -> m.FlowPage:
        """Troop deployments by a state (to another), in time order."""
        return self._event_page(
            "deployments", ("by", by), ("to", to), ["troop-deployment"], (),
            since, until, undated, status, min_grade, limit, cursor, changed_since,
        )  # fmt: skip

    def _event_page(
        self,
        endpoint: str,
        source_ref: tuple[str, str | None],
        target_ref: tuple[str, str | None],
        kinds: Sequence[str] | None,
        default_kinds: Sequence[str],
        since: str | None,
        until: str | None,
        undated: str,
        status: str | None,
        min_grade: str | None,
        limit: int,
        cursor: str | None,
        changed_since: str | None = None,
    ) -> m.FlowPage:
        """One page of events between actors given as (parameter, reference)."""
        check_limit(limit)
        window = parse_window(since, until)
        chosen_kinds = parse_kinds(kinds, default_kinds)
        claim_status = parse_status(status)
        grade = parse_grade(min_grade)
        include = parse_undated(undated)
        source = self._references.resolve_optional(*source_ref, ACTOR_LABELS, ACTOR)
        target = self._references.resolve_optional(*target_ref, ACTOR_LABELS, ACTOR)
        flt = EventFilter(
            source=source,
            target=target,
            labels=frozenset(EVENT_KIND_LABELS[k] for k in chosen_kinds),
            since=window[0],
            until=window[1],
            include_undated=include == "include",
            status=claim_status,
            max_reliability=grade[0] if grade else None,
            max_credibility=grade[1] if grade else None,
        )
        point, keep = self._changed_since(changed_since)
        query = fingerprint(endpoint, source, target, chosen_kinds, *window, include, claim_status, grade, point)
        after = Cursor.decode(cursor, query)
        keyed = filtered(lambda a, n: self.store.select_events(flt, a, n), keep, after, limit)
        iris, next_cursor = page(keyed, limit, query)
        nodes = self._nodes()
        nodes.load([i for i in (source, target) if i])
        return m.FlowPage(
            items=assemble.events(nodes, iris, grade),
            next_cursor=next_cursor,
            query=assemble.flow_query(nodes, source, target, chosen_kinds, window, include, claim_status, grade),
        )

    def relations(
        self, a_ref: str, b_ref: str, limit: int = DEFAULT_LIMIT, cursor: str | None = None
    ) -> m.RelationPage:
        """One timeline of everything between two actors: treaties, events either way, and the
        statements about them; ordered by start, undated last."""
        check_limit(limit)
        a = self.resolve("a", a_ref, ACTOR_LABELS, ACTOR)
        b = self.resolve("b", b_ref, ACTOR_LABELS, ACTOR)
        if a == b:
            raise InvalidParameter("b", "a and b name the same actor")
        query = fingerprint("relations", a, b)
        after = Cursor.decode(cursor, query)
        to_types = (*TO_TYPES, *TARGET_TYPES)
        streams = [
            self.store.select_events(EventFilter(source=a, target=b, to_types=to_types), after, limit + 1),
            self.store.select_events(EventFilter(source=b, target=a, to_types=to_types), after, limit + 1),
            self.store.statements_between(a, b, after, limit + 1),
            keys_after(self.store.treaties([a, b]), after),
        ]
        merged: list[Keyed] = []
        seen: set[str] = set()
        for iri, key in heapq.merge(*streams, key=lambda pair: pair[1]):
            if iri not in seen:
                seen.add(iri)
                merged.append((iri, key))
            if len(merged) > limit:
                break
        _, next_cursor = page(merged, limit, query)
        nodes = self._nodes()
        items = assemble.relation_items(nodes, merged[:limit], a, b)
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
        day = parse_day("in_force_on", in_force_on)
        party_iri = self._references.resolve_optional("party", party, frozenset({"State"}), "state")
        query = fingerprint("treaties", party_iri, day)
        after = Cursor.decode(cursor, query)
        keyed = self.store.treaties([party_iri] if party_iri else [])
        nodes = self._nodes()
        if day is not None:
            in_force = assemble.in_force(nodes, [iri for iri, _ in keyed], day)
            keyed = [(iri, key) for iri, key in keyed if iri in in_force]
        iris, next_cursor = page(keys_after(keyed, after, limit + 1), limit, query)
        return m.TreatyPage(
            items=assemble.treaties(nodes, iris),
            next_cursor=next_cursor,
            party=nodes.ref_or_none(party_iri),
            in_force_on=day.isoformat() if day else None,
        )

    # -- violations -----------------------------------------------------------------------------------

    def violations(
        self,
        state: str | None = None,
        measure: str | None = None,
        limit: int = DEFAULT_LIMIT,
        cursor: str | None = None,
        basis: str | None = None,
        changed_since: str | None = None,
    ) -> m.ViolationPage:
        """Breaches of sanctions measures, asserted and derived, by the breaching event's start.

        Asserted breaches come from the store; derived ones from the rules of
        ontology/breach-rules.ttl (:mod:`.derive`), interleaved by the same key (the event's
        start, else its end, then the breach's IRI or the derived breach's id). An event and
        measure that a source asserts is listed once, as asserted, naming the rules that also
        find it. ``basis`` keeps only asserted or only derived ones; ``changed_since`` only those
        whose breach, event or any of their claims changed since then (a derived one: its event
        or measure).
        """
        check_limit(limit)
        chosen = parse_basis(basis)
        state_iri = self._references.resolve_optional("state", state, ACTOR_LABELS, ACTOR)
        measure_iri = self._references.resolve_optional(
            "measure", measure, frozenset({"SanctionsMeasure"}), "sanctions measure"
        )
        point, touched = self._changed_since(changed_since)
        query = fingerprint("violations", state_iri, measure_iri, chosen, point)
        after = Cursor.decode(cursor, query)
        nodes = self._nodes()
        keep: Callable[[list[str]], set[str]] | None = None
        if touched is not None:
            changed = touched

            def keep(breaches: list[str]) -> set[str]:
                # A breach counts as changed with its breaching event (and their claims).
                nodes.load(breaches)
                events = {iri: view.targets("BREACHING_EVENT") if (view := nodes.get(iri)) else [] for iri in breaches}
                return {iri for iri in breaches if changed([iri, *events[iri]])}

        derived = derive.derived_breaches(nodes)
        asserted = derive.asserted_pairs(nodes, [d.event for d in derived])
        streams: list[list[Keyed]] = []
        if chosen != "derived":
            streams.append(
                filtered(lambda a, n: self.store.breaches(state_iri, measure_iri, a, n), keep, after, limit)
            )
        if chosen != "asserted":
            kept = [
                (d.id, d.key)
                for d in derived
                if (d.event, d.measure) not in asserted
                and (state_iri is None or state_iri in d.sides)
                and (measure_iri is None or d.measure == measure_iri)
                and (touched is None or touched([d.event, d.measure]))
            ]
            streams.append(keys_after(kept, after, limit + 1))
        merged = list(heapq.merge(*streams, key=lambda pair: pair[1]))[: limit + 1]
        ids, next_cursor = page(merged, limit, query)
        derived_ids = {d.id for d in derived}
        nodes.load([*(i for i in ids if i not in derived_ids), *[i for i in (state_iri, measure_iri) if i]])
        return m.ViolationPage(
            items=assemble.violations(nodes, ids, derived),
            next_cursor=next_cursor,
            state=nodes.ref_or_none(state_iri),
            measure=nodes.ref_or_none(measure_iri),
            basis=chosen,
        )

    # -- versions and changes -----------------------------------------------------------------------

    def _changed_since(self, changed_since: str | None) -> tuple[int | None, Callable[[list[str]], set[str]] | None]:
        """(the load ``changed_since`` names, a filter keeping the IRIs changed since), or
        (None, None) without it."""
        if changed_since is None:
            return None, None
        seq, touched = self._changes.touched("changed_since", changed_since)
        return seq, lambda iris: {iri for iri in iris if iri in touched}

    def changes(self, since: str, limit: int = DEFAULT_LIMIT, cursor: str | None = None) -> m.ChangePage:
        """The resources added, removed and changed since a data version or a date, each once
        (its net change), by the load that last changed it, then IRI."""
        check_limit(limit)
        point, current, changes = self._changes.since("since", since)
        query = fingerprint("changes", point.seq if point else 0, current.seq if current else 0)
        after = Cursor.decode(cursor, query)
        by_key = {change_key(c): c for c in changes}
        keyed = keys_after(((c.iri, change_key(c)) for c in changes), after, limit + 1)
        _, next_cursor = page(keyed, limit, query)
        return m.ChangePage(
            items=[change_model(by_key[key]) for _, key in keyed[:limit]],
            next_cursor=next_cursor,
            since=version_model(point),
            current=version_model(current),
        )

    # -- sources ----------------------------------------------------------------------------------------

    def sources(self, limit: int = DEFAULT_LIMIT, cursor: str | None = None) -> m.Page[m.Source]:
        """Every source document, by IRI."""
        check_limit(limit)
        query = fingerprint("sources")
        after = Cursor.decode(cursor, query)
        iris, next_cursor = page(keys_after(self.store.sources(), after, limit + 1), limit, query)
        return m.Page[m.Source](items=assemble.sources(self._nodes(), iris), next_cursor=next_cursor)

    def source(self, ref: str, limit: int = DEFAULT_LIMIT, cursor: str | None = None) -> m.SourceDetail:
        """One source and the facts it supports: read in it, or attributed to it by a claim's
        ``cites``; each fact with the claims that tie it to the source."""
        check_limit(limit)
        iri = self.resolve("id", ref, frozenset({"SourceDocument"}), "source")
        query = fingerprint("source", iri)
        after = Cursor.decode(cursor, query)
        fact_iris, next_cursor = page(self.store.source_facts(iri, after, limit + 1), limit, query)
        nodes = self._nodes()
        [source] = assemble.sources(nodes, [iri])
        facts = assemble.supported_facts(nodes, iri, fact_iris)
        return m.SourceDetail(source=source, facts=m.Page[m.SupportedFact](items=facts, next_cursor=next_cursor))

    # -- entities -----------------------------------------------------------------------------------------

    def search(self, q: str, limit: int = DEFAULT_LIMIT, cursor: str | None = None) -> m.Page[m.EntitySummary]:
        """Named entities whose name, alias or id contains ``q`` (any case), ranked by the search
        ranking of graph/store.py (``SEARCH_MATCHES``: exact matches first, then prefixes, then
        the rest), by IRI within each rank."""
        check_limit(limit)
        text = check_text("q", q).lower()
        query = fingerprint("search", text)
        after = Cursor.decode(cursor, query)
        iris, next_cursor = page(self.store.search(text, after, limit + 1), limit, query)
        nodes = self._nodes()
        nodes.load(iris)
        items = [assemble.summary(nodes, iri) for iri in iris]
        return m.Page[m.EntitySummary](items=items, next_cursor=next_cursor)

    def entity(self, ref: str) -> m.EntityDetail:
        """One entity: identifiers, properties, its outgoing links and counts of incoming ones."""
        iri = self.resolve("ref", ref, None, "entity")
        nodes = self._nodes()
        view = nodes.get(iri)
        if view is None:  # removed between resolution and now
            raise NotFound("ref", f"no entity matches '{clip(ref)}' (parameter ref)")
        return assemble.entity_detail(nodes, view)

    def identifiers(self, iris: Iterable[str]) -> dict[str, dict[str, str]]:
        """The identifiers (as :meth:`entity` lists them) of the nodes with these IRIs, in one
        store call and without counting their links: for pages that only need codes (the site's
        map matches states to shapes by ISO numeric code)."""
        nodes = self._nodes()
        return {
            view.iri: {
                name: str(value)
                for key, name in assemble.IDENTIFIERS.items()
                if (value := view.properties.get(key)) is not None
            }
            for view in nodes.views(iris)
        }

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
        search = PathSearch(self.store, s, t, max_hops)
        search.run()
        return assemble.path_answer(self._nodes(), search, limit)

    # -- health -----------------------------------------------------------------------------------------------

    def health(self) -> m.Health:
        """The store's backend, data version and counts."""
        status = self.store.status()
        return m.Health(status="ok", backend=status.backend, data_version=status.data_version, counts=status.counts)
