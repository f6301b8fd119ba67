"""Every answer of the API, assembled from the store primitives of graph/store.py.

Both stores implement the same small interface and this package alone turns what they return
into the JSON models of graph/models.py, so the answers of the Neo4j and the embedded store are
identical by construction (tests/graph/test_parity.py checks it end to end). It also owns the
meaning of the request parameters and which domain error each bad value raises; api/errors.py
maps those to HTTP in one place.

Import from here; the modules split the work by job:

* :mod:`.requests`: parsing and checking parameters (dates and windows, kinds, statuses,
  grades, limits, texts) and the opaque cursors;
* :mod:`.references`: resolving a reference (IRI, id, ISO code, QID, name, alias) through the
  entity index, with "did you mean" hints and ambiguity;
* :mod:`.assemble`: store records to answer models, through the per-data-version caches;
* :mod:`.paths`: path search between two entities;
* :mod:`.query_service`: :class:`QueryService`, one method per endpoint, composing the above;
* :mod:`.errors`: :class:`QueryError` and its kinds.
"""

from milcoop.graph.service.assemble import DEFAULT_CACHE_SIZE, kind_of
from milcoop.graph.service.errors import Ambiguous, InvalidParameter, NotFound, QueryError
from milcoop.graph.service.paths import PATH_EDGE_BUDGET, PathSearch
from milcoop.graph.service.query_service import QueryService
from milcoop.graph.service.references import EntityIndex
from milcoop.graph.service.requests import (
    DEFAULT_LIMIT,
    DEFAULT_MAX_HOPS,
    DEFAULT_PATHS,
    MAX_HOPS,
    MAX_LIMIT,
    MAX_PATHS,
    MAX_TEXT,
    Cursor,
    check_limit,
    fingerprint,
    parse_date,
    parse_day,
    parse_grade,
    parse_kinds,
    parse_status,
    parse_undated,
    parse_window,
)

__all__ = [
    "DEFAULT_CACHE_SIZE",
    "DEFAULT_LIMIT",
    "DEFAULT_MAX_HOPS",
    "DEFAULT_PATHS",
    "MAX_HOPS",
    "MAX_LIMIT",
    "MAX_PATHS",
    "MAX_TEXT",
    "PATH_EDGE_BUDGET",
    "Ambiguous",
    "Cursor",
    "EntityIndex",
    "InvalidParameter",
    "NotFound",
    "PathSearch",
    "QueryError",
    "QueryService",
    "check_limit",
    "fingerprint",
    "kind_of",
    "parse_date",
    "parse_day",
    "parse_grade",
    "parse_kinds",
    "parse_status",
    "parse_undated",
    "parse_window",
]
