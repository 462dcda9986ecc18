"""Callbacks: hooks into ``fit``.

A callback watches training (a progress bar, a history, a checkpoint) or steers it (early
stopping). None of them depends on where it stands in the list: the rules that decide who
hears of an epoch when are all in ``callback_list.py``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from backprop.engine.network import Network


class Callback:
    """Hooks into ``fit``. Set ``self.network.stop_training = True`` to end after this epoch."""

    network: Network
    #: True for a callback whose ``on_train_end`` changes the network's weights (as
    #: EarlyStopping puts back its best ones): it ends after every other callback, so that
    #: those see the weights of the last epoch trained.
    restores_weights: bool = False
    #: True for a callback that saves the training state (as a run's checkpoint does): it
    #: hears of each epoch after every other callback, so that the state it saves holds what
    #: they made of the epoch (the early stopper's best and patience).
    saves_state: bool = False
    #: False for a callback whose ``on_batch_end`` may hear of several steps at once (a
    #: progress bar): training on a GPU then replays recorded chunks of steps (``graphs.py``)
    #: and tells it after each chunk. True asks to hear of every step, which a GPU pays for.
    every_batch: bool = True
    #: What ``fit`` was asked for, set before training begins: ``epochs`` (the epoch training
    #: ends before) and ``initial_epoch``.
    params: Mapping[str, Any]

    def on_train_begin(self) -> None:
        """Before the first epoch."""

    def on_epoch_begin(self, epoch: int) -> None:
        """Before each epoch's first step (a learning rate schedule sets the epoch's rate)."""

    def on_batch_end(self, seen: int, n_samples: int, loss: float = math.nan) -> None:
        """After each step, with the number of samples seen so far in this epoch and the mean
        loss of the epoch so far (computed a chunk of steps at a time: NaN before the first).
        A callback written for backprop 0.1 may take the first two only: it gets those."""

    def epoch_metrics(self, epoch: int, logs: Mapping[str, float]) -> dict[str, float]:
        """Metrics this callback adds to the epoch's logs, given those ``fit`` computed."""
        return {}

    def on_epoch_end(self, epoch: int, logs: Mapping[str, float]) -> None:
        """After each epoch, with that epoch's metrics (``loss``, ``val_loss``, ...)."""

    def on_train_end(self) -> None:
        """After the last epoch (also when a callback stopped training or Ctrl-C did; not
        when an error ended it, a DivergenceError among them)."""

    def close(self) -> None:
        """Let go of what ``on_train_begin`` took (a display, say), however ``fit`` ends: after
        ``on_train_end``, or instead of it when an error or a second Ctrl-C ends training."""
