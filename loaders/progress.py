"""Progress reporting for long loads: a bar on a terminal, plain lines otherwise."""

from __future__ import annotations

import sys
import time

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from milcoop.graph.writer import ProgressReporter, SilentProgress

__all__ = ["BarProgress", "LineProgress", "ProgressReporter", "SilentProgress", "progress_for_terminal"]


class LineProgress:
    """Plain lines on stderr, at most one every ``interval`` seconds: for logs and CI."""

    def __init__(self, interval: float = 2.0) -> None:
        self.interval = interval
        self.description = ""
        self.total = 0
        self.done = 0
        self._last = 0.0

    def start(self, description: str, total: int) -> None:
        self.description, self.total, self.done = description, total, 0
        self._last = time.monotonic()
        print(f"{description}: 0/{total}", file=sys.stderr, flush=True)

    def advance(self, amount: int) -> None:
        self.done += amount
        now = time.monotonic()
        if now - self._last >= self.interval:
            self._last = now
            print(f"{self.description}: {self.done}/{self.total}", file=sys.stderr, flush=True)

    def finish(self) -> None:
        print(f"{self.description}: {self.done}/{self.total} done", file=sys.stderr, flush=True)


class BarProgress:
    """A rich progress bar, for an interactive terminal."""

    def __init__(self) -> None:
        self._progress = Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), transient=False
        )
        self._task: TaskID | None = None

    def start(self, description: str, total: int) -> None:
        if self._task is None:
            self._progress.start()
        else:
            self._progress.update(self._task, visible=True)
        self._task = self._progress.add_task(description, total=total)

    def advance(self, amount: int) -> None:
        if self._task is not None:
            self._progress.advance(self._task, amount)

    def finish(self) -> None:
        self._progress.refresh()

    def close(self) -> None:
        self._progress.stop()


def progress_for_terminal() -> ProgressReporter:
    """A bar when stderr is a terminal, plain lines otherwise."""
    return BarProgress() if sys.stderr.isatty() else LineProgress()
