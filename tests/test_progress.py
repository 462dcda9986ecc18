"""The progress bar shows the epoch count, the bar, the times and the metrics on an 80-column
terminal, and the running loss inside an epoch."""

from __future__ import annotations

import io
import math
import re

import numpy as np
import pytest
from rich.console import Console

import backprop as bp
from backprop.training import batches
from backprop.training.optimizers import Optimizer
from backprop.training.progress import ProgressBar

LOGS = {"loss": 0.123456, "accuracy": 0.95, "val_loss": 0.130149, "val_accuracy": 0.94}


def terminal() -> Console:
    """An 80-column terminal whose output a test can read."""
    return Console(width=80, file=io.StringIO(), force_terminal=True)


def screen(console: Console) -> str:
    """What the terminal shows last: the text after the last carriage return, without colours."""
    assert isinstance(console.file, io.StringIO)
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", console.file.getvalue())
    return text.rsplit("\r", 1)[-1]


def test_an_80_column_bar_keeps_the_epochs_the_times_and_the_validation_metrics() -> None:
    console = terminal()
    bar = ProgressBar(100, console=console)
    bar.on_train_begin()
    for epoch in range(12):
        bar.on_epoch_end(epoch, LOGS)
    bar.on_train_end()
    lines = screen(console).splitlines()
    assert all(len(line) <= 80 for line in lines)
    assert "12/100" in lines[0] and "━" in lines[0]
    assert re.search(r"\d:\d\d:\d\d left \d:\d\d:\d\d$", lines[0])
    assert lines[1] == (
        "epoch 12: loss 0.1235  accuracy 0.9500  val_loss 0.1301  val_accuracy 0.9400"
    )


def test_the_bar_shows_the_running_loss_inside_an_epoch() -> None:
    bar = ProgressBar(10, console=terminal())
    bar.on_train_begin()
    bar.on_epoch_end(0, {"loss": 0.5})
    bar.on_batch_end(3000, 6000, 0.4321)  # half of the second epoch
    now = Console(width=80, file=io.StringIO())
    now.print(bar.progress.get_renderable())
    bar.on_train_end()
    first, second = screen(now).splitlines()
    assert "1/10" in first and "loss so far 0.4321" in first
    assert second == "epoch 1: loss 0.5000"


class Frozen(Optimizer):
    """Takes no step: every batch's loss is that of the same weights."""

    def step(self, params: list[np.ndarray], grads: list[np.ndarray]) -> None:
        pass


class BatchLosses(bp.Callback):
    def __init__(self) -> None:
        self.seen: list[int] = []
        self.losses: list[float] = []

    def on_batch_end(self, seen: int, n_samples: int, loss: float) -> None:
        self.seen.append(seen)
        self.losses.append(loss)


def test_fit_passes_each_batch_the_mean_loss_of_the_epoch_so_far(
    monkeypatch: pytest.MonkeyPatch, rng: np.random.Generator
) -> None:
    """The losses are computed a chunk of batches at a time; with a chunk per batch, each
    batch hears the mean loss of the batches before it (none before the first)."""
    monkeypatch.setattr(batches, "CHUNK_BYTES", 1)  # chunks of one batch
    X, y = rng.normal(size=(8, 2)), rng.integers(0, 2, 8)
    net = bp.Network([2, 3, 2], output="softmax", seed=0)
    watcher = BatchLosses()
    net.fit(X, y, batch_size=2, shuffle=False, optimizer=Frozen(), callbacks=[watcher])
    assert watcher.seen == [2, 4, 6, 8]
    assert math.isnan(watcher.losses[0])
    expected = [net.evaluate(X[:n], y[:n])["loss"] for n in (2, 4, 6)]
    assert watcher.losses[1:] == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("ending", ["diverges", "a callback raises"])
def test_the_bar_lets_go_of_the_terminal_however_fit_ends(ending: str) -> None:
    """A bug hunt: after an error, Rich's display went on holding sys.stdout and sys.stderr
    (the cursor hidden) and its refresh thread ran on."""
    import sys
    import threading

    class Raises(bp.Callback):
        def on_epoch_end(self, epoch, logs):
            raise RuntimeError("a callback's own mistake")

    X = np.random.default_rng(0).normal(size=(100, 3)) * 10
    y = X @ np.array([1.0, 2.0, 3.0])
    streams = (sys.stdout, sys.stderr)
    net = bp.Network([3, 1], activation="identity", loss="mse", seed=0)
    if ending == "diverges":
        with pytest.raises(bp.DivergenceError):
            net.fit(X, y, epochs=500, lr=1.0, batch_size=10, verbose=1)
    else:
        with pytest.raises(RuntimeError, match="own mistake"):
            net.fit(X, y, epochs=5, lr=1e-3, verbose=1, callbacks=[Raises()])
    assert (sys.stdout, sys.stderr) == streams
    # Rich's refresh thread, told to stop, ends a moment later; one never told runs on.
    refreshing = [t for t in threading.enumerate() if type(t).__name__ == "_RefreshThread"]
    for thread in refreshing:
        thread.join(timeout=5)
    assert not any(thread.is_alive() for thread in refreshing)
