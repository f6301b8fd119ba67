"""The one Neo4j driver factory, and the one place where Neo4j's errors become milcoop's.

Every part of the program that talks to Neo4j (the reader, the writer, the export source, the
CLI) gets its driver from :func:`create_driver` or :func:`open_driver` and turns driver
exceptions into milcoop's through :func:`translated`:

* :class:`Neo4jUnavailable` (a :class:`~milcoop.graph.errors.StoreUnavailable`: 503): the server
  cannot be reached or used (down, hung, wrong credentials, database offline);
* :class:`QueryTimedOut` (also a StoreUnavailable: 503): the server stopped a query at its time
  limit; the server is up, so this never opens the reader's circuit;
* :class:`QueryRefused` (a :class:`~milcoop.graph.errors.StoreError`): the server refused the
  query (syntax, semantics, access mode, missing procedure);
* any other Neo4j failure: StoreError.

The message (``str()``) is for operators: it names the configured URI and the driver's reason, and
goes to logs and to the command line. The internal address never reaches an HTTP answer: those
show :attr:`Neo4jUnavailable.public` ("Neo4j is unavailable") instead.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import neo4j
import neo4j.exceptions
from neo4j import Driver, GraphDatabase

from milcoop.graph.errors import LoadFailed, StoreError, StoreUnavailable
from milcoop.settings import Settings

#: What an HTTP answer says when Neo4j cannot be reached or used; the detail goes to the log.
PUBLIC_UNAVAILABLE = "Neo4j is unavailable"

#: Neo4j's codes for a transaction stopped at its time limit (the client's or the server's).
_TIMED_OUT_CODES = frozenset(
    {
        "Neo.ClientError.Transaction.TransactionTimedOut",
        "Neo.ClientError.Transaction.TransactionTimedOutClientConfiguration",
        "Neo.TransientError.Transaction.TransactionTimedOut",
    }
)


class Neo4jUnavailable(StoreUnavailable):
    """Neo4j cannot be reached or used.

    ``str()`` is the operator's detail (the configured URI and the driver's reason), for logs and
    the command line; :attr:`public` is all an HTTP answer may show. ``logged`` says the detail is
    in the log already (the reader's circuit logs it once when it opens, not on every request).
    """

    def __init__(self, detail: str, *, logged: bool = False, public: str = PUBLIC_UNAVAILABLE) -> None:
        super().__init__(detail)
        self.logged = logged
        self.public = public


class QueryTimedOut(StoreUnavailable):
    """A query ran past its time limit: Neo4j stopped it, or did not answer within it."""

    def __init__(self, seconds: float | None, detail: str = "") -> None:
        limit = f" of {seconds:g} s" if seconds is not None else ""
        self.public = f"the query ran past its time limit{limit}"
        self.seconds = seconds
        super().__init__(f"{self.public}{f' ({detail})' if detail else ''}")


class QueryRefused(StoreError):
    """Neo4j refused a query: ``code`` is Neo4j's status code, ``reason`` its message."""

    def __init__(self, message: str, code: str, reason: str) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason


def create_driver(settings: Settings) -> Driver:
    """A driver for the configured Neo4j; it connects lazily, on first use.

    Opening a connection (TCP and the Bolt handshake) and waiting for one from the pool are each
    bounded by ``MILCOOP_NEO4J_CONNECT_TIMEOUT_SECONDS`` (about a second): the driver's defaults
    (30 s, 60 s) would hold a request that long when the server is down. Managed reads
    (``execute_query``) retry a failure for half of it: the driver waits about a second before
    its first retry and twice that before the next, so this allows exactly one retry (a pooled
    connection that died with a restarted server) and a read on a server that is down gives up
    after about a second, not the driver's 30. Query time limits are per query
    (``neo4j.Query(timeout=...)``).

    Raises :class:`Neo4jUnavailable` for a malformed URI.
    """
    uri = settings.neo4j_uri.strip()
    seconds = settings.neo4j_connect_timeout_seconds
    try:
        return GraphDatabase.driver(
            uri,
            auth=(settings.neo4j_username, settings.neo4j_password),
            connection_timeout=seconds,
            connection_acquisition_timeout=seconds,
            max_transaction_retry_time=seconds / 2,
            # "label does not exist" on a graph without, say, breaches is not worth a warning.
            notifications_disabled_classifications=[neo4j.NotificationDisabledClassification.UNRECOGNIZED],
        )
    except (ValueError, neo4j.exceptions.ConfigurationError) as exc:
        raise Neo4jUnavailable(f"NEO4J_URI {uri!r} is not a valid Neo4j URI: {exc}") from exc


def open_driver(settings: Settings) -> Driver:
    """A driver for the configured Neo4j, after checking that it answers on the database.

    Raises :class:`Neo4jUnavailable` with the URI and the reason when it does not (server down,
    wrong credentials, unknown database, malformed URI).
    """
    driver = create_driver(settings)
    try:
        # A plain auto-commit query, one attempt: execute_query and verify_connectivity would
        # retry an unreachable server (for the connect timeout) before giving up.
        with translated(settings, "check the connection"), driver.session(database=settings.neo4j_database) as session:
            session.run("RETURN 1").consume()
    except BaseException:
        driver.close()
        raise
    return driver


@contextlib.contextmanager
def translated(settings: Settings | str, doing: str, *, time_limit: float | None = None) -> Iterator[None]:
    """Run the block, turning Neo4j driver errors into milcoop's (see the module's docstring).

    ``settings`` (or a URI) names the server in messages; ``doing`` says what was being done;
    ``time_limit`` is the query's time limit, for the message when Neo4j stops it there.
    """
    uri = settings if isinstance(settings, str) else settings.neo4j_uri.strip()
    try:
        yield
    except neo4j.exceptions.AuthError as exc:
        user = "" if isinstance(settings, str) else f" of user {settings.neo4j_username!r}"
        raise Neo4jUnavailable(f"Neo4j at {uri} refused the credentials{user}") from exc
    except (neo4j.exceptions.ServiceUnavailable, neo4j.exceptions.SessionExpired, OSError) as exc:
        raise Neo4jUnavailable(f"cannot reach Neo4j at {uri} ({doing}): {exc}") from exc
    except neo4j.exceptions.Neo4jError as exc:
        code = exc.code or ""
        if code in _TIMED_OUT_CODES:
            raise QueryTimedOut(time_limit, f"Neo4j stopped it while trying to {doing}") from exc
        if code.startswith("Neo.ClientError.Database.") or isinstance(exc, neo4j.exceptions.DatabaseUnavailable):
            database = "" if isinstance(settings, str) else f" {settings.neo4j_database!r}"
            raise Neo4jUnavailable(f"Neo4j at {uri} cannot serve database{database}: {exc.message}") from exc
        if isinstance(exc, neo4j.exceptions.ClientError):
            raise QueryRefused(
                f"Neo4j refused to {doing} ({code}): {exc.message}", code, exc.message or code
            ) from exc
        raise StoreError(f"Neo4j could not {doing} ({code}): {exc.message}") from exc
    except neo4j.exceptions.DriverError as exc:
        raise Neo4jUnavailable(f"Neo4j at {uri} ({doing}): {exc}") from exc


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
