"""Callbacks hear of training in an order that follows from their hooks, never from their
place in the list (backprop.training.callbacks.CallbackList)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pytest

import backprop as bp

X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
Y = np.array([0, 1, 1, 0])


class AddsMetric(bp.Callback):
    """Adds ``twice_loss`` to every epoch's logs."""

    def epoch_metrics(self, epoch: int, logs: Mapping[str, float]) -> dict[str, float]:
        return {"twice_loss": 2 * logs["loss"]}


class BestAtEpoch(bp.Callback):
    """A metric ``distance`` that is best (smallest) at one epoch."""

    def __init__(self, best: int) -> None:
        self.best = best

    def epoch_metrics(self, epoch: int, logs: Mapping[str, float]) -> dict[str, float]:
        return {"distance": abs(epoch - self.best)}


class Watcher(bp.Callback):
    """Remembers the logs and the history length it saw, and the weights at the end."""

    def __init__(self, history: bp.History | None = None) -> None:
        self.logs: list[dict[str, float]] = []
        self.recorded: list[int] = []
        self.history = history

    def on_epoch_end(self, epoch: int, logs: Mapping[str, float]) -> None:
        self.logs.append(dict(logs))
        if self.history is not None:
            self.recorded.append(len(self.history.epoch))
        self.last_epoch_weights = self.network.parameter_vector.copy()

    def on_train_end(self) -> None:
        self.weights_at_end = self.network.parameter_vector.copy()


@pytest.mark.parametrize("adder_first", [True, False])
def test_added_metrics_reach_every_callback_and_the_history(adder_first: bool) -> None:
    watcher = Watcher()
    callbacks = [AddsMetric(), watcher] if adder_first else [watcher, AddsMetric()]
    net = bp.Network([2, 3, 1], seed=0)
    history = net.fit(X, Y, epochs=3, lr=0.5, callbacks=callbacks)
    assert history["twice_loss"] == [2 * loss for loss in history["loss"]]
    assert [logs["twice_loss"] for logs in watcher.logs] == history["twice_loss"]


def test_a_given_history_is_continued_and_returned_wherever_it_stands() -> None:
    net = bp.Network([2, 3, 1], seed=0)
    history = net.fit(X, Y, epochs=2, lr=0.5)
    watcher = Watcher(history)
    returned = net.fit(X, Y, epochs=5, lr=0.5, callbacks=[watcher, history], initial_epoch=2)
    assert returned is history
    assert history.epoch == [0, 1, 2, 3, 4]
    # The History records each epoch before any other callback hears of it.
    assert watcher.recorded == [3, 4, 5]


@pytest.mark.parametrize("stopper_first", [True, False])
def test_callbacks_see_the_last_epochs_weights_before_early_stopping_restores_the_best(
    stopper_first: bool,
) -> None:
    """EarlyStopping puts back its best weights at the end; a callback that ends (a checkpoint)
    still sees the weights the last epoch trained, whether it comes before or after it."""
    watcher = Watcher()
    stopper = bp.EarlyStopping(monitor="distance", patience=3)
    callbacks = [stopper, watcher] if stopper_first else [watcher, stopper]
    callbacks.insert(1, BestAtEpoch(2))
    net = bp.Network([2, 3, 1], seed=0)
    net.fit(X, Y, epochs=30, lr=0.5, callbacks=callbacks)
    assert stopper.best_epoch == 2
    assert len(watcher.logs) == 6  # three epochs without improvement after the best
    np.testing.assert_array_equal(watcher.weights_at_end, watcher.last_epoch_weights)
    assert not np.array_equal(net.parameter_vector, watcher.last_epoch_weights)


def test_a_callback_of_0_1_with_two_arguments_for_on_batch_end_still_runs() -> None:
    class Counts(bp.Callback):
        def __init__(self) -> None:
            self.seen: list[int] = []

        def on_batch_end(self, seen: int, n_samples: int) -> None:  # type: ignore[override]
            self.seen.append(seen)

    class Losses(bp.Callback):
        def __init__(self) -> None:
            self.losses: list[float] = []

        def on_batch_end(self, seen: int, n_samples: int, loss: float = np.nan) -> None:
            self.losses.append(loss)

    counts, losses = Counts(), Losses()
    net = bp.Network([2, 3, 1], seed=0)
    history = net.fit(X, Y, epochs=2, lr=0.5, batch_size=1, callbacks=[counts, losses])
    assert counts.seen == [1, 2, 3, 4] * 2
    # The running loss is known once a chunk's steps are done: here one chunk per epoch.
    assert np.isnan(losses.losses[:4]).all()
    assert len(losses.losses) == 8
    assert history["loss"][0] > 0


def test_ctrl_c_keeps_the_epochs_of_earlier_fits_in_a_reused_history() -> None:
    import signal

    class CtrlCInSecondEpoch(bp.Callback):
        def on_batch_end(self, seen: int, n_samples: int, loss: float = np.nan) -> None:
            if self.network.history_marker == 1 and seen == 2:  # type: ignore[attr-defined]
                signal.raise_signal(signal.SIGINT)

        def on_epoch_end(self, epoch: int, logs: Mapping[str, float]) -> None:
            self.network.history_marker += 1  # type: ignore[attr-defined]

    net = bp.Network([2, 3, 1], seed=0)
    history = net.fit(X, Y, epochs=5, lr=0.5, batch_size=1)
    net.history_marker = 0  # type: ignore[attr-defined]
    net.fit(X, Y, epochs=5, lr=0.5, batch_size=1, callbacks=[history, CtrlCInSecondEpoch()])
    assert history.interrupted
    assert history.epoch == [0, 1, 2, 3, 4, 0]


def test_early_stopping_state_set_after_a_fit_applies_to_the_next() -> None:
    stopper = bp.EarlyStopping(monitor="distance", patience=2)
    net = bp.Network([2, 3, 1], seed=0)
    net.fit(X, Y, epochs=3, lr=0.5, callbacks=[stopper, BestAtEpoch(10)])
    # Resume as if the best was long ago and patience is nearly used up.
    stopper.set_state({"best": -100.0, "best_epoch": 0, "wait": 1, "best_weights": []})
    history = net.fit(X, Y, epochs=9, lr=0.5, callbacks=[stopper, BestAtEpoch(10)])
    assert stopper.stopped_epoch == 0 and len(history.epoch) == 1
