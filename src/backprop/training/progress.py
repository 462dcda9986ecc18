"""A progress bar for ``fit(..., verbose=1)``: epoch, live loss and accuracy, time left.

Two lines, so that an 80-column terminal shows all of it::

    epoch  12/100 ━━━━━━━━━━━━━━━━━━━━━━━━━━━━ loss so far 0.2345 0:00:03 left 0:00:21
    epoch 12: loss 0.1234  accuracy 0.9500  val_loss 0.1301  val_accuracy 0.9400

The first line is the run: epochs done, the bar, the mean loss of the epoch under way (its
samples so far) and the times; the second the metrics of the last epoch done.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Mapping

from rich.console import Console, RenderableType
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from backprop.training.callbacks import Callback

#: Seconds between redraws inside an epoch: often enough to look live, rarely enough to cost
#: nothing next to a training step.
REFRESH = 0.1


class ProgressBar(Callback):
    """Draws one bar over all epochs, advancing with every batch, on stderr."""

    every_batch = False  # it redraws ten times a second: a chunk of steps at a time will do

    def __init__(self, epochs: int, initial_epoch: int = 0, console: Console | None = None):
        self.epochs, self.initial_epoch = epochs, initial_epoch
        self.console = console or Console(stderr=True)
        self._last_draw = 0.0
        self._done_in_epoch = 0
        self._showing = False  # between on_train_begin and the display's stop

    def on_train_begin(self) -> None:
        self.progress = _BarAndMetrics(
            TextColumn("[bold]epoch[/]"),
            MofNCompleteColumn(),
            BarColumn(bar_width=None),  # the width the other columns leave
            TextColumn("{task.fields[running]}"),
            TimeElapsedColumn(),
            TextColumn("left"),
            TimeRemainingColumn(),
            console=self.console,
            transient=False,
            expand=True,
        )
        self.progress.start()
        self._showing = True
        self.task = self.progress.add_task(
            "train", total=self.epochs, completed=self.initial_epoch, running=""
        )

    def on_batch_end(self, seen: int, n_samples: int, loss: float = math.nan) -> None:
        now = time.monotonic()
        if now - self._last_draw >= REFRESH:
            # Fractions of an epoch keep the bar and the time estimate moving on big data.
            self.progress.update(
                self.task,
                advance=(seen - self._done_in_epoch) / n_samples,
                running=f"loss so far {loss:.4f}" if math.isfinite(loss) else "",
            )
            self._done_in_epoch = seen
            self._last_draw = now

    def on_epoch_end(self, epoch: int, logs: Mapping[str, float]) -> None:
        metrics = "  ".join(f"{key} {value:.4f}" for key, value in logs.items())
        self.progress.metrics = f"epoch {epoch + 1}: {metrics}"
        self.progress.update(self.task, completed=epoch + 1, running="")
        self._done_in_epoch = 0

    def on_train_end(self) -> None:
        self.progress.stop()  # the last frame stays on the screen
        self._showing = False

    def close(self) -> None:
        if self._showing:  # an error ended training: the bar goes, the error is the last word
            self.progress.live.transient = True
            self.progress.stop()
            self._showing = False


class _BarAndMetrics(Progress):
    """Rich's progress display with a line of text under the bar."""

    metrics = ""

    def get_renderables(self) -> Iterable[RenderableType]:
        yield from super().get_renderables()
        if self.metrics:
            yield Text(self.metrics)
