"""Snapshots: whole-dataset exports of an immutable store folder, kept beside it and replayed."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import threading
from collections.abc import Callable, Iterable, Iterator
from functools import cache
from pathlib import Path

import pyoxigraph as ox

from milcoop.graph.export.context import published_context
from milcoop.graph.export.description import data_licence
from milcoop.graph.export.formats import RdfFormat
from milcoop.graph.export.writers import ExportStats
from milcoop.ontology.namespace import DATASET_IRI, ONTOLOGY_IRI, ONTOLOGY_VERSION, ONTOLOGY_VERSION_IRI


@cache
def _writer_fingerprint() -> str:
    from milcoop import __version__

    digest = hashlib.sha256()
    digest.update(__version__.encode())
    package = Path(__file__).parent
    for name in sorted(n for n in os.listdir(package) if n.endswith(".py")):
        digest.update((package / name).read_bytes())
    digest.update(json.dumps(published_context(), sort_keys=True).encode())
    digest.update(ox.__version__.encode() if hasattr(ox, "__version__") else b"")
    # The standard terms added to every subject come from the ontology's declarations, by the
    # rule in graph/standard.py (outside this package since the store keeps them too).
    from milcoop.graph import standard

    digest.update(standard.fingerprint().encode())
    digest.update(Path(standard.__file__).read_bytes())
    # A kept document holds its description: what that takes from outside this package too.
    digest.update(f"{data_licence()} {ONTOLOGY_IRI} {ONTOLOGY_VERSION_IRI} {ONTOLOGY_VERSION} {DATASET_IRI}".encode())
    return digest.hexdigest()[:12]


class Snapshots:
    """Whole-dataset exports of an immutable store folder, kept beside it and replayed.

    An embedded store folder is written once by a load and never changed, so the unfiltered
    export of it in one format is always the same bytes, its description included (that is a
    function of the folder's data version, load day and triple count). The first unfiltered
    export in a format writes the document to ``<root>/<store folder>/export.<ext>`` as it
    streams (renamed into place only once complete); later ones stream that file. A new store
    folder (a new load) starts a new set and removes the others. Nothing here is needed for
    correctness: if the folder cannot be written, exports simply read the store every time.
    """

    READ_SIZE = 1 << 20

    def __init__(self, root: Path, key: str) -> None:
        self.root = root
        # The bytes also depend on this code (prefixes, context, writers): a snapshot written by
        # another version of milcoop is never replayed.
        self.dir = root / f"{key}-{_writer_fingerprint()}"

    def _paths(self, fmt: RdfFormat) -> tuple[Path, Path]:
        document = self.dir / f"export.{fmt.extension}"
        return document, document.with_suffix(document.suffix + ".json")

    def find(self, fmt: RdfFormat) -> tuple[Path, ExportStats] | None:
        """The kept document in ``fmt`` and what it holds, if there is a whole one."""
        document, meta = self._paths(fmt)
        try:
            data = json.loads(meta.read_text(encoding="utf-8"))
            if not document.is_file() or document.stat().st_size != int(data["bytes"]):
                return None
            return document, ExportStats(
                triples=int(data["triples"]),
                subjects=int(data["subjects"]),
                description_triples=int(data["description_triples"]),
                origin="snapshot",
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def replay(self, document: Path) -> Iterator[bytes]:
        """The kept document, read a megabyte at a time."""
        with document.open("rb") as handle:
            while chunk := handle.read(self.READ_SIZE):
                yield chunk

    def record(self, fmt: RdfFormat, chunks: Iterable[bytes], stats: ExportStats) -> Iterator[bytes]:
        """Pass ``chunks`` through, keeping a copy that becomes the snapshot once all went through."""
        document, meta = self._paths(fmt)
        temp = document.with_name(f".{document.name}.{os.getpid()}.{threading.get_ident()}.part")
        handle = None
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            handle = temp.open("wb")
        except OSError:
            handle = None
        written = 0
        complete = False
        try:
            for chunk in chunks:
                if handle is not None:
                    try:
                        handle.write(chunk)
                        written += len(chunk)
                    except OSError:
                        handle.close()
                        handle = None
                        temp.unlink(missing_ok=True)
                yield chunk
            complete = True
        finally:
            if handle is not None:
                handle.close()
                if complete:
                    self._keep(temp, document, meta, written, stats)
                else:
                    temp.unlink(missing_ok=True)

    def export(self, fmt: RdfFormat, stats: ExportStats, make: Callable[[], Iterator[bytes]]) -> Iterator[bytes]:
        """The kept document in ``fmt`` if there is one, else ``make()``'s, kept as it streams."""
        found = self.find(fmt)
        if found is None:
            yield from self.record(fmt, make(), stats)
            return
        document, recorded = found
        stats.triples, stats.subjects = recorded.triples, recorded.subjects
        stats.description_triples, stats.origin = recorded.description_triples, recorded.origin
        for chunk in self.replay(document):
            stats.bytes += len(chunk)
            yield chunk
        stats.done = True

    def _keep(self, temp: Path, document: Path, meta: Path, written: int, stats: ExportStats) -> None:
        try:
            os.replace(temp, document)
            meta.write_text(
                json.dumps(
                    {
                        "bytes": written,
                        "triples": stats.triples,
                        "subjects": stats.subjects,
                        "description_triples": stats.description_triples,
                    }
                ),
                encoding="utf-8",
            )
            for other in self.root.iterdir():
                if other.is_dir() and other != self.dir:
                    shutil.rmtree(other, ignore_errors=True)
        except OSError:
            temp.unlink(missing_ok=True)
