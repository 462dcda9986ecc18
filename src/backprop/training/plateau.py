"""Reduce the learning rate when a metric has stopped improving (as Keras's
ReduceLROnPlateau does)."""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from typing import Any

from backprop.engine.validation import (
    check_non_negative_float,
    check_positive_int,
)
from backprop.training.callbacks import Callback
from backprop.training.monitoring import monitored, sign


class ReduceLROnPlateau(Callback):
    """Multiply the learning rate by ``factor`` when ``monitor`` has not improved by more than
    ``min_delta`` for ``patience`` epochs, down to ``min_lr``.

    After a reduction it waits ``cooldown`` epochs before counting epochs without improvement
    again. The rate changes at the end of an epoch and applies from the next; each epoch's logs
    hold the rate it trained with as ``lr``. Epochs without improvement are counted as
    EarlyStopping counts them (``patience=2``: the second such epoch in a row reduces).
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        factor: float = 0.1,
        patience: int = 10,
        min_delta: float = 1e-4,
        cooldown: int = 0,
        min_lr: float = 0.0,
    ) -> None:
        self.monitor = monitor
        self.factor = _check_factor(factor)
        self.patience = check_positive_int("patience", patience)
        self.min_delta = check_non_negative_float("min_delta", min_delta)
        self.cooldown = _check_cooldown(cooldown)
        self.min_lr = check_non_negative_float("min_lr", min_lr)
        self.sign = sign(monitor)
        self._resumed: dict[str, Any] | None = None

    def on_train_begin(self) -> None:
        self.best = math.inf  # of sign * value: better is lower
        self.wait = 0  # epochs without improvement since the best or the last reduction
        self.cooldown_left = 0
        if self._resumed is not None:
            self._apply(self._resumed)
            self._resumed = None

    def epoch_metrics(self, epoch: int, logs: Mapping[str, float]) -> dict[str, float]:
        return {"lr": self._optimizer().lr}

    def on_epoch_end(self, epoch: int, logs: Mapping[str, float]) -> None:
        value = self.sign * monitored("ReduceLROnPlateau", self.monitor, logs)
        if self.cooldown_left > 0:
            self.cooldown_left -= 1
            self.wait = 0
        if value < self.best - self.min_delta:
            self.best, self.wait = value, 0
        elif self.cooldown_left == 0:
            self.wait += 1
            optimizer = self._optimizer()
            if self.wait >= self.patience and optimizer.lr > self.min_lr:
                optimizer.lr = max(optimizer.lr * self.factor, self.min_lr)
                self.cooldown_left, self.wait = self.cooldown, 0

    def get_state(self) -> dict[str, Any]:
        """What the next epochs' decisions depend on (the rate itself is the optimizer's)."""
        return {"best": self.best, "wait": self.wait, "cooldown_left": self.cooldown_left}

    def set_state(self, state: Mapping[str, Any]) -> None:
        """Continue from ``get_state()``: the next training starts from it (rather than afresh),
        and after a training it also applies at once."""
        self._resumed = dict(state)
        if hasattr(self, "best"):
            self._apply(self._resumed)

    def _apply(self, state: Mapping[str, Any]) -> None:
        self.best, self.wait = float(state["best"]), int(state["wait"])
        self.cooldown_left = int(state["cooldown_left"])

    def _optimizer(self) -> Any:
        optimizer = self.network.optimizer
        assert optimizer is not None, "fit sets the network's optimizer before training begins"
        return optimizer

    def __repr__(self) -> str:
        return (
            f"ReduceLROnPlateau(monitor={self.monitor!r}, factor={self.factor}, "
            f"patience={self.patience}, min_delta={self.min_delta}, cooldown={self.cooldown}, "
            f"min_lr={self.min_lr})"
        )


def _check_factor(factor: Any) -> float:
    """A number strictly between 0 and 1 (NumPy's numbers too)."""
    if isinstance(factor, bool) or not (isinstance(factor, numbers.Real) and 0 < float(factor) < 1):
        raise ValueError(
            f"factor={factor!r}: expected a number between 0 and 1 (exclusive), the factor "
            "that reduces the learning rate"
        )
    return float(factor)


def _check_cooldown(cooldown: Any) -> int:
    """An integer >= 0 (NumPy's integers too)."""
    if isinstance(cooldown, bool) or not (
        isinstance(cooldown, numbers.Integral) and int(cooldown) >= 0
    ):
        raise ValueError(f"cooldown={cooldown!r}: expected an integer >= 0")
    return int(cooldown)
