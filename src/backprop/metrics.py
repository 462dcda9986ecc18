"""Accuracy, for targets that are classes.

Targets are recognised as classes from their values: one-hot rows over several outputs
("multiclass": the predicted class is the largest output) or values that are all 0 or 1
("binary": an output of 0.5 or more predicts 1, for each output). Anything else is a
regression target and has no accuracy.
"""

from __future__ import annotations

import numpy as np


def target_kind(Y: np.ndarray) -> str | None:
    """ "multiclass", "binary" or None (real-valued targets) for an (n, k) target array."""
    if not np.isin(Y, (0.0, 1.0)).all():
        return None
    if Y.shape[1] > 1 and (Y.sum(axis=1) == 1).all():
        return "multiclass"
    return "binary"


def count_correct(Y: np.ndarray, A: np.ndarray, kind: str) -> float:
    """How many samples of the batch the outputs A get right (fractionally for multi-label)."""
    if kind == "multiclass":
        return float((A.argmax(axis=1) == Y.argmax(axis=1)).sum())
    return float(((A >= 0.5) == (Y == 1)).mean(axis=1).sum())


def accuracy(Y: np.ndarray, A: np.ndarray) -> float | None:
    """The fraction of samples that the outputs A classify right, or None for regression."""
    kind = target_kind(Y)
    return None if kind is None else count_correct(Y, A, kind) / len(Y)
