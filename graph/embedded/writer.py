"""The embedded store's writer: a complete new pyoxigraph store beside the active one, then the switch.

The folder layout and the atomic switch are :class:`~milcoop.graph.embedded.files.EmbeddedStore`'s;
this is the :class:`~milcoop.graph.writer.GraphWriter` face of it.
"""

from __future__ import annotations

from pathlib import Path

from milcoop.graph.embedded.files import EmbeddedStore
from milcoop.graph.writer import Facts, LoadSummary, ProgressReporter
from milcoop.settings import Backend


class EmbeddedWriter:
    """:class:`~milcoop.graph.writer.GraphWriter` for the embedded store under ``data_dir``."""

    backend: Backend = "embedded"

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir)

    def replace(self, facts: Facts, progress: ProgressReporter) -> LoadSummary:
        return EmbeddedStore.replace_contents(self.data_dir, facts, progress)
