"""The training loop: epochs of (shuffled) batches, each a forward pass, a backward pass and an
optimizer step.

``batch_size=None`` is full-batch gradient descent (one step per epoch, on every sample),
``batch_size=1`` is online learning (one step per sample, as the tutorials train XOR), anything
between is mini-batch gradient descent. The epoch's reported loss is the mean over its samples
of the losses they had in their batches just before the batches' updates (so a shorter last
batch weighs by its size), as Keras reports it. Those losses and the accuracy
are computed for a chunk of batches at once, after the chunk's steps, from the outputs each
step kept: the same numbers in far fewer NumPy calls when batches are small (``batches.py``).

The loop is written once for every backend (``backprop.engine.backend``). On a device the
data, the shuffled order, the batches and the epoch's sums of losses and right answers stay
there; the host reads them back once per epoch (and once per chunk only while a progress bar
or another batch callback watches). The order is drawn by the network's NumPy generator, as
on NumPy, and moved to the device once per epoch: the same seed shuffles alike everywhere.
On a CUDA GPU through PyTorch, the steps of a chunk are recorded once as a CUDA graph and
replayed (``graphs.py``); one step is ``steps.py``, written once for both.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import TYPE_CHECKING, Any

import numpy as np
from threadpoolctl import threadpool_limits

from backprop.engine.backend import all_finite
from backprop.training.callback_list import CallbackList
from backprop.training.callbacks import Callback
from backprop.training.graphs import Replayer, replayer
from backprop.training.history import History
from backprop.training.interrupts import HeldCtrlC
from backprop.training.optimizers import Optimizer
from backprop.training.prepared import Prepared
from backprop.training.snapshot import Snapshot
from backprop.training.steps import batches, chunk_totals, step

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
    dropout: float | Sequence[float] = 0.0,
    l1: float = 0.0,
    clip_norm: float | None = None,
) -> History:
    """Train ``net`` on (X, Y) by gradient descent and return the History of each epoch.

    Parameters
    ----------
    X, Y : arrays
        Inputs (n_samples, sizes[0]) and targets: (n_samples, sizes[-1]), or 1-D class labels
        for a classification loss. NumPy arrays, or arrays of the network's backend (tensors on
        its device, say), moved to its device once.
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
        Learning rate schedules (``bp.StepDecay``, ``bp.CosineDecay``, ...) and
        ``bp.EarlyStopping`` are callbacks too.
    sample_weight : array of shape (n_samples,), optional
        Weights of the samples' losses (rescaled to average 1).
    verbose : int
        1 shows a progress bar with the epoch, the live loss and accuracy, and the time left.
    initial_epoch : int
        The epoch to start from when resuming: training runs epochs ``initial_epoch`` to
        ``epochs - 1`` (none when they are equal: the callbacks only begin and end).
    dropout : float or list of float
        Inverted dropout on the hidden layers' outputs, in training only (``dropout.py``): each
        step drops each hidden unit with probability p, from the network's seeded generator,
        and scales the units kept by 1/(1-p). One rate for every hidden layer, or a list of
        one per hidden layer (0 for none); 0 <= p < 1. Prediction, evaluation and validation
        use the whole network; the epoch's ``loss`` is that of the thinned networks trained.
    l1 : float
        L1 penalty on the weights (not the biases): each step descends dE/dW + l1 * sign(W).
    clip_norm : float, optional
        Clip the gradient by its norm: when the L2 norm of the whole gradient vector
        (penalties included) exceeds ``clip_norm``, the step uses it scaled to that norm.

    Ctrl-C ends training cleanly at an epoch boundary (``history.interrupted`` is True), with
    the network, optimizer, generator and callbacks as they were then: in the middle of an
    epoch, training goes back to its start; during the epoch's evaluation or callbacks, it
    stops after them. A second Ctrl-C stops at once, without the callbacks' ``on_train_end``.
    """
    run = Prepared.prepare(
        net, X, Y, epochs, lr, batch_size, optimizer, shuffle, validation_data, weight_decay,
        sample_weight, initial_epoch, dropout, l1, clip_norm,
    )  # fmt: skip
    hooks = _callback_list(net, callbacks, verbose, epochs, initial_epoch)
    replay = replayer(net, run, hooks, epochs - initial_epoch)  # CUDA graphs on a GPU, else None
    history = hooks.history
    net.optimizer = run.optimizer
    net.stop_training = False
    try:
        hooks.on_train_begin()
        _train(net, run, hooks, replay, epochs, initial_epoch)
    finally:
        hooks.close()  # a progress bar's display, whatever ended training
    return history


def _train(
    net: Network,
    run: Prepared,
    hooks: CallbackList,
    replay: Replayer | None,
    epochs: int,
    initial_epoch: int,
) -> None:
    """The epochs of ``fit``, from ``initial_epoch`` on, and the callbacks' ``on_train_end``."""
    history = hooks.history
    # Ctrl-C is held, and acted on only where training can stop bit for bit (interrupts.py).
    with HeldCtrlC() as ctrl_c, _blas_threads(net, run.batch), _overflow_is_divergence():
        # Shuffling and dropout draw from the generator: going back puts it back too.
        with_rng = run.shuffled or run.dropout is not None
        start_of_epoch = Snapshot(net, run.optimizer, with_rng=with_rng, epoch=initial_epoch)
        epoch, recorded = initial_epoch, len(history.epoch)
        try:
            for epoch in range(initial_epoch, epochs):
                start_of_epoch.take(epoch)
                recorded = len(history.epoch)  # what a rollback to this start keeps
                if hooks.epoch_starters:  # a schedule sets the epoch's learning rate
                    hooks.on_epoch_begin(epoch)
                logs = _one_epoch(net, run, hooks, ctrl_c, replay)
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
            lr = run.optimizer.lr  # the epoch's (a schedule set it after the snapshot)
            start_of_epoch.restore()
            # An error, as Keras has it: no on_train_end (its callbacks may still be called
            # by hand, as `backprop train` saves its checkpoint and puts back the best epoch).
            raise DivergenceError(
                f"training diverged at epoch {epoch + 1}: the loss became {diverged.loss} with "
                f"lr={lr:g}. The network keeps its weights from the start of epoch "
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


def _one_epoch(
    net: Network, run: Prepared, hooks: CallbackList, ctrl_c: HeldCtrlC, replay: Replayer | None
) -> dict[str, float]:
    """One pass over the data, a gradient step per batch; the epoch's mean loss (each batch's
    loss just before its step) and accuracy. A Ctrl-C held is raised between two steps (two
    chunks, when they are replayed: ``graphs.py``)."""
    order = net.rng.permutation(run.n) if run.shuffled else None
    if replay is not None:
        total_loss, correct = replay.epoch(order, hooks, ctrl_c)
    else:
        total_loss, correct = _steps(net, run, hooks, ctrl_c, order)
    if run.on_device:  # the epoch's one read-back of its loss and accuracy
        total_loss, correct = float(total_loss), float(correct)
        if not math.isfinite(total_loss):
            raise _Diverged(total_loss)
    if not all_finite(net.parameter_vector):
        raise _Diverged(math.inf)
    logs = {"loss": total_loss / run.n}
    if run.kind is not None:
        logs["accuracy"] = correct / run.n
    return logs


def _steps(
    net: Network, run: Prepared, hooks: CallbackList, ctrl_c: HeldCtrlC, order: Any
) -> tuple[Any, Any]:
    """The epoch's steps, one batch at a time, in ``order`` (None: as the rows come); its
    summed loss and count of right answers: Python floats on NumPy, 0-d arrays on a device."""
    if order is not None and run.on_device:
        order = net.backend.asarray(order)  # once per epoch
    total_loss: Any = 0.0
    correct: Any = 0.0
    seen = 0
    running_loss = math.nan  # the mean loss so far: known after each chunk's steps
    for x, y, w, truth in run.chunks(order):
        # Each step keeps its output layer's net inputs and outputs; the chunk's losses and
        # accuracy are computed from them after its steps, in a few NumPy calls.
        net_inputs: list[np.ndarray] = []
        outputs: list[np.ndarray] = []
        for x_batch, y_batch, w_batch in batches(x, y, w, run.batch, run.on_device):
            z, a = step(net, run, x_batch, y_batch, w_batch)
            net_inputs.append(z)
            outputs.append(a)
            seen += a.shape[0]
            if hooks.batch_watchers:  # most trainings have none: a step costs microseconds
                hooks.on_batch_end(seen, run.n, running_loss)
            if ctrl_c.pressed:
                raise KeyboardInterrupt
        loss, right = chunk_totals(net, run, y, w, truth, net_inputs, outputs)
        if isinstance(loss, float) and not math.isfinite(loss):  # NumPy: known at once
            raise _Diverged(loss)
        total_loss += loss
        correct += right
        if hooks.batch_watchers:  # on a device, a read-back per chunk only when watched
            running_loss = float(total_loss) / seen
    return total_loss, correct


def _callback_list(
    net: Network, callbacks: Sequence[Callback], verbose: int, epochs: int, initial_epoch: int
) -> CallbackList:
    """The callbacks, a History (the one among them, or a new one) and the progress bar."""
    if isinstance(callbacks, Callback) or not isinstance(callbacks, (list, tuple)):
        raise TypeError(
            f"callbacks must be a list of callbacks, got {type(callbacks).__name__}: "
            "callbacks=[...] even for one"
        )
    for i, callback in enumerate(callbacks):
        if not isinstance(callback, Callback):
            raise TypeError(
                f"callbacks[{i}] is {type(callback).__name__} {callback!r:.40}, not a "
                "Callback: subclass bp.Callback and override its hooks"
            )
    if verbose not in (0, 1, 2):  # True and False among them
        raise ValueError(f"verbose must be 0 (silent) or 1 or 2 (a progress bar), got {verbose!r}")
    callbacks = list(callbacks)
    history = next((c for c in callbacks if isinstance(c, History)), None) or History()
    if verbose:
        from backprop.training.progress import ProgressBar  # Rich only when it is shown

        callbacks.append(ProgressBar(epochs, initial_epoch))
    return CallbackList(callbacks, net, history, {"epochs": epochs, "initial_epoch": initial_epoch})


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
