"""scikit-learn's stopping rule, learning-rate schedules and fitted curves, hooked into
``Network.fit`` as a callback."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator

from backprop.engine.backend import copy, namespace, to_numpy
from backprop.engine.network import CHUNK
from backprop.training.batches import dense_rows
from backprop.training.callbacks import Callback
from backprop.training.optimizers import Momentum, Optimizer

#: The learning rate below which the "adaptive" schedule stops instead of dividing it again.
SMALLEST_ADAPTIVE_RATE = 1e-6


class _Monitor(Callback):
    """Keeps an estimator's fitted curves, steers its learning rate and stops training as
    ``MLPClassifier`` would.

    After every epoch it records the training loss (with the L2 penalty, as scikit-learn
    reports it) and, when the estimator holds out a validation set, the loss and score there,
    keeping the weights of the best score. An epoch that does not improve the loss (or the
    score) by ``tol`` counts as no progress; after more than ``n_iter_no_change`` of them,
    training stops, or, with ``learning_rate="adaptive"``, the learning rate is divided by 5
    (until it falls below 1e-6). With ``learning_rate="invscaling"`` the learning rate after
    each epoch is ``learning_rate_init / (t + 1) ** power_t``, t the samples seen so far.

    It comes before the user's callbacks, and adds ``val_loss`` and ``val_score`` to the
    epoch's logs, so that they see those too.
    """

    def __init__(
        self,
        estimator: BaseEstimator,
        n_samples: int,
        weight_decay: float,
        validation: tuple[Any, ...] | None,
        incremental: bool,
        tasks: Any = None,
    ) -> None:
        #: The estimator being fitted (a ``_BaseBackprop``), whose curves this updates.
        self.estimator = estimator
        self.n_samples = n_samples
        self.weight_decay = weight_decay
        #: The held-out (X, Y, sample weights), or None without early stopping.
        self.validation = validation
        #: A ``partial_fit`` call: one epoch that never stops training.
        self.incremental = incremental
        #: scikit-learn's callbacks' view of the fit (``tasks.FitTasks``): one task per epoch.
        self.tasks = tasks
        self.epochs = 0
        self.no_improvement = 0
        #: Training stopped because the loss or score stopped improving.
        self.converged = False
        #: Training stopped because a callback of scikit-learn's asked.
        self.stopped = False
        self.best_parameters: list[np.ndarray] | None = None
        self.best_loss = np.inf if estimator.best_loss_ is None else estimator.best_loss_
        self.best_score = -np.inf
        self.val_losses: list[float] = (
            [] if estimator.validation_loss_curve_ is None else estimator.validation_loss_curve_
        )
        self.val_scores: list[float] = (
            [] if estimator.validation_scores_ is None else estimator.validation_scores_
        )

    def epoch_metrics(self, epoch: int, logs: Mapping[str, float]) -> dict[str, float]:
        """``val_loss`` and ``val_score`` on the held-out set, when there is one."""
        if self.validation is None:
            return {}
        val_loss, score = self._evaluate(*self.validation)
        return {"val_loss": val_loss, "val_score": score}

    def on_epoch_end(self, epoch: int, logs: Mapping[str, float]) -> None:
        est, net = self.estimator, self.network
        self.epochs += 1
        est.n_iter_ += 1
        est.t_ += self.n_samples
        loss = est._reported_loss(logs["loss"])
        if self.weight_decay:
            squares = sum(_sum_of_squares(layer.weights) for layer in net.layers)
            loss += 0.5 * self.weight_decay * squares
        est.loss_ = loss
        est.loss_curve_.append(loss)
        tol = est.tol
        if self.validation is not None:
            val_loss, score = logs["val_loss"], logs["val_score"]
            self.val_losses.append(val_loss)
            self.val_scores.append(score)
            improved = score >= self.best_score + tol
            if score > self.best_score:
                self.best_score = est.best_validation_score_ = score
                self.best_parameters = [copy(p) for p in net.parameters]
            reason = "Validation score"
        else:
            improved = loss <= self.best_loss - tol
            self.best_loss = est.best_loss_ = min(self.best_loss, loss)
            reason = "Training loss"
        self.no_improvement = 0 if improved else self.no_improvement + 1
        if est.verbose:
            print(f"Iteration {est.n_iter_}, loss = {loss:.8f}")
        if est._scheduled() and est.learning_rate == "invscaling":
            rate = est.learning_rate_init / (est.t_ + 1) ** est.power_t
            set_learning_rate(est._optimizer, rate)
        if self.no_improvement > est.n_iter_no_change:
            if self._divide_learning_rate():
                self.no_improvement = 0
            elif not self.incremental:
                self.converged = True
                net.stop_training = True
                if est.verbose:
                    print(
                        f"{reason} did not improve more than tol={tol:f} for "
                        f"{est.n_iter_no_change} consecutive epochs. Stopping."
                    )
        est._no_improvement_count = self.no_improvement
        if self.tasks is not None and self.tasks.subtask_done("epoch"):
            self.stopped = True
            net.stop_training = True

    def diverged(self) -> None:
        """Record an epoch whose loss became infinite or NaN: NaN in every curve."""
        est = self.estimator
        self.epochs += 1
        est.n_iter_ += 1
        est.loss_ = np.nan
        est.loss_curve_.append(np.nan)
        if self.validation is not None:
            self.val_losses.append(np.nan)
            self.val_scores.append(np.nan)

    def _divide_learning_rate(self) -> bool:
        """The "adaptive" schedule: divide the learning rate by 5 instead of stopping, while it
        stays above 1e-6. Whether it did."""
        est = self.estimator
        if not (est._scheduled() and est.learning_rate == "adaptive"):
            return False
        rate = est._optimizer.lr
        if rate <= SMALLEST_ADAPTIVE_RATE:
            if est.verbose:
                print("Learning rate too small. Stopping.")
            return False
        set_learning_rate(est._optimizer, rate / 5.0)
        if est.verbose:
            print(f"Setting learning rate to {rate / 5.0:f}")
        return True

    def _evaluate(self, X: Any, Y: np.ndarray, weights: np.ndarray | None) -> tuple[float, float]:
        """Weighted mean loss and score on the held-out set (X may be sparse). Weights that
        are all 0 there weigh nothing: the set is then scored unweighted (an average with
        no weight is no number)."""
        if weights is not None and not weights.sum() > 0:
            weights = None
        net = self.network
        losses, outputs = [], []
        for start in range(0, X.shape[0], CHUNK):  # a sparse X: made dense a chunk at a time
            rows = slice(start, start + CHUNK)
            # On another backend than NumPy, moved to the network's device and back.
            x, y = net.backend.asarray(dense_rows(X, rows)), net.backend.asarray(Y[rows])
            for _, Z, A in net.forward_in_chunks(x):
                losses.append(to_numpy(net.loss.per_sample(y, A, Z)))
                outputs.append(to_numpy(A))
        per_sample, A = np.concatenate(losses), np.concatenate(outputs)
        loss = self.estimator._reported_loss(float(np.average(per_sample, weights=weights)))
        return loss, self.estimator._validation_score(Y, A, weights)


def _sum_of_squares(weights: Any) -> float:
    """sum(W^2): in NumPy as ever, on another backend where the weights are."""
    if isinstance(weights, np.ndarray):
        return float(np.square(weights).sum())
    xp = namespace(weights)
    return float(xp.sum(weights * weights))


def set_learning_rate(optimizer: Optimizer, rate: float) -> None:
    """Change ``optimizer``'s learning rate between two steps, as scikit-learn's SGD does.

    scikit-learn's velocity holds past steps with their learning rate already in them
    (v <- momentum v - lr g); ours, PyTorch's, holds past gradients, and each step multiplies
    it by the current learning rate (v <- momentum v + g; w <- w - lr v). The two take the
    same steps while the rate is constant. Scaling our velocity by old rate / new rate when the
    rate changes keeps the past steps at the size they were taken with, so they stay the same
    when it changes too.
    """
    if isinstance(optimizer, Momentum) and rate > 0:
        for velocity in optimizer._velocity:
            velocity *= optimizer.lr / rate
    optimizer.lr = rate
