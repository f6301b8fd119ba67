"""The ``milcoop`` command line."""

from __future__ import annotations

import contextlib
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, BinaryIO

import typer
from rich.console import Console
from rich.markup import escape

from milcoop import __version__
from milcoop.graph.errors import StoreError
from milcoop.loaders.curated import compile_facts
from milcoop.loaders.problems import CurationError
from milcoop.settings import Backend, Settings, SettingsError, get_settings

if TYPE_CHECKING:
    from fastapi import FastAPI

app = typer.Typer(
    help="milcoop: a knowledge graph of state military cooperation.",
    no_args_is_help=True,
    add_completion=False,
)
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def _print_version(value: bool) -> None:
    if value:
        out.print(f"milcoop {__version__}", highlight=False)
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", help="Print the version and exit.", callback=_print_version, is_eager=True)
    ] = False,
) -> None:
    """milcoop: a knowledge graph of state military cooperation."""
    # Every command reads the settings; reading them here first turns a bad environment variable
    # into one line naming it (exit 2) instead of a traceback from inside whichever command ran.
    try:
        settings = get_settings()
        if settings.snapshot_formats:  # names checked against the export's formats, once, here
            from milcoop.loaders.load import snapshot_formats

            snapshot_formats(settings)
    except SettingsError as exc:
        err.print(f"[red]milcoop[/red]: {escape(str(exc))}", highlight=False)
        raise typer.Exit(2) from None


PathsArgument = Annotated[
    list[Path] | None,
    typer.Argument(
        help="Fact files or folders (default: MILCOOP_FACTS_DIR, else the facts bundled with milcoop).",
        show_default=False,
    ),
]


def _fact_paths(paths: list[Path] | None, settings: Settings) -> list[Path] | None:
    """The paths given, else the configured facts, else None (the bundled facts)."""
    if paths:
        return paths
    return [settings.facts_dir] if settings.facts_dir is not None else None


def _report_problems(exc: CurationError) -> None:
    for problem in exc.problems:
        err.print(str(problem), markup=False, highlight=False)
    count = len(exc.problems)
    err.print(f"[red]{count} problem{'s' if count != 1 else ''}[/red]: nothing was loaded.")


BackendOption = Annotated[
    Backend | None,
    typer.Option(
        "--backend",
        help="Store to write: 'neo4j' or 'embedded'. Default: neo4j when NEO4J_URI is set, else embedded.",
        show_default=False,
    ),
]


@app.command()
def load(
    paths: PathsArgument = None,
    backend: BackendOption = None,
    allow_removals: Annotated[
        bool,
        typer.Option(
            "--allow-removals",
            help="Load even if it removes more than MILCOOP_MAX_REMOVAL_SHARE (default 10%) of the stored resources.",
        ),
    ] = False,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Validate and write even when the store already holds exactly these files (same data version), "
            "and compare with the whole Neo4j graph instead of the digests the previous load recorded.",
        ),
    ] = False,
) -> None:
    """Validate the fact files, then load them into the store, all or nothing.

    With Neo4j, the graph is brought to exactly this dataset (facts removed from the files are
    removed from the graph) and the embedded copy that serves SPARQL is refreshed too. A load that
    would remove more than a tenth of what the store holds stops and lists what it would remove.
    Loading files the store already holds (the same data version) writes nothing; --force does.
    """
    from milcoop.loaders.load import RemovalsRefused
    from milcoop.loaders.load import load as load_facts
    from milcoop.loaders.progress import BarProgress, progress_for_terminal

    settings = get_settings()
    chosen = backend or settings.backend
    progress = progress_for_terminal()
    try:
        summaries = load_facts(
            _fact_paths(paths, settings), chosen, settings, progress, allow_removals=allow_removals, force=force
        )
    except CurationError as exc:
        _report_problems(exc)
        raise typer.Exit(1) from None
    except RemovalsRefused as exc:
        shown = 20
        err.print(f"[red]load refused[/red]: {exc}", highlight=False)
        for iri in exc.removed[:shown]:
            err.print(f"  would remove {iri}", highlight=False, markup=False)
        if len(exc.removed) > shown:
            err.print(f"  ... and {len(exc.removed) - shown} more", highlight=False)
        raise typer.Exit(1) from None
    except StoreError as exc:
        err.print(f"[red]load failed[/red]: {exc}", highlight=False)
        err.print("The store was left as it was before the load.")
        raise typer.Exit(2) from None
    finally:
        if isinstance(progress, BarProgress):
            progress.close()
    for summary in summaries:
        out.print(summary.describe(), highlight=False)


@app.command()
def validate(
    paths: PathsArgument = None,
    reference: Annotated[
        bool,
        typer.Option(
            "--reference/--no-reference",
            help="Read the bundled reference data (every state, the UN bodies) with the files; "
            "--no-reference checks files that define everything they name.",
        ),
    ] = True,
) -> None:
    """Check curated fact files: structure, references, ontology terms and SHACL shapes.

    Reports every problem with file, line and field, and exits 1 if there is any.
    """
    try:
        compiled = compile_facts(_fact_paths(paths, get_settings()), reference=reference)
    except CurationError as exc:
        _report_problems(exc)
        raise typer.Exit(1) from None
    facts = len(compiled.locations)
    out.print(
        f"[green]OK[/green]: {facts} curated resources, {len(compiled.graph)} triples "
        f"from {len(compiled.files)} files (data version {compiled.version})."
    )


import_app = typer.Typer(
    help="Import a public register (SIPRI, ATOP, COW) from the publisher's own files; see docs/importers.md.",
    no_args_is_help=True,
)
app.add_typer(import_app, name="import")

GradingOption = Annotated[
    str | None,
    typer.Option(
        "--grading",
        help="Admiralty grading of every imported claim (default: the register's, see docs/importers.md).",
        show_default=False,
    ),
]
ReleaseOption = Annotated[
    str | None,
    typer.Option(
        "--release",
        help="The release's name, such as 2025 (default: the version or date the file states).",
        show_default=False,
    ),
]
DryRunOption = Annotated[bool, typer.Option("--dry-run", help="Read and validate, report, write nothing.")]
SkipOption = Annotated[
    bool,
    typer.Option(
        "--skip-unresolved",
        help="Import the other rows when some name parties the reference data does not know (they are listed).",
    ),
]
ReferenceOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--reference",
        help="More reference data (YAML files or folders of states, organisations, systems) to resolve names with, "
        "besides the bundled data/reference. Repeatable.",
        show_default=False,
    ),
]


def _import(
    register: str,
    path: Path,
    backend: Backend | None,
    grading: str | None,
    release: str | None,
    dry_run: bool,
    skip_unresolved: bool,
    reference: list[Path] | None,
) -> None:
    from milcoop.loaders.curated import reference_dir
    from milcoop.loaders.progress import BarProgress, progress_for_terminal
    from milcoop.loaders.registers import import_register

    settings = get_settings()
    chosen = backend or settings.backend
    progress = progress_for_terminal()
    try:
        report = import_register(
            register,
            path,
            chosen,
            settings,
            progress,
            grading=grading,
            release=release,
            skip_unresolved=skip_unresolved,
            dry_run=dry_run,
            reference=[reference_dir(), *reference] if reference else None,
        )
    except ValueError as exc:
        err.print(f"[red]error[/red]: {exc}", highlight=False)
        raise typer.Exit(2) from None
    except CurationError as exc:
        _report_problems(exc)
        raise typer.Exit(1) from None
    except StoreError as exc:
        err.print(f"[red]import failed[/red]: {exc}", highlight=False)
        err.print("The store was left as it was before the import.")
        raise typer.Exit(2) from None
    finally:
        if isinstance(progress, BarProgress):
            progress.close()
    rel = report.release
    if report.unchanged:
        out.print(
            f"{rel.title}: unchanged. The store already holds exactly this release (same file, options, "
            f"reference data): nothing read or written ({report.seconds:.2f} s).",
            highlight=False,
        )
        return
    counts = ", ".join(f"{n} {what}" for what, n in report.counts.items())
    triples = f", {report.triples} triples with the reference data"
    out.print(
        f"{rel.title}: {report.rows} rows read ({counts}){triples}; source '{rel.source_id}', "
        f"grading {grading or 'default'}.",
        highlight=False,
    )
    for skipped in report.skipped:
        out.print(f"  skipped: {skipped.describe()}", markup=False, highlight=False)
    if report.dry_run:
        out.print("Dry run: nothing was written.")
    for summary in report.summaries:
        out.print(summary.describe(), highlight=False)


@import_app.command("sipri")
def import_sipri(
    file: Annotated[Path, typer.Argument(help="The trade register's CSV as downloaded from SIPRI.")],
    backend: BackendOption = None,
    grading: GradingOption = None,
    release: ReleaseOption = None,
    dry_run: DryRunOption = False,
    skip_unresolved: SkipOption = False,
    reference: ReferenceOption = None,
) -> None:
    """Import the SIPRI Arms Transfers Database's trade register (legacy CSV export).

    Replaces the previously imported SIPRI release and nothing else."""
    _import("sipri", file, backend, grading, release, dry_run, skip_unresolved, reference)


@import_app.command("atop")
def import_atop(
    folder: Annotated[Path, typer.Argument(help="The folder holding atop5_1a.csv and atop5_1m.csv.")],
    backend: BackendOption = None,
    grading: GradingOption = None,
    release: ReleaseOption = None,
    dry_run: DryRunOption = False,
    skip_unresolved: SkipOption = False,
    reference: ReferenceOption = None,
) -> None:
    """Import ATOP (v5.1): alliances, their phases and members, with obligations and conditions.

    Replaces the previously imported ATOP release and nothing else."""
    _import("atop", folder, backend, grading, release, dry_run, skip_unresolved, reference)


@import_app.command("cow")
def import_cow(
    file: Annotated[Path, typer.Argument(help="alliance_v4.1_by_member.csv (or the folder holding it).")],
    backend: BackendOption = None,
    grading: GradingOption = None,
    release: ReleaseOption = None,
    dry_run: DryRunOption = False,
    skip_unresolved: SkipOption = False,
    reference: ReferenceOption = None,
) -> None:
    """Import the Correlates of War Formal Alliances (v4.1), by member.

    Replaces the previously imported COW release and nothing else."""
    _import("cow", file, backend, grading, release, dry_run, skip_unresolved, reference)


@app.command()
def sources(
    backend: BackendOption = None,
) -> None:
    """List what the store holds: each partition (the curated facts, each imported register) with
    its release and counts, then every source document with the claims read in it."""
    from rich.table import Table

    from milcoop.graph.service import QueryService
    from milcoop.graph.store import open_store, partition_records

    settings = get_settings()
    try:
        records = partition_records(settings)
        store = open_store(settings, backend)
    except StoreError as exc:
        err.print(f"[red]error[/red]: {exc}", highlight=False)
        raise typer.Exit(2) from None
    parts = Table(title="What the store holds")
    for column in ("partition", "release", "written", "resources", "triples"):
        parts.add_column(column, no_wrap=column in ("partition", "written"))
    for record in records:
        release = record.release.get("title", "") or f"curated fact files ({len(record.files)})"
        parts.add_row(record.name, release, record.at, str(record.resources), str(record.triples))
    out.print(parts)
    table = Table(title="Source documents")
    for column in ("id", "kind", "name", "claims read here", "claims citing"):
        table.add_column(column, no_wrap=column == "id")
    try:
        service = QueryService(store)
        cursor: str | None = None
        while True:
            page = service.sources(500, cursor)
            for item in page.items:
                table.add_row(
                    item.id, item.kind or "", item.name or "", str(item.claims_read_here), str(item.claims_citing)
                )
            cursor = page.next_cursor
            if cursor is None:
                break
    except StoreError as exc:
        err.print(f"[red]error[/red]: {exc}", highlight=False)
        raise typer.Exit(2) from None
    finally:
        store.close()
    out.print(table)


def _neo4j_data_version(settings: Settings, wait_seconds: float) -> str | None:
    """The data version Neo4j holds (None when empty), waiting for the server to come up."""
    import time

    from milcoop.graph.errors import StoreUnavailable
    from milcoop.graph.neo4j.cypher.load import DATASET_NAME, READ_DATASET
    from milcoop.graph.neo4j.driver import open_driver, translated

    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            driver = open_driver(settings)
            break
        except StoreUnavailable as exc:
            if time.monotonic() >= deadline:
                raise
            err.print(f"waiting for Neo4j: {exc}", highlight=False)
            time.sleep(2.0)
    try:
        # A write-mode session on purpose: through a neo4j:// routing URI it reads on the leader, so
        # a lagging reader cannot make a loaded graph look empty (and have serve load over it).
        with translated(settings, "read the data version"), driver.session(database=settings.neo4j_database) as session:
            record = session.run(READ_DATASET, name=DATASET_NAME).single()
    finally:
        driver.close()
    return None if record is None else str(record["version"])


def _facts_named(settings: Settings) -> str:
    """How messages name the facts a first start loads."""
    return "the bundled facts" if settings.facts_dir is None else f"the curated facts in {settings.facts_dir}"


def _load_bundled_if_empty(settings: Settings, neo4j_wait_seconds: float) -> None:
    """First start: fill an empty store with the bundled facts, saying so.

    Raises StoreUnavailable when Neo4j does not answer within ``neo4j_wait_seconds``.
    """
    from milcoop.graph.embedded.files import EmbeddedStore
    from milcoop.loaders.load import load_compiled

    if settings.backend == "embedded":
        if EmbeddedStore.exists(settings.data_dir):
            return
        out.print(f"The embedded store in {settings.data_dir} is empty: loading {_facts_named(settings)} first.")
        for summary in load_compiled(compile_facts(_fact_paths(None, settings)), "embedded", settings):
            out.print(summary.describe(), highlight=False)
        return
    version = _neo4j_data_version(settings, neo4j_wait_seconds)
    if version is None:
        out.print(f"Neo4j at {settings.neo4j_uri} holds no milcoop data: loading {_facts_named(settings)} first.")
        for summary in load_compiled(compile_facts(_fact_paths(None, settings)), "neo4j", settings):
            out.print(summary.describe(), highlight=False)
    elif not EmbeddedStore.exists(settings.data_dir):
        compiled = compile_facts(_fact_paths(None, settings))
        if compiled.version == version:
            # Neo4j holds the bundled facts but the embedded copy that answers SPARQL is gone
            # (a fresh container, say): rebuild the copy from the same files.
            out.print(f"Rebuilding the embedded copy in {settings.data_dir} from the bundled facts (as in Neo4j).")
            out.print(EmbeddedStore.replace_contents(settings.data_dir, compiled).describe(), highlight=False)


#: The longest wait between two attempts of a first start that waits for Neo4j in the background.
FIRST_START_RETRY_MAX_SECONDS = 10.0


def _first_start(
    settings: Settings, neo4j_wait_seconds: float, stop: threading.Event | None = None
) -> threading.Thread | None:
    """The first-start check of ``serve``, which never keeps the API from starting.

    With the embedded store, or Neo4j answering within ``neo4j_wait_seconds``, the check runs now
    (an empty store gets the bundled facts before the API serves). With Neo4j down, it says so
    and returns the daemon thread that runs the check as soon as Neo4j answers (trying again
    every few seconds, at most :data:`FIRST_START_RETRY_MAX_SECONDS` apart, until ``stop`` is
    set); the API serves meanwhile: SPARQL and /healthz answer from the embedded copy, the rest
    answers 503.
    """
    from milcoop.graph.errors import StoreUnavailable

    try:
        _load_bundled_if_empty(settings, neo4j_wait_seconds)
        return None
    except StoreUnavailable as exc:
        if settings.backend != "neo4j":
            raise
        err.print(
            f"Neo4j does not answer ({exc}). Serving without it: SPARQL and /healthz answer from the embedded copy, "
            "the other endpoints answer 503 until Neo4j is back. The first-start check (loading "
            f"{_facts_named(settings)} into an empty Neo4j) runs when Neo4j comes up.",
            highlight=False,
        )

    stopping = stop or threading.Event()

    def when_neo4j_answers() -> None:
        delay = 1.0
        while not stopping.wait(delay):
            try:
                _load_bundled_if_empty(settings, 0)
            except StoreUnavailable:
                delay = min(delay * 2, FIRST_START_RETRY_MAX_SECONDS)
                continue
            except CurationError as exc:
                _report_problems(exc)
            except StoreError as exc:
                err.print(f"[red]first-start load failed[/red]: {exc}", highlight=False)
            else:
                out.print("Neo4j answers: the first-start check is done.")
            return

    thread = threading.Thread(target=when_neo4j_answers, name="milcoop-first-start", daemon=True)
    thread.start()
    return thread


def _log_to_terminal() -> None:
    """milcoop's own log lines (Neo4j down or back, the reason a request failed) on standard error,
    next to uvicorn's."""
    import logging

    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(levelname)s:     %(name)s: %(message)s"))
    logger = logging.getLogger("milcoop")
    if not logger.handlers:
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on (default: MILCOOP_HOST or 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on (default: MILCOOP_PORT or 8000).")] = None,
    neo4j_wait: Annotated[
        float,
        typer.Option(
            help="Seconds to wait for Neo4j before serving without it (the first-start check then runs when "
            "Neo4j comes up)."
        ),
    ] = 0.0,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Worker processes answering on the same port (default: MILCOOP_WORKERS, else one per CPU, at "
            "most 4). The default is 1 on a single CPU, and whenever MILCOOP_RATE_LIMIT is set: each process "
            "counts requests in its own memory, so N workers would let a client make N times its limit. Each "
            "worker opens the store itself (its own Neo4j driver, or the embedded store read-only with its own "
            "event index in memory). See docs/scaling.md.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Serve the HTTP API (docs at /docs). On first start with an empty store, the bundled facts
    are loaded first; with Neo4j down, the API serves at once and the load runs when Neo4j comes up."""
    import os

    import uvicorn

    from milcoop.api.app import create_app

    settings = get_settings()
    count = workers or settings.worker_count
    _log_to_terminal()
    try:
        _first_start(settings, neo4j_wait)
    except CurationError as exc:
        _report_problems(exc)
        raise typer.Exit(1) from None
    except StoreError as exc:
        err.print(f"[red]cannot start[/red]: {exc}", highlight=False)
        raise typer.Exit(2) from None
    chosen_host = host or settings.host
    chosen_port = port or settings.port
    processes = f", {count} worker processes" if count > 1 else ""
    out.print(
        f"milcoop API and site ({settings.backend} store{processes}) on http://{chosen_host}:{chosen_port}/ "
        "(API docs at /docs)"
    )
    if count == 1:
        uvicorn.run(create_app(settings), host=chosen_host, port=chosen_port, log_level="info")
        return
    # Several workers: uvicorn binds the port here and starts each worker as a fresh process that
    # builds its app with worker_app. The first-start load above ran once, in this process, before
    # any of them. The settings reach the workers as they reached this process, through the
    # environment they inherit (MILCOOP_WORKERS too, so that theirs match this process's).
    os.environ["MILCOOP_WORKERS"] = str(count)
    _serve_workers(count, chosen_host, chosen_port)


def _serve_workers(count: int, host: str, port: int, *, log_level: str = "info", access_log: bool = True) -> None:
    """What ``uvicorn.run(..., workers=count)`` does, with a listening socket whose connections
    get ``TCP_NODELAY``.

    uvicorn (0.54; its issue #3149) creates the socket its workers share with ``proto`` 0, accepted
    connections inherit it, and asyncio turns Nagle's algorithm off only on sockets that say
    ``IPPROTO_TCP``. Every answer on a keep-alive connection after the first then waited for the
    client's delayed ACK: /healthz took 48 ms with two workers against 1.7 ms with one, measured
    on loopback.
    """
    import socket

    import uvicorn
    from uvicorn.supervisors import Multiprocess

    config = uvicorn.Config(
        "milcoop.cli:worker_app",
        factory=True,
        workers=count,
        host=host,
        port=port,
        log_level=log_level,
        access_log=access_log,
    )
    sock = config.bind_socket()
    if sock.family in (socket.AF_INET, socket.AF_INET6) and sock.proto != socket.IPPROTO_TCP:
        # The same socket, saying what it is: the connections it accepts then say so too.
        sock = socket.socket(sock.family, sock.type, socket.IPPROTO_TCP, fileno=sock.detach())
        sock.set_inheritable(True)
    with contextlib.suppress(KeyboardInterrupt):
        Multiprocess(config, sockets=[sock]).run()


def worker_app() -> FastAPI:
    """The app of one of several ``serve`` workers; uvicorn calls it in each worker process.

    The settings come from the environment the worker inherited from ``milcoop serve``, so every
    worker serves the same store with the same configuration; milcoop's own log lines go to
    standard error as in a single-process server.
    """
    from milcoop.api.app import create_app

    _log_to_terminal()
    return create_app(get_settings())


ExportBackendOption = Annotated[
    Backend | None,
    typer.Option(
        "--backend",
        help="Store to read: 'neo4j' or 'embedded'. Default: neo4j when NEO4J_URI is set, else embedded.",
        show_default=False,
    ),
]


@app.command()
def export(
    fmt: Annotated[
        str,
        typer.Option(
            "--format", "-f",
            help="turtle, ntriples, nquads, trig, jsonld or rdfxml; or ftm (FollowTheMoney entities, JSON lines).",
        ),
    ] = "turtle",
    out_file: Annotated[
        Path | None, typer.Option("--out", "-o", help="File to write (default: standard output).", show_default=False)
    ] = None,
    actor: Annotated[
        list[str] | None,
        typer.Option(
            help="Keep events in which this actor takes part (id, ISO code, QID, name or alias); repeat "
            "for events involving all of them.",
            show_default=False,
        ),
    ] = None,
    kind: Annotated[
        list[str] | None, typer.Option(help="Event kind, repeatable (materiel-transfer, ...).", show_default=False)
    ] = None,
    since: Annotated[str | None, typer.Option(help="Events overlapping from this date (YYYY[-MM[-DD]]).")] = None,
    until: Annotated[str | None, typer.Option(help="Events starting on or before this date (YYYY[-MM[-DD]]).")] = None,
    undated: Annotated[str, typer.Option(help="'include' or 'exclude' events with no date.")] = "include",
    status: Annotated[
        list[str] | None, typer.Option(help="Claim status to keep, repeatable (reported, ...).", show_default=False)
    ] = None,
    min_grade: Annotated[
        str | None, typer.Option(help="Keep claims graded at least this (Admiralty, e.g. B2).", show_default=False)
    ] = None,
    derived: Annotated[
        list[str] | None,
        typer.Option(
            help="Add derived triples with their PROV-O derivation: consolidated (the consolidated "
            "quantities); repeatable.",
            show_default=False,
        ),
    ] = None,
    backend: ExportBackendOption = None,
) -> None:
    """Export the knowledge graph as RDF, whole or filtered, streamed as it is read.

    Lossless: claims, sources, quotes, gradings, quantities and dates with their precision. TriG
    and N-Quads put each claim in the named graph of its source document. See docs/rdf.md.
    ``--format ftm`` writes the people, bodies, events and sanctions that map onto FollowTheMoney
    instead (docs/ftm.md).
    """
    import os
    import sys
    import time

    from milcoop.graph.export import (
        DatasetLinks,
        ExportError,
        ExportFilter,
        ExportStats,
        format_named,
        parse_derived,
    )
    from milcoop.graph.export import export as export_rdf
    from milcoop.graph.export.ftm import export_ftm, is_ftm
    from milcoop.graph.service import QueryError, QueryService
    from milcoop.graph.store import open_store, source_for_store

    settings = get_settings()
    chosen = backend or settings.backend
    started = time.perf_counter()
    try:
        ftm = is_ftm(fmt)
        try:
            rdf_format = None if ftm else format_named(fmt, "--format")
        except ExportError as exc:
            raise ExportError(exc.parameter, f"{exc.message}, or ftm (FollowTheMoney)") from None
        chosen_derived = parse_derived(derived, "--derived")
        store = open_store(settings, chosen)
    except ExportError as exc:
        err.print(f"[red]{exc.parameter}[/red]: {exc.message}", highlight=False)
        raise typer.Exit(1) from None
    except StoreError as exc:
        err.print(f"[red]export failed[/red]: {exc}", highlight=False)
        raise typer.Exit(2) from None
    target = out_file
    partial = target.with_name(f".{target.name}.part") if target is not None else None
    try:
        flt = ExportFilter.from_request(
            QueryService(store),
            actors=actor,
            kinds=kind,
            since=since,
            until=until,
            undated=undated,
            statuses=status,
            min_grade=min_grade,
        )
        source = source_for_store(store)
        stats = ExportStats()
        handle: BinaryIO = partial.open("wb") if partial is not None else sys.stdout.buffer
        try:
            # The description links the endpoint and dumps only where the deployment says it is.
            links = DatasetLinks(settings.public_base_url) if settings.public_base_url else None
            chunks = (
                export_ftm(source, flt, stats)
                if rdf_format is None
                else export_rdf(source, rdf_format, flt, stats, derived=chosen_derived, links=links)
            )
            for chunk in chunks:
                handle.write(chunk)
        finally:
            if partial is not None:
                handle.close()
            else:
                handle.flush()
        if partial is not None and target is not None:
            # Only a complete export takes the file's name.
            os.replace(partial, target)
    except QueryError as exc:
        err.print(f"[red]--{(exc.parameter or 'filter').replace('_', '-')}[/red]: {exc.message}", highlight=False)
        raise typer.Exit(1) from None
    except StoreError as exc:
        err.print(f"[red]export failed[/red]: {exc}", highlight=False)
        raise typer.Exit(2) from None
    except BrokenPipeError:
        # The reader stopped (``milcoop export | head``): nothing to report.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise typer.Exit(0) from None
    except OSError as exc:
        err.print(f"[red]cannot write[/red]: {exc}", highlight=False)
        raise typer.Exit(2) from None
    finally:
        if partial is not None:
            partial.unlink(missing_ok=True)
        store.close()
    where = str(target) if target is not None else "standard output"
    if rdf_format is None:
        err.print(
            f"{stats.subjects} FollowTheMoney entities from the {chosen} store to {where} in "
            f"{time.perf_counter() - started:.2f} s",
            highlight=False,
        )
        return
    err.print(
        f"{stats.triples} triples (+{stats.description_triples} describing the export) as {rdf_format.name} "
        f"from the {chosen} store to {where} in {time.perf_counter() - started:.2f} s",
        highlight=False,
    )


def _digests_for(side: str, settings: Settings, backend: Backend | None) -> dict[str, Any]:
    """The resources of ``side``: a fact file or folder (compiled), else a data version (or date)
    the store recorded."""
    from milcoop.graph.changes import digests

    if Path(side).exists():
        return dict(digests(compile_facts([Path(side)]).graph))
    from milcoop.graph.service.changes import Changes
    from milcoop.graph.service.errors import QueryError
    from milcoop.graph.store import open_store

    store = open_store(settings, backend)
    try:
        return dict(Changes(store).state("version", side))
    except QueryError as exc:
        err.print(f"[red]{side!r} is no fact file or folder[/red], and {exc.message}", highlight=False)
        raise typer.Exit(2) from exc
    finally:
        store.close()


@app.command()
def diff(
    a: Annotated[str, typer.Argument(help="A data version the store recorded (or a date), or a fact file or folder.")],
    b: Annotated[str, typer.Argument(help="The same, for the other side.")],
    backend: Annotated[
        Backend | None,
        typer.Option(
            "--backend", help="Store whose data versions to read (default: the configured one).", show_default=False
        ),
    ] = None,
) -> None:
    """Print the resources (facts, claims, entities) added, removed and changed from A to B: one
    line each, ``<change> <kind> <id> <iri>``, then the counts."""
    from milcoop.graph.changes import compare

    settings = get_settings()
    try:
        differences = compare(_digests_for(a, settings, backend), _digests_for(b, settings, backend))
    except CurationError as exc:
        _report_problems(exc)
        raise typer.Exit(1) from exc
    except StoreError as exc:
        err.print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(2) from exc
    for d in differences:
        out.print(f"{d.change} {d.kind} {d.id} {d.iri}", markup=False, highlight=False)
    counts = {kind: sum(1 for d in differences if d.change == kind) for kind in ("added", "removed", "changed")}
    out.print(", ".join(f"{n} {kind}" for kind, n in counts.items()), highlight=False)


@app.command()
def schema(
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="File to write (default: standard output).", show_default=False),
    ] = None,
) -> None:
    """Print the JSON Schema of curated fact files, for editors (see docs/curated-facts-schema.md).

    Generated from the same field table the validator reads (milcoop/loaders/format.py); the
    committed copy is docs/curated-facts.schema.json.
    """
    import sys

    from milcoop.loaders.schema import schema_text

    text = schema_text()
    if output is None:
        sys.stdout.write(text)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        err.print(f"[red]cannot write[/red]: {exc}", highlight=False)
        raise typer.Exit(2) from None
    err.print(f"wrote the curated-facts schema to {output}", highlight=False)


def _dev_server_script() -> Path | None:
    """tools/neo4j/neo4j_dev.py of the checkout this milcoop runs from, if it runs from one."""
    import milcoop

    script = Path(milcoop.__file__).resolve().parent.parent / "tools" / "neo4j" / "neo4j_dev.py"
    return script if script.is_file() else None


@app.command(
    "neo4j",
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
)
def neo4j_dev(
    ctx: typer.Context,
    action: Annotated[
        str, typer.Argument(help="start, stop, status or import (an offline import folder; see docs/scaling.md)")
    ],
) -> None:
    """Start, stop, check or import into the development Neo4j of a source checkout (tools/neo4j).

    The development server is tooling of the repository (Java 17 and Maven build it from Maven
    Central), not part of the installed package. With milcoop installed from a wheel, run Neo4j
    yourself (docker compose, Neo4j Desktop, Aura) and point NEO4J_URI at it.
    """
    import subprocess
    import sys

    script = _dev_server_script()
    if script is None:
        err.print(
            "The development Neo4j server is part of milcoop's source checkout (tools/neo4j, needs Java 17 and "
            "Maven), not of the installed package. Run Neo4j 5.26 yourself (for example `docker compose up neo4j` "
            "from the repository, or Neo4j Desktop) and set NEO4J_URI, NEO4J_USERNAME and NEO4J_PASSWORD.",
            highlight=False,
        )
        raise typer.Exit(2)
    # Run from the checkout's root, so the server's default home (.milcoop/neo4j-dev) is the same wherever
    # this command is called from (as tools/neo4j/neo4j-dev does).
    code = subprocess.call([sys.executable, str(script), action, *ctx.args], cwd=script.parent.parent.parent)
    raise typer.Exit(code)


# -- API keys ------------------------------------------------------------------------------------

keys_app = typer.Typer(
    help="Create, list and revoke the API keys the API asks for when MILCOOP_AUTH=keys (see docs/security.md).",
    no_args_is_help=True,
)
app.add_typer(keys_app, name="keys")


def _keys_file() -> tuple[Path, Any]:
    from milcoop.api.access.keys import KeysFile

    path = get_settings().keys_path
    return path, KeysFile(path)


@keys_app.command("create")
def keys_create(
    name: Annotated[
        str, typer.Option("--name", help="A name for the key: who or what uses it (shown in the access log).")
    ],
    scope: Annotated[
        list[str],
        typer.Option(
            "--scope",
            help="What the key may do, repeatable or comma-separated: read (the JSON API), export (/v1/export), "
            "sparql (/v1/sparql), cypher (/v1/cypher), admin (everything).",
        ),
    ],
) -> None:
    """Make a key and print it, once: only its SHA-256 is kept (in MILCOOP_KEYS_FILE)."""
    from milcoop.api.access.keys import KeysFileError

    path, keys = _keys_file()
    scopes = [part.strip() for value in scope for part in value.split(",") if part.strip()]
    try:
        key, stored = keys.create(name, scopes)
    except KeysFileError as exc:
        err.print(f"[red]cannot create the key[/red]: {exc}", highlight=False)
        raise typer.Exit(1) from None
    # The key alone on standard output, so that `KEY=$(milcoop keys create ...)` takes just it.
    typer.echo(key)
    err.print(
        f"Key {stored.name!r} ({', '.join(sorted(stored.scopes))}) added to {path}. This is the only time it is "
        "shown: give it to its user now. Send it as 'Authorization: Bearer <key>' or 'X-API-Key: <key>'.",
        highlight=False,
    )
    if get_settings().auth != "keys":
        err.print("Note: MILCOOP_AUTH is not 'keys', so the API does not ask for keys yet.", highlight=False)


@keys_app.command("list")
def keys_list() -> None:
    """The keys' names, scopes and creation times (never the keys: they are not kept)."""
    from rich.table import Table

    from milcoop.api.access.keys import KeysFileError

    path, keys = _keys_file()
    try:
        stored = keys.read()
    except KeysFileError as exc:
        err.print(f"[red]cannot read the keys[/red]: {exc}", highlight=False)
        raise typer.Exit(2) from None
    if not stored:
        err.print(f"No API keys in {path}. Create one with `milcoop keys create --name NAME --scope read`.")
        return
    table = Table("name", "scopes", "created", title=str(path), title_justify="left")
    for key in stored:
        table.add_row(key.name, ", ".join(sorted(key.scopes)), key.created)
    out.print(table)


@keys_app.command("revoke")
def keys_revoke(name: Annotated[str, typer.Argument(help="The name of the key to revoke.")]) -> None:
    """Remove a key: the API refuses it (401) from its next request on, without a restart."""
    from milcoop.api.access.keys import KeysFileError

    path, keys = _keys_file()
    try:
        keys.revoke(name)
    except KeysFileError as exc:
        err.print(f"[red]cannot revoke[/red]: {exc}", highlight=False)
        raise typer.Exit(1) from None
    err.print(f"Key {name!r} revoked (removed from {path}).", highlight=False)
