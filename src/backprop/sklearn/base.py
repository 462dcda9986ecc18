"""What the classifier and the regressor share: their parameters, the training, model files.

A subclass says what differs (:meth:`_BaseBackprop._targets`, ``_output_and_loss``,
``_validation_score`` and ``_strata``); ``fit`` and ``partial_fit`` of both come down to
:meth:`_BaseBackprop._fit`, which builds (or continues) a :class:`backprop.Network` and trains
it: with ``Network.fit`` for the stochastic solvers, scikit-learn's stopping rule and learning
rate schedules riding along as a callback, or with full-batch L-BFGS (``solver="lbfgs"``).
"""

from __future__ import annotations

import numbers
import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import scipy.sparse
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.validation import check_is_fitted, validate_data

from backprop.engine.backend import NUMPY, get_backend, to_numpy
from backprop.engine.network import CHUNK, Network
from backprop.sklearn.monitor import _Monitor
from backprop.sklearn.persistence import load_estimator, save_estimator
from backprop.sklearn.tasks import WRAPPER_FRAMES, CallbackSupportMixin, FitTasks
from backprop.sklearn.validation import ALIASES, check_params, check_sample_weight
from backprop.training.batches import checked_data, dense_rows
from backprop.training.callbacks import Callback
from backprop.training.dropout import check_dropout
from backprop.training.history import History
from backprop.training.lbfgs import fit_lbfgs
from backprop.training.loop import DivergenceError
from backprop.training.optimizers import SGD, Adam, Momentum, Optimizer

_Estimator = TypeVar("_Estimator", bound="_BaseBackprop")

#: Inputs larger than this (in absolute value) are called out as the likely cause when the
#: weights overflow: a network's net inputs grow with them, and no learning rate is small enough.
LARGE_INPUT = 1e4


class _LayerArrays(list[np.ndarray]):
    """The layers' weight (or bias) arrays, as ``coefs_`` and ``intercepts_`` give them.

    Each entry is the network's own array, so writing into it (``coefs_[0][0, 0] = 1``)
    changes the network; assigning an entry (``coefs_[0] = W``) copies W into that array, and
    so does assigning the whole list (``est.coefs_ = other.coefs_``), layer by layer.
    """

    def __init__(self, name: str, arrays: Any) -> None:
        super().__init__(arrays)
        self.name = name

    def __setitem__(self, index: Any, value: Any) -> None:
        if isinstance(index, slice):
            raise TypeError(f"assign each layer's array separately: {self.name}[i] = array")
        target = self[index]
        given = np.asarray(value)
        if given.shape != target.shape:
            raise ValueError(
                f"{self.name}[{index}] has shape {target.shape} (the network's layer), got an "
                f"array of shape {given.shape}"
            )
        target[...] = given

    def assign(self, arrays: Any) -> None:
        """Copy one array per layer into the network's arrays."""
        arrays = list(arrays)
        if len(arrays) != len(self):
            raise ValueError(
                f"{self.name} holds one array per layer, {len(self)} here, got {len(arrays)}"
            )
        for index, value in enumerate(arrays):
            self[index] = value


class _BaseBackprop(CallbackSupportMixin, BaseEstimator):
    """What the classifier and the regressor share: parameters, the training loop, model files."""

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
        callbacks: Sequence[Callback] | None = None,
        dtype: str | None = None,
        backend: str = "numpy",
        device: str | None = None,
    ) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
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
        self.max_fun = max_fun
        self.loss = loss
        self.output = output
        self.init = init
        self.dropout = dropout
        self.callbacks = callbacks
        self.dtype = dtype
        self.backend = backend
        self.device = device

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

    def _reported_loss(self, loss: float, penalty: float = 0.0) -> float:
        """The network's mean ``loss`` (which includes an L2 ``penalty``, if given) as ``loss_``
        and the curves report it: scikit-learn's value, which for some losses is on another
        scale than the loss the network trains on (see ``BackpropRegressor``)."""
        return loss

    # -- scikit-learn's fitted attributes -------------------------------------------------------

    @property
    def coefs_(self) -> _LayerArrays:
        """The weight matrix of each layer, shape (n_in, n_out): the network's own arrays."""
        return _LayerArrays("coefs_", (layer.weights for layer in self.network_.layers))

    @coefs_.setter
    def coefs_(self, arrays: Any) -> None:
        self._fitted_for("coefs_").coefs_.assign(arrays)

    @property
    def intercepts_(self) -> _LayerArrays:
        """The bias vector of each layer: the network's own arrays."""
        # (The estimators' networks always have biases.)
        biases = (layer.bias for layer in self.network_.layers if layer.bias is not None)
        return _LayerArrays("intercepts_", biases)

    @intercepts_.setter
    def intercepts_(self, arrays: Any) -> None:
        self._fitted_for("intercepts_").intercepts_.assign(arrays)

    def _fitted_for(self, attribute: str) -> _BaseBackprop:
        """The estimator, once fitted: only then has it a network whose arrays ``attribute``
        can be copied into."""
        if not hasattr(self, "network_"):
            raise AttributeError(
                f"{attribute} can be assigned once the estimator is fitted (its network holds "
                "the arrays): call fit, or partial_fit, first"
            )
        return self

    @property
    def n_layers_(self) -> int:
        """Layers, input and output layers included: ``len(hidden_layer_sizes) + 2``."""
        return len(self.network_.sizes)

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
        try:
            check_dropout(self.dropout, len(hidden))
        except ValueError as error:
            raise InvalidParameterError(str(error)) from None
        if self.solver == "lbfgs" and self.backend != "numpy":
            raise InvalidParameterError(
                f"backend={self.backend!r} needs a stochastic solver ('adam' or 'sgd'): "
                "solver='lbfgs' is SciPy's L-BFGS, which runs in NumPy (backend='numpy')"
            )
        get_backend(self.backend, self.device)  # one clear error when it is not here
        if self.solver == "lbfgs" and np.any(self.dropout):
            raise InvalidParameterError(
                f"dropout={self.dropout!r} needs a stochastic solver ('adam' or 'sgd'): "
                "L-BFGS follows one loss, not a new thinned network at every step"
            )
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
            accept_sparse=["csr", "csc"],
            dtype=(np.float64, np.float32),
            multi_output=True,
            y_numeric=isinstance(self, RegressorMixin),
        )
        if scipy.sparse.issparse(X):
            X = X.tocsr()  # rows are taken out of it batch by batch
        Y, class_weights = self._targets(y, first, incremental, classes)
        weights, mean_weight = _combine_weights(
            check_sample_weight(sample_weight, X.shape[0]), class_weights
        )

        output, loss, n_outputs = self._output_and_loss()
        sizes = [X.shape[1], *hidden, n_outputs]
        rng = check_random_state(self.random_state)
        if first:
            seed = int(rng.randint(np.iinfo(np.int32).max))
            self.network_ = Network(
                sizes,
                activation=activations,
                output=output,
                loss=loss,
                init=self.init,
                seed=seed,
                # The parameters follow the input's precision unless dtype says otherwise.
                dtype=self.dtype if self.dtype is not None else X.dtype.name,
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
            self._no_improvement_count = 0
        else:
            self._check_same_architecture(sizes, activations, output, loss)
            self._update_optimizer()
        if not incremental:
            self.n_iter_ = 0

        tasks = FitTasks(self, X, y, max_subtasks=1 if incremental else self.max_iter)
        if self.solver == "lbfgs":
            self._fit_lbfgs(X, Y, weights, mean_weight, tasks)
        else:
            self._fit_stochastic(X, Y, weights, mean_weight, rng, incremental, tasks)
        tasks.end()
        return self

    def _fit_stochastic(
        self,
        X: Any,
        Y: np.ndarray,
        weights: np.ndarray | None,
        mean_weight: float,
        rng: np.random.RandomState,
        incremental: bool,
        tasks: FitTasks,
    ) -> None:
        """Epochs of mini-batch steps (adam or sgd), with scikit-learn's stopping rule.

        ``mean_weight`` is the samples' mean weight (see ``_combine_weights``)."""
        validation = None
        if self.early_stopping:
            X, Y, weights, validation = self._split_validation(X, Y, weights, rng)
            self.validation_scores_ = self.validation_scores_ or []
            self.validation_loss_curve_ = self.validation_loss_curve_ or []
            self.best_loss_ = None
        elif self.best_loss_ is None:
            self.best_loss_ = np.inf

        n = X.shape[0]
        if self.batch_size is None:
            batch = n
        elif self.batch_size == "auto":
            batch = min(200, n)
        else:
            batch = min(int(self.batch_size), n)
        # alpha weighs against the summed loss of a batch, samples counted by their weight
        # (as in MLPClassifier); the network's weight decay is relative to the mean loss.
        if weights is not None:  # those of the training part, with early stopping
            mean_weight = float(weights.mean())
        weight_decay = self.alpha / (batch * mean_weight)
        monitor = _Monitor(self, n, weight_decay, validation, incremental, tasks)
        assert self._optimizer is not None  # every stochastic solver has one
        # A partial_fit is the next epoch of one training, so that a schedule among the
        # callbacks goes on from the epochs before it; each fit is a training of its own.
        done = self.n_iter_ if incremental else 0
        # Trained on the backend's device; kept in NumPy between fits (coefs_, predict, pickle).
        self.network_.to(self.backend, self.device)
        if scipy.sparse.issparse(X) and self.backend != "numpy":
            X = X.toarray()  # the device takes dense arrays (NumPy densifies a chunk at a time)
        try:
            history: History = self.network_.fit(
                X,
                Y,
                epochs=done + 1 if incremental else self.max_iter,
                initial_epoch=done,
                batch_size=batch,
                optimizer=self._optimizer,
                shuffle=self.shuffle,
                weight_decay=weight_decay,
                callbacks=[monitor, *(self.callbacks or ())],
                sample_weight=weights,
                verbose=1 if self.verbose else 0,
                dropout=self.dropout,
            )
        except DivergenceError as diverged:
            if monitor.best_parameters is None:  # no good epoch to go back to
                raise ValueError(self._non_finite_message(X)) from diverged
            # As MLPClassifier does with early stopping: the epoch that diverged scores NaN,
            # and the network keeps the weights of its best epoch.
            monitor.diverged()
            history = diverged.history
        finally:
            self.network_.to("numpy")
            self._optimizer.move_to(NUMPY)
        if monitor.best_parameters is not None:
            for parameter, best in zip(
                self.network_.parameters, monitor.best_parameters, strict=True
            ):
                parameter[...] = to_numpy(best)
        if history.interrupted:
            warnings.warn(
                "Training interrupted by user.", UserWarning, stacklevel=4 + WRAPPER_FRAMES
            )
        elif (
            not incremental
            and not monitor.converged
            and not monitor.stopped
            and monitor.epochs == self.max_iter
        ):
            warnings.warn(
                f"{type(self).__name__}: the maximum number of iterations (max_iter="
                f"{self.max_iter}) was reached and the optimization hasn't converged yet.",
                ConvergenceWarning,
                stacklevel=4 + WRAPPER_FRAMES,
            )

    def _fit_lbfgs(
        self,
        X: Any,
        Y: np.ndarray,
        weights: np.ndarray | None,
        mean_weight: float,
        tasks: FitTasks,
    ) -> None:
        """Full-batch L-BFGS on the mean loss plus the L2 penalty, as MLPClassifier's lbfgs."""
        net = self.network_
        X, Y = checked_data(self.network_, X, Y)
        n = X.shape[0]
        # sklearn's penalty: alpha / 2 * sum(W**2) over the samples' summed weight.
        normalised = None if weights is None else (weights / mean_weight).astype(net.dtype)

        def each_iteration(iteration: int, objective: float, penalty: float) -> None:
            loss = self._reported_loss(objective, penalty)
            self.loss_curve_.append(loss)
            if self.verbose:
                print(f"Iteration {self.n_iter_ + iteration}, loss = {loss:.8f}")
            tasks.subtask_done("lbfgs-iteration")

        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            result = fit_lbfgs(
                net,
                X,
                Y,
                max_iter=self.max_iter,
                max_fun=self.max_fun,
                tol=self.tol,
                weight_decay=self.alpha / (n * mean_weight),
                sample_weight=normalised,
                callback=each_iteration,
            )
        self.n_iter_ = result.n_iter
        self.loss_ = self._reported_loss(result.loss, result.penalty)
        self.best_loss_ = min(self.loss_curve_, default=self.loss_)
        if not np.isfinite(net.parameter_vector).all():
            raise ValueError(self._non_finite_message(X))
        if not result.converged:
            warnings.warn(
                f"lbfgs failed to converge after {result.n_iter} iteration(s) "
                f"({result.message}). Increase the number of iterations (max_iter="
                f"{self.max_iter}) or of loss evaluations (max_fun={self.max_fun}), or scale "
                "the data.",
                ConvergenceWarning,
                stacklevel=4 + WRAPPER_FRAMES,
            )

    def _non_finite_message(self, X: Any) -> str:
        """Why the weights became infinite or NaN: the data's scale, or the learning rate."""
        data = X.data if scipy.sparse.issparse(X) else X
        largest = float(np.max(np.abs(data), initial=0.0)) if data.size else 0.0
        message = (
            "Solver produced non-finite parameter weights. The input data may contain large "
            "values and need to be preprocessed."
        )
        if not np.isfinite(largest) or largest > LARGE_INPUT:
            return (
                f"{message} X holds values as large as {largest:.3g} in absolute value: "
                "scale the features (e.g. with sklearn.preprocessing.StandardScaler in a "
                "Pipeline) before fitting."
            )
        if self.solver == "lbfgs":
            return f"{message} X's values are at most {largest:.3g}: check the targets' scale."
        return (
            f"{message} X's values are at most {largest:.3g}: the training diverged, try a "
            f"lower learning_rate_init (now {self.learning_rate_init})."
        )

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

    def _new_optimizer(self) -> Optimizer | None:
        """The optimizer of the solver (None for lbfgs, which keeps no state between fits)."""
        lr = float(self.learning_rate_init)
        if self.solver == "lbfgs":
            return None
        if self.solver == "adam":
            return Adam(lr=lr, beta1=self.beta_1, beta2=self.beta_2, eps=self.epsilon)
        # "sgd" (and "momentum", its older name here): scikit-learn's SGD, whose momentum=0
        # is plain gradient descent.
        if self.momentum == 0:
            return SGD(lr=lr)
        return Momentum(lr=lr, momentum=self.momentum, nesterov=self.nesterovs_momentum)

    def _update_optimizer(self) -> None:
        """Keep the optimizer's state across warm starts, with the current settings."""
        fresh = self._new_optimizer()
        if fresh is None or type(fresh) is not type(self._optimizer):
            self._optimizer = fresh
            return
        for key, value in vars(fresh).items():
            # The learning rate a schedule has reached carries on, as in MLPClassifier.
            if not key.startswith("_") and not (key == "lr" and self._scheduled()):
                setattr(self._optimizer, key, value)

    def _check_stochastic(self) -> bool:
        """``partial_fit`` exists for the stochastic solvers only (as in scikit-learn's MLP)."""
        if self.solver == "lbfgs":
            raise AttributeError(
                "partial_fit is only available for stochastic optimizers (solver='adam' or "
                "'sgd'); lbfgs is not stochastic"
            )
        return True

    def _scheduled(self) -> bool:
        """Whether the learning rate follows a schedule (invscaling or adaptive, sgd only)."""
        return self.solver in ("sgd", "momentum") and self.learning_rate != "constant"

    def _check_same_architecture(
        self, sizes: list[int], activations: list[str], output: str, loss: str | None
    ) -> None:
        net = self.network_
        names = [layer.activation.name for layer in net.layers]
        if (
            net.sizes != sizes
            or names != [*activations, output]
            or (self.loss is not None and net.loss.name != loss)
        ):
            raise ValueError(
                f"warm_start=True or partial_fit continues the fitted network {net!r}, but the "
                f"parameters now describe sizes={sizes}, activations={[*activations, output]}, "
                f"loss={loss!r}: set warm_start=False (or call fit) to train a new network"
            )

    def _split_validation(
        self,
        X: Any,
        Y: np.ndarray,
        weights: np.ndarray | None,
        rng: np.random.RandomState,
    ) -> tuple[Any, np.ndarray, np.ndarray | None, tuple[Any, ...]]:
        """Hold out ``validation_fraction`` of the data, stratified by ``_strata``.

        A class of a binary classifier too rare to be in both parts raises scikit-learn's
        error, as MLPClassifier's early stopping does, rather than giving a held-out set
        without it.
        """
        if not self.validation_fraction:
            raise ValueError(
                "validation_fraction=0.0 holds nothing out, and early_stopping=True watches "
                "the score of what it holds out: give validation_fraction > 0 (0.1 by default)"
            )
        arrays = [X, Y] if weights is None else [X, Y, weights]
        seed = rng.randint(np.iinfo(np.int32).max)
        parts = train_test_split(
            *arrays,
            test_size=self.validation_fraction,
            random_state=seed,
            stratify=self._strata(Y),
        )
        train, held_out = parts[0::2], parts[1::2]
        if held_out[0].shape[0] < 2:
            raise ValueError(
                f"The validation set is too small ({held_out[0].shape[0]} sample) for "
                f"early_stopping: increase validation_fraction={self.validation_fraction} or "
                "give more data"
            )
        X_val, Y_val = checked_data(self.network_, held_out[0], held_out[1])
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
        X = validate_data(
            self, X, reset=False, accept_sparse=["csr", "csc"], dtype=(np.float64, np.float32)
        )
        if not scipy.sparse.issparse(X):
            return self.network_.predict(X)
        # A sparse X is made dense a chunk of rows at a time.
        X = X.tocsr()
        return np.concatenate(
            [
                self.network_.predict(dense_rows(X, slice(start, start + CHUNK)))
                for start in range(0, max(X.shape[0], 1), CHUNK)
            ]
        )


def _combine_weights(
    sample_weight: np.ndarray | None, class_weights: np.ndarray | None
) -> tuple[np.ndarray | None, float]:
    """The product of the two (None when every sample would weigh the same), and its mean.

    Equal weights are no weights to the network, which rescales them to average 1; but their
    size still counts against ``alpha``, which is relative to the samples' summed weight.
    """
    if sample_weight is None:
        weights = class_weights
    elif class_weights is None:
        weights = sample_weight
    else:
        weights = sample_weight * class_weights
    if weights is None:
        return None, 1.0
    if not weights.sum() > 0:
        raise ValueError("sample_weight times class_weight is zero for every sample")
    if np.all(weights == weights[0]):
        return None, float(weights[0])
    return weights, float(weights.mean())
