"""The callbacks a run adds to training: its checkpoint, and tutorial 004's one-sample curves."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from backprop.run.model import Model
from backprop.saving.checkpoint import Checkpoint
from backprop.training.callbacks import Callback
from backprop.training.early_stopping import EarlyStopping
from backprop.training.history import History


class Checkpointer(Callback):
    """Saves the run's checkpoint every ``every`` epochs and when training ends.

    The checkpoint holds ``history`` (the whole run's, including epochs before a resume: the
    History that ``fit`` records into) and the early stopper's state, so that a resumed run
    continues as if it had never stopped.
    """

    def __init__(
        self,
        model: Model,
        path: Path,
        every: int | None,
        history: History,
        stopper: EarlyStopping | None,
    ) -> None:
        self.model, self.path, self.every = model, path, every
        self.history, self.stopper = history, stopper

    def on_epoch_end(self, epoch: int, logs: Mapping[str, float]) -> None:
        if self.every and (epoch + 1) % self.every == 0:
            self.save()

    def on_train_end(self) -> None:
        # EarlyStopping puts back its best weights only after this (it restores_weights): the
        # checkpoint holds the last epoch's state, the one the next epoch continues from.
        self.save()

    def save(self) -> None:
        state: dict[str, Any] = {}
        arrays: dict[str, np.ndarray] = {}
        if self.stopper is not None:
            state = self.stopper.get_state()
            arrays = {f"stopper.{i}": w for i, w in enumerate(state.pop("best_weights"))}
        self.model.save_checkpoint(self.path, self.history, {"early_stopping": state}, arrays)


def stopper_state(checkpoint: Checkpoint) -> dict[str, Any]:
    """The EarlyStopping state a checkpoint holds (see ``Checkpointer.save``)."""
    state = dict(checkpoint.metadata.get("early_stopping") or {})
    count = sum(name.startswith("stopper.") for name in checkpoint.arrays)
    state["best_weights"] = [checkpoint.arrays[f"stopper.{i}"] for i in range(count)]
    return state


class OneSample(Callback):
    """Training on one sample, as tutorial 004 does: its prediction and error every epoch."""

    def __init__(self, x: np.ndarray, y: np.ndarray) -> None:
        self.x, self.y = x, y

    def epoch_metrics(self, epoch: int, logs: Mapping[str, float]) -> dict[str, float]:
        return {
            "prediction": float(self.network.predict(self.x)[0, 0]),
            "error": self.network.evaluate(self.x, self.y)["loss"],
        }
