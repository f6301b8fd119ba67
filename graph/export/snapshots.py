"""Snapshots: whole-dataset exports of an immutable store folder, kept beside it and replayed."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import threading
from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path

import pyoxigraph as ox

from milcoop.graph.export.context import published_context
from milcoop.graph.export.formats import RdfFormat
from milcoop.graph.export.writers import ExportStats


@cache
def _writer_fingerprint() -> str:
    from milcoop import __version__

    digest = hashlib.sha256()
    digest.update(__version__.encode())
    for module in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(module.read_bytes())
    digest.update(json.dumps(published_context(), sort_keys=True).encode())
    digest.update(ox.__version__.encode() if hasattr(ox, "__version__") else b"")
    return digest.hexdigest()[:12]


class Snapshots:
    """Whole-dataset exports of an immutable store folder, kept beside it and replayed.

    An embedded store folder is written once by a load and never changed, so the unfiltered
    export of it in one format is always the same bytes (but for the description, which is
    written fresh each time). The first unfiltered export in a format writes its body to
    ``<root>/<store folder>/body.<ext>`` as it streams (renamed into place only once complete);
    later ones stream that file. A new store folder (a new load) starts a new set and removes
    the others. Nothing here is needed for correctness: if the folder cannot be written, exports
    simply read the store every time.
    """

    READ_SIZE = 1 << 20

    def __init__(self, root: Path, key: str) -> None:
        self.root = root
        # The bytes also depend on this code (prefixes, context, writers): a snapshot written by
        # another version of milcoop is never replayed.
        self.dir = root / f"{key}-{_writer_fingerprint()}"

    def _paths(self, fmt: RdfFormat) -> tuple[Path, Path]:
        body = self.dir / f"body.{fmt.extension}"
        return body, body.with_suffix(body.suffix + ".json")

    def find(self, fmt: RdfFormat) -> tuple[Path, ExportStats] | None:
        body, meta = self._paths(fmt)
        try:
            data = json.loads(meta.read_text(encoding="utf-8"))
            if not body.is_file() or body.stat().st_size != int(data["bytes"]):
                return None
            return body, ExportStats(triples=int(data["triples"]), subjects=int(data["subjects"]), origin="snapshot")
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def replay(self, body: Path) -> Iterator[bytes]:
        with body.open("rb") as handle:
            while chunk := handle.read(self.READ_SIZE):
                yield chunk

    def record(self, fmt: RdfFormat, chunks: Iterable[bytes], stats: ExportStats) -> Iterator[bytes]:
        """Pass ``chunks`` through, keeping a copy that becomes the snapshot once all went through."""
        body, meta = self._paths(fmt)
        temp = body.with_name(f".{body.name}.{os.getpid()}.{threading.get_ident()}.part")
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
                    self._keep(temp, body, meta, written, stats)
                else:
                    temp.unlink(missing_ok=True)

    def _keep(self, temp: Path, body: Path, meta: Path, written: int, stats: ExportStats) -> None:
        try:
            os.replace(temp, body)
            meta.write_text(
                json.dumps({"bytes": written, "triples": stats.triples, "subjects": stats.subjects}), encoding="utf-8"
            )
            for other in self.root.iterdir():
                if other.is_dir() and other != self.dir:
                    shutil.rmtree(other, ignore_errors=True)
        except OSError:
            temp.unlink(missing_ok=True)
