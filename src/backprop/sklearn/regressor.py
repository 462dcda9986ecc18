"""The regressor: real-valued targets, one output neuron per target."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.metrics import r2_score
from sklearn.utils.metaestimators import available_if

from backprop.engine import defaults
from backprop.sklearn.base import _BaseBackprop
from backprop.sklearn.tasks import with_callbacks

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
        "tanh", "sigmoid" (alias "logistic"), "identity" or "exp".
    solver : {"adam", "sgd", "lbfgs"}, default="adam"
        The optimizer, as MLPRegressor's: Adam; "sgd", stochastic gradient descent with
        ``momentum`` (Nesterov's if ``nesterovs_momentum``), plain gradient descent with
        ``momentum=0``; "lbfgs", full-batch L-BFGS (SciPy's L-BFGS-B), which converges
        faster and better on small data sets. Changed in 0.2: "sgd" was plain gradient
        descent and "momentum" the SGD with momentum; "momentum" is still accepted, as
        "sgd". Pass ``momentum=0`` for the former "sgd".
    alpha : float, default=0.0001
        L2 penalty on the weights, scaled as in MLPRegressor: each step adds
        ``alpha / batch_size * W`` to the gradient of the batch's mean loss.
    batch_size : int, "auto" or None, default="auto"
        Samples per step: "auto" is ``min(200, n_samples)``, None the full batch; clipped to
        the number of samples.
    learning_rate : {"constant", "invscaling", "adaptive"}, default="constant"
        The schedule of the "sgd" solver's learning rate, as scikit-learn defines it:
        "constant" keeps ``learning_rate_init``; "invscaling" sets it after each epoch to
        ``learning_rate_init / (t + 1) ** power_t``, t the training samples seen so far;
        "adaptive" divides it by 5 each time the stopping rule (see ``tol``) would stop, and
        stops once it is below 1e-6.
    learning_rate_init : float, default=0.001
        The (initial) learning rate of "adam" and "sgd".
    power_t : float, default=0.5
        The exponent of the "invscaling" schedule.
    max_iter : int, default=200
        The most epochs that ``fit`` trains for (iterations, for "lbfgs").
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
        The momentum of the "sgd" solver, in [0, 1]; 0 is plain gradient descent.
    nesterovs_momentum : bool, default=True
        Nesterov's momentum for the "sgd" solver.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data, stop when its R² has not
        improved by ``tol`` for more than ``n_iter_no_change`` epochs, and keep the weights of
        the best epoch.
    validation_fraction : float, default=0.1
        The share of the data held out with ``early_stopping``, in [0, 1).
    n_iter_no_change : int or np.inf, default=10
        Epochs without progress (see ``tol``) tolerated before training stops.
    beta_1, beta_2, epsilon : float, default=0.9, 0.999, 1e-8
        Adam's settings.
    max_fun : int, default=15000
        The most evaluations of the loss and its gradient for "lbfgs".
    loss : str, optional
        "squared_error" (the default), MLPRegressor's: as there, the network steps on the
        gradient of half the squared error summed over the targets (each output's error
        ``a - y``: the network's loss is "half_squared_error"), and ``loss_`` and the curves
        report half its mean over the targets, scikit-learn's value; "poisson" (half the
        Poisson deviance, for counts: an exponential output, as MLPRegressor's);
        "half_squared_error" (trained as "squared_error", reported as the sum over the
        targets); "mse"; or a cross-entropy for targets that are probabilities
        ("binary_cross_entropy" with a sigmoid output, "cross_entropy" with softmax). For
        one target, "squared_error" and "half_squared_error" are the same loss.
    output : str, optional
        The output activation; by default "identity", or what ``loss`` needs ("exp" for
        "poisson").
    init : {"xavier", "he", "normal_scaled"}, default="xavier"
        How the initial weights are drawn: Glorot uniform, U(-r, r) with r = sqrt(6 / (n_in
        + n_out)), MLPClassifier's for relu and tanh (it narrows r for logistic, and draws the
        biases from the same range, where ours start at 0); He normal; or normal over the
        square root of the fan-in.
    dropout : float or list of float, default=0.0
        Inverted dropout on the hidden layers' outputs, in training only: each step drops
        each hidden unit with probability p and scales the others by 1/(1-p); prediction
        uses the whole network. One rate for every hidden layer or one per hidden layer,
        0 <= p < 1. Not with "lbfgs". (MLPClassifier has no dropout.)
    callbacks : list of backprop.Callback, optional
        Called during training; they see ``loss`` (and ``val_loss`` and ``val_score`` with
        ``early_stopping``) in the epoch's logs and may stop training. Each ``fit`` counts
        epochs from 0; a ``partial_fit`` is the next epoch after those trained before it, so
        that a schedule of the epoch (``bp.StepDecay``, ``bp.ExponentialDecay``,
        ``bp.CosineDecay`` given its ``epochs``) goes on across the calls.
    dtype : {"float64", "float32"} or None, default=None
        The network's floating-point type; None follows the input's (float32 for float32
        data, else float64), as MLPClassifier does.
    backend : {"numpy", "torch", "cupy", "array_api_strict"}, default="numpy"
        The array library the solvers "sgd" and "adam" train with, and ``device`` its device
        ("cpu", "cuda", "cuda:N"): ``backend="torch", device="cuda"`` trains on a GPU. The
        data is moved there once per fit; between fits ``network_`` (and so ``coefs_``,
        prediction and pickling) stays in NumPy. "lbfgs" (SciPy's) runs in NumPy only.
    device : str or None, default=None
        The backend's device; None is its default (the CPU, CuPy's first GPU).

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
        Epochs (L-BFGS iterations) run by the last ``fit``, plus one for each
        ``partial_fit`` since.
    t_ : int
        Training samples seen by the optimizer, in all.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the features, when X had string column names.
    coefs_ : list of ndarray
        The weight matrix of each layer, shape (n_in, n_out): the network's own arrays, so
        that writing into them changes the network.
    intercepts_ : list of ndarray
        The bias vector of each layer, the network's own arrays too.
    n_layers_ : int
        Layers, the input and output layers included.
    n_outputs_ : int
        Output neurons: the number of targets.
    out_activation_ : str
        The output activation's name.

    See Also
    --------
    BackpropClassifier : the classifier.
    sklearn.neural_network.MLPRegressor : scikit-learn's own.
    """

    @with_callbacks
    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> BackpropRegressor:
        """Train the network on X and the targets y.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
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

    @available_if(lambda self: self._check_stochastic())
    @with_callbacks
    def partial_fit(self, X: Any, y: Any, sample_weight: Any = None) -> BackpropRegressor:
        """Train for one epoch on the batch (X, y), continuing from the current network.

        Only for the stochastic solvers ("adam" and "sgd"), as in MLPRegressor.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
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
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
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
        tags.input_tags.sparse = True
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
        # scikit-learn's default loss. (A warm start with loss=None continues whatever loss
        # the fitted network has: see _check_same_architecture.)
        loss = "squared_error" if self.loss is None else self.loss
        if loss == "squared_error":
            # MLPRegressor reports half the mean over the targets, but steps on each output's
            # error a - y: the gradient of half the sum, which is what the network trains on.
            loss = "half_squared_error"
        if output is None:
            output = defaults.default_output("regression", self._n_targets, loss)
        return output, loss, self._n_targets

    def _reported_loss(self, loss: float, penalty: float = 0.0) -> float:
        # squared_error is reported as scikit-learn has it: half the mean over the targets of
        # the squared error (the network's sum over them, divided by their number) + penalty.
        scaled = self.loss in (None, "squared_error") and self._n_targets > 1
        if not scaled or self.network_.loss.name != "half_squared_error":
            return loss
        return (loss - penalty) / self._n_targets + penalty

    def _validation_score(self, Y: np.ndarray, A: np.ndarray, weights: np.ndarray | None) -> float:
        return float(r2_score(Y, A, sample_weight=weights))
