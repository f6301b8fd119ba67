"""What a SPARQL query may do, decided from a parse; and a worker that cannot reach any network.

Two walls stand between a query and the network:

1. :func:`vet_query` parses the text with rdflib's SPARQL 1.1 grammar (a maintained parser, not
   regular expressions) and walks the parse tree. It refuses a ``SERVICE`` anywhere in the tree
   (in ``OPTIONAL``, ``EXISTS``, sub-queries, ...), refuses updates, and refuses a query nested
   deeper than :data:`MAX_NESTING` or too long for the parser. A text the parser cannot read is
   refused too, even where Oxigraph might read it: a query we cannot check does not run. The
   same parse gives the query's ``FROM`` and ``FROM NAMED`` graphs (:func:`vet`), which the
   endpoint sets as the dataset itself, so that no query names milcoop's internal graphs.
2. :func:`isolate_network` moves the worker process into a network namespace of its own, with no
   interface up, before it opens the store: even a query the first wall missed finds no network
   to reach (``connect`` fails with "network is unreachable"). It needs Linux and either root or
   unprivileged user namespaces; where neither is available the worker says so, and
   ``MILCOOP_SPARQL_SANDBOX=required`` makes the endpoint refuse to run without it.

Both run inside the SPARQL worker (see :mod:`milcoop.graph.embedded.sparql_endpoint`), under its time limit and
memory cap, so a pathological query costs one worker, never the API.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pyparsing import ParseBaseException, ParseResults
from rdflib.plugins.sparql.algebra import translatePrologue
from rdflib.plugins.sparql.parser import parseQuery, parseUpdate
from rdflib.plugins.sparql.parserutils import CompValue

#: Deepest parse tree a query may have. A group in a group adds two levels, a bracket in an
#: expression about five, so this admits some 500 nested groups or 200 nested brackets; Oxigraph
#: itself overflows its stack somewhere past 2,000 of either.
MAX_NESTING = 1000

#: Python frames the parser may use. rdflib's grammar needs some tens of frames per level of
#: nesting and per triple pattern; this admits every query of up to the size limit with a flat
#: shape and about 1,000 levels of brackets, and stops 20,000 levels within about two seconds.
PARSER_FRAMES = 40_000

#: The parse-tree node of ``SERVICE``.
_SERVICE_NODE = "ServiceGraphPattern"


@dataclass(frozen=True)
class Refusal:
    """Why a query may not run: ``code`` is ``update`` or ``invalid``."""

    code: str
    message: str


def _children(node: Any) -> Iterator[Any]:
    if isinstance(node, CompValue):
        yield from node.values()
    elif isinstance(node, (ParseResults, list, tuple)):
        yield from node


def _inspect(tree: Any) -> tuple[bool, int]:
    """Whether the tree holds a SERVICE node, and its depth (iteratively: no recursion limit)."""
    service = False
    deepest = 0
    stack: list[tuple[Any, int]] = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, CompValue):
            deepest = max(deepest, depth)
            if node.name == _SERVICE_NODE:
                service = True
            stack.extend((child, depth + 1) for child in _children(node))
        elif isinstance(node, (ParseResults, list, tuple)):
            stack.extend((child, depth) for child in _children(node))
    return service, deepest


@contextlib.contextmanager
def _parser_frames(frames: int) -> Iterator[None]:
    previous = sys.getrecursionlimit()
    sys.setrecursionlimit(max(previous, frames))
    try:
        yield
    finally:
        sys.setrecursionlimit(previous)


@dataclass(frozen=True)
class QueryDataset:
    """The dataset a query's ``FROM`` and ``FROM NAMED`` clauses name, as absolute IRIs."""

    default_graphs: tuple[str, ...]
    named_graphs: tuple[str, ...]


@dataclass(frozen=True)
class Vetted:
    """What :func:`vet` found: why the query may not run (None: it may), and its dataset clauses
    (None: it has none)."""

    refusal: Refusal | None
    dataset: QueryDataset | None = None


def vet_query(query: str, max_nesting: int = MAX_NESTING) -> Refusal | None:
    """Parse ``query`` and say why it may not run, or ``None`` when it may.

    Refused: text the SPARQL 1.1 query grammar does not accept (with the parser's message), an
    update (which parses under the update grammar), ``SERVICE`` anywhere in the query, and
    nesting deeper than ``max_nesting``.
    """
    return vet(query, max_nesting=max_nesting).refusal


def vet(query: str, base_iri: str | None = None, max_nesting: int = MAX_NESTING) -> Vetted:
    """:func:`vet_query`, and from the same parse the query's ``FROM`` / ``FROM NAMED`` IRIs
    (prefixed names expanded, relative IRIs resolved against its ``BASE`` or ``base_iri``)."""
    try:
        with _parser_frames(PARSER_FRAMES):
            tree = parseQuery(query)
    except RecursionError:
        return Vetted(Refusal("invalid", "the query is nested too deeply (or is too long) to be checked; simplify it"))
    except (ParseBaseException, ValueError, TypeError) as exc:
        if _is_update(query):
            return Vetted(Refusal(
                "update",
                "SPARQL updates are not accepted: this endpoint is read-only (load data with `milcoop load`)",
            ))
        return Vetted(Refusal("invalid", f"the query does not parse: {_first_line(exc)}"))
    service, depth = _inspect(tree)
    if service:
        return Vetted(Refusal("invalid", "federated queries (SERVICE) are not supported by this endpoint"))
    if depth > max_nesting:
        return Vetted(Refusal(
            "invalid",
            f"the query is nested too deeply: its parse tree is {depth} levels deep, at most {max_nesting} are "
            "accepted (brackets within brackets, groups within groups)",
        ))
    try:
        return Vetted(None, _dataset(tree, base_iri))
    except Exception as exc:  # rdflib raises a bare Exception for an undeclared prefix
        return Vetted(Refusal("invalid", f"the query's FROM or FROM NAMED cannot be read: {_first_line(exc)}"))


def _dataset(tree: Any, base_iri: str | None) -> QueryDataset | None:
    # A CompValue's ``get`` answers the key itself for a missing key, whatever the default: ask with ``in``.
    clauses = tree[1]["datasetClause"] if "datasetClause" in tree[1] else []  # noqa: SIM401
    if not clauses:
        return None
    prologue = translatePrologue(tree[0], base_iri)
    defaults: list[str] = []
    named: list[str] = []
    for clause in clauses:
        for key, found in (("default", defaults), ("named", named)):
            if key in clause:
                found.append(str(prologue.absolutize(clause[key])))
    return QueryDataset(tuple(defaults), tuple(named))


def _is_update(query: str) -> bool:
    try:
        with _parser_frames(PARSER_FRAMES):
            parseUpdate(query)
    except (RecursionError, ParseBaseException, ValueError, TypeError):
        return False
    return True


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


# ------------------------------------------------------------------------------------------------
# The second wall: no network in the worker
# ------------------------------------------------------------------------------------------------

_CLONE_NEWNET = 0x40000000
_CLONE_NEWUSER = 0x10000000


def isolate_network() -> str | None:
    """Move this process into a new, empty network namespace.

    Returns ``None`` when it worked, or the reason it could not (not Linux, no privilege for
    namespaces). Call it in a single-threaded process (a freshly forked worker): an unprivileged
    user namespace cannot be entered by a threaded one.
    """
    if not sys.platform.startswith("linux"):
        return f"network namespaces need Linux, not {sys.platform}"
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        unshare = libc.unshare
    except (OSError, AttributeError) as exc:
        return f"unshare(2) is not available: {exc}"
    if unshare(_CLONE_NEWNET) == 0:
        return None
    privileged_error = os.strerror(ctypes.get_errno())
    # Without root: a user namespace of our own grants the right to make a network namespace.
    uid, gid = os.getuid(), os.getgid()
    if unshare(_CLONE_NEWUSER | _CLONE_NEWNET) == 0:
        # Map our ids so that files keep their owner as seen from inside (best effort: the kernel
        # checks file access against the real ids either way).
        with contextlib.suppress(OSError):
            with open("/proc/self/setgroups", "w") as handle:
                handle.write("deny")
            with open("/proc/self/uid_map", "w") as handle:
                handle.write(f"{uid} {uid} 1")
            with open("/proc/self/gid_map", "w") as handle:
                handle.write(f"{gid} {gid} 1")
        return None
    return (
        f"cannot enter a network namespace ({privileged_error}; as an unprivileged user: "
        f"{os.strerror(ctypes.get_errno())})"
    )
