"""Checks on the estimators' parameters and sample weights, made when training starts.

scikit-learn's convention: ``__init__`` and ``set_params`` only store what they are given (so
that ``clone`` and grid searches work with any value), and ``fit`` or ``partial_fit`` reports a
bad value before it trains, naming the parameter, the value and what was expected.
:data:`PARAMETER_CHECKS` holds the rule for every parameter; the general checks come from
:mod:`backprop.engine.validation`, those particular to these estimators are below.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Collection
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils import check_array
from sklearn.utils._param_validation import InvalidParameterError

from backprop.engine.activations import ACTIVATIONS
from backprop.engine.backend import BACKENDS
from backprop.engine.initializers import INITIALIZERS
from backprop.engine.losses import LOSSES
from backprop.engine.validation import (
    check_bool,
    check_choice,
    check_non_negative_float,
    check_positive_float,
    check_positive_int,
)

#: scikit-learn's name for the sigmoid, accepted so that MLPClassifier grids carry over.
ALIASES = {"logistic": "sigmoid"}
#: Every activation but softmax, whose outputs only make sense as the last layer's.
HIDDEN_ACTIVATIONS = sorted({*ACTIVATIONS, *ALIASES} - {"softmax"})

#: A parameter's check: called with the parameter's name and value, it raises when the value
#: cannot be trained with.
Check = Callable[[str, Any], object]


def check_params(estimator: BaseEstimator) -> None:
    """Raise for the first of ``estimator``'s parameters whose value it cannot train with.

    The error is scikit-learn's ``InvalidParameterError``, as ``MLPClassifier`` raises it: a
    ValueError and a TypeError at once, so that code catching either (or scikit-learn's own
    tests) sees what it expects.
    """
    for name, value in estimator.get_params(deep=False).items():
        # A subclass's own parameters are its own to check (as scikit-learn skips them too).
        check = PARAMETER_CHECKS.get(name)
        if check is not None:
            try:
                check(name, value)
            except (ValueError, TypeError) as error:
                raise InvalidParameterError(str(error)) from None


def one_of(*choices: str, optional: bool = False) -> Check:
    """The check that a value names one of ``choices`` (or is None, when ``optional``)."""

    def check(argument: str, value: Any) -> None:
        if not (optional and value is None):
            check_choice(argument, value, choices)

    return check


def check_hidden_layer_sizes(argument: str, value: Any) -> None:
    """One positive integer, or a sequence of them (empty: no hidden layer)."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        if value < 1:
            raise ValueError(f"{argument}={value!r}: a layer size must be a positive integer")
        return
    if isinstance(value, (str, bytes)) or not isinstance(value, Collection):
        raise TypeError(
            f"{argument} must be an integer or a sequence of integers such as (100,) or "
            f"(64, 32), got {value!r}"
        )
    for i, size in enumerate(value):
        if isinstance(size, bool) or not isinstance(size, numbers.Integral) or size < 1:
            raise ValueError(
                f"{argument}[{i}]={size!r} in {argument}={value!r}: every layer size must be a "
                "positive integer"
            )


def check_activation(argument: str, value: Any) -> None:
    """The name of a hidden layers' activation, or a list or tuple of them, one per layer."""
    if isinstance(value, str):
        check_choice(argument, value, HIDDEN_ACTIVATIONS)
        return
    if not isinstance(value, (list, tuple)):
        raise TypeError(
            f"{argument} must be an activation's name or a list of names (one per hidden "
            f"layer), got {value!r}"
        )
    for i, name in enumerate(value):
        check_choice(f"{argument}[{i}]", name, HIDDEN_ACTIVATIONS)


def check_batch_size(argument: str, value: Any) -> None:
    """ "auto", None (the full batch) or a positive integer."""
    if value is None or (isinstance(value, str) and value == "auto"):
        return
    message = f"{argument} must be 'auto', None or an integer >= 1, got {value!r}"
    if isinstance(value, str):
        raise ValueError(message)
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(message)
    if value < 1:
        raise ValueError(message)


def check_seed(argument: str, value: Any) -> None:
    """What :func:`sklearn.utils.check_random_state` takes: None, a seed or a RandomState."""
    if value is None or isinstance(value, np.random.RandomState):
        return
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"{argument} must be None, an integer or a numpy.random.RandomState, got {value!r}"
        )
    if not 0 <= int(value) <= 2**32 - 1:  # the seeds a RandomState takes
        raise ValueError(f"{argument} must be an integer from 0 to 2**32 - 1, got {value!r}")


def check_verbose(argument: str, value: Any) -> None:
    """True, False or an integer >= 0."""
    if isinstance(value, (bool, np.bool_)):
        return
    if not isinstance(value, numbers.Integral):
        raise TypeError(f"{argument} must be a bool or an integer >= 0, got {value!r}")
    if value < 0:
        raise ValueError(f"{argument} must be a bool or an integer >= 0, got {value!r}")


def check_decay_rate(argument: str, value: Any) -> None:
    """A number in [0, 1): the weight a running average (momentum, Adam's moments) keeps."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{argument} must be a number in [0, 1), got {value!r}")
    if not 0 <= float(value) < 1:
        raise ValueError(f"{argument} must be a number in [0, 1), got {value!r}")


def check_momentum(argument: str, value: Any) -> None:
    """A number in [0, 1], as scikit-learn allows (1: a velocity that never decays)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{argument} must be a number in [0, 1], got {value!r}")
    if not 0 <= float(value) <= 1:
        raise ValueError(f"{argument} must be a number in [0, 1], got {value!r}")


def check_fraction(argument: str, value: Any) -> None:
    """A number in [0, 1): the share of the data held out (as scikit-learn allows 0; a split
    that leaves nothing on one side is refused when it is made)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{argument} must be a number in [0, 1), got {value!r}")
    if not 0 <= float(value) < 1:
        raise ValueError(f"{argument} must be a number in [0, 1), got {value!r}")


def check_patience(argument: str, value: Any) -> None:
    """A positive number of epochs, or np.inf (never stop early)."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool) and value == np.inf:
        return
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{argument} must be an integer >= 1 or np.inf, got {value!r}")
    if value < 1:
        raise ValueError(f"{argument} must be an integer >= 1 or np.inf, got {value!r}")


def check_class_weight(argument: str, value: Any) -> None:
    """A dict ``{label: weight}``, "balanced" or None."""
    if value is None or isinstance(value, dict):
        return
    message = f"{argument} must be a dict {{label: weight}}, 'balanced' or None, got {value!r}"
    if not isinstance(value, str):
        raise TypeError(message)
    if value != "balanced":
        raise ValueError(message)


def check_device(argument: str, value: Any) -> None:
    """A device's name ("cpu", "cuda", "cuda:1") or None; whether it is there is asked of
    the backend when fitting."""
    if value is not None and not isinstance(value, str):
        raise TypeError(f"{argument} must be a device name such as 'cpu' or 'cuda', got {value!r}")


def check_callbacks(argument: str, value: Any) -> None:
    """A list or tuple of callbacks, or None."""
    if value is not None and not isinstance(value, (list, tuple)):
        raise TypeError(f"{argument} must be a list of backprop.Callback or None, got {value!r}")


#: The rule for each parameter of the estimators (``class_weight`` is the classifier's only).
PARAMETER_CHECKS: dict[str, Check] = {
    "hidden_layer_sizes": check_hidden_layer_sizes,
    "activation": check_activation,
    # "momentum" is this package's older name for "sgd" (kept so that saved estimators load).
    "solver": one_of("adam", "sgd", "lbfgs", "momentum"),
    "alpha": check_non_negative_float,
    "batch_size": check_batch_size,
    "learning_rate": one_of("constant", "invscaling", "adaptive"),
    "learning_rate_init": check_positive_float,
    "power_t": check_non_negative_float,
    "max_iter": check_positive_int,
    "shuffle": check_bool,
    "random_state": check_seed,
    "tol": check_non_negative_float,
    "verbose": check_verbose,
    "warm_start": check_bool,
    "momentum": check_momentum,
    "nesterovs_momentum": check_bool,
    "early_stopping": check_bool,
    "validation_fraction": check_fraction,
    "n_iter_no_change": check_patience,
    "beta_1": check_decay_rate,
    "beta_2": check_decay_rate,
    "epsilon": check_positive_float,
    "max_fun": check_positive_int,
    "loss": one_of(*LOSSES, optional=True),
    "output": one_of(*ACTIVATIONS, *ALIASES, optional=True),
    "init": one_of(*INITIALIZERS),
    "class_weight": check_class_weight,
    "callbacks": check_callbacks,
    "dtype": one_of("float64", "float32", optional=True),
    "backend": one_of(*BACKENDS),
    "device": check_device,
}


def check_sample_weight(sample_weight: Any, n_samples: int) -> np.ndarray | None:
    """``fit``'s sample weights as a 1-D float array, or None when none were given.

    Unlike the network's own check, the weights keep their scale here: they are multiplied by
    the class weights first, and ``alpha`` is relative to their mean.
    """
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


def plain(value: Any) -> Any:
    """A NumPy scalar as the Python value it holds (7, not np.int64(7)): for messages, and for
    JSON, which knows only Python's types."""
    return value.item() if isinstance(value, np.generic) else value
