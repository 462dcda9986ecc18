"""A progress bar for ``fit(..., verbose=1)``: epoch, live loss and accuracy, time left."""

from __future__ import annotations

import time
from collections.abc import Mapping

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from backprop.training.callbacks import Callback

#: Seconds between redraws inside an epoch: often enough to look live, rarely enough to cost
#: nothing next to a training step.
REFRESH = 0.1


class ProgressBar(Callback):
    """Draws one bar over all epochs, advancing with every batch, on stderr."""

    def __init__(self, epochs: int, initial_epoch: int = 0, console: Console | None = None):
        self.epochs, self.initial_epoch = epochs, initial_epoch
        self.console = console or Console(stderr=True)
        self._last_draw = 0.0
        self._done_in_epoch = 0

    def on_train_begin(self) -> None:
        self.progress = Progress(
            TextColumn("[bold]epoch[/]"),
            MofNCompleteColumn(),
            BarColumn(),
            TextColumn("{task.fields[metrics]}"),
            TimeElapsedColumn(),
            TextColumn("left"),
            TimeRemainingColumn(),
            console=self.console,
            transient=False,
        )
        self.progress.start()
        self.task = self.progress.add_task(
            "train", total=self.epochs, completed=self.initial_epoch, metrics=""
        )

    def on_batch_end(self, seen: int, n_samples: int) -> None:
        now = time.monotonic()
        if now - self._last_draw >= REFRESH:
            # Fractions of an epoch keep the bar and the time estimate moving on big data.
            self.progress.update(self.task, advance=(seen - self._done_in_epoch) / n_samples)
            self._done_in_epoch = seen
            self._last_draw = now

    def on_epoch_end(self, epoch: int, logs: Mapping[str, float]) -> None:
        metrics = "  ".join(f"{key} {value:.4f}" for key, value in logs.items())
        self.progress.update(self.task, completed=epoch + 1, metrics=metrics)
        self._done_in_epoch = 0

    def on_train_end(self) -> None:
        self.progress.stop()
