"""Learning rate schedules: callbacks that set the optimizer's learning rate at the start of
every epoch, from a formula of the epoch (counted from 0, as ``fit`` counts them).

- ``StepDecay``: lr(epoch) = initial_lr * factor ^ floor(epoch / every)
- ``ExponentialDecay``: lr(epoch) = initial_lr * rate ^ epoch
- ``CosineDecay``: lr(epoch) = min_lr + (initial_lr - min_lr) * (1 + cos(pi * epoch / epochs)) / 2

Each records the rate of every epoch in its logs as ``lr`` (history.csv shows it). A rate that
reacts to the training instead is ``ReduceLROnPlateau`` (``plateau.py``).

``initial_lr`` is the rate at epoch 0: by default the optimizer's when training first begins
with the schedule. A schedule is a function of the epoch and of ``initial_lr`` alone, so a run
resumed at any epoch continues the same curve: ``get_state``/``set_state`` carry
``initial_lr`` to a new schedule object.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from backprop.engine.validation import (
    check_non_negative_float,
    check_positive_float,
    check_positive_int,
)
from backprop.training.callbacks import Callback
from backprop.training.optimizers import Optimizer


class LearningRateSchedule(Callback):
    """Sets the optimizer's learning rate to ``lr_at(epoch)`` before each epoch."""

    def __init__(self, initial_lr: float | None = None) -> None:
        self.initial_lr = (
            None if initial_lr is None else check_positive_float("initial_lr", initial_lr)
        )

    def lr_at(self, epoch: int) -> float:
        """The learning rate of ``epoch`` (counted from 0)."""
        raise NotImplementedError

    def on_train_begin(self) -> None:
        if self.initial_lr is None:
            self.initial_lr = self._optimizer().lr

    def on_epoch_begin(self, epoch: int) -> None:
        self._optimizer().lr = self.lr_at(epoch)

    def epoch_metrics(self, epoch: int, logs: Mapping[str, float]) -> dict[str, float]:
        return {"lr": self._optimizer().lr}

    def get_state(self) -> dict[str, Any]:
        """What the curve depends on besides the settings: the rate of epoch 0."""
        return {"initial_lr": self.initial_lr}

    def set_state(self, state: Mapping[str, Any]) -> None:
        """Continue the curve of the schedule whose ``get_state()`` this is."""
        self.initial_lr = state["initial_lr"]

    def _optimizer(self) -> Optimizer:
        optimizer = self.network.optimizer
        assert optimizer is not None, "fit sets the network's optimizer before training begins"
        return optimizer

    def _initial(self) -> float:
        if self.initial_lr is None:
            raise ValueError(
                f"{type(self).__name__} has no initial_lr yet: give it, or let fit take the "
                "optimizer's learning rate when training begins"
            )
        return self.initial_lr


class StepDecay(LearningRateSchedule):
    """lr(epoch) = initial_lr * factor ^ floor(epoch / every): the rate is multiplied by
    ``factor`` every ``every`` epochs (PyTorch's StepLR)."""

    def __init__(self, every: int = 10, factor: float = 0.5, initial_lr: float | None = None):
        super().__init__(initial_lr)
        self.every = check_positive_int("every", every)
        self.factor = check_positive_float("factor", factor)

    def lr_at(self, epoch: int) -> float:
        return self._initial() * self.factor ** (epoch // self.every)

    def __repr__(self) -> str:
        return f"StepDecay(every={self.every}, factor={self.factor}, initial_lr={self.initial_lr})"


class ExponentialDecay(LearningRateSchedule):
    """lr(epoch) = initial_lr * rate ^ epoch: the rate is multiplied by ``rate`` every epoch
    (PyTorch's ExponentialLR)."""

    def __init__(self, rate: float = 0.95, initial_lr: float | None = None) -> None:
        super().__init__(initial_lr)
        self.rate = check_positive_float("rate", rate)

    def lr_at(self, epoch: int) -> float:
        return self._initial() * self.rate**epoch

    def __repr__(self) -> str:
        return f"ExponentialDecay(rate={self.rate}, initial_lr={self.initial_lr})"


class CosineDecay(LearningRateSchedule):
    """lr(epoch) = min_lr + (initial_lr - min_lr) * (1 + cos(pi * epoch / epochs)) / 2.

    Half a cosine from ``initial_lr`` at epoch 0 down to the floor ``min_lr`` at epoch
    ``epochs`` (and after it): fast decay in the middle of the run, slow at both ends
    (Loshchilov and Hutter's SGDR without restarts; PyTorch's CosineAnnealingLR with
    ``T_max=epochs``). ``epochs`` defaults to the ``epochs`` given to ``fit``: a run continued
    with more epochs than it started with stretches the rest of its curve to the new end.
    """

    def __init__(
        self, epochs: int | None = None, min_lr: float = 0.0, initial_lr: float | None = None
    ) -> None:
        super().__init__(initial_lr)
        self.epochs = None if epochs is None else check_positive_int("epochs", epochs)
        self.min_lr = check_non_negative_float("min_lr", min_lr)

    def lr_at(self, epoch: int) -> float:
        epochs = self.epochs or vars(self).get("params", {}).get("epochs")  # fit sets params
        if epochs is None:
            raise ValueError("CosineDecay needs its length: give epochs, or let fit give its own")
        initial = self._initial()
        progress = min(epoch, epochs) / epochs
        return self.min_lr + (initial - self.min_lr) * (1 + math.cos(math.pi * progress)) / 2

    def __repr__(self) -> str:
        return (
            f"CosineDecay(epochs={self.epochs}, min_lr={self.min_lr}, initial_lr={self.initial_lr})"
        )
