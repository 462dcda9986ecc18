"""The small list that calls every callback's hooks, in the order their purposes need."""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from backprop.training.callbacks import Callback
from backprop.training.history import History

if TYPE_CHECKING:
    from backprop.engine.network import Network


class CallbackList:
    """Calls every callback's hooks, in an order that follows from what each hook is for:

    - an epoch's logs are complete before anyone hears of the epoch: ``fit``'s metrics, then
      what each callback adds (``epoch_metrics``);
    - the History records the epoch first, so every callback sees a history that holds it;
    - callbacks that save the training state (``saves_state``) hear of it last, so that the
      state they save holds what the others made of the epoch;
    - callbacks that put back other weights at the end (``restores_weights``) end last.
    """

    def __init__(
        self,
        callbacks: Iterable[Callback],
        network: Network,
        history: History,
        params: Mapping[str, Any] | None = None,
    ):
        self.history = history
        others = [c for c in callbacks if c is not history]
        self.callbacks = [history, *sorted(others, key=lambda c: c.saves_state)]
        for callback in self.callbacks:
            callback.network = network
            callback.params = dict(params or {})
        # The two hooks called most often are called only on the callbacks that have them:
        # a step of a small network takes microseconds, and most callbacks ignore each step.
        self.batch_watchers = [
            (c, _takes_loss(c)) for c in self.callbacks if _has(c, "on_batch_end")
        ]
        #: Whether some callback must hear of every step (most trainings have none).
        self.every_batch = any(c.every_batch for c, _ in self.batch_watchers)
        self.metric_adders = [c for c in self.callbacks if _has(c, "epoch_metrics")]
        self.epoch_starters = [c for c in self.callbacks if _has(c, "on_epoch_begin")]

    def on_train_begin(self) -> None:
        for callback in self.callbacks:
            callback.on_train_begin()

    def on_epoch_begin(self, epoch: int) -> None:
        for callback in self.epoch_starters:
            callback.on_epoch_begin(epoch)

    def on_batch_end(self, seen: int, n_samples: int, loss: float) -> None:
        for callback, takes_loss in self.batch_watchers:
            if takes_loss:
                callback.on_batch_end(seen, n_samples, loss)
            else:
                callback.on_batch_end(seen, n_samples)

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> None:
        for callback in self.metric_adders:
            logs.update(callback.epoch_metrics(epoch, logs))
        for callback in self.callbacks:
            callback.on_epoch_end(epoch, logs)

    def on_train_end(self) -> None:
        for callback in sorted(self.callbacks, key=lambda c: c.restores_weights):
            callback.on_train_end()

    def close(self) -> None:
        for callback in self.callbacks:
            callback.close()


def _has(callback: Callback, hook: str) -> bool:
    """Whether ``callback`` does something in ``hook`` (overrides Callback's empty one)."""
    return getattr(type(callback), hook) is not getattr(Callback, hook)


def _takes_loss(callback: Callback) -> bool:
    """Whether ``on_batch_end`` takes the running loss (0.1's callbacks took two arguments)."""
    parameters = inspect.signature(callback.on_batch_end).parameters.values()
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) >= 3 or any(p.kind == p.VAR_POSITIONAL for p in parameters)
