"""Path search between two entities: the shortest paths over actors, events, places and treaties.

The store only lists neighbours (:meth:`~milcoop.graph.store.GraphStore.neighbours`, which walks
:data:`~milcoop.ontology.kinds.PATH_TYPES` between :data:`~milcoop.ontology.kinds.PATH_LABELS`
nodes); the search, the counting and the order of the paths are here, so both stores find the
same paths.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Literal

from milcoop.graph.store import Edge, GraphStore

#: Path search gives up once it has fetched this many relationships (answering complete=false):
#: in a dense graph, a breadth-first search that goes through two busy states touches everything.
PATH_EDGE_BUDGET = 100_000
#: Nodes per neighbours() call, so one call's work stays bounded and the budget is checked often.
NEIGHBOUR_BATCH = 1_000

Direction = Literal["forward", "backward"]
#: One step from a node: (neighbour, relationship type, direction).
Step = tuple[str, str, Direction]
#: A path: its nodes, and the (relationship type, direction) of each step between them.
FoundPath = tuple[list[str], list[tuple[str, Direction]]]


class PathSearch:
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
        self.adjacent: dict[str, set[Step]] = defaultdict(set)
        #: The length of the shortest paths; None when there is none within ``max_hops``.
        self.length: int | None = None
        #: False when the search stopped at the budget.
        self.complete = True
        self.fetched = 0
        self._ways: dict[str, int] = {}
        self._step_cache: dict[str, list[Step]] = {}

    def _expand(self, side: str, frontier: list[str]) -> list[str] | None:
        """The next frontier of ``side``; None when the budget ran out part way."""
        for start in range(0, len(frontier), NEIGHBOUR_BATCH):
            edges: list[Edge] = self.store.neighbours(frontier[start : start + NEIGHBOUR_BATCH])
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
        """Search until the two sides meet, one runs dry, ``max_hops`` or the budget is reached."""
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

    def _steps(self, node: str, position: int) -> list[Step]:
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
        """How many shortest paths there are (0 when none was found)."""
        return 0 if self.length is None else self._count(self.source, 0)

    def paths(self, limit: int) -> Iterator[FoundPath]:
        """The first ``limit`` shortest paths, in the order of the IRIs along the way."""
        if self.length is None:
            return
        produced = 0
        stack: list[tuple[str, int, list[str], list[tuple[str, Direction]]]] = [(self.source, 0, [self.source], [])]
        while stack and produced < limit:
            node, position, path, steps = stack.pop()
            if node == self.target:
                produced += 1
                yield path, steps
                continue
            options = [
                (n, rel_type, d) for n, rel_type, d in self._steps(node, position) if self._count(n, position + 1) > 0
            ]
            for neighbour, rel_type, direction in reversed(options):
                stack.append((neighbour, position + 1, [*path, neighbour], [*steps, (rel_type, direction)]))
