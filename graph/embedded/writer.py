"""The embedded store's writer: a complete new pyoxigraph store beside the active one, then the switch.

The folder layout and the atomic switch are :class:`~milcoop.graph.embedded.files.EmbeddedStore`'s;
this is the :class:`~milcoop.graph.writer.GraphWriter` face of it.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

from milcoop.graph.embedded.files import EmbeddedStore
from milcoop.graph.embedded.shapes import RDF_TYPE
from milcoop.graph.writer import Facts, LoadSummary, ProgressReporter
from milcoop.settings import Backend


class EmbeddedWriter:
    """:class:`~milcoop.graph.writer.GraphWriter` for the embedded store under ``data_dir``."""

    backend: Backend = "embedded"

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir)

    def current_iris(self) -> frozenset[str]:
        if not EmbeddedStore.exists(self.data_dir):
            return frozenset()
        store = EmbeddedStore.open(self.data_dir).store
        return frozenset(
            quad.subject.value
            for quad in store.quads_for_pattern(None, RDF_TYPE, None, ox.DefaultGraph())
            if isinstance(quad.subject, ox.NamedNode)
        )

    def replace(self, facts: Facts, progress: ProgressReporter, *, verify: bool = False) -> LoadSummary:
        return EmbeddedStore.replace_contents(self.data_dir, facts, progress, verify=verify)
