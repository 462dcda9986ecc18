"""scikit-learn estimators around :class:`backprop.Network`.

:class:`BackpropClassifier` and :class:`BackpropRegressor` follow scikit-learn's estimator API,
so a backprop network drops into a ``Pipeline``, ``GridSearchCV``, ``cross_val_score`` or
``joblib.Parallel``. Their parameters carry scikit-learn's names (those of ``MLPClassifier``)
where the concept exists, and add what ``MLPClassifier`` lacks: an activation per hidden
layer, a choice of loss and output activation, a validation-loss curve, callbacks, a progress
bar and class weights.

>>> from backprop.sklearn.estimators import BackpropClassifier
>>> clf = BackpropClassifier(hidden_layer_sizes=(32,), activation=["tanh"], random_state=0)
>>> clf.fit(X, y).predict(X[:3])  # doctest: +SKIP
"""

from __future__ import annotations

import numbers
import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import r2_score
from sklearn.model_selection import train_test_split
from sklearn.utils import check_array, check_random_state
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets, unique_labels
from sklearn.utils.validation import check_is_fitted, validate_data

from backprop.engine.activations import ACTIVATIONS
from backprop.engine.initializers import INITIALIZERS
from backprop.engine.losses import LOSSES
from backprop.engine.network import CHUNK, Network
from backprop.saving.model_file import ModelFileError, load_checkpoint, save_checkpoint
from backprop.training.loop import Callback, History
from backprop.training.optimizers import SGD, Adam, Momentum, Optimizer

__all__ = ["BackpropClassifier", "BackpropRegressor"]

#: scikit-learn's name for the sigmoid, accepted so that MLPClassifier grids carry over.
_ALIASES = {"logistic": "sigmoid"}
_HIDDEN_ACTIVATIONS = sorted({*ACTIVATIONS, *_ALIASES} - {"softmax"})
#: Key of this module's entry in a model file's metadata.
_METADATA_KEY = "sklearn"

_Estimator = TypeVar("_Estimator", bound="_BaseBackprop")


class _BaseBackprop(BaseEstimator):
    """What the classifier and the regressor share: parameters, the training loop, model files."""

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "hidden_layer_sizes": ["array-like", Interval(numbers.Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(_HIDDEN_ACTIVATIONS)), list, tuple],
        "solver": [StrOptions({"sgd", "momentum", "adam"})],
        "alpha": [Interval(numbers.Real, 0, None, closed="left")],
        "batch_size": [
            StrOptions({"auto"}),
            Interval(numbers.Integral, 1, None, closed="left"),
            None,
        ],
        "learning_rate_init": [Interval(numbers.Real, 0, None, closed="neither")],
        "max_iter": [Interval(numbers.Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(numbers.Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "momentum": [Interval(numbers.Real, 0, 1, closed="left")],
        "nesterovs_momentum": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(numbers.Real, 0, 1, closed="neither")],
        "n_iter_no_change": [
            Interval(numbers.Integral, 1, None, closed="left"),
            Options(numbers.Real, {np.inf}),
        ],
        "beta_1": [Interval(numbers.Real, 0, 1, closed="left")],
        "beta_2": [Interval(numbers.Real, 0, 1, closed="left")],
        "epsilon": [Interval(numbers.Real, 0, None, closed="neither")],
        "loss": [StrOptions(set(LOSSES)), None],
        "output": [StrOptions({*ACTIVATIONS, *_ALIASES}), None],
        "init": [StrOptions(set(INITIALIZERS))],
        "callbacks": [list, tuple, None],
        "dtype": [StrOptions({"float32", "float64"})],
    }

    def __init__(
        self,
        hidden_layer_sizes: int | Sequence[int] = (100,),
        activation: str | Sequence[str] = "relu",
        *,
        solver: str = "adam",
        alpha: float = 0.0001,
        batch_size: int | str | None = "auto",
        learning_rate_init: float = 0.001,
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
        loss: str | None = None,
        output: str | None = None,
        init: str = "xavier",
        callbacks: Sequence[Callback] | None = None,
        dtype: str = "float64",
    ) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.loss = loss
        self.output = output
        self.init = init
        self.callbacks = callbacks
        self.dtype = dtype

    # -- what the subclasses define -------------------------------------------------------------

    def _targets(
        self, y: Any, first: bool, incremental: bool, classes: Any
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """The network's 2-D targets, and per-sample class weights (or None)."""
        raise NotImplementedError

    def _output_and_loss(self) -> tuple[str, str | None, int]:
        """The output activation, the loss (None: the network's default) and output units."""
        raise NotImplementedError

    def _validation_score(self, Y: np.ndarray, A: np.ndarray, weights: np.ndarray | None) -> float:
        """The score (as ``score`` computes it) of outputs A for network targets Y."""
        raise NotImplementedError

    # -- training -------------------------------------------------------------------------------

    def _fit(
        self,
        X: Any,
        y: Any,
        sample_weight: Any,
        incremental: bool,
        classes: Any = None,
    ) -> _BaseBackprop:
        self._validate_params()
        hidden, activations = self._hidden_layers()
        if incremental and self.early_stopping:
            raise ValueError(
                "partial_fit does not support early_stopping=True: hold out a validation set "
                "yourself, or use fit"
            )
        fitted = hasattr(self, "network_")
        first = not fitted or not (incremental or self.warm_start)
        X, y = validate_data(
            self,
            X,
            y,
            reset=first,
            dtype=(np.float64, np.float32),
            multi_output=isinstance(self, RegressorMixin),
            y_numeric=isinstance(self, RegressorMixin),
        )
        Y, class_weights = self._targets(y, first, incremental, classes)
        weights = _combine_weights(_check_sample_weight(sample_weight, len(X)), class_weights)

        output, loss, n_outputs = self._output_and_loss()
        sizes = [X.shape[1], *hidden, n_outputs]
        if first:
            rng = check_random_state(self.random_state)
            seed = int(rng.randint(np.iinfo(np.int32).max))
            self.network_ = Network(
                sizes,
                activation=activations,
                output=output,
                loss=loss,
                init=self.init,
                seed=seed,
                dtype=self.dtype,
            )
            self._optimizer = self._new_optimizer()
            self.n_outputs_ = sizes[-1]
            self.out_activation_ = output
            self.loss_curve_: list[float] = []
            self.best_loss_: float | None = np.inf
            self.validation_scores_: list[float] | None = None
            self.validation_loss_curve_: list[float] | None = None
            self.best_validation_score_: float | None = None
            self.n_iter_ = 0
            self.t_ = 0
        else:
            self._check_same_architecture(sizes, activations, output, loss)
            self._update_optimizer()
            rng = check_random_state(self.random_state)
        if not incremental:
            self.n_iter_ = 0

        validation = None
        if self.early_stopping:
            X, Y, weights, validation = self._split_validation(X, Y, weights, rng)
            self.validation_scores_ = self.validation_scores_ or []
            self.validation_loss_curve_ = self.validation_loss_curve_ or []
            self.best_loss_ = None
        elif self.best_loss_ is None:
            self.best_loss_ = np.inf

        n = len(X)
        if self.batch_size is None:
            batch = n
        elif self.batch_size == "auto":
            batch = min(200, n)
        else:
            batch = min(int(self.batch_size), n)
        # alpha weighs against the summed loss of a batch, samples counted by their weight
        # (as in MLPClassifier); the network's weight decay is relative to the mean loss.
        mean_weight = 1.0 if weights is None else float(weights.mean())
        weight_decay = self.alpha / (batch * mean_weight)
        monitor = _Monitor(self, n, weight_decay, validation, incremental)
        history: History = self.network_.fit(
            X,
            Y,
            epochs=1 if incremental else self.max_iter,
            batch_size=batch,
            optimizer=self._optimizer,
            shuffle=self.shuffle,
            weight_decay=weight_decay,
            callbacks=[monitor, *(self.callbacks or ())],
            sample_weight=weights,
            verbose=1 if self.verbose else 0,
        )
        if monitor.best_parameters is not None:
            for parameter, best in zip(
                self.network_.parameters, monitor.best_parameters, strict=True
            ):
                parameter[...] = best
        if history.interrupted:
            warnings.warn("Training interrupted by user.", UserWarning, stacklevel=3)
        elif not incremental and not monitor.converged and monitor.epochs == self.max_iter:
            warnings.warn(
                f"{type(self).__name__}: the maximum number of iterations (max_iter="
                f"{self.max_iter}) was reached and the optimization hasn't converged yet.",
                ConvergenceWarning,
                stacklevel=3,
            )
        return self

    def _hidden_layers(self) -> tuple[list[int], list[str]]:
        """The hidden layers' sizes and activations, checked."""
        raw: Any = self.hidden_layer_sizes
        hidden: list[Any] = [raw] if isinstance(raw, numbers.Integral) else list(raw)
        for i, size in enumerate(hidden):
            if isinstance(size, bool) or not isinstance(size, numbers.Integral) or size < 1:
                raise ValueError(
                    f"hidden_layer_sizes[{i}]={size!r} in hidden_layer_sizes="
                    f"{self.hidden_layer_sizes!r}: every layer size must be a positive integer"
                )
        if isinstance(self.activation, str):
            activations = [self.activation] * len(hidden)
        else:
            activations = list(self.activation)
            if len(activations) != len(hidden):
                raise ValueError(
                    f"activation={self.activation!r} has {len(activations)} entries but "
                    f"hidden_layer_sizes={self.hidden_layer_sizes!r} has {len(hidden)} hidden "
                    "layers: give one activation per hidden layer, or a single name"
                )
        for i, name in enumerate(activations):
            if name not in _HIDDEN_ACTIVATIONS:
                raise ValueError(
                    f"activation[{i}]={name!r} is not supported for a hidden layer: expected "
                    f"one of {', '.join(_HIDDEN_ACTIVATIONS)}"
                )
        return [int(s) for s in hidden], [_ALIASES.get(name, name) for name in activations]

    def _new_optimizer(self) -> Optimizer:
        lr = float(self.learning_rate_init)
        if self.solver == "sgd":
            return SGD(lr=lr)
        if self.solver == "momentum":
            return Momentum(lr=lr, momentum=self.momentum, nesterov=self.nesterovs_momentum)
        return Adam(lr=lr, beta1=self.beta_1, beta2=self.beta_2, eps=self.epsilon)

    def _update_optimizer(self) -> None:
        """Keep the optimizer's state across warm starts, with the current settings."""
        fresh = self._new_optimizer()
        if type(fresh) is not type(self._optimizer):
            self._optimizer = fresh
            return
        for key, value in vars(fresh).items():
            if not key.startswith("_"):
                setattr(self._optimizer, key, value)

    def _check_same_architecture(
        self, sizes: list[int], activations: list[str], output: str, loss: str | None
    ) -> None:
        net = self.network_
        names = [layer.activation.name for layer in net.layers]
        if (
            net.sizes != sizes
            or names != [*activations, output]
            or (loss is not None and net.loss.name != loss)
        ):
            raise ValueError(
                f"warm_start=True or partial_fit continues the fitted network {net!r}, but the "
                f"parameters now describe sizes={sizes}, activations={[*activations, output]}, "
                f"loss={loss!r}: set warm_start=False (or call fit) to train a new network"
            )

    def _split_validation(
        self,
        X: np.ndarray,
        Y: np.ndarray,
        weights: np.ndarray | None,
        rng: np.random.RandomState,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, tuple[Any, ...]]:
        """Hold out ``validation_fraction`` of the data (stratified for classes)."""
        arrays = [X, Y] if weights is None else [X, Y, weights]
        seed = rng.randint(np.iinfo(np.int32).max)
        parts = None
        if isinstance(self, ClassifierMixin):
            labels = Y.argmax(axis=1) if Y.shape[1] > 1 else Y[:, 0]
            try:
                parts = train_test_split(
                    *arrays, test_size=self.validation_fraction, random_state=seed, stratify=labels
                )
            except ValueError:  # a class too rare to be in both parts
                parts = None
        if parts is None:
            parts = train_test_split(*arrays, test_size=self.validation_fraction, random_state=seed)
        train, held_out = parts[0::2], parts[1::2]
        if len(held_out[0]) < 2:
            raise ValueError(
                f"The validation set is too small ({len(held_out[0])} sample) for "
                f"early_stopping: increase validation_fraction={self.validation_fraction} or "
                "give more data"
            )
        X_val, Y_val = self.network_.check_data(held_out[0], held_out[1])
        w_val = None if weights is None else held_out[2]
        return train[0], train[1], None if weights is None else train[2], (X_val, Y_val, w_val)

    # -- model files ------------------------------------------------------------------------------

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the fitted estimator to a backprop model file (no pickle).

        The file holds the network, the optimizer's state (so that ``partial_fit`` or a
        warm start continue where they left off), the hyper-parameters, the classes and the
        fitted attributes. ``callbacks`` and a ``RandomState`` instance as ``random_state``
        cannot be written and are left out, with a warning.

        Parameters
        ----------
        path : str or path-like
            The file to write, conventionally ending in ``.npz``.

        Returns
        -------
        path : Path
            The file written.
        """
        check_is_fitted(self)
        params, dropped = {}, []
        for name, value in self.get_params(deep=False).items():
            try:
                params[name] = _to_json(value)
            except TypeError:
                dropped.append(name)
        if dropped:
            warnings.warn(
                f"{type(self).__name__}.save leaves out {', '.join(dropped)}, which a model "
                "file cannot hold: set them again after loading",
                UserWarning,
                stacklevel=2,
            )
        fitted = {name: _to_json(getattr(self, name)) for name in _FITTED if hasattr(self, name)}
        arrays, kinds = {}, {}
        for name in ("classes_", "feature_names_in_"):
            if hasattr(self, name):
                arrays[name], kinds[name] = _storable(name, getattr(self, name))
        metadata = {
            _METADATA_KEY: {
                "estimator": type(self).__name__,
                "params": params,
                "fitted": fitted,
                "object_arrays": [name for name, is_object in kinds.items() if is_object],
            }
        }
        return save_checkpoint(
            path, self.network_, self._optimizer, History(), metadata=metadata, arrays=arrays
        )

    @classmethod
    def load(cls: type[_Estimator], path: str | os.PathLike[str]) -> _Estimator:
        """Read an estimator written by :meth:`save`.

        Parameters
        ----------
        path : str or path-like
            A file written by ``save`` of this class.

        Returns
        -------
        estimator : the fitted estimator, ready to predict or to train on.
        """
        checkpoint = load_checkpoint(path)
        saved = checkpoint.metadata.get(_METADATA_KEY)
        if not isinstance(saved, dict) or "estimator" not in saved:
            raise ModelFileError(f"{path} holds a backprop network, not a saved {cls.__name__}")
        if saved["estimator"] != cls.__name__:
            raise ModelFileError(
                f"{path} holds a {saved['estimator']}: load it with {saved['estimator']}.load"
            )
        estimator = cls(**{name: _from_json(value) for name, value in saved["params"].items()})
        for name, value in saved["fitted"].items():
            setattr(estimator, name, _from_json(value))
        for name in ("classes_", "feature_names_in_"):
            if name in checkpoint.arrays:
                array = checkpoint.arrays[name]
                setattr(
                    estimator,
                    name,
                    array.astype(object) if name in saved["object_arrays"] else array,
                )
        estimator.network_ = checkpoint.network
        estimator._optimizer = checkpoint.optimizer
        return estimator

    # -- prediction helpers ---------------------------------------------------------------------

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "network_")

    def _forward(self, X: Any) -> np.ndarray:
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=(np.float64, np.float32))
        return self.network_.predict(X)


#: Fitted attributes written to (and read back from) a model file's metadata.
_FITTED = (
    "n_features_in_",
    "n_outputs_",
    "out_activation_",
    "n_iter_",
    "t_",
    "loss_",
    "loss_curve_",
    "best_loss_",
    "validation_scores_",
    "validation_loss_curve_",
    "best_validation_score_",
)


class _Monitor(Callback):
    """sklearn's stopping rule and fitted curves, hooked into ``Network.fit`` as a callback.

    Runs before the user's callbacks, and adds ``val_loss`` and ``val_score`` to the epoch's
    logs when the estimator holds out a validation set, so that they see those too.
    """

    def __init__(
        self,
        estimator: _BaseBackprop,
        n_samples: int,
        weight_decay: float,
        validation: tuple[Any, ...] | None,
        incremental: bool,
    ) -> None:
        self.estimator = estimator
        self.n_samples = n_samples
        self.weight_decay = weight_decay
        self.validation = validation
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

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> None:
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
            val_loss, score = self._evaluate(*self.validation)
            logs["val_loss"], logs["val_score"] = val_loss, score
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
        for start in range(0, len(X), CHUNK):
            net_inputs, activations = net.forward(X[start : start + CHUNK])
            losses.append(
                net.loss.per_sample(Y[start : start + CHUNK], activations[-1], net_inputs[-1])
            )
            outputs.append(activations[-1])
        per_sample, A = np.concatenate(losses), np.concatenate(outputs)
        loss = float(np.average(per_sample, weights=weights))
        return loss, self.estimator._validation_score(Y, A, weights)


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
        "tanh", "sigmoid" (alias "logistic") or "identity".
    solver : {"adam", "sgd", "momentum"}, default="adam"
        The optimizer. Unlike MLPClassifier's "sgd", "sgd" here is plain gradient descent;
        "momentum" is SGD with ``momentum`` (and Nesterov's if ``nesterovs_momentum``).
    alpha : float, default=0.0001
        L2 penalty on the weights, scaled as in MLPClassifier: each step adds
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
        The improvement of the training loss (or of the validation score, with
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
        Hold out ``validation_fraction`` of the training data (stratified), stop when its
        accuracy has not improved by ``tol`` for more than ``n_iter_no_change`` epochs, and
        keep the weights of the best epoch.
    validation_fraction : float, default=0.1
        The share of the data held out with ``early_stopping``.
    n_iter_no_change : int or np.inf, default=10
        Epochs without progress (see ``tol``) tolerated before training stops.
    beta_1, beta_2, epsilon : float, default=0.9, 0.999, 1e-8
        Adam's settings.
    loss : str, optional
        "cross_entropy" (softmax output), "binary_cross_entropy" (sigmoid output),
        "half_squared_error" or "mse". Defaults to the output's cross-entropy.
    output : str, optional
        The output activation: "softmax" (one neuron per class), "sigmoid" (one neuron for
        two classes, one per class otherwise) or another activation with a squared-error
        loss. Defaults to "softmax" for several classes and "sigmoid" for two, or to what
        ``loss`` needs.
    init : {"xavier", "he", "normal_scaled"}, default="xavier"
        How the initial weights are drawn: Glorot uniform (as MLPClassifier's), He normal, or
        normal over the square root of the fan-in.
    class_weight : dict, "balanced" or None, default=None
        Weights of the classes' losses (``{label: weight}``), multiplied into
        ``sample_weight``; "balanced" weighs classes inversely to their frequency.
    callbacks : list of backprop.Callback, optional
        Called during training; they see ``loss`` (and ``val_loss`` and ``val_score`` with
        ``early_stopping``) in the epoch's logs and may stop training.
    dtype : {"float64", "float32"}, default="float64"
        The network's floating-point type.

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
        Epochs run by the last ``fit``, plus one for each ``partial_fit`` since.
    t_ : int
        Training samples seen by the optimizer, in all.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the features, when X had string column names.
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
    >>> from backprop.sklearn.estimators import BackpropClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = BackpropClassifier((16,), learning_rate_init=0.01, random_state=0).fit(X, y)
    >>> clf.score(X, y) > 0.9
    True
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **_BaseBackprop._parameter_constraints,
        "class_weight": [dict, StrOptions({"balanced"}), None],
    }

    def __init__(
        self,
        hidden_layer_sizes: int | Sequence[int] = (100,),
        activation: str | Sequence[str] = "relu",
        *,
        solver: str = "adam",
        alpha: float = 0.0001,
        batch_size: int | str | None = "auto",
        learning_rate_init: float = 0.001,
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
        loss: str | None = None,
        output: str | None = None,
        init: str = "xavier",
        class_weight: dict[Any, float] | str | None = None,
        callbacks: Sequence[Callback] | None = None,
        dtype: str = "float64",
    ) -> None:
        super().__init__(
            hidden_layer_sizes=hidden_layer_sizes,
            activation=activation,
            solver=solver,
            alpha=alpha,
            batch_size=batch_size,
            learning_rate_init=learning_rate_init,
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
            loss=loss,
            output=output,
            init=init,
            callbacks=callbacks,
            dtype=dtype,
        )
        self.class_weight = class_weight

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> BackpropClassifier:
        """Train the network on X and the class labels y.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The inputs.
        y : array-like of shape (n_samples,)
            The class labels, at least two distinct ones.
        sample_weight : array-like of shape (n_samples,), optional
            Weights of the samples' losses.

        Returns
        -------
        self : BackpropClassifier
            The fitted estimator.
        """
        self._fit(X, y, sample_weight, incremental=False)
        return self

    def partial_fit(
        self, X: Any, y: Any, classes: Any = None, sample_weight: Any = None
    ) -> BackpropClassifier:
        """Train for one epoch on the batch (X, y), continuing from the current network.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The inputs.
        y : array-like of shape (n_samples,)
            The class labels; need not hold every class.
        classes : array-like of shape (n_classes,), optional
            Every class that any call will see; required on the first call.
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
        and normalised: scores rather than calibrated probabilities.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The inputs.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Rows summing to one.
        """
        A = self._forward(X)
        if A.shape[1] == 1:
            p = np.clip(A[:, 0], 0.0, 1.0)
            return np.column_stack([1.0 - p, p])
        if self.out_activation_ == "softmax":
            return A
        A = np.clip(A, 0.0, None)
        totals = A.sum(axis=1, keepdims=True)
        return np.divide(A, totals, out=np.full_like(A, 1.0 / A.shape[1]), where=totals > 0)

    def predict_log_proba(self, X: Any) -> np.ndarray:
        """The logarithm of :meth:`predict_proba`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The inputs.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
        """
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class of each sample.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The inputs.

        Returns
        -------
        y : ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        proba = self.predict_proba(X)
        return self.classes_[proba.argmax(axis=1)]

    # -- internals ----------------------------------------------------------------------------

    def _targets(
        self, y: Any, first: bool, incremental: bool, classes: Any
    ) -> tuple[np.ndarray, np.ndarray | None]:
        check_classification_targets(y)
        if incremental and first:
            if classes is None:
                raise ValueError("classes must be passed on the first call to partial_fit")
            self.classes_ = unique_labels(classes)
        elif incremental and classes is not None:
            if not np.array_equal(self.classes_, unique_labels(classes)):
                raise ValueError(
                    f"classes={unique_labels(classes).tolist()} is not the same as on the first "
                    f"call to partial_fit, which was {self.classes_.tolist()}"
                )
        elif first:
            self.classes_ = unique_labels(y)
        if len(self.classes_) < 2:
            raise ValueError(
                f"{type(self).__name__} needs samples of at least two classes; got 1 class: "
                f"{self.classes_.tolist()}"
            )
        codes = np.searchsorted(self.classes_, y)
        unknown = (codes >= len(self.classes_)) | (
            self.classes_[np.minimum(codes, len(self.classes_) - 1)] != y
        )
        if unknown.any():
            raise ValueError(
                f"y holds the label {_plain(y[np.argmax(unknown)])!r}, which is not among the "
                f"classes {self.classes_.tolist()} this estimator was first fitted with"
            )
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

    def _output_and_loss(self) -> tuple[str, str | None, int]:
        n_classes = len(self.classes_)
        output = _ALIASES.get(self.output, self.output) if self.output is not None else None
        if output is None:
            output = {"cross_entropy": "softmax", "binary_cross_entropy": "sigmoid"}.get(
                str(self.loss), "softmax" if n_classes > 2 else "sigmoid"
            )
        loss = self.loss
        if loss is None:
            loss = {"softmax": "cross_entropy", "sigmoid": "binary_cross_entropy"}.get(
                output, "half_squared_error"
            )
        n_outputs = 1 if n_classes == 2 and output != "softmax" else n_classes
        return output, loss, n_outputs

    def _validation_score(self, Y: np.ndarray, A: np.ndarray, weights: np.ndarray | None) -> float:
        if A.shape[1] == 1:
            right = (A[:, 0] > 0.5) == (Y[:, 0] == 1)
        else:
            right = A.argmax(axis=1) == Y.argmax(axis=1)
        return float(np.average(right, weights=weights))


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
        output = _ALIASES.get(self.output, self.output) if self.output is not None else None
        if output is None:
            output = {"cross_entropy": "softmax", "binary_cross_entropy": "sigmoid"}.get(
                str(self.loss), "identity"
            )
        return output, self.loss, self._n_targets

    def _validation_score(self, Y: np.ndarray, A: np.ndarray, weights: np.ndarray | None) -> float:
        return float(r2_score(Y, A, sample_weight=weights))


# -- helpers ------------------------------------------------------------------------------------


def _check_sample_weight(sample_weight: Any, n_samples: int) -> np.ndarray | None:
    if sample_weight is None:
        return None
    weights = check_array(
        sample_weight, ensure_2d=False, dtype=np.float64, input_name="sample_weight"
    )
    if weights.shape != (n_samples,):
        raise ValueError(
            f"sample_weight has shape {weights.shape}: expected one weight per sample, "
            f"shape ({n_samples},)"
        )
    if (weights < 0).any():
        raise ValueError(f"sample_weight holds {weights[weights < 0][0]!r}: weights must be >= 0")
    if not weights.sum() > 0:
        raise ValueError("sample_weight is zero for every sample: some weight must be positive")
    return weights


def _combine_weights(
    sample_weight: np.ndarray | None, class_weights: np.ndarray | None
) -> np.ndarray | None:
    """The product of the two, or None when every sample would weigh the same."""
    if sample_weight is None:
        weights = class_weights
    elif class_weights is None:
        weights = sample_weight
    else:
        weights = sample_weight * class_weights
    if weights is None or np.all(weights == weights[0]):
        return None  # equal weights are no weights: the network rescales them to average 1
    if not weights.sum() > 0:
        raise ValueError("sample_weight times class_weight is zero for every sample")
    return weights


def _plain(value: Any) -> Any:
    """A NumPy scalar as the Python value it holds (for messages: 7, not np.int64(7))."""
    return value.item() if isinstance(value, np.generic) else value


def _to_json(value: Any) -> Any:
    """``value`` in JSON's types; tuples and dicts (whose keys may be numbers) are tagged."""
    value = _plain(value)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, list):
        return [_to_json(v) for v in value]
    if isinstance(value, tuple):
        return {"tuple": [_to_json(v) for v in value]}
    if isinstance(value, dict):
        return {"dict": [[_to_json(k), _to_json(v)] for k, v in value.items()]}
    raise TypeError(f"{value!r} cannot be written as JSON")


def _from_json(value: Any) -> Any:
    """The inverse of :func:`_to_json`."""
    if isinstance(value, list):
        return [_from_json(v) for v in value]
    if isinstance(value, dict) and "tuple" in value:
        return tuple(_from_json(v) for v in value["tuple"])
    if isinstance(value, dict) and "dict" in value:
        return {_from_json(k): _from_json(v) for k, v in value["dict"]}
    return value


def _storable(name: str, array: np.ndarray) -> tuple[np.ndarray, bool]:
    """An array that a model file can hold without pickle, and whether it was of object dtype."""
    if array.dtype != object:
        return array, False
    converted = np.asarray(array.tolist())
    if converted.dtype == object:
        raise TypeError(f"{name} holds values of mixed types and cannot be saved: {array!r}")
    return converted, True
