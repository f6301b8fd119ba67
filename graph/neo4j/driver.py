"""The one Neo4j driver factory, and the one place where Neo4j's errors become milcoop's.

Every part of the program that talks to Neo4j (the reader, the writer, the export source, the
CLI) gets its driver from :func:`create_driver` or :func:`open_driver` and turns driver
exceptions into :class:`~milcoop.graph.errors.StoreUnavailable` (cannot reach or use the server:
503) or :class:`~milcoop.graph.errors.StoreError` (the server refused a query) through
:func:`translated`. Messages never carry more than the URI the operator configured.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import neo4j
import neo4j.exceptions
from neo4j import Driver, GraphDatabase

from milcoop.graph.errors import LoadFailed, StoreError, StoreUnavailable
from milcoop.settings import Settings

#: Seconds to wait for a TCP connection (and for a connection from the pool) before giving up.
CONNECT_TIMEOUT = 5.0
#: Retries of a managed transaction on a transient failure stop after this many seconds (the
#: driver's default of 30 s would hold a request that long when the server is down).
RETRY_SECONDS = 3.0


def create_driver(settings: Settings) -> Driver:
    """A driver for the configured Neo4j; it connects lazily, on first use.

    Raises :class:`StoreUnavailable` for a malformed URI.
    """
    uri = settings.neo4j_uri.strip()
    try:
        return GraphDatabase.driver(
            uri,
            auth=(settings.neo4j_username, settings.neo4j_password),
            connection_timeout=CONNECT_TIMEOUT,
            connection_acquisition_timeout=CONNECT_TIMEOUT,
            max_transaction_retry_time=RETRY_SECONDS,
            # "label does not exist" on a graph without, say, breaches is not worth a warning.
            notifications_disabled_classifications=[neo4j.NotificationDisabledClassification.UNRECOGNIZED],
        )
    except (ValueError, neo4j.exceptions.ConfigurationError) as exc:
        raise StoreUnavailable(f"NEO4J_URI {uri!r} is not a valid Neo4j URI: {exc}") from exc


def open_driver(settings: Settings) -> Driver:
    """A driver for the configured Neo4j, after checking that it answers on the database.

    Raises :class:`StoreUnavailable` with the URI and the reason when it does not (server down,
    wrong credentials, unknown database, malformed URI).
    """
    driver = create_driver(settings)
    try:
        # A plain auto-commit query: execute_query and verify_connectivity would retry an
        # unreachable server for 30 s before giving up.
        with translated(settings, "check the connection"), driver.session(database=settings.neo4j_database) as session:
            session.run("RETURN 1").consume()
    except BaseException:
        driver.close()
        raise
    return driver


@contextlib.contextmanager
def translated(settings: Settings | str, doing: str) -> Iterator[None]:
    """Run the block, turning Neo4j driver errors into StoreUnavailable or StoreError.

    ``settings`` (or a URI) names the server in messages; ``doing`` says what was being done.
    """
    uri = settings if isinstance(settings, str) else settings.neo4j_uri.strip()
    try:
        yield
    except neo4j.exceptions.AuthError as exc:
        user = "" if isinstance(settings, str) else f" of user {settings.neo4j_username!r}"
        raise StoreUnavailable(f"Neo4j at {uri} refused the credentials{user}") from exc
    except (neo4j.exceptions.ServiceUnavailable, neo4j.exceptions.SessionExpired, OSError) as exc:
        raise StoreUnavailable(f"cannot reach Neo4j at {uri} ({doing}): {exc}") from exc
    except neo4j.exceptions.ClientError as exc:
        if exc.code and exc.code.startswith("Neo.ClientError.Database."):
            database = "" if isinstance(settings, str) else f" {settings.neo4j_database!r}"
            raise StoreUnavailable(f"Neo4j at {uri} cannot serve database{database}: {exc.message}") from exc
        raise StoreError(f"Neo4j refused to {doing} ({exc.code}): {exc.message}") from exc
    except neo4j.exceptions.Neo4jError as exc:
        raise StoreError(f"Neo4j could not {doing} ({exc.code}): {exc.message}") from exc
    except neo4j.exceptions.DriverError as exc:
        raise StoreUnavailable(f"Neo4j at {uri} ({doing}): {exc}") from exc


@contextlib.contextmanager
def load_errors() -> Iterator[None]:
    """Run a load's transaction, turning driver errors into LoadFailed: nothing was committed."""
    try:
        yield
    except neo4j.exceptions.IncompleteCommit as exc:
        raise LoadFailed(
            "the connection to Neo4j was lost while committing the load, so it may or may not have been "
            "applied; run the load again (it is idempotent)"
        ) from exc
    except (neo4j.exceptions.ServiceUnavailable, neo4j.exceptions.SessionExpired, OSError) as exc:
        raise LoadFailed(
            f"lost the connection to Neo4j during the load ({exc}); nothing was committed, "
            "the graph is as it was before the load"
        ) from exc
    except neo4j.exceptions.Neo4jError as exc:
        raise LoadFailed(
            f"Neo4j refused the load ({exc.code}: {exc.message}); nothing was committed, "
            "the graph is as it was before the load"
        ) from exc
    except neo4j.exceptions.DriverError as exc:
        raise LoadFailed(f"the load failed ({exc}); nothing was committed") from exc
