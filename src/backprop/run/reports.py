"""Reports on a trained model: per-class precision, recall and F1, or MSE and R2.

scikit-learn computes the metrics; this module decides which ones a task needs and lays them
out as text for the terminal and for ``report.txt``. scikit-learn is imported by the functions
that use it, not with this module: it takes a second to import, and ``backprop --help`` should
not wait for it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np


@dataclass
class Report:
    """The scores of a model on one data set, and their text."""

    scores: dict[str, float]
    text: str
    confusion: np.ndarray | None = field(default=None, repr=False)


def classification(y_true: np.ndarray, y_pred: np.ndarray, classes: Sequence[object]) -> Report:
    """Accuracy, per-class precision/recall/F1 and the confusion matrix for class indices."""
    from sklearn.metrics import classification_report, confusion_matrix

    labels = list(range(len(classes)))
    names = [str(c) for c in classes]
    text = classification_report(
        y_true, y_pred, labels=labels, target_names=names, digits=4, zero_division=0
    )
    accuracy = float(np.mean(y_true == y_pred))
    matrix = confusion_matrix(y_true, y_pred, labels=labels)
    return Report({"accuracy": accuracy}, str(text), matrix)


def regression(y_true: np.ndarray, y_pred: np.ndarray) -> Report:
    """Mean squared error and the coefficient of determination R2."""
    from sklearn.metrics import mean_squared_error, r2_score

    y_true = y_true.reshape(len(y_true), -1)
    y_pred = y_pred.reshape(len(y_pred), -1)
    if not np.isfinite(y_pred).all():  # a model that blew up (scikit-learn refuses to score it)
        mse, r2 = math.inf, math.nan
        text = "MSE  inf\nR2   nan\n(the model's outputs are not all finite)\n"
        return Report({"mse": mse, "r2": r2}, text)
    mse = float(mean_squared_error(y_true, y_pred))
    r2 = float(r2_score(y_true, y_pred)) if len(y_true) > 1 else float("nan")
    return Report({"mse": mse, "r2": r2}, f"MSE  {mse:.6g}\nR2   {r2:.6g}\n")
