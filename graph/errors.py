"""Domain errors of the stores. The API maps them to HTTP in one place (api/errors.py)."""

from __future__ import annotations


class StoreError(Exception):
    """Something went wrong in a store."""


class StoreUnavailable(StoreError):
    """The store cannot be reached or opened (Neo4j down, embedded store locked or missing)."""


class LoadFailed(StoreError):
    """A load failed part way; the store was left as it was before the load."""
