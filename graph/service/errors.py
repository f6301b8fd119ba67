"""The domain errors of the query service: what a request got wrong, named by its parameter.

api/errors.py maps them to HTTP in one place; the export command and endpoint raise them too.
"""

from __future__ import annotations

from collections.abc import Sequence

from milcoop.graph import models as m


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
