"""The training loop: epochs of (shuffled) batches, each a forward pass, a backward pass and an
optimizer step.

``batch_size=None`` is full-batch gradient descent (one step per epoch, on every sample),
``batch_size=1`` is online learning (one step per sample, as the tutorials train XOR), anything
between is mini-batch gradient descent. The epoch's reported loss is the mean of the losses
the batches had just before their updates, as Keras reports it. Those losses and the accuracy
are computed for a chunk of batches at once, after the chunk's steps, from the outputs each
step kept: the same numbers in far fewer NumPy calls when batches are small (``batches.py``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from threadpoolctl import threadpool_limits

from backprop.engine import metrics
from backprop.engine.arrays import all_finite
from backprop.engine.validation import (
    check_non_negative_float,
    check_positive_int,
    check_sample_weight,
)
from backprop.training.batches import Chunks, joined
from backprop.training.callback_list import CallbackList
from backprop.training.callbacks import Callback
from backprop.training.history import History
from backprop.training.interrupts import HeldCtrlC
from backprop.training.optimizers import Optimizer, get_optimizer
from backprop.training.snapshot import Snapshot

if TYPE_CHECKING:
    from backprop.engine.network import Network


class DivergenceError(FloatingPointError):
    """The loss became NaN or infinite during ``fit``; the weights were restored."""

    def __init__(self, message: str, history: History) -> None:
        super().__init__(message)
        #: What was recorded before training diverged.
        self.history = history


def fit(
    net: Network,
    X: Any,
    Y: Any,
    *,
    epochs: int = 1,
    lr: float | None = None,
    batch_size: int | None = None,
    optimizer: str | Optimizer = "sgd",
    shuffle: bool = True,
    validation_data: tuple[Any, Any] | None = None,
    weight_decay: float = 0.0,
    callbacks: Sequence[Callback] = (),
    sample_weight: Any = None,
    verbose: int = 0,
    initial_epoch: int = 0,
) -> History:
    """Train ``net`` on (X, Y) by gradient descent and return the History of each epoch.

    Parameters
    ----------
    epochs : int
        Passes over the data.
    lr : float, optional
        Learning rate; by default the optimizer's own (0.1 for sgd and momentum, 0.001 for adam).
    batch_size : int, optional
        Samples per gradient step: None for the full batch, 1 for online learning.
    optimizer : {"sgd", "momentum", "adam"} or Optimizer
    shuffle : bool
        Reshuffle the samples every epoch, from the network's seeded generator.
    validation_data : (X_val, Y_val), optional
        Evaluated after every epoch into ``val_loss`` (and ``val_accuracy``).
    weight_decay : float
        L2 penalty on the weights (not the biases): each step descends dE/dW + weight_decay * W.
    callbacks : list of Callback
        A History among them is recorded into and returned (to continue a run's history).
    sample_weight : array of shape (n_samples,), optional
        Weights of the samples' losses (rescaled to average 1).
    verbose : int
        1 shows a progress bar with the epoch, the live loss and accuracy, and the time left.
    initial_epoch : int
        The epoch to start from when resuming: training runs epochs ``initial_epoch`` to
        ``epochs - 1`` (none when they are equal: the callbacks only begin and end).

    Ctrl-C ends training cleanly at an epoch boundary (``history.interrupted`` is True), with
    the network, optimizer, generator and callbacks as they were then: in the middle of an
    epoch, training goes back to its start; during the epoch's evaluation or callbacks, it
    stops after them. A second Ctrl-C stops at once, without the callbacks' ``on_train_end``.
    """
    run = _Run.prepare(
        net, X, Y, epochs, lr, batch_size, optimizer, shuffle, validation_data, weight_decay,
        sample_weight, initial_epoch,
    )  # fmt: skip
    hooks = _callback_list(net, callbacks, verbose, epochs, initial_epoch)
    history = hooks.history
    net.optimizer = run.optimizer
    net.stop_training = False
    hooks.on_train_begin()
    # Ctrl-C is held, and acted on only where training can stop bit for bit (interrupts.py).
    with HeldCtrlC() as ctrl_c, _blas_threads(net, run.batch), _overflow_is_divergence():
        start_of_epoch = Snapshot(net, run.optimizer, with_rng=run.shuffled, epoch=initial_epoch)
        epoch, recorded = initial_epoch, len(history.epoch)
        try:
            for epoch in range(initial_epoch, epochs):
                start_of_epoch.take(epoch)
                recorded = len(history.epoch)  # what a rollback to this start keeps
                logs = _one_epoch(net, run, hooks, ctrl_c)
                if run.validation_data is not None:
                    val = net.evaluate_checked(*run.validation_data)
                    logs.update({f"val_{k}": v for k, v in val.items()})
                hooks.on_epoch_end(epoch, logs)
                if net.stop_training:
                    break
                if ctrl_c.pressed:  # after the epoch's steps: it is complete, and stops here
                    history.interrupted = epoch + 1 < epochs
                    break
        except _Diverged as diverged:
            start_of_epoch.restore()
            raise DivergenceError(
                f"training diverged at epoch {epoch + 1}: the loss became {diverged.loss} with "
                f"lr={run.optimizer.lr}. The network keeps its weights from the start of epoch "
                f"{epoch + 1}; try a lower learning rate.",
                history,
            ) from None
        except KeyboardInterrupt:
            if ctrl_c.forced:
                raise  # Ctrl-C twice: stop at once, saving nothing more
            # Back to the start of the epoch under way, and to the history of the epochs
            # before it: the state a checkpoint can resume bit for bit.
            start_of_epoch.restore()
            history.truncate(recorded)
            history.interrupted = True
        hooks.on_train_end()
    return history


def _one_epoch(net: Network, run: _Run, hooks: CallbackList, ctrl_c: HeldCtrlC) -> dict[str, float]:
    """One pass over the data, a gradient step per batch; the epoch's mean loss (each batch's
    loss just before its step) and accuracy. A Ctrl-C held is raised between two steps."""
    order = net.rng.permutation(run.n) if run.shuffled else None
    total_loss = correct = 0.0
    seen = 0
    running_loss = math.nan  # the mean loss so far: known after each chunk's steps
    for x, y, w, truth in run.chunks(order):
        # Each step keeps its output layer's net inputs and outputs; the chunk's losses and
        # accuracy are computed from them after its steps, in a few NumPy calls.
        net_inputs: list[np.ndarray] = []
        outputs: list[np.ndarray] = []
        for start in range(0, len(x), run.batch):
            rows = slice(start, start + run.batch)
            z, a = _step(net, run, x[rows], y[rows], None if w is None else w[rows])
            net_inputs.append(z)
            outputs.append(a)
            seen += len(a)
            if hooks.batch_watchers:  # most trainings have none: a step costs microseconds
                hooks.on_batch_end(seen, run.n, running_loss)
            if ctrl_c.pressed:
                raise KeyboardInterrupt
        A, Z = joined(outputs), joined(net_inputs)
        loss = net.summed_loss(y, A, Z, w)
        if not math.isfinite(loss):
            raise _Diverged(loss)
        total_loss += loss
        running_loss = total_loss / seen
        if run.kind is not None:
            correct += metrics.count_correct(truth, A, run.kind)
    if not all_finite(net.parameter_vector):
        raise _Diverged(math.inf)
    logs = {"loss": total_loss / run.n}
    if run.kind is not None:
        logs["accuracy"] = correct / run.n
    return logs


def _step(
    net: Network, run: _Run, x: np.ndarray, y: np.ndarray, w: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """Forward, backward, update, on one batch; the output layer's net inputs and outputs."""
    net_inputs, outputs = net.forward(x)
    net.backward(y, net_inputs, outputs, w, out=run.gradient_views)
    if run.weight_decay:
        weights = slice(0, net.n_weights)  # the front of the vector: no decay on the biases
        run.gradient[weights] += run.weight_decay * net.parameter_vector[weights]
    run.optimizer.step([net.parameter_vector], [run.gradient])
    return net_inputs[-1], outputs[-1]


@dataclass
class _Run:
    """What ``fit`` checked and prepared once, for every epoch and step to use."""

    X: np.ndarray
    Y: np.ndarray
    n: int
    batch: int
    shuffled: bool
    optimizer: Optimizer
    weight_decay: float
    validation_data: tuple[np.ndarray, np.ndarray] | None
    kind: str | None  # the targets' kind of classes (metrics.target_kind), None for regression
    chunks: Chunks
    #: One gradient vector for the whole fit, laid out like the parameters: every step writes
    #: into it, and the optimizer then updates all parameters in one operation.
    gradient: np.ndarray
    gradient_views: list[list[np.ndarray]]

    @classmethod
    def prepare(
        cls,
        net: Network,
        X: Any,
        Y: Any,
        epochs: int,
        lr: float | None,
        batch_size: int | None,
        optimizer: str | Optimizer,
        shuffle: bool,
        validation_data: tuple[Any, Any] | None,
        weight_decay: float,
        sample_weight: Any,
        initial_epoch: int,
    ) -> _Run:
        """Every argument checked before anything changes."""
        X, Y = net.check_data(X, Y)
        weights = check_sample_weight(sample_weight, len(X), net.dtype)
        epochs = check_positive_int("epochs", epochs)
        if not (isinstance(initial_epoch, int) and 0 <= initial_epoch <= epochs):
            raise ValueError(
                f"initial_epoch must be an integer from 0 to epochs = {epochs}, "
                f"got {initial_epoch!r}"
            )
        n = len(X)
        batch = n if batch_size is None else min(check_positive_int("batch_size", batch_size), n)
        weight_decay = check_non_negative_float("weight_decay", weight_decay)
        opt = get_optimizer(optimizer, lr)
        if validation_data is not None:
            if not (isinstance(validation_data, (tuple, list)) and len(validation_data) == 2):
                raise TypeError(
                    f"validation_data must be a pair (X_val, Y_val), got {type(validation_data)}"
                )
            validation_data = net.check_data(*validation_data)
        kind = metrics.target_kind(Y)
        truth = None if kind is None else metrics.truth(Y, kind)
        gradient = np.empty_like(net.parameter_vector)
        return cls(
            X, Y, n, batch, shuffle and batch < n, opt, weight_decay, validation_data, kind,
            Chunks([X, Y, weights, truth], n, batch), gradient, net.views(gradient),
        )  # fmt: skip


def _callback_list(
    net: Network, callbacks: Sequence[Callback], verbose: int, epochs: int, initial_epoch: int
) -> CallbackList:
    """The callbacks, a History (the one among them, or a new one) and the progress bar."""
    callbacks = list(callbacks)
    history = next((c for c in callbacks if isinstance(c, History)), None) or History()
    if verbose:
        from backprop.training.progress import ProgressBar  # Rich only when it is shown

        callbacks.append(ProgressBar(epochs, initial_epoch))
    return CallbackList(callbacks, net, history)


class _Diverged(Exception):
    """The loss became NaN or infinite (``fit`` turns it into a DivergenceError)."""

    def __init__(self, loss: float) -> None:
        self.loss = loss


def _overflow_is_divergence() -> AbstractContextManager[Any]:
    # Overflow to inf or NaN is caught by the loop and reported as a DivergenceError, which
    # says more than NumPy's warnings would.
    return np.errstate(over="ignore", invalid="ignore", divide="ignore")


#: Multiply-adds per training step below which BLAS threads cost more in hand-offs than they
#: save: for such networks training runs on one thread (and leaves the other cores free).
SMALL_STEP = 4_000_000


def _blas_threads(net: Network, batch: int) -> AbstractContextManager[Any]:
    """One BLAS thread for small networks; the library's own choice for large ones."""
    if batch * net.n_weights < SMALL_STEP:
        return threadpool_limits(limits=1, user_api="blas")
    return nullcontext()
