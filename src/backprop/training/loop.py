"""The training loop: epochs of (shuffled) batches, each a backward pass and an optimizer step.

``batch_size=None`` is full-batch gradient descent (one step per epoch, on every sample),
``batch_size=1`` is online learning (one step per sample, as the tutorials train XOR), anything
between is mini-batch gradient descent. The epoch's reported loss is the mean of the losses
the batches had just before their updates, as Keras reports it. Those losses and the accuracy
are computed for a chunk of batches at once, after the chunk's steps, from the outputs each
step kept: the same numbers in far fewer NumPy calls when batches are small.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
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
from backprop.training.optimizers import Optimizer, get_optimizer

if TYPE_CHECKING:
    from backprop.engine.network import Network


class DivergenceError(FloatingPointError):
    """The loss became NaN or infinite during ``fit``; the weights were restored."""

    def __init__(self, message: str, history: History) -> None:
        super().__init__(message)
        #: What was recorded before training diverged.
        self.history = history


class History:
    """What ``fit`` recorded: ``history["loss"]`` etc., one entry per epoch (as in Keras)."""

    def __init__(self) -> None:
        self.epoch: list[int] = []
        self.history: dict[str, list[float]] = {}
        #: True when Ctrl-C ended training early.
        self.interrupted = False

    def record(self, epoch: int, logs: dict[str, float]) -> None:
        self.epoch.append(epoch)
        for key, value in logs.items():
            self.history.setdefault(key, []).append(value)

    def forget(self, epoch: int) -> None:
        """Drop what was recorded for ``epoch`` and after (its weights were rolled back)."""
        keep = sum(e < epoch for e in self.epoch)
        self.epoch = self.epoch[:keep]
        self.history = {k: v[:keep] for k, v in self.history.items()}

    def extend(self, later: History) -> None:
        """Append the epochs of a run that continued this one."""
        for i, epoch in enumerate(later.epoch):
            self.record(epoch, {k: v[i] for k, v in later.history.items()})

    def __getitem__(self, key: str) -> list[float]:
        return self.history[key]

    def __repr__(self) -> str:
        last = {k: round(v[-1], 6) for k, v in self.history.items()}
        return f"History(epochs={len(self.epoch)}, last={last})"


class Callback:
    """Hooks into ``fit``. Set ``self.network.stop_training = True`` to end after this epoch."""

    network: Network

    def on_train_begin(self) -> None:
        """Before the first epoch."""

    def on_batch_end(self, seen: int, n_samples: int) -> None:
        """After each step, with the number of samples seen so far in this epoch."""

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> None:
        """After each epoch, with that epoch's metrics (``loss``, ``val_loss``, ...)."""

    def on_train_end(self) -> None:
        """After the last epoch (also when a callback stopped training)."""


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by ``min_delta`` for ``patience`` epochs.

    With ``restore_best_weights`` the network ends with the weights of its best epoch.
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        patience: int = 10,
        min_delta: float = 0.0,
        restore_best_weights: bool = True,
    ) -> None:
        self.monitor = monitor
        self.patience = check_positive_int("patience", patience)
        self.min_delta = check_non_negative_float("min_delta", min_delta)
        self.restore_best_weights = restore_best_weights
        # Losses improve downwards, accuracies upwards.
        self.sign = -1.0 if "acc" in monitor else 1.0

        self._resumed: dict[str, Any] | None = None

    def on_train_begin(self) -> None:
        self.best = math.inf
        self.best_epoch = -1
        self.best_weights: list[np.ndarray] = []
        self.wait = 0
        if self._resumed is not None:
            self.set_state(self._resumed)
            self._resumed = None

    def get_state(self) -> dict[str, Any]:
        """What the next epochs' decisions depend on: the best so far and the patience used."""
        return {
            "best": self.best,
            "best_epoch": self.best_epoch,
            "wait": self.wait,
            "best_weights": [w.copy() for w in self.best_weights],
        }

    def set_state(self, state: dict[str, Any]) -> None:
        """Continue from ``get_state()``; before training starts, it applies at its start."""
        if not hasattr(self, "best"):
            self._resumed = state
            return
        self.best, self.best_epoch, self.wait = state["best"], state["best_epoch"], state["wait"]
        self.best_weights = [w.copy() for w in state["best_weights"]]

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> None:
        if self.monitor not in logs:
            raise ValueError(
                f"EarlyStopping(monitor={self.monitor!r}): fit logs only {', '.join(logs)}; "
                "pass validation_data to monitor a validation metric"
            )
        value = self.sign * logs[self.monitor]
        if value < self.best - self.min_delta:
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best_weights:
                self.best_weights = [p.copy() for p in self.network.parameters]
        else:
            self.wait += 1
            if self.wait >= self.patience:
                self.network.stop_training = True

    def on_train_end(self) -> None:
        if self.restore_best_weights and self.best_weights:
            for p, best in zip(self.network.parameters, self.best_weights, strict=True):
                p[...] = best


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
    sample_weight : array of shape (n_samples,), optional
        Weights of the samples' losses (rescaled to average 1).
    verbose : int
        1 shows a progress bar with the epoch, the live loss and accuracy, and the time left.
    initial_epoch : int
        The epoch to start from when resuming: training runs epochs ``initial_epoch`` to
        ``epochs - 1``.

    Ctrl-C ends training cleanly at the last completed epoch (``history.interrupted`` is
    True), with the network, optimizer and generator as they were then.
    """
    X, Y = net.check_data(X, Y)
    weights = check_sample_weight(sample_weight, len(X), net.dtype)
    epochs = check_positive_int("epochs", epochs)
    if not (isinstance(initial_epoch, int) and 0 <= initial_epoch < epochs):
        raise ValueError(
            f"initial_epoch must be an integer from 0 to epochs - 1 = {epochs - 1}, "
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
    chunks = _Chunks([X, Y, weights, truth], n, batch)
    parameters = net.parameter_vector
    # One gradient vector for the whole fit, laid out like the parameters: every step writes
    # into it, and the optimizer then updates all parameters in one operation.
    gradient = np.empty_like(parameters)
    gradient_views = net.views(gradient)
    n_weights = net.n_weights
    net.optimizer = opt
    callbacks = list(callbacks)
    if verbose:
        from backprop.training.progress import ProgressBar

        callbacks.append(ProgressBar(epochs, initial_epoch))

    history = History()
    net.stop_training = False
    for callback in callbacks:
        callback.network = net
        callback.on_train_begin()
    # Overflow to inf or NaN is caught below and reported as a DivergenceError, which says
    # more than NumPy's warnings would.
    quiet_overflow = np.errstate(over="ignore", invalid="ignore", divide="ignore")
    with _blas_threads(net, batch), quiet_overflow:
        shuffled = shuffle and batch < n
        epoch, start_of_epoch = initial_epoch, _Snapshot(net, opt, with_rng=shuffled)
        try:
            for epoch in range(initial_epoch, epochs):
                start_of_epoch.take()
                order = net.rng.permutation(n) if shuffled else None
                total_loss = correct = 0.0
                seen = 0
                for x_chunk, y_chunk, w_chunk, truth_chunk in chunks(order):
                    # Each step keeps its output layer's net inputs and outputs; the chunk's
                    # losses (those the batches had before their updates) and accuracy are
                    # then computed together, in a few NumPy calls instead of a few per batch.
                    net_inputs: list[np.ndarray] = []
                    outputs: list[np.ndarray] = []
                    for start in range(0, len(x_chunk), batch):
                        rows = slice(start, start + batch)
                        w = None if w_chunk is None else w_chunk[rows]
                        layer_z, layer_a = net.forward(x_chunk[rows])
                        net.backward(y_chunk[rows], layer_z, layer_a, w, out=gradient_views)
                        if weight_decay:
                            gradient[:n_weights] += weight_decay * parameters[:n_weights]
                        opt.step([parameters], [gradient])
                        net_inputs.append(layer_z[-1])
                        outputs.append(layer_a[-1])
                        seen += len(layer_a[-1])
                        for callback in callbacks:
                            callback.on_batch_end(seen, n)
                    A, Z = _joined(outputs), _joined(net_inputs)
                    loss = net.summed_loss(y_chunk, A, Z, w_chunk)
                    if not math.isfinite(loss):
                        _diverged(start_of_epoch, epoch, loss, opt, history)
                    total_loss += loss
                    if kind is not None:
                        correct += metrics.count_correct(truth_chunk, A, kind)
                if not all_finite(parameters):
                    _diverged(start_of_epoch, epoch, math.inf, opt, history)

                logs = {"loss": total_loss / n}
                if kind is not None:
                    logs["accuracy"] = correct / n
                if validation_data is not None:
                    val = net.evaluate_checked(*validation_data)
                    logs.update({f"val_{k}": v for k, v in val.items()})
                history.record(epoch, logs)
                for callback in callbacks:
                    callback.on_epoch_end(epoch, logs)
                if net.stop_training:
                    break
        except KeyboardInterrupt:
            # Back to the last epoch boundary: the state a checkpoint can resume bit for bit.
            start_of_epoch.restore()
            history.forget(epoch)
            history.interrupted = True
    for callback in callbacks:
        callback.on_train_end()
    return history


#: Bytes of data rows per chunk (rounded to whole batches). Shuffled rows are gathered a chunk
#: at a time, one ``np.take`` for several batches, and the chunk's losses are computed together;
#: memory stays bounded whatever the data's size. 4 MB holds ten 128-row batches of MNIST.
CHUNK_BYTES = 1 << 22


class _Chunks:
    """An epoch's rows of some arrays (None stands for an absent one), in chunks of whole
    batches.

    Without an order the chunks are consecutive slices: views, no copies. With a shuffled
    order, a chunk's rows are gathered into buffers allocated once per ``fit``.
    """

    def __init__(self, arrays: list[np.ndarray | None], n: int, batch: int) -> None:
        self.arrays, self.n = arrays, n
        row_bytes = sum(a[:1].nbytes for a in arrays if a is not None)
        self.size = min(n, batch * max(1, CHUNK_BYTES // (batch * row_bytes)))
        self.buffers: list[np.ndarray | None] = []

    def __call__(self, order: np.ndarray | None) -> Iterator[list[Any]]:
        """One list of arrays per chunk, in the order of ``arrays``."""
        if order is None:
            for first in range(0, self.n, self.size):
                yield [a if a is None else a[first : first + self.size] for a in self.arrays]
            return
        if not self.buffers:
            self.buffers = [
                None if a is None else np.empty((self.size, *a.shape[1:]), a.dtype)
                for a in self.arrays
            ]
        for first in range(0, self.n, self.size):
            rows = order[first : first + self.size]
            yield [
                _gather(a, rows, buffer)
                for a, buffer in zip(self.arrays, self.buffers, strict=True)
            ]


def _joined(arrays: list[np.ndarray]) -> np.ndarray:
    return arrays[0] if len(arrays) == 1 else np.concatenate(arrays)


def _gather(
    array: np.ndarray | None, rows: np.ndarray, buffer: np.ndarray | None
) -> np.ndarray | None:
    if array is None or buffer is None:
        return None
    # mode="clip" spares np.take the bounds check that makes it buffer its output; the rows
    # of a permutation are all valid.
    return np.take(array, rows, axis=0, out=buffer[: len(rows)], mode="clip")


class _Snapshot:
    """Weights, optimizer state and (when training shuffles) generator state, to go back to."""

    def __init__(self, net: Network, opt: Optimizer, with_rng: bool) -> None:
        self.net, self.opt, self.with_rng = net, opt, with_rng
        self.parameters = np.empty_like(net.parameter_vector)
        self.take()

    def take(self) -> None:
        """Remember the present state (into the same buffer every epoch)."""
        np.copyto(self.parameters, self.net.parameter_vector)
        self.opt_state = self.opt.get_state()
        if self.with_rng:
            self.rng_state = self.net.rng.bit_generator.state

    def restore(self) -> None:
        np.copyto(self.net.parameter_vector, self.parameters)
        self.opt.set_state(self.opt_state)
        if self.with_rng:
            self.net.rng.bit_generator.state = self.rng_state


#: Multiply-adds per training step below which BLAS threads cost more in hand-offs than they
#: save: for such networks training runs on one thread (and leaves the other cores free).
SMALL_STEP = 4_000_000


def _blas_threads(net: Network, batch: int) -> AbstractContextManager[Any]:
    """One BLAS thread for small networks; the library's own choice for large ones."""
    if batch * net.n_weights < SMALL_STEP:
        return threadpool_limits(limits=1, user_api="blas")
    return nullcontext()


def _diverged(
    start_of_epoch: _Snapshot, epoch: int, loss: float, opt: Optimizer, history: History
) -> None:
    """Go back to the start of ``epoch`` and raise DivergenceError."""
    start_of_epoch.restore()
    raise DivergenceError(
        f"training diverged at epoch {epoch + 1}: the loss became {loss} with lr={opt.lr}. "
        f"The network keeps its weights from the start of epoch {epoch + 1}; "
        "try a lower learning rate.",
        history,
    )
