"""scikit-learn's stopping rule and fitted curves, hooked into ``Network.fit`` as a callback."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator

from backprop.training.callbacks import Callback


class _Monitor(Callback):
    """Keeps an estimator's fitted curves and stops training as ``MLPClassifier`` would.

    After every epoch it records the training loss (with the L2 penalty, as scikit-learn
    reports it) and, when the estimator holds out a validation set, the loss and score there,
    keeping the weights of the best score. Training stops when the loss (or the score) has not
    improved by ``tol`` for more than ``n_iter_no_change`` epochs. It comes before the user's
    callbacks, and adds ``val_loss`` and ``val_score`` to the epoch's logs, so that they see
    those too.
    """

    def __init__(
        self,
        estimator: BaseEstimator,
        n_samples: int,
        weight_decay: float,
        validation: tuple[Any, ...] | None,
        incremental: bool,
    ) -> None:
        #: The estimator being fitted (a ``_BaseBackprop``), whose curves this updates.
        self.estimator = estimator
        self.n_samples = n_samples
        self.weight_decay = weight_decay
        #: The held-out (X, Y, sample weights), or None without early stopping.
        self.validation = validation
        #: A ``partial_fit`` call: one epoch that never stops training.
        self.incremental = incremental
        self.epochs = 0
        self.no_improvement = 0
        self.converged = False
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
        loss = logs["loss"]
        if self.weight_decay:
            squares = sum(float(np.square(layer.weights).sum()) for layer in net.layers)
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
                self.best_parameters = [p.copy() for p in net.parameters]
            reason = "Validation score"
        else:
            improved = loss <= self.best_loss - tol
            self.best_loss = est.best_loss_ = min(self.best_loss, loss)
            reason = "Training loss"
        self.no_improvement = 0 if improved else self.no_improvement + 1
        if est.verbose:
            print(f"Iteration {est.n_iter_}, loss = {loss:.8f}")
        if not self.incremental and self.no_improvement > est.n_iter_no_change:
            self.converged = True
            net.stop_training = True
            if est.verbose:
                print(
                    f"{reason} did not improve more than tol={tol:f} for "
                    f"{est.n_iter_no_change} consecutive epochs. Stopping."
                )

    def _evaluate(
        self, X: np.ndarray, Y: np.ndarray, weights: np.ndarray | None
    ) -> tuple[float, float]:
        """Weighted mean loss and score on the held-out set."""
        net = self.network
        losses, outputs = [], []
        for rows, Z, A in net.forward_in_chunks(X):
            losses.append(net.loss.per_sample(Y[rows], A, Z))
            outputs.append(A)
        per_sample, A = np.concatenate(losses), np.concatenate(outputs)
        loss = float(np.average(per_sample, weights=weights))
        return loss, self.estimator._validation_score(Y, A, weights)
