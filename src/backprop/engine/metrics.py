"""Accuracy, for targets that are classes.

Targets are recognised as classes from their values: one-hot rows over several outputs
("multiclass": the predicted class is the largest output) or values that are all 0 or 1
("binary": an output of ``THRESHOLD`` or more predicts 1, for each output). Anything else is a
regression target and has no accuracy.
"""

from __future__ import annotations

import numpy as np

#: The decision threshold of a sigmoid output: an output of 0.5 or more predicts class 1.
THRESHOLD = 0.5


def target_kind(Y: np.ndarray) -> str | None:
    """ "multiclass", "binary" or None (real-valued targets) for an (n, k) target array."""
    if not np.isin(Y, (0.0, 1.0)).all():
        return None
    if Y.shape[1] > 1 and (Y.sum(axis=1) == 1).all():
        return "multiclass"
    return "binary"


def predicted_classes(outputs: np.ndarray) -> np.ndarray:
    """Class indices: the largest output, or output >= THRESHOLD for a single neuron."""
    if outputs.shape[1] == 1:
        return (outputs[:, 0] >= THRESHOLD).astype(np.int64)
    return outputs.argmax(axis=1)


def truth(Y: np.ndarray, kind: str) -> np.ndarray:
    """What a right answer is for each sample: the class index, or each output's 0/1."""
    return Y.argmax(axis=1) if kind == "multiclass" else Y == 1


def count_correct(truth: np.ndarray, A: np.ndarray, kind: str) -> float:
    """How many samples of the batch the outputs A get right (fractionally for multi-label)."""
    if kind == "multiclass":
        return float(np.count_nonzero(A.argmax(axis=1) == truth))
    return float(np.count_nonzero((A >= THRESHOLD) == truth)) / A.shape[1]


def accuracy(Y: np.ndarray, A: np.ndarray) -> float | None:
    """The fraction of samples that the outputs A classify right, or None for regression."""
    kind = target_kind(Y)
    return None if kind is None else count_correct(truth(Y, kind), A, kind) / len(Y)
