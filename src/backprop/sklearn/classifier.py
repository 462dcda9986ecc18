"""The classifier: class labels of any type in, a network with one output per class (or one
sigmoid output for two classes) underneath."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets, type_of_target, unique_labels
from sklearn.utils.validation import column_or_1d

from backprop.engine import defaults, metrics
from backprop.sklearn.base import _BaseBackprop
from backprop.sklearn.tasks import with_callbacks
from backprop.training.callbacks import Callback

__all__ = ["BackpropClassifier"]


class BackpropClassifier(ClassifierMixin, _BaseBackprop):
    """A feedforward network classifier trained by backpropagation.

    By default a softmax output with cross-entropy for several classes, and one sigmoid
    output with binary cross-entropy for two. Labels can be of any type (strings, ints...).

    Parameters
    ----------
    hidden_layer_sizes : int or sequence of int, default=(100,)
        Neurons in each hidden layer; ``()`` gives a network without hidden layers.
    activation : str or sequence of str, default="relu"
        The hidden layers' activation, or one per hidden layer: "relu", "leaky_relu",
        "tanh", "sigmoid" (alias "logistic"), "identity" or "exp".
    solver : {"adam", "sgd", "lbfgs"}, default="adam"
        The optimizer, as MLPClassifier's: Adam; "sgd", stochastic gradient descent with
        ``momentum`` (Nesterov's if ``nesterovs_momentum``), plain gradient descent with
        ``momentum=0``; "lbfgs", full-batch L-BFGS (SciPy's L-BFGS-B), which converges
        faster and better on small data sets. Changed in 0.2: "sgd" was plain gradient
        descent and "momentum" the SGD with momentum; "momentum" is still accepted, as
        "sgd". Pass ``momentum=0`` for the former "sgd".
    alpha : float, default=0.0001
        L2 penalty on the weights, scaled as in MLPClassifier: each step adds
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
        The improvement of the training loss (or of the validation score, with
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
        Hold out ``validation_fraction`` of the training data (stratified), stop when its
        accuracy has not improved by ``tol`` for more than ``n_iter_no_change`` epochs, and
        keep the weights of the best epoch.
    validation_fraction : float, default=0.1
        The share of the data held out with ``early_stopping``, in [0, 1).
    n_iter_no_change : int or np.inf, default=10
        Epochs without progress (see ``tol``) tolerated before training stops.
    beta_1, beta_2, epsilon : float, default=0.9, 0.999, 1e-8
        Adam's settings.
    max_fun : int, default=15000
        The most evaluations of the loss and its gradient for "lbfgs".
    loss : str, optional
        "cross_entropy" (softmax output), "binary_cross_entropy" (sigmoid output),
        "half_squared_error" or "mse". Defaults to the output's cross-entropy.
    output : str, optional
        The output activation: "softmax" (one neuron per class), "sigmoid" (one neuron for
        two classes, one per class otherwise) or another activation with a squared-error
        loss. Defaults to "softmax" for several classes and "sigmoid" for two, or to what
        ``loss`` needs.
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
    class_weight : dict, "balanced" or None, default=None
        Weights of the classes' losses (``{label: weight}``), multiplied into
        ``sample_weight``; "balanced" weighs classes inversely to their frequency.
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
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    loss_ : float
        The training loss (with the L2 penalty) of the last epoch.
    loss_curve_ : list of float
        The training loss of every epoch, across warm starts and ``partial_fit`` calls.
    best_loss_ : float or None
        The lowest training loss; None with ``early_stopping``.
    validation_loss_curve_ : list of float or None
        The loss on the held-out set after every epoch, with ``early_stopping``.
    validation_scores_ : list of float or None
        The accuracy on the held-out set after every epoch, with ``early_stopping``.
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
        Output neurons.
    out_activation_ : str
        The output activation's name.

    See Also
    --------
    BackpropRegressor : the regressor.
    sklearn.neural_network.MLPClassifier : scikit-learn's own.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from backprop.sklearn import BackpropClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = BackpropClassifier((16,), learning_rate_init=0.01, random_state=0).fit(X, y)
    >>> clf.score(X, y) > 0.9
    True
    """

    def __init__(
        self,
        hidden_layer_sizes: int | Sequence[int] = (100,),
        activation: str | Sequence[str] = "relu",
        *,
        solver: str = "adam",
        alpha: float = 0.0001,
        batch_size: int | str | None = "auto",
        learning_rate: str = "constant",
        learning_rate_init: float = 0.001,
        power_t: float = 0.5,
        max_iter: int = 200,
        shuffle: bool = True,
        random_state: int | np.random.RandomState | None = None,
        tol: float = 1e-4,
        verbose: int = 0,
        warm_start: bool = False,
        momentum: float = 0.9,
        nesterovs_momentum: bool = True,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        n_iter_no_change: int | float = 10,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        max_fun: int = 15000,
        loss: str | None = None,
        output: str | None = None,
        init: str = "xavier",
        dropout: float | Sequence[float] = 0.0,
        class_weight: dict[Any, float] | str | None = None,
        callbacks: Sequence[Callback] | None = None,
        dtype: str | None = None,
        backend: str = "numpy",
        device: str | None = None,
    ) -> None:
        super().__init__(
            hidden_layer_sizes=hidden_layer_sizes,
            activation=activation,
            solver=solver,
            alpha=alpha,
            batch_size=batch_size,
            learning_rate=learning_rate,
            learning_rate_init=learning_rate_init,
            power_t=power_t,
            max_iter=max_iter,
            shuffle=shuffle,
            random_state=random_state,
            tol=tol,
            verbose=verbose,
            warm_start=warm_start,
            momentum=momentum,
            nesterovs_momentum=nesterovs_momentum,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            n_iter_no_change=n_iter_no_change,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            max_fun=max_fun,
            loss=loss,
            output=output,
            init=init,
            dropout=dropout,
            callbacks=callbacks,
            dtype=dtype,
            backend=backend,
            device=device,
        )
        self.class_weight = class_weight

    @with_callbacks
    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> BackpropClassifier:
        """Train the network on X and the class labels y.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The inputs; a sparse matrix is made dense a batch at a time.
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            The class labels, or a multilabel indicator matrix (one 0/1 column per label).
        sample_weight : array-like of shape (n_samples,), optional
            Weights of the samples' losses.

        Returns
        -------
        self : BackpropClassifier
            The fitted estimator.
        """
        self._fit(X, y, sample_weight, incremental=False)
        return self

    @available_if(lambda self: self._check_stochastic())
    @with_callbacks
    def partial_fit(
        self, X: Any, y: Any, classes: Any = None, sample_weight: Any = None
    ) -> BackpropClassifier:
        """Train for one epoch on the batch (X, y), continuing from the current network.

        Only for the stochastic solvers ("adam" and "sgd"), as in MLPClassifier.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The inputs.
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            The class labels (need not hold every class), or a multilabel indicator matrix.
        classes : array-like of shape (n_classes,), optional
            Every class that any call will see; required on the first call (except for a
            multilabel indicator matrix, whose columns are the classes).
        sample_weight : array-like of shape (n_samples,), optional
            Weights of the samples' losses.

        Returns
        -------
        self : BackpropClassifier
            The updated estimator.
        """
        self._fit(X, y, sample_weight, incremental=True, classes=classes)
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, one column per class of ``classes_``.

        With an output other than softmax or sigmoid they are the outputs clipped at zero
        and normalised: scores rather than calibrated probabilities. For multilabel targets
        each column is its label's probability, and rows need not sum to one.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The inputs.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Rows summing to one (except for multilabel targets).
        """
        return self._probabilities(self._forward(X))

    def predict_log_proba(self, X: Any) -> np.ndarray:
        """The logarithm of :meth:`predict_proba`.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The inputs.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
        """
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class of each sample (each label's 0 or 1, for multilabel).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The inputs.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_labels)
            Labels from ``classes_``, or an indicator matrix for multilabel targets.
        """
        A = self._forward(X)
        if self._multilabel():
            return (A >= metrics.THRESHOLD).astype(np.int64)
        if len(self.classes_) == 1:  # fitted on one class: it is the answer
            return np.full(len(A), self.classes_[0])
        # One sigmoid neuron says "the second class" at the package's one decision threshold;
        # several outputs name the most probable class (as predict_proba has it).
        scores = A if A.shape[1] == 1 else self._probabilities(A)
        return self.classes_[metrics.predicted_classes(scores)]

    # -- internals ----------------------------------------------------------------------------

    def _multilabel(self) -> bool:
        """Whether the estimator was fitted on a multilabel indicator matrix."""
        return bool(getattr(self, "multilabel_", False))

    def _targets(
        self, y: Any, first: bool, incremental: bool, classes: Any
    ) -> tuple[np.ndarray, np.ndarray | None]:
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        multilabel = type_of_target(y) == "multilabel-indicator"
        if y.ndim == 2 and not multilabel:
            raise ValueError(
                f"y has shape {y.shape} and holds {type_of_target(y)} targets: "
                f"{type(self).__name__} takes 1-D class labels, or a multilabel indicator "
                "matrix of 0 and 1 (one column per label)"
            )
        if first:
            self.multilabel_ = multilabel
            self.classes_ = self._first_classes(y, incremental, classes)
        else:
            self._check_classes(y, incremental, classes, multilabel)
        if not multilabel and len(np.setdiff1d(unique_labels(y), self.classes_)):
            raise ValueError(
                f"`y` has classes not in `self.classes_`. `self.classes_` has "
                f"{self.classes_}. 'y' has {unique_labels(y)}."
            )
        if multilabel:
            if self.class_weight is not None:
                raise ValueError(
                    f"class_weight={self.class_weight!r} is not supported for multilabel "
                    "targets: pass sample_weight instead"
                )
            return np.asarray(y, dtype=np.float64), None
        codes = np.searchsorted(self.classes_, y)
        if self.class_weight is None:
            class_weights = None
        else:
            if incremental and self.class_weight == "balanced":
                raise ValueError(
                    "class_weight='balanced' is not supported for partial_fit: compute the "
                    "weights on the whole training set with sklearn.utils.class_weight."
                    "compute_class_weight and pass them as a dict"
                )
            per_class = compute_class_weight(
                self.class_weight, classes=self.classes_, y=self.classes_[codes]
            )
            class_weights = per_class[codes]
        _, _, n_outputs = self._output_and_loss()
        if n_outputs == 1:
            return codes.astype(np.float64).reshape(-1, 1), class_weights
        return np.eye(n_outputs)[codes], class_weights

    def _first_classes(self, y: np.ndarray, incremental: bool, classes: Any) -> np.ndarray:
        """The classes of a new network: the indicator matrix's columns, those that
        ``partial_fit`` is told of, or those of y."""
        if self.multilabel_:
            return np.arange(y.shape[1])
        if incremental:
            if classes is None:
                raise ValueError("classes must be passed on the first call to partial_fit")
            return unique_labels(classes)
        return unique_labels(y)

    def _check_classes(
        self, y: np.ndarray, incremental: bool, classes: Any, multilabel: bool
    ) -> None:
        """That y (and ``classes``) fit the classes of the network being continued; the errors
        are MLPClassifier's."""
        if multilabel != self._multilabel() or (multilabel and y.shape[1] != len(self.classes_)):
            raise ValueError(
                f"y has {type_of_target(y)} targets of shape {y.shape}, but the estimator was "
                f"fitted on {'multilabel' if self._multilabel() else 'class'} targets with "
                f"classes {self.classes_.tolist()}: fit a new network (warm_start=False)"
            )
        if multilabel:
            return
        if (
            incremental
            and classes is not None
            and not np.array_equal(self.classes_, unique_labels(classes))
        ):
            raise ValueError(
                f"classes={unique_labels(classes).tolist()} is not the same as on the "
                f"first call to partial_fit, which was {self.classes_.tolist()}"
            )
        labels = unique_labels(y)
        if self.warm_start and not incremental and set(labels) != set(self.classes_):
            raise ValueError(
                "warm_start can only be used where `y` has the same classes as in the "
                f"previous call to fit. Previously got {self.classes_}, `y` has {labels}"
            )

    def _probabilities(self, A: np.ndarray) -> np.ndarray:
        """The network's outputs A as class probabilities (see :meth:`predict_proba`)."""
        if self._multilabel():
            return A
        if len(self.classes_) == 1:
            return np.ones_like(A)
        if A.shape[1] == 1:
            p = np.clip(A[:, 0], 0.0, 1.0)
            return np.column_stack([1.0 - p, p])
        if self.out_activation_ == "softmax":
            return A
        A = np.clip(A, 0.0, None)
        totals = A.sum(axis=1, keepdims=True)
        return np.divide(A, totals, out=np.full_like(A, 1.0 / A.shape[1]), where=totals > 0)

    def _output_and_loss(self) -> tuple[str, str | None, int]:
        n_classes = len(self.classes_)
        output = self._given_output()
        if self._multilabel():  # one yes/no question per label: a sigmoid output each
            output = output or "sigmoid"
            return output, self.loss or defaults.default_loss(output, "classification"), n_classes
        if output is None:  # the default output, for the default number of output neurons
            output = defaults.default_output(
                "classification", defaults.n_outputs(n_classes), self.loss
            )
        loss = self.loss
        if loss is None:
            loss = defaults.default_loss(output, "classification")
        return output, loss, defaults.n_outputs(n_classes, output)

    def _validation_score(self, Y: np.ndarray, A: np.ndarray, weights: np.ndarray | None) -> float:
        """The accuracy, each sample counted by its weight (all labels right, for multilabel)."""
        if self._multilabel():
            right = ((A >= metrics.THRESHOLD) == (Y == 1)).all(axis=1)
        else:
            right = metrics.predicted_classes(A) == _class_indices(Y)
        return float(np.average(right, weights=weights))

    def _strata(self, Y: np.ndarray) -> np.ndarray | None:
        # As MLPClassifier: a network of one output (two classes) is split stratified by its
        # labels (so that a class too rare to split is named); several outputs (multiclass,
        # multilabel) are split unstratified.
        if Y.shape[1] != 1:
            return None
        return self.classes_[_class_indices(Y).astype(np.intp)]

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        tags.input_tags.sparse = True
        return tags


def _class_indices(Y: np.ndarray) -> np.ndarray:
    """The class index of each row of network targets: one-hot rows, or a column of 0 and 1."""
    return Y.argmax(axis=1) if Y.shape[1] > 1 else Y[:, 0]
