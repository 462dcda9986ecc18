"""The training loop: epochs of (shuffled) batches, each a forward pass, a backward pass and an
optimizer step.

``batch_size=None`` is full-batch gradient descent (one step per epoch, on every sample),
``batch_size=1`` is online learning (one step per sample, as the tutorials train XOR), anything
between is mini-batch gradient descent. The epoch's reported loss is the mean of the losses
the batches had just before their updates, as Keras reports it. Those losses and the accuracy
are computed for a chunk of batches at once, after the chunk's steps, from the outputs each
step kept: the same numbers in far fewer NumPy calls when batches are small (``batches.py``).

The loop is written once for every backend (``backprop.engine.backend``). On a device the
data, the shuffled order, the batches and the epoch's sums of losses and right answers stay
there; the host reads them back once per epoch (and once per chunk only while a progress bar
or another batch callback watches). The order is drawn by the network's NumPy generator, as
on NumPy, and moved to the device once per epoch: the same seed shuffles alike everywhere.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np
from threadpoolctl import threadpool_limits

from backprop.engine import metrics
from backprop.engine.backend import all_finite, namespace, squared_norm
from backprop.engine.validation import (
    check_non_negative_float,
    check_positive_float,
    check_positive_int,
)
from backprop.training.batches import Chunks, checked_data, joined
from backprop.training.callback_list import CallbackList
from backprop.training.callbacks import Callback
from backprop.training.dropout import Dropout, check_dropout
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
    run = _Run.prepare(
        net, X, Y, epochs, lr, batch_size, optimizer, shuffle, validation_data, weight_decay,
        sample_weight, initial_epoch, dropout, l1, clip_norm,
    )  # fmt: skip
    hooks = _callback_list(net, callbacks, verbose, epochs, initial_epoch)
    history = hooks.history
    net.optimizer = run.optimizer
    net.stop_training = False
    hooks.on_train_begin()
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
    if order is not None and run.on_device:
        order = net.backend.asarray(order)  # once per epoch
    # Python floats on NumPy; 0-d arrays on a device, read back after the epoch's steps.
    total_loss: Any = 0.0
    correct: Any = 0.0
    seen = 0
    running_loss = math.nan  # the mean loss so far: known after each chunk's steps
    for x, y, w, truth in run.chunks(order):
        # Each step keeps its output layer's net inputs and outputs; the chunk's losses and
        # accuracy are computed from them after its steps, in a few NumPy calls.
        net_inputs: list[np.ndarray] = []
        outputs: list[np.ndarray] = []
        for x_batch, y_batch, w_batch in _batches(x, y, w, run.batch, run.on_device):
            z, a = _step(net, run, x_batch, y_batch, w_batch)
            net_inputs.append(z)
            outputs.append(a)
            seen += a.shape[0]
            if hooks.batch_watchers:  # most trainings have none: a step costs microseconds
                hooks.on_batch_end(seen, run.n, running_loss)
            if ctrl_c.pressed:
                raise KeyboardInterrupt
        A, Z = joined(outputs), joined(net_inputs)
        loss = net.summed_loss(y, A, Z, w)
        if isinstance(loss, float) and not math.isfinite(loss):  # NumPy: known at once
            raise _Diverged(loss)
        total_loss += loss
        if hooks.batch_watchers:  # on a device, a read-back per chunk only when watched
            running_loss = float(total_loss) / seen
        if run.kind is not None:
            correct += metrics.count_correct(truth, A, run.kind)
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


def _batches(x: Any, y: Any, w: Any, batch: int, on_device: bool) -> list[tuple[Any, Any, Any]]:
    """A chunk's batches of ``batch`` rows (the last may have fewer), as views: the chunk
    itself when it is one batch. Each slice ends in bounds; on a device it names every axis
    (``...``), as the array API standard asks (NumPy is quicker without)."""
    n_rows = x.shape[0]
    if n_rows <= batch:
        return [(x, y, w)]
    slices = _slices(n_rows, batch)
    if on_device:
        return [(x[r, ...], y[r, ...], None if w is None else w[r]) for r in slices]
    return [(x[r], y[r], None if w is None else w[r]) for r in slices]


@lru_cache(maxsize=16)
def _slices(n_rows: int, batch: int) -> tuple[slice, ...]:
    """The slices of ``n_rows`` rows in batches of ``batch``, made once per chunk size."""
    return tuple(slice(i, min(i + batch, n_rows)) for i in range(0, n_rows, batch))


def _step(
    net: Network, run: _Run, x: np.ndarray, y: np.ndarray, w: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """Forward, backward, update, on one batch; the output layer's net inputs and outputs."""
    masks = None if run.dropout is None else run.dropout.masks(net.rng, x.shape[0])
    if masks is not None and run.on_device:  # drawn by NumPy, as on NumPy
        masks = [None if m is None else net.backend.asarray(m) for m in masks]
    net_inputs, outputs = net.forward(x, masks)
    net.backward(y, net_inputs, outputs, w, out=run.gradient_views, masks=masks)
    if run.adjusts_gradient:  # weight decay, L1, clipping: all off by default
        _penalise_and_clip(net, run)
    run.optimizer.step([net.parameter_vector], [run.gradient])
    return net_inputs[-1], outputs[-1]


def _penalise_and_clip(net: Network, run: _Run) -> None:
    """Add the penalties' gradients to the loss's, then clip the whole by its norm."""
    gradient = run.gradient
    weights = slice(0, net.n_weights)  # the front of the vector: no penalty on the biases
    if run.weight_decay:  # d/dW of weight_decay/2 * sum W^2
        gradient[weights] += run.weight_decay * net.parameter_vector[weights]
    if run.l1:  # d/dW of l1 * sum |W| (0 at W = 0, where |W| has no derivative)
        gradient[weights] += run.l1 * namespace(gradient).sign(net.parameter_vector[weights])
    if run.clip_norm is not None:
        norm = math.sqrt(squared_norm(gradient))
        if norm > run.clip_norm:  # keep the direction, shorten the step
            gradient *= run.clip_norm / norm


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
    l1: float
    clip_norm: float | None
    #: Draws each step's dropout masks; None without dropout.
    dropout: Dropout | None
    validation_data: tuple[np.ndarray, np.ndarray] | None
    kind: str | None  # the targets' kind of classes (metrics.target_kind), None for regression
    chunks: Chunks
    #: One gradient vector for the whole fit, laid out like the parameters: every step writes
    #: into it, and the optimizer then updates all parameters in one operation.
    gradient: np.ndarray
    gradient_views: list[list[np.ndarray]]

    #: Whether a step changes the loss's gradient (penalties, clipping) before the update:
    #: decided once, so that the steps of a plain fit ask one question.
    adjusts_gradient: bool = field(init=False)
    #: Whether the network computes with another library than NumPy (backend.py): its data,
    #: losses and counts live on its device.
    on_device: bool = field(init=False)

    def __post_init__(self) -> None:
        self.adjusts_gradient = bool(self.weight_decay or self.l1 or self.clip_norm is not None)
        self.on_device = self.chunks.on_device

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
        dropout: float | Sequence[float],
        l1: float,
        clip_norm: float | None,
    ) -> _Run:
        """Every argument checked before anything changes."""
        X, Y = checked_data(net, X, Y)  # a sparse X stays sparse (batches.py)
        weights = net.check_sample_weight(sample_weight, X.shape[0])
        epochs = check_positive_int("epochs", epochs)
        if not (isinstance(initial_epoch, int) and 0 <= initial_epoch <= epochs):
            raise ValueError(
                f"initial_epoch must be an integer from 0 to epochs = {epochs}, "
                f"got {initial_epoch!r}"
            )
        n = X.shape[0]
        batch = n if batch_size is None else min(check_positive_int("batch_size", batch_size), n)
        weight_decay = check_non_negative_float("weight_decay", weight_decay)
        l1 = check_non_negative_float("l1", l1)
        if clip_norm is not None:
            clip_norm = check_positive_float("clip_norm", clip_norm)
        hidden = net.sizes[1:-1]
        rates = check_dropout(dropout, len(hidden))
        drop = Dropout(rates, hidden, net.dtype) if any(rates) else None
        opt = get_optimizer(optimizer, lr)
        if not net.backend.is_numpy:
            opt.move_to(net.backend)  # buffers of a resumed optimizer, say, loaded in NumPy
        if validation_data is not None:
            if not (isinstance(validation_data, (tuple, list)) and len(validation_data) == 2):
                raise TypeError(
                    f"validation_data must be a pair (X_val, Y_val), got {type(validation_data)}"
                )
            validation_data = net.check_data(*validation_data)
        kind = metrics.target_kind(Y)
        truth = None if kind is None else metrics.truth(Y, kind)
        gradient = namespace(net.parameter_vector).empty_like(net.parameter_vector)
        return cls(
            X, Y, n, batch, shuffle and batch < n, opt, weight_decay, l1, clip_norm, drop,
            validation_data, kind, Chunks([X, Y, weights, truth], n, batch), gradient,
            net.views(gradient),
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
