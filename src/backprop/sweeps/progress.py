"""The live line of a running sweep: trials done, running, failed, and the best score."""

from __future__ import annotations

from typing import Any

from backprop.sweeps.results import better
from backprop.sweeps.trial import TrialResult


class Progress:
    """The live line: trials done, running, failed, and the best score so far."""

    def __init__(self, total: int, metric: str, verbose: int) -> None:
        self.total, self.metric, self.verbose = total, metric, verbose
        self.done, self.failed = 0, 0
        self.best: float | None = None
        self.bar: Any = None

    def __enter__(self) -> Progress:
        if self.verbose:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            self.bar = Progress(
                TextColumn("trials"), BarColumn(), MofNCompleteColumn(),
                TextColumn("{task.fields[status]}"), transient=False,
            )  # fmt: skip
            self.bar.__enter__()
            self.task = self.bar.add_task("sweep", total=self.total, status="")
        return self

    def record(self, result: TrialResult, running: int) -> None:
        self.done += 1
        self.failed += result.status == "failed"
        if result.metric is not None and (
            self.best is None or better(result.metric, self.best, self.metric)
        ):
            self.best = result.metric
        if self.bar is not None:
            best = "" if self.best is None else f"  best {self.metric} {self.best:.4f}"
            status = f"running {running}  failed {self.failed}{best}"
            self.bar.update(self.task, completed=self.done, status=status)

    def __exit__(self, *exc: Any) -> None:
        if self.bar is not None:
            self.bar.__exit__(*exc)
