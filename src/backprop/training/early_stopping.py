"""Early stopping: end training when a metric has stopped improving."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from backprop.engine.backend import backend_of, copy
from backprop.engine.validation import check_non_negative_float, check_positive_int
from backprop.training.callbacks import Callback
from backprop.training.monitoring import monitored, sign


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by ``min_delta`` for ``patience`` epochs.

    With ``restore_best_weights`` the network ends with the weights of its best epoch.
    After training, ``stopped_epoch`` says when it stopped training (None if it did not), and
    ``best_epoch`` and ``best_value`` which epoch was the best and its ``monitor`` value;
    epochs count from 0, as ``fit`` passes them.
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        patience: int = 10,
        min_delta: float = 0.0,
        restore_best_weights: bool = True,
    ) -> None:
        self.monitor = monitor
        self.patience = check_positive_int("patience", patience)
        self.min_delta = check_non_negative_float("min_delta", min_delta)
        self.restore_best_weights = restore_best_weights
        self.restores_weights = restore_best_weights
        # Losses improve downwards, accuracies upwards.
        self.sign = sign(monitor)

        self._resumed: dict[str, Any] | None = None

    def on_train_begin(self) -> None:
        self.best = math.inf
        self.best_epoch = -1
        self.best_weights: list[np.ndarray] = []
        self.wait = 0
        self.stopped_epoch: int | None = None
        if self._resumed is not None:
            self._apply(self._resumed)
            self._resumed = None

    def get_state(self) -> dict[str, Any]:
        """What the next epochs' decisions depend on: the best so far and the patience used."""
        return {
            "best": self.best,
            "best_epoch": self.best_epoch,
            "wait": self.wait,
            "best_weights": [copy(w) for w in self.best_weights],
        }

    def set_state(self, state: dict[str, Any]) -> None:
        """Continue from ``get_state()``: the next training starts from it (rather than afresh),
        and after a training it also applies at once."""
        self._resumed = state
        if hasattr(self, "best"):
            self._apply(state)

    def _apply(self, state: dict[str, Any]) -> None:
        self.best, self.best_epoch, self.wait = state["best"], state["best_epoch"], state["wait"]
        self.best_weights = [copy(w) for w in state["best_weights"]]

    def on_epoch_end(self, epoch: int, logs: Mapping[str, float]) -> None:
        value = self.sign * monitored("EarlyStopping", self.monitor, logs)
        if value < self.best - self.min_delta:
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best_weights:
                self.best_weights = [copy(p) for p in self.network.parameters]
        else:
            self.wait += 1
            if self.wait >= self.patience:
                self.network.stop_training = True
                self.stopped_epoch = epoch

    @property
    def best_value(self) -> float:
        """The ``monitor`` value of the best epoch so far (infinite before the first)."""
        return self.sign * self.best

    def on_train_end(self) -> None:
        if self.restore_best_weights and self.best_weights:
            for p, best in zip(self.network.parameters, self.best_weights, strict=True):
                p[...] = backend_of(p).asarray(best)  # read from a checkpoint, maybe
