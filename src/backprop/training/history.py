"""The History of a training run: its metrics, one entry per epoch (as in Keras)."""

from __future__ import annotations

from collections.abc import Mapping

from backprop.training.callbacks import Callback


class History(Callback):
    """What ``fit`` recorded: ``history["loss"]`` etc., one entry per epoch.

    ``fit`` returns the History it recorded into: a new one, or the one passed among its
    callbacks, which then continues (a resumed run keeps one history of all its epochs).
    """

    def __init__(self) -> None:
        self.epoch: list[int] = []
        self.history: dict[str, list[float]] = {}
        #: True when Ctrl-C ended training early.
        self.interrupted = False

    def on_train_begin(self) -> None:
        self.interrupted = False

    def on_epoch_end(self, epoch: int, logs: Mapping[str, float]) -> None:
        self.record(epoch, logs)

    def record(self, epoch: int, logs: Mapping[str, float]) -> None:
        self.epoch.append(epoch)
        for key, value in logs.items():
            self.history.setdefault(key, []).append(value)

    def truncate(self, length: int) -> None:
        """Keep the first ``length`` epochs recorded (training went back to the end of those)."""
        self.epoch = self.epoch[:length]
        self.history = {k: v[:length] for k, v in self.history.items()}

    def forget(self, epoch: int) -> None:
        """Drop what was recorded for ``epoch`` and after (its weights were rolled back)."""
        keep = sum(e < epoch for e in self.epoch)
        self.epoch = self.epoch[:keep]
        self.history = {k: v[:keep] for k, v in self.history.items()}

    def extend(self, later: History) -> None:
        """Append the epochs of a run that continued this one."""
        for i, epoch in enumerate(later.epoch):
            self.record(epoch, {k: v[i] for k, v in later.history.items()})

    def _repr_png_(self) -> bytes | None:
        """Jupyter plots a history: loss (and accuracy) per epoch; None before any epoch."""
        if "loss" not in self.history:
            return None
        from backprop.run.plots import history_png

        return history_png(self)

    def __getitem__(self, key: str) -> list[float]:
        return self.history[key]

    def __repr__(self) -> str:
        last = {k: round(v[-1], 6) for k, v in self.history.items()}
        return f"History(epochs={len(self.epoch)}, last={last})"
