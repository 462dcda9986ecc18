"""Checks on user input that fail early with a message naming the argument, value and expectation.

Every public entry point validates here once, so the math below it can assume clean arrays and
no NumPy traceback from deep inside the library ever reaches a user.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from typing import Any

import numpy as np

from backprop.engine.arrays import all_finite, ones
from backprop.engine.backend import Backend, check_has_values, namespace, numpy_dtype, to_numpy


def check_choice(argument: str, value: Any, choices: Iterable[str]) -> str:
    """``value`` if it is one of ``choices``, else a ValueError listing them."""
    valid = list(choices)
    if not isinstance(value, str) or value not in valid:
        raise ValueError(
            f"{argument}={value!r} is not supported: expected one of {', '.join(valid)}"
        )
    return value


def check_positive_int(argument: str, value: Any) -> int:
    """``value`` as an int if it is an integer >= 1."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{argument} must be an integer >= 1, got {value!r}")
    if int(value) < 1:
        raise ValueError(f"{argument} must be an integer >= 1, got {value!r}")
    return int(value)


def check_positive_float(argument: str, value: Any) -> float:
    """``value`` as a float if it is a positive finite number (a learning rate, say)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{argument} must be a positive finite number, got {value!r}")
    if not (math.isfinite(value) and float(value) > 0):
        raise ValueError(f"{argument} must be a positive finite number, got {value!r}")
    return float(value)


def check_non_negative_float(argument: str, value: Any) -> float:
    """``value`` as a float if it is a finite number >= 0 (a weight decay, say)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{argument} must be a finite number >= 0, got {value!r}")
    if not (math.isfinite(value) and float(value) >= 0):
        raise ValueError(f"{argument} must be a finite number >= 0, got {value!r}")
    return float(value)


def check_bool(argument: str, value: Any) -> bool:
    """``value`` as a bool if it is True or False (NumPy's bools too), not merely truthy."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{argument} must be True or False, got {value!r}")
    return bool(value)


def check_sizes(sizes: Any) -> list[int]:
    """The layer sizes as a list of ints: at least two, each a positive integer."""
    if isinstance(sizes, (str, bytes)) or not isinstance(sizes, Iterable):
        raise TypeError(f"sizes must be a list of layer sizes such as [2, 2, 1], got {sizes!r}")
    sizes = list(sizes)
    if len(sizes) < 2:
        raise ValueError(
            f"sizes must have at least two entries (input and output layer), got {sizes!r}"
        )
    for i, n in enumerate(sizes):
        if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
            raise ValueError(
                f"sizes[{i}]={n!r} in sizes={sizes!r}: every layer size must be a positive integer"
            )
    return [int(n) for n in sizes]


def as_float_array(argument: str, value: Any, dtype: np.dtype) -> np.ndarray:
    """``value`` as a non-empty finite float array of ``dtype``, or a clear error."""
    if hasattr(value, "to_numpy") and hasattr(value, "dtypes"):  # a pandas frame or series
        try:  # nullable columns (Float64, Int64) make an object array for np.asarray
            value = value.to_numpy(dtype=np.float64, na_value=np.nan)
        except (TypeError, ValueError):  # text columns: the check below names them
            value = value.to_numpy()
    try:
        array = np.asarray(value)
    except ValueError as error:  # ragged nested lists
        raise ValueError(f"{argument} must be a rectangular array of numbers: {error}") from None
    if array.dtype.kind not in "biuf":
        raise TypeError(
            f"{argument} must hold numbers, got an array of dtype {array.dtype} "
            f"(first value {array.flat[0]!r})"
            if array.size
            else f"{argument} must hold numbers, got an empty array of dtype {array.dtype}"
        )
    if array.ndim == 0:
        raise ValueError(f"{argument} must be an array, got the single number {value!r:.40}")
    if array.size == 0 or array.shape[0] == 0:
        raise ValueError(f"{argument} is empty (shape {array.shape}): expected at least one sample")
    array = array.astype(dtype, copy=False)
    if not _all_finite(array):
        position = tuple(int(i) for i in np.argwhere(~np.isfinite(array))[0])
        raise ValueError(
            f"{argument} contains {array[position]} at index {position}: "
            "expected finite numbers (no NaN or infinity)"
        )
    return array


def _all_finite(array: np.ndarray) -> bool:
    """Whether every entry of a float array is finite.

    First from its row sums, one BLAS pass (scikit-learn checks a sum the same way): an inf
    or a NaN anywhere makes them non-finite. Only then (or when huge finite values overflowed
    a sum) is each entry checked, in slices: a mask of a whole large data set would double
    its memory.
    """
    if array.flags.c_contiguous or array.flags.f_contiguous:  # reshaped and multiplied in place
        rows = array.reshape(len(array), -1)
        with np.errstate(over="ignore", invalid="ignore"):
            if all_finite(np.dot(rows, ones(rows.shape[1], rows.dtype))):
                return True
    return all(np.isfinite(array[i : i + 4096]).all() for i in range(0, len(array), 4096))


def check_X(X: Any, n_inputs: int, dtype: np.dtype) -> np.ndarray:
    """Inputs as an (n_samples, n_inputs) array; one sample may be given as a 1-D row."""
    if hasattr(X, "tocsr") and hasattr(X, "nnz"):  # a SciPy sparse matrix or array
        raise TypeError(
            f"X is a sparse matrix of shape {X.shape}: fit and the scikit-learn estimators "
            "take it as it is, but here X must be dense (X.toarray())"
        )
    return _as_rows(as_float_array("X", X, dtype), n_inputs)


def check_foreign_X(X: Any, n_inputs: int, dtype: np.dtype, backend: Backend) -> Any:
    """``check_X`` for an array of another library than NumPy (a PyTorch tensor, say),
    checked where it lives and moved to ``backend`` once: read back to the host only to
    report a NaN or an infinity."""
    check_has_values(X, "X")
    xp = namespace(X)
    if not xp.isdtype(X.dtype, ("bool", "integral", "real floating")):
        raise TypeError(f"X must hold numbers, got an array of dtype {X.dtype}")
    shape = tuple(X.shape)
    if not shape:
        raise ValueError(f"X must be an array, got a 0-d array (a single number) {X!r:.40}")
    if math.prod(shape) == 0 or shape[0] == 0:
        raise ValueError(f"X is empty (shape {shape}): expected at least one sample")
    X = _as_rows(backend.asarray(X, dtype), n_inputs)
    on_device = namespace(X)
    if not bool(on_device.all(on_device.isfinite(X))):
        as_float_array("X", to_numpy(X), numpy_dtype(dtype))  # says where
    return X


def _as_rows(X: Any, n_inputs: int) -> Any:
    """A 2-D array of inputs with ``n_inputs`` columns (one 1-D sample made a row)."""
    if X.ndim == 1:
        X = namespace(X).reshape(X, (1, -1))
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D (n_samples, {n_inputs}), got shape {tuple(X.shape)}")
    if X.shape[1] != n_inputs:
        raise ValueError(
            f"X has {X.shape[1]} columns but the network's input layer has {n_inputs} "
            f"neurons (sizes[0]={n_inputs}): expected shape (n_samples, {n_inputs})"
        )
    return X


def check_Y(Y: Any, n_samples: int, n_outputs: int, dtype: np.dtype) -> np.ndarray:
    """Targets as an (n_samples, n_outputs) array.

    A 1-D ``Y`` is a column of targets for a single output neuron, or, for several outputs,
    integer class labels 0..n_outputs-1 that are one-hot encoded here.
    """
    Y = as_float_array("Y", Y, np.dtype(np.float64))
    if Y.shape[0] != n_samples:
        raise ValueError(
            f"X has {n_samples} rows but Y has {Y.shape[0]}: expected one target per sample"
        )
    if Y.ndim == 1 and n_outputs == 1:
        Y = Y.reshape(-1, 1)
    elif Y.ndim == 1:
        Y = one_hot(Y, n_outputs)
    if Y.ndim != 2 or Y.shape[1] != n_outputs:
        raise ValueError(
            f"Y has shape {Y.shape} but the network's output layer has {n_outputs} neurons "
            f"(sizes[-1]={n_outputs}): expected shape ({n_samples}, {n_outputs}) "
            "or 1-D class labels"
        )
    return Y.astype(dtype, copy=False)


def one_hot(labels: np.ndarray, n_classes: int) -> np.ndarray:
    """Rows of zeros with a one in each label's column; labels must be integers 0..n_classes-1."""
    bad = (labels != np.round(labels)) | (labels < 0) | (labels >= n_classes)
    if bad.any():
        label = labels[np.argmax(bad)]
        raise ValueError(
            f"Y holds the class label {label:g} but the output layer has {n_classes} neurons: "
            f"1-D Y must hold integer class labels from 0 to {n_classes - 1}"
        )
    encoded = np.zeros((labels.shape[0], n_classes))
    encoded[np.arange(labels.shape[0]), labels.astype(np.intp)] = 1.0
    return encoded


def check_sample_weight(weights: Any, n_samples: int, dtype: np.dtype) -> np.ndarray | None:
    """Per-sample weights as a 1-D array, or None when none were given.

    They are rescaled to average 1, so that weighting changes the balance between samples
    and not the effective learning rate.
    """
    if weights is None:
        return None
    weights = as_float_array("sample_weight", weights, dtype)
    if weights.shape != (n_samples,):
        raise ValueError(
            f"sample_weight has shape {weights.shape}: expected one weight per sample, "
            f"shape ({n_samples},)"
        )
    if (weights < 0).any() or not weights.any():
        raise ValueError("sample_weight must be non-negative with a positive sum")
    with np.errstate(over="ignore"):  # weights near the largest float: their sum overflows
        if not np.isfinite(weights.sum()):
            weights = weights / weights.max()
    return weights * (n_samples / weights.sum())


def check_seed(seed: Any) -> int | None:
    """A generator's seed: None (fresh entropy) or an integer >= 0, as NumPy takes it."""
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be an integer >= 0 or None, got {seed!r:.40}")
    return int(seed)
