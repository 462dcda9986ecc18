"""The regressor: real-valued targets, one output neuron per target."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.metrics import r2_score

from backprop.engine import defaults
from backprop.sklearn.base import _BaseBackprop

__all__ = ["BackpropRegressor"]


class BackpropRegressor(RegressorMixin, _BaseBackprop):
    """A feedforward network regressor trained by backpropagation.

    By default an identity output with the half squared error; one output neuron per target.

    Parameters
    ----------
    hidden_layer_sizes : int or sequence of int, default=(100,)
        Neurons in each hidden layer; ``()`` gives a linear model.
    activation : str or sequence of str, default="relu"
        The hidden layers' activation, or one per hidden layer: "relu", "leaky_relu",
        "tanh", "sigmoid" (alias "logistic") or "identity".
    solver : {"adam", "sgd", "momentum"}, default="adam"
        The optimizer. Unlike MLPRegressor's "sgd", "sgd" here is plain gradient descent;
        "momentum" is SGD with ``momentum`` (and Nesterov's if ``nesterovs_momentum``).
    alpha : float, default=0.0001
        L2 penalty on the weights, scaled as in MLPRegressor: each step adds
        ``alpha / batch_size * W`` to the gradient of the batch's mean loss.
    batch_size : int, "auto" or None, default="auto"
        Samples per step: "auto" is ``min(200, n_samples)``, None the full batch; clipped to
        the number of samples.
    learning_rate_init : float, default=0.001
        The learning rate (constant).
    max_iter : int, default=200
        The most epochs that ``fit`` trains for.
    shuffle : bool, default=True
        Reshuffle the samples every epoch.
    random_state : int, RandomState instance or None, default=None
        Seeds the initial weights, the shuffling and the validation split.
    tol : float, default=1e-4
        The improvement of the training loss (or of the validation R², with
        ``early_stopping``) that counts as progress.
    verbose : int, default=0
        Non-zero shows a progress bar and prints the loss of every epoch.
    warm_start : bool, default=False
        ``fit`` continues from the fitted network and optimizer instead of starting anew.
    momentum : float, default=0.9
        The momentum of the "momentum" solver, in [0, 1).
    nesterovs_momentum : bool, default=True
        Nesterov's momentum for the "momentum" solver.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data, stop when its R² has not
        improved by ``tol`` for more than ``n_iter_no_change`` epochs, and keep the weights of
        the best epoch.
    validation_fraction : float, default=0.1
        The share of the data held out with ``early_stopping``.
    n_iter_no_change : int or np.inf, default=10
        Epochs without progress (see ``tol``) tolerated before training stops.
    beta_1, beta_2, epsilon : float, default=0.9, 0.999, 1e-8
        Adam's settings.
    loss : str, optional
        "half_squared_error" (the default), "mse", or a cross-entropy for targets that are
        probabilities ("binary_cross_entropy" with a sigmoid output, "cross_entropy" with
        softmax).
    output : str, optional
        The output activation; by default "identity", or what ``loss`` needs.
    init : {"xavier", "he", "normal_scaled"}, default="xavier"
        How the initial weights are drawn: Glorot uniform (as MLPClassifier's), He normal, or
        normal over the square root of the fan-in.
    callbacks : list of backprop.Callback, optional
        Called during training; they see ``loss`` (and ``val_loss`` and ``val_score`` with
        ``early_stopping``) in the epoch's logs and may stop training.
    dtype : {"float64", "float32"}, default="float64"
        The network's floating-point type.

    Attributes
    ----------
    network_ : backprop.Network
        The trained network.
    loss_ : float
        The training loss (with the L2 penalty) of the last epoch.
    loss_curve_ : list of float
        The training loss of every epoch, across warm starts and ``partial_fit`` calls.
    best_loss_ : float or None
        The lowest training loss; None with ``early_stopping``.
    validation_loss_curve_ : list of float or None
        The loss on the held-out set after every epoch, with ``early_stopping``.
    validation_scores_ : list of float or None
        The R² on the held-out set after every epoch, with ``early_stopping``.
    best_validation_score_ : float or None
        The best of ``validation_scores_``, whose weights the network keeps.
    n_iter_ : int
        Epochs run by the last ``fit``, plus one for each ``partial_fit`` since.
    t_ : int
        Training samples seen by the optimizer, in all.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the features, when X had string column names.
    n_outputs_ : int
        Output neurons: the number of targets.
    out_activation_ : str
        The output activation's name.

    See Also
    --------
    BackpropClassifier : the classifier.
    sklearn.neural_network.MLPRegressor : scikit-learn's own.
    """

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> BackpropRegressor:
        """Train the network on X and the targets y.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The inputs.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            The targets.
        sample_weight : array-like of shape (n_samples,), optional
            Weights of the samples' losses.

        Returns
        -------
        self : BackpropRegressor
            The fitted estimator.
        """
        self._fit(X, y, sample_weight, incremental=False)
        return self

    def partial_fit(self, X: Any, y: Any, sample_weight: Any = None) -> BackpropRegressor:
        """Train for one epoch on the batch (X, y), continuing from the current network.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The inputs.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            The targets.
        sample_weight : array-like of shape (n_samples,), optional
            Weights of the samples' losses.

        Returns
        -------
        self : BackpropRegressor
            The updated estimator.
        """
        self._fit(X, y, sample_weight, incremental=True)
        return self

    def predict(self, X: Any) -> np.ndarray:
        """The network's outputs.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The inputs.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_targets)
            1-D for a single target.
        """
        A = self._forward(X)
        return A[:, 0] if A.shape[1] == 1 else A

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    # -- internals ----------------------------------------------------------------------------

    def _targets(
        self, y: Any, first: bool, incremental: bool, classes: Any
    ) -> tuple[np.ndarray, np.ndarray | None]:
        Y = np.asarray(y, dtype=np.float64)
        Y = Y.reshape(-1, 1) if Y.ndim == 1 else Y
        self._n_targets = Y.shape[1]
        return Y, None

    def _output_and_loss(self) -> tuple[str, str | None, int]:
        output = self._given_output()
        if output is None:
            output = defaults.default_output("regression", self._n_targets, self.loss)
        # loss=None stays None: the network applies its default loss for the output, and a
        # warm start with loss=None continues whatever loss the fitted network has.
        return output, self.loss, self._n_targets

    def _validation_score(self, Y: np.ndarray, A: np.ndarray, weights: np.ndarray | None) -> float:
        return float(r2_score(Y, A, sample_weight=weights))
