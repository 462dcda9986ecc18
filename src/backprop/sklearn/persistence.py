"""A fitted estimator in a backprop model file, and back (no pickle).

The file is an ordinary backprop checkpoint: the network and the optimizer's state, which
``backprop.load`` reads too. The estimator adds an entry to its metadata, under
:data:`METADATA_KEY`: the class, the hyper-parameters and the fitted attributes, as JSON. The
label arrays (``classes_``, ``feature_names_in_``) go next to the weights, as arrays.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from backprop.saving.checkpoint import load_checkpoint, save_checkpoint
from backprop.saving.model_file import ModelFileError
from backprop.sklearn.validation import plain
from backprop.training.history import History
from backprop.training.optimizers import SGD

#: Key of the estimator's entry in a model file's metadata.
METADATA_KEY = "sklearn"
#: Fitted attributes written to (and read back from) the metadata.
FITTED = (
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
    "multilabel_",
    "_no_improvement_count",
)
#: Fitted arrays, stored as arrays of the file.
ARRAYS = ("classes_", "feature_names_in_")

_Estimator = TypeVar("_Estimator", bound=BaseEstimator)


def save_estimator(estimator: BaseEstimator, path: str | os.PathLike[str]) -> Path:
    """Write the fitted ``estimator`` (its ``network_`` and ``_optimizer`` included) to ``path``.

    A parameter that JSON cannot hold (callbacks, a RandomState) is left out, with a warning.
    """
    check_is_fitted(estimator)
    params, dropped = {}, []
    for name, value in estimator.get_params(deep=False).items():
        try:
            params[name] = _to_json(value)
        except TypeError:
            dropped.append(name)
    if dropped:
        warnings.warn(
            f"{type(estimator).__name__}.save leaves out {', '.join(dropped)}, which a model "
            "file cannot hold: set them again after loading",
            UserWarning,
            stacklevel=3,  # the caller of the estimator's save
        )
    fitted = {
        name: _to_json(getattr(estimator, name)) for name in FITTED if hasattr(estimator, name)
    }
    arrays, kinds = {}, {}
    for name in ARRAYS:
        if hasattr(estimator, name):
            arrays[name], kinds[name] = _storable(name, getattr(estimator, name))
    metadata = {
        METADATA_KEY: {
            "estimator": type(estimator).__name__,
            "params": params,
            "fitted": fitted,
            "object_arrays": [name for name, is_object in kinds.items() if is_object],
        }
    }
    # L-BFGS keeps no state from one fit to the next: a plain SGD stands in for its optimizer.
    optimizer = estimator._optimizer if estimator._optimizer is not None else SGD()
    return save_checkpoint(
        path,
        estimator.network_,
        optimizer,
        History(),
        metadata=metadata,
        arrays=arrays,
    )


def load_estimator(cls: type[_Estimator], path: str | os.PathLike[str]) -> _Estimator:
    """The fitted estimator of class ``cls`` that :func:`save_estimator` wrote to ``path``."""
    checkpoint = load_checkpoint(path)
    saved = checkpoint.metadata.get(METADATA_KEY)
    if not isinstance(saved, dict) or "estimator" not in saved:
        raise ModelFileError(f"{path} holds a backprop network, not a saved {cls.__name__}")
    if saved["estimator"] != cls.__name__:
        raise ModelFileError(
            f"{path} holds a {saved['estimator']}: load it with {saved['estimator']}.load"
        )
    # The classes label the network's outputs (one sigmoid output answers between two):
    # fewer labels would fail, or mislabel, at prediction.
    classes = checkpoint.arrays.get("classes_")
    n_outputs = checkpoint.network.sizes[-1]
    # One output answers between two classes (or names the only one); otherwise there is an
    # output per class (or per label).
    expected = (1, 2) if n_outputs == 1 else (n_outputs,)
    if classes is not None and (classes.ndim != 1 or len(classes) not in expected):
        raise ModelFileError(
            f"{path} holds classes_ of shape {classes.shape} for a network of {n_outputs} "
            f"outputs: expected {' or '.join(map(str, expected))} classes"
        )
    estimator = cls(**{name: _from_json(value) for name, value in saved["params"].items()})
    for name, value in saved["fitted"].items():
        setattr(estimator, name, _from_json(value))
    for name in ARRAYS:
        if name in checkpoint.arrays:
            array = checkpoint.arrays[name]
            setattr(
                estimator,
                name,
                array.astype(object) if name in saved["object_arrays"] else array,
            )
    estimator.network_ = checkpoint.network
    estimator._optimizer = None if estimator.solver == "lbfgs" else checkpoint.optimizer
    return estimator


def _to_json(value: Any) -> Any:
    """``value`` in JSON's types; tuples and dicts (whose keys may be numbers) are tagged."""
    value = plain(value)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (np.ndarray, range)):  # e.g. hidden_layer_sizes=np.array([32, 16])
        value = value.tolist() if isinstance(value, np.ndarray) else list(value)
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
