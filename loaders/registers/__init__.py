"""Importers for the public registers analysts already use: SIPRI, ATOP and COW.

:func:`import_register` is the one entry point (the CLI's ``milcoop import`` calls it): read the
publisher's file, map its rows onto the curated format, validate them with the reference data as
a load does, and replace the register's own partition of the store, all or nothing.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from milcoop import __version__
from milcoop.graph.partitions import register_partition
from milcoop.graph.store import held_record, holds_partition
from milcoop.graph.writer import LoadSummary, ProgressReporter
from milcoop.loaders.curated import CompiledFacts, compile_documents, fact_files, reference_dir, reference_index
from milcoop.loaders.registers.base import (
    RegisterImporter,
    RegisterRead,
    Release,
    Unresolved,
    check_grading,
    digest_of,
)
from milcoop.settings import Backend, Settings


def importers() -> dict[str, RegisterImporter]:
    """Every register importer by its command-line name."""
    from milcoop.loaders.registers.atop import AtopImporter
    from milcoop.loaders.registers.cow import CowImporter
    from milcoop.loaders.registers.sipri import SipriImporter

    found: list[RegisterImporter] = [SipriImporter(), AtopImporter(), CowImporter()]
    return {importer.name: importer for importer in found}


@dataclass
class ImportReport:
    """What an import read, what it would write or wrote, and the rows it skipped."""

    register: str
    release: Release
    rows: int
    triples: int
    dry_run: bool
    skipped: list[Unresolved] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    summaries: list[LoadSummary] = field(default_factory=list)
    seconds: float = 0.0
    #: The store already held exactly this import: nothing was compiled or written.
    unchanged: bool = False


def read_register(
    register: str,
    path: Path,
    *,
    grading: str | None = None,
    release: str | None = None,
    skip_unresolved: bool = False,
    reference: Iterable[Path] | None = None,
) -> tuple[RegisterRead, CompiledFacts]:
    """Read and validate one register's file into compiled facts for its partition.

    Raises ``KeyError`` for an unknown register, ``ValueError`` for a grading off the Admiralty
    scale, and :class:`~milcoop.loaders.problems.CurationError` for anything wrong in the file.
    """
    read = read_rows(
        register, path, grading=grading, release=release, skip_unresolved=skip_unresolved, reference=reference
    )
    compiled = compile_documents(
        [read.document],
        version=read.version,
        partition=register_partition(register),
        files=read.files,
        release=read.release.to_dict(),
        reference=read.reference_files,
    )
    return read, compiled


def read_rows(
    register: str,
    path: Path,
    *,
    grading: str | None = None,
    release: str | None = None,
    skip_unresolved: bool = False,
    reference: Iterable[Path] | None = None,
) -> RegisterRead:
    """Read one register's file into curated-format records, before the compiler's checks.

    The read's ``version`` covers the files, the options, the reference data and milcoop's
    version: the same inputs compile to the same facts.
    """
    importer = importers()[register]
    chosen = check_grading(grading or importer.default_grading)
    index = reference_index(reference)
    read = importer.read(path, index=index, grading=chosen, release=release, skip_unresolved=skip_unresolved)
    read.version = digest_of(index.files, read.version, __version__)
    read.reference_files = index.files
    return read


def input_digest(
    register: str,
    path: Path,
    *,
    grading: str | None = None,
    release: str | None = None,
    skip_unresolved: bool = False,
    reference: Iterable[Path] | None = None,
) -> str:
    """A digest of everything an import of ``path`` is given, taken before a row is read: the
    bytes of the file (or of every file in the folder), the options, the reference data and
    milcoop's version. Equal digests import equal facts. Empty when ``path`` does not exist (the
    read then says what is wrong)."""
    if not path.exists():
        return ""
    given = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    roots = list(reference) if reference is not None else [reference_dir()]
    return digest_of(
        [*given, *fact_files(roots, reference=False)],
        register,
        grading or "",
        release or "",
        f"skip_unresolved={skip_unresolved}",
        __version__,
    )


def import_register(
    register: str,
    path: Path,
    backend: Backend,
    settings: Settings,
    progress: ProgressReporter | None = None,
    *,
    grading: str | None = None,
    release: str | None = None,
    skip_unresolved: bool = False,
    dry_run: bool = False,
    reference: Iterable[Path] | None = None,
) -> ImportReport:
    """Import one register's file: replace that register's facts in the store and nothing else.

    With ``dry_run`` everything is read and validated and nothing is written.
    """
    from milcoop.loaders.load import load_compiled

    started = time.perf_counter()
    partition = register_partition(register)
    inputs = input_digest(
        register, path, grading=grading, release=release, skip_unresolved=skip_unresolved, reference=reference
    )
    if not dry_run and inputs:
        record = held_record(settings, backend, partition)
        if record is not None and record.inputs == inputs:
            # The same file, options, reference data and milcoop as the import the store holds:
            # found before a row is read, so a re-import costs a digest of the file.
            return ImportReport(
                register=register,
                release=Release.from_dict(record.release),
                rows=0,
                triples=0,
                dry_run=False,
                unchanged=True,
                seconds=time.perf_counter() - started,
            )
    read = read_rows(
        register, path, grading=grading, release=release, skip_unresolved=skip_unresolved, reference=reference
    )
    if not dry_run and holds_partition(settings, backend, partition, read.version):
        # The same release, options, reference data and milcoop: it would compile to the very
        # facts the store holds. Nothing to check again or write.
        return ImportReport(
            register=register,
            release=read.release,
            rows=read.rows,
            triples=0,
            dry_run=False,
            skipped=read.unresolved,
            counts=read.counts,
            unchanged=True,
            seconds=time.perf_counter() - started,
        )
    compiled = compile_documents(
        [read.document],
        version=read.version,
        partition=partition,
        files=read.files,
        release=read.release.to_dict(),
        reference=read.reference_files,
        inputs=inputs,
    )
    report = ImportReport(
        register=register,
        release=read.release,
        rows=read.rows,
        triples=len(compiled.graph),
        dry_run=dry_run,
        skipped=read.unresolved,
        counts=read.counts,
    )
    if not dry_run:
        report.summaries = load_compiled(compiled, backend, settings, progress, allow_removals=True)
    report.seconds = time.perf_counter() - started
    return report


__all__ = ["ImportReport", "import_register", "importers", "input_digest", "read_register", "read_rows"]
