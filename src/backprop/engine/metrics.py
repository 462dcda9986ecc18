"""Accuracy, for targets that are classes.

Targets are recognised as classes from their values: one-hot rows over several outputs
("multiclass": the predicted class is the largest output) or values that are all 0 or 1
("binary": an output of ``THRESHOLD`` or more predicts 1, for each output). Anything else is a
regression target and has no accuracy.

Written once for every array library (``backend.py``). ``count_correct`` returns a float for
NumPy arrays and a 0-d array on the device otherwise: the training loop adds a GPU's counts
up where they are and reads the sum once per epoch.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from backprop.engine.backend import astype, namespace

#: The decision threshold of a sigmoid output: an output of 0.5 or more predicts class 1.
THRESHOLD = 0.5


def target_kind(Y: np.ndarray) -> str | None:
    """ "multiclass", "binary" or None (real-valued targets) for an (n, k) target array."""
    xp = namespace(Y)
    if not bool(xp.all((Y == 0.0) | (Y == 1.0))):
        return None
    if Y.shape[1] > 1 and bool(xp.all(xp.sum(Y, axis=1) == 1)):
        return "multiclass"
    return "binary"


def predicted_classes(outputs: np.ndarray) -> np.ndarray:
    """Class indices: the largest output, or output >= THRESHOLD for a single neuron."""
    xp = namespace(outputs)
    if outputs.shape[1] == 1:
        return astype(outputs[:, 0] >= THRESHOLD, np.int64)
    return xp.argmax(outputs, axis=1)


def truth(Y: np.ndarray, kind: str) -> np.ndarray:
    """What a right answer is for each sample: the class index, or each output's 0/1."""
    return namespace(Y).argmax(Y, axis=1) if kind == "multiclass" else Y == 1


def count_correct(truth: np.ndarray, A: np.ndarray, kind: str) -> Any:
    """How many samples of the batch the outputs A get right (fractionally for multi-label):
    a float, or a 0-d array on the device for arrays of another library than NumPy."""
    if type(A) is not np.ndarray:
        xp = namespace(A)
        right = xp.argmax(A, axis=1) == truth if kind == "multiclass" else (A >= THRESHOLD) == truth
        count = xp.sum(xp.astype(right, xp.float64))
        return count if kind == "multiclass" else count / A.shape[1]
    if kind == "multiclass":
        return float(np.count_nonzero(A.argmax(axis=1) == truth))
    return float(np.count_nonzero((A >= THRESHOLD) == truth)) / A.shape[1]


def accuracy(Y: np.ndarray, A: np.ndarray) -> float | None:
    """The fraction of samples that the outputs A classify right, or None for regression."""
    kind = target_kind(Y)
    return None if kind is None else float(count_correct(truth(Y, kind), A, kind)) / len(Y)
