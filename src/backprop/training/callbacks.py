"""Callbacks: hooks into ``fit``, and the small list that calls them.

A callback watches training (a progress bar, a history, a checkpoint) or steers it (early
stopping). None of them depends on where it stands in the list: the rules that decide who
hears of an epoch when are all here, in :class:`CallbackList`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from backprop.engine.network import Network
    from backprop.training.history import History


class Callback:
    """Hooks into ``fit``. Set ``self.network.stop_training = True`` to end after this epoch."""

    network: Network
    #: True for a callback whose ``on_train_end`` changes the network's weights (as
    #: EarlyStopping puts back its best ones): it ends after every other callback, so that
    #: those see the weights of the last epoch trained.
    restores_weights: bool = False

    def on_train_begin(self) -> None:
        """Before the first epoch."""

    def on_batch_end(self, seen: int, n_samples: int) -> None:
        """After each step, with the number of samples seen so far in this epoch."""

    def epoch_metrics(self, epoch: int, logs: Mapping[str, float]) -> dict[str, float]:
        """Metrics this callback adds to the epoch's logs, given those ``fit`` computed."""
        return {}

    def on_epoch_end(self, epoch: int, logs: Mapping[str, float]) -> None:
        """After each epoch, with that epoch's metrics (``loss``, ``val_loss``, ...)."""

    def on_train_end(self) -> None:
        """After the last epoch (also when a callback stopped training or Ctrl-C did)."""


class CallbackList:
    """Calls every callback's hooks, in an order that follows from what each hook is for:

    - an epoch's logs are complete before anyone hears of the epoch: ``fit``'s metrics, then
      what each callback adds (``epoch_metrics``);
    - the History records the epoch first, so every callback sees a history that holds it;
    - callbacks that put back other weights at the end (``restores_weights``) end last.
    """

    def __init__(self, callbacks: Iterable[Callback], network: Network, history: History):
        self.history = history
        self.callbacks = [history, *(c for c in callbacks if c is not history)]
        for callback in self.callbacks:
            callback.network = network

    def on_train_begin(self) -> None:
        for callback in self.callbacks:
            callback.on_train_begin()

    def on_batch_end(self, seen: int, n_samples: int) -> None:
        for callback in self.callbacks:
            callback.on_batch_end(seen, n_samples)

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> None:
        for callback in self.callbacks:
            logs.update(callback.epoch_metrics(epoch, logs))
        for callback in self.callbacks:
            callback.on_epoch_end(epoch, logs)

    def on_train_end(self) -> None:
        for callback in sorted(self.callbacks, key=lambda c: c.restores_weights):
            callback.on_train_end()
