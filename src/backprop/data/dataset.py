"""The Dataset: features, targets and what they mean, whatever file or generator they came from.

Conventions every caller can rely on:

* ``X`` is ``(n_samples, n_features)`` float64, except for MNIST, whose ``X`` and ``X_test`` are
  float32 (60,000 x 784 float64 would take 376 MB); pixel values are scaled to [0, 1].
* For classification ``y`` holds int64 class indices ``0..k-1`` and ``classes[i]`` is the original
  label of index ``i`` (plain ``str``, ``int`` or ``float``, so it can be written to JSON).
* For regression ``y`` is float64 and ``classes`` is None.
* ``feature_names`` are unique and none is the ``target_name``: a saved model matches the
  columns of a CSV file to predict on by these names.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass

import numpy as np

from backprop.engine.defaults import TASKS

__all__ = ["TASKS", "Dataset", "Label"]

Label = str | int | float


@dataclass
class Dataset:
    """Feature matrix, targets, and what they mean: everything a training run needs."""

    name: str
    X: np.ndarray
    y: np.ndarray
    task: str
    classes: list[Label] | None
    feature_names: list[str]
    target_name: str | None = None
    X_test: np.ndarray | None = None
    y_test: np.ndarray | None = None
    description: str = ""

    def __post_init__(self) -> None:
        """Reject inconsistent fields at construction, not deep inside a training loop."""
        if self.task not in TASKS:
            raise ValueError(f"task={self.task!r} is not supported: expected one of {TASKS}")
        if self.X.ndim != 2:
            raise ValueError(f"X must be 2-D (n_samples, n_features), got shape {self.X.shape}")
        if len(self.y) != len(self.X):
            raise ValueError(f"X has {len(self.X)} rows but y has {len(self.y)}")
        if len(self.feature_names) != self.X.shape[1]:
            raise ValueError(
                f"{len(self.feature_names)} feature_names given for {self.X.shape[1]} features"
            )
        # A model finds its features by name when it predicts from a CSV file with a header:
        # two features of one name would both be read from the first such column.
        repeated = sorted(name for name, count in Counter(self.feature_names).items() if count > 1)
        if repeated:
            raise ValueError(
                f"feature_names must be unique, but {', '.join(map(repr, repeated))} "
                "name more than one feature"
            )
        if self.target_name is not None and self.target_name in self.feature_names:
            raise ValueError(
                f"target_name {self.target_name!r} is also the name of a feature: "
                "expected a target named apart from the features"
            )
        if (self.task == "classification") != (self.classes is not None):
            raise ValueError("classes must be a list for classification and None for regression")
        if (self.X_test is None) != (self.y_test is None):
            raise ValueError("X_test and y_test must be given together")

    @property
    def n_features(self) -> int:
        """Number of input columns, i.e. the size of the network's input layer."""
        return int(self.X.shape[1])

    @property
    def n_classes(self) -> int | None:
        """Number of classes for classification, None for regression."""
        return None if self.classes is None else len(self.classes)

    def fingerprint(self) -> str:
        """A digest of the contents: a resumed run, or a resumed sweep, checks that it reads
        the same data it trained on."""
        digest = hashlib.sha256()
        for array in (self.X, self.y, self.X_test, self.y_test):
            if array is not None:
                array = np.ascontiguousarray(array)
                digest.update(f"{array.dtype.str}{array.shape}".encode())
                digest.update(array.data)
        digest.update(json.dumps([self.feature_names, self.classes], default=str).encode())
        return f"sha256:{digest.hexdigest()}"

    @property
    def n_outputs(self) -> int:
        """Size of the output layer: one unit per class (two for binary), or per target column."""
        if self.classes is not None:
            return len(self.classes)
        return 1 if self.y.ndim == 1 else int(self.y.shape[1])
