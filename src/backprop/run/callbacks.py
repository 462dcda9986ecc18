"""The callbacks a run adds to training: its checkpoint, and tutorial 004's one-sample curves."""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from typing import Any

import numpy as np

from backprop.run.folder import RunFolder
from backprop.run.history_file import HistoryWriter
from backprop.run.model import Model
from backprop.saving.checkpoint import Checkpoint
from backprop.training.callbacks import Callback
from backprop.training.early_stopping import EarlyStopping
from backprop.training.history import History

#: For tests: seconds each checkpoint write pauses, after the rows it vouches for are written
#: and before the checkpoint is, so that a signal sent at a random moment likely lands there.
PAUSE_VARIABLE = "BACKPROP_TEST_CHECKPOINT_PAUSE"


class Checkpointer(Callback):
    """Keeps the run folder resumable: history.csv gets a row every epoch, checkpoint.npz the
    training state every ``every`` epochs and when training ends.

    A checkpoint between epochs holds the number of epochs, not their history: it vouches for
    as many first rows of history.csv, which are on disk before it is written, so that a save
    takes as long at epoch 10,000 as at epoch 1. The checkpoint written when training ends
    holds the whole history too, for whoever reads it alone. Each checkpoint holds, whole, the
    state of one epoch boundary: the weights, optimizer and generator, ``history`` (the
    History ``fit`` records into, which a resumed run continues), the early stopper's state
    and the learning rate schedule's, which it saves once they have heard of the epoch
    (``saves_state``).
    """

    saves_state = True

    def __init__(
        self,
        model: Model,
        folder: RunFolder,
        every: int | None,
        history: History,
        stopper: EarlyStopping | None,
        *,
        stopped: bool = False,
        schedule: Any = None,
    ) -> None:
        self.model, self.path, self.every = model, folder.checkpoint, every
        self.history, self.stopper = history, stopper
        #: The learning rate schedule callback (with get_state), or None.
        self.schedule = schedule
        self.rows = HistoryWriter(folder.history, history)
        #: Early stopping ended the training (in this run or the one it resumes).
        self.stopped = stopped
        #: The number of epochs of the last checkpoint written; None before the first.
        self.saved: int | None = None
        self._pause = float(os.environ.get(PAUSE_VARIABLE) or 0)

    def on_epoch_end(self, epoch: int, logs: Mapping[str, float]) -> None:
        self.rows.append(epoch, logs)
        if self.every and (epoch + 1) % self.every == 0:
            self.save(with_history=False)

    def on_train_end(self) -> None:
        # EarlyStopping puts back its best weights only after this (it restores_weights): the
        # checkpoint holds the last epoch's state, the one the next epoch continues from.
        self.rows.close()
        self.save(with_history=True)

    def save(self, *, with_history: bool, exclusive: bool = False) -> None:
        """Write the checkpoint of the epochs in ``history`` (with ``exclusive``, only if there
        is none: see ``save_checkpoint``)."""
        net = self.model.network
        assert net.optimizer is not None
        self.stopped = self.stopped or net.stop_training
        epochs = len(self.history.epoch)
        state: dict[str, Any] = {}
        arrays: dict[str, np.ndarray] = {}
        if self.stopper is not None and epochs:  # before the first epoch it has no state
            state = self.stopper.get_state()
            arrays = {f"stopper.{i}": w for i, w in enumerate(state.pop("best_weights"))}
        last_row = {k: v[-1] for k, v in self.history.history.items()} if epochs else None
        run = {"stopped": self.stopped, "last_row": last_row}
        metadata = {"early_stopping": state, "run": run}
        if self.schedule is not None and epochs:  # before the first epoch it has no state
            metadata["schedule"] = self.schedule.get_state()
        self.rows.sync()  # the rows this checkpoint vouches for outlast it
        if self._pause:
            time.sleep(self._pause)
        self.model.save_checkpoint(
            self.path,
            self.history if with_history else epochs,
            metadata,
            arrays,
            exclusive=exclusive,
        )
        self.saved = epochs


def stopper_state(checkpoint: Checkpoint) -> dict[str, Any] | None:
    """The EarlyStopping state a checkpoint holds (see ``Checkpointer.save``); None in one
    saved before the first epoch."""
    state = dict(checkpoint.metadata.get("early_stopping") or {})
    if not state:
        return None
    count = sum(name.startswith("stopper.") for name in checkpoint.arrays)
    state["best_weights"] = [checkpoint.arrays[f"stopper.{i}"] for i in range(count)]
    return state


def schedule_state(checkpoint: Checkpoint) -> dict[str, Any] | None:
    """The learning rate schedule's state a checkpoint holds; None in one saved before the
    first epoch, or by a run without a schedule."""
    return dict(checkpoint.metadata.get("schedule") or {}) or None


class OneSample(Callback):
    """Training on one sample, as tutorial 004 does: its prediction and error every epoch."""

    def __init__(self, x: np.ndarray, y: np.ndarray) -> None:
        self.x, self.y = x, y

    def epoch_metrics(self, epoch: int, logs: Mapping[str, float]) -> dict[str, float]:
        return {
            "prediction": float(self.network.predict(self.x)[0, 0]),
            "error": self.network.evaluate(self.x, self.y)["loss"],
        }
