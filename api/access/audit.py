"""The access log: who exported what and who queried what, one JSON object a line.

Written through the logger ``milcoop.access`` to ``MILCOOP_ACCESS_LOG_FILE`` or, without it, to
standard error. Each record holds::

    {"time": "2025-01-31T12:00:00.123Z", "event": "sparql", "key": "alice", "address": "127.0.0.1",
     "method": "POST", "path": "/v1/sparql", "query": "SELECT ...", "format": "text/csv",
     "status": 200, "rows": 12, "bytes": 3456, "seconds": 0.042}

``event`` is the path's kind (``export``, ``sparql``, ``cypher``, ``admin``) or ``refused`` for a
401, 403, 413 or 429 elsewhere; ``key`` is null without a valid key; ``query`` is the query text
(or, for the export, its URL parameters) cut at :data:`MAX_QUERY_CHARS`; ``rows`` is set when the
answer says how many (SPARQL's ``Milcoop-Result-Count``). The key itself is never written.
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import sys
import threading
from pathlib import Path
from typing import Any

LOGGER_NAME = "milcoop.access"
#: Longest query text written to a record.
MAX_QUERY_CHARS = 2000

_TARGET = "milcoop_access_target"
_handlers: dict[str, logging.Handler] = {}
_handlers_lock = threading.Lock()


class _ForTarget(logging.Filter):
    def __init__(self, target: str) -> None:
        super().__init__()
        self.target = target

    def filter(self, record: logging.LogRecord) -> bool:
        return getattr(record, _TARGET, None) == self.target


def _handler_for(target: str, path: Path | None) -> None:
    """One handler per destination for the process, so that apps made one after another (tests)
    do not stack handlers, and two apps with two files each write their own."""
    with _handlers_lock:
        if target in _handlers:
            return
        handler: logging.Handler
        if path is None:
            handler = logging.StreamHandler(sys.stderr)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            # Reopens the file when logrotate has moved it away (docs/security.md: retention).
            handler = logging.handlers.WatchedFileHandler(path, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(message)s"))
        handler.addFilter(_ForTarget(target))
        logger = logging.getLogger(LOGGER_NAME)
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        # The records are a file format, not diagnostics: keep them out of the root logger's output.
        logger.propagate = False
        _handlers[target] = handler


class AccessLog:
    """Writes access records to ``path`` (None: standard error)."""

    def __init__(self, path: Path | None) -> None:
        self.path = Path(path).resolve() if path is not None else None
        self.target = str(self.path) if self.path is not None else "<stderr>"
        _handler_for(self.target, self.path)
        self._logger = logging.getLogger(LOGGER_NAME)

    def write(self, record: dict[str, Any]) -> None:
        """Write one record as a JSON line."""
        self._logger.info(json.dumps(record, ensure_ascii=False, separators=(", ", ": ")), extra={_TARGET: self.target})


def truncate(text: str | None) -> str | None:
    """``text`` cut at :data:`MAX_QUERY_CHARS` (saying so), or None."""
    if text is None:
        return None
    if len(text) <= MAX_QUERY_CHARS:
        return text
    return text[:MAX_QUERY_CHARS] + f"... [{len(text) - MAX_QUERY_CHARS} more characters]"
