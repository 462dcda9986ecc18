"""What the classifier and the regressor share: their parameters, the training, model files.

A subclass says what differs (:meth:`_BaseBackprop._targets`, ``_output_and_loss``,
``_validation_score`` and ``_strata``); ``fit`` and ``partial_fit`` of both come down to
:meth:`_BaseBackprop._fit`, which builds (or continues) a :class:`backprop.Network` and trains
it with ``Network.fit``, scikit-learn's stopping rule riding along as a callback.
"""

from __future__ import annotations

import numbers
import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from backprop.engine.network import Network
from backprop.sklearn.monitor import _Monitor
from backprop.sklearn.persistence import load_estimator, save_estimator
from backprop.sklearn.validation import ALIASES, check_params, check_sample_weight
from backprop.training.callbacks import Callback
from backprop.training.history import History
from backprop.training.optimizers import SGD, Adam, Momentum, Optimizer

_Estimator = TypeVar("_Estimator", bound="_BaseBackprop")


class _BaseBackprop(BaseEstimator):
    """What the classifier and the regressor share: parameters, the training loop, model files."""

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

    def _strata(self, Y: np.ndarray) -> np.ndarray | None:
        """What the held-out set is stratified by (each sample's class), or None."""
        return None

    # -- training -------------------------------------------------------------------------------

    def _fit(
        self,
        X: Any,
        y: Any,
        sample_weight: Any,
        incremental: bool,
        classes: Any = None,
    ) -> _BaseBackprop:
        check_params(self)
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
        weights = _combine_weights(check_sample_weight(sample_weight, len(X)), class_weights)

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

    def _given_output(self) -> str | None:
        """The ``output`` parameter under the network's name for it, or None when not given."""
        return None if self.output is None else ALIASES.get(self.output, self.output)

    def _hidden_layers(self) -> tuple[list[int], list[str]]:
        """The hidden layers' sizes and activations (checked by ``check_params``), as lists."""
        raw: Any = self.hidden_layer_sizes
        hidden = [int(raw)] if isinstance(raw, numbers.Integral) else [int(s) for s in raw]
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
        return hidden, [ALIASES.get(name, name) for name in activations]

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
        """Hold out ``validation_fraction`` of the data (stratified by ``_strata``)."""
        arrays = [X, Y] if weights is None else [X, Y, weights]
        seed = rng.randint(np.iinfo(np.int32).max)
        parts = None
        strata = self._strata(Y)
        if strata is not None:
            try:
                parts = train_test_split(
                    *arrays, test_size=self.validation_fraction, random_state=seed, stratify=strata
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
        return save_estimator(self, path)

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
        return load_estimator(cls, path)

    # -- prediction helpers ---------------------------------------------------------------------

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "network_")

    def _forward(self, X: Any) -> np.ndarray:
        """The network's outputs for X, checked as scikit-learn checks inputs to ``predict``."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=(np.float64, np.float32))
        return self.network_.predict(X)


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
