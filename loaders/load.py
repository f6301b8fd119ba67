"""Load curated facts into the configured store: validate everything first, then write all or nothing.

This is the one entry point the CLI, the register importers and the API's first-start load use.
It compiles and validates the fact files (raising :class:`~loaders.problems.CurationError` before
anything is written), then writes the chosen backend. Facts replace one *partition* of the store
(the curated facts, or one register; :mod:`milcoop.graph.partitions`) and leave the others:

* ``embedded``: the pyoxigraph store under ``MILCOOP_DATA_DIR`` is replaced atomically;
* ``neo4j``: Neo4j is brought to exactly the new partition beside the others in one transaction,
  and then the embedded copy is replaced as well, so that SPARQL answers the same data (see
  README, "SPARQL").
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path

from milcoop.graph.export import DatasetLinks, ExportError, RdfFormat, export, format_named
from milcoop.graph.export.writers import ExportStats
from milcoop.graph.partitions import CURATED
from milcoop.graph.store import held_data_version, merged_facts, open_source, open_writer, partition_resources
from milcoop.graph.writer import LoadSummary, ProgressReporter, SilentProgress
from milcoop.loaders.curated import CompiledFacts, compile_facts, fact_files, files_version
from milcoop.settings import Backend, Settings, SettingsError, environment_name


class RemovalsRefused(Exception):
    """A load would remove more of the store's resources than allowed; nothing was written.

    ``removed`` holds the IRIs that the new facts no longer contain, ``held`` how many the store
    holds now.
    """

    def __init__(self, removed: list[str], held: int, max_share: float) -> None:
        self.removed = removed
        self.held = held
        self.max_share = max_share
        super().__init__(
            f"the load would remove {len(removed)} of the {held} resources the store holds "
            f"({len(removed) / held:.0%}, more than the {max_share:.0%} allowed by MILCOOP_MAX_REMOVAL_SHARE); "
            "nothing was written. Check the fact files (an emptied or half-cut file?), or give --allow-removals"
        )


def check_removals(compiled: CompiledFacts, current: frozenset[str], max_share: float) -> None:
    """Raise :class:`RemovalsRefused` when loading ``compiled`` over ``current`` (what its
    partition holds now) would remove more than ``max_share`` of the resources ``current`` holds."""
    if not current:
        return
    kept = {str(subject) for subject in compiled.graph.subjects(unique=True)}
    removed = sorted(current - kept)
    if len(removed) > max_share * len(current):
        raise RemovalsRefused(removed, len(current), max_share)


def load_compiled(
    compiled: CompiledFacts,
    backend: Backend,
    settings: Settings,
    progress: ProgressReporter | None = None,
    *,
    allow_removals: bool = True,
    verify: bool = False,
) -> list[LoadSummary]:
    """Write already-validated facts to ``backend`` (and, for Neo4j, to the embedded copy).

    ``verify`` (``--force``) trusts none of the digests the stores recorded: Neo4j is compared
    with the whole graph, and the embedded store written whole again.

    Unless ``allow_removals``, first check that the load removes at most
    ``settings.max_removal_share`` of what the store holds (:class:`RemovalsRefused` otherwise).
    """
    progress = progress or SilentProgress()
    if not allow_removals:
        held = partition_resources(settings, compiled.partition)
        if held is None:
            held = open_writer(settings, backend).current_iris()
        check_removals(compiled, held, settings.max_removal_share)
    formats = snapshot_formats(settings)  # a bad name stops the load before anything is written
    summaries: list[LoadSummary] = []
    if backend == "neo4j":
        neo4j_writer = open_writer(settings, "neo4j")
        summaries.append(neo4j_writer.replace(merged_facts(settings, compiled), progress, verify=verify))
    # SPARQL answers from the embedded store, so it always holds the same facts.
    embedded = open_writer(settings, "embedded").replace(compiled, progress, verify=verify)
    summaries.append(embedded)
    if formats and not embedded.unchanged:  # an unchanged store keeps the snapshots it has
        started = time.perf_counter()
        write_snapshots(settings, formats, progress, embedded.triples)
        embedded.phases["export snapshots"] = time.perf_counter() - started
    return summaries


def snapshot_formats(settings: Settings) -> list[RdfFormat]:
    """The export formats a load writes whole (``MILCOOP_SNAPSHOT_FORMATS``); raises SettingsError
    naming the variable for a format milcoop does not export."""
    try:
        return [format_named(name, environment_name("snapshot_formats")) for name in settings.snapshot_formats]
    except ExportError as exc:
        shown = ",".join(settings.snapshot_formats)
        raise SettingsError(f"invalid setting: {exc.parameter}={shown!r}: {exc.message}") from None


def write_snapshots(
    settings: Settings, formats: Iterable[RdfFormat], progress: ProgressReporter, triples: int = 0
) -> None:
    """Export the active embedded store whole in each of ``formats``, as ``GET /v1/export`` and
    ``milcoop export`` would, so that each is kept as the store folder's snapshot
    (:class:`~milcoop.graph.export.snapshots.Snapshots`) and their first export is a replay.

    The description names the links of ``MILCOOP_PUBLIC_BASE_URL`` when it is set, as the API's
    exports do then (without it the API names the address each request came to, which no load
    can know, and only ``milcoop export`` replays what is written here). ``triples``, the store's
    count, sizes the progress bar (an export also states the standard terms, so it writes more)."""
    links = DatasetLinks(settings.public_base_url) if settings.public_base_url else None
    with open_source(settings, "embedded") as source:
        for fmt in formats:
            stats = ExportStats()
            progress.start(f"export snapshot: {fmt.name}", triples)
            counted = 0
            for _ in export(source, fmt, stats=stats, links=links):
                progress.advance(stats.triples - counted)
                counted = stats.triples
            progress.finish()


def load(
    paths: Iterable[Path] | None,
    backend: Backend,
    settings: Settings,
    progress: ProgressReporter | None = None,
    *,
    allow_removals: bool = False,
    force: bool = False,
) -> list[LoadSummary]:
    """Validate the fact files under ``paths`` (default: the bundled facts) and load them.

    When the store already holds exactly these files (the same data version of the curated
    partition, :func:`~milcoop.loaders.curated.files_version`), nothing is compiled, validated or
    written, and the summaries say ``unchanged``; ``force`` loads anyway. A load that would remove
    more than ``settings.max_removal_share`` of the resources the store holds stops with
    :class:`RemovalsRefused` unless ``allow_removals``.
    """
    started = time.perf_counter()
    paths = list(paths) if paths is not None else None
    files = fact_files(paths)
    if not force:
        held = held_data_version(settings, backend, CURATED, files_version(files))
        if held is not None:
            stores: list[Backend] = ["neo4j", "embedded"] if backend == "neo4j" else ["embedded"]
            seconds = time.perf_counter() - started
            return [LoadSummary(store, held, seconds, unchanged=True) for store in stores]
    compiled = compile_facts(paths)
    return load_compiled(compiled, backend, settings, progress, allow_removals=allow_removals, verify=force)
