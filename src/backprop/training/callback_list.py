"""The small list that calls every callback's hooks, in the order their purposes need."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from backprop.training.callbacks import Callback
from backprop.training.history import History

if TYPE_CHECKING:
    from backprop.engine.network import Network


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
        # The two hooks called most often are called only on the callbacks that have them:
        # a step of a small network takes microseconds, and most callbacks ignore each step.
        self.batch_watchers = [c for c in self.callbacks if _has(c, "on_batch_end")]
        self.metric_adders = [c for c in self.callbacks if _has(c, "epoch_metrics")]

    def on_train_begin(self) -> None:
        for callback in self.callbacks:
            callback.on_train_begin()

    def on_batch_end(self, seen: int, n_samples: int) -> None:
        for callback in self.batch_watchers:
            callback.on_batch_end(seen, n_samples)

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> None:
        for callback in self.metric_adders:
            logs.update(callback.epoch_metrics(epoch, logs))
        for callback in self.callbacks:
            callback.on_epoch_end(epoch, logs)

    def on_train_end(self) -> None:
        for callback in sorted(self.callbacks, key=lambda c: c.restores_weights):
            callback.on_train_end()


def _has(callback: Callback, hook: str) -> bool:
    """Whether ``callback`` does something in ``hook`` (overrides Callback's empty one)."""
    return getattr(type(callback), hook) is not getattr(Callback, hook)
