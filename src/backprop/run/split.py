"""The parts of a data set a run trains, validates and tests on."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from backprop.data.dataset import Dataset
from backprop.data.preprocessing import fold_split, train_test_split
from backprop.run.config import RunConfig, check_fraction


@dataclass
class Split:
    """The parts of a data set a run uses; ``test`` and ``validation`` may be absent."""

    train: tuple[np.ndarray, np.ndarray]
    test: tuple[np.ndarray, np.ndarray] | None
    validation: tuple[np.ndarray, np.ndarray] | None


def split(data: Dataset, config: RunConfig) -> Split:
    """Test part (the data set's own, or ``test_size`` of it), then the validation part (a
    fraction of the rest, or one of its cross-validation folds)."""
    classify = data.task == "classification"
    assert config.test_size is not None and config.validation_split is not None
    # Checked when the config was made; again here, as a field may have been set since.
    check_fraction("test_size", config.test_size)
    check_fraction("validation_split", config.validation_split)
    X, y = data.X, data.y
    test = None
    if data.X_test is not None and data.y_test is not None:
        test = (data.X_test, data.y_test)
    elif config.test_size > 0:
        _check_samples("test_size", config.test_size, len(X))
        X, X_test, y, y_test = train_test_split(X, y, config.test_size, config.seed, classify)
        test = (X_test, y_test)
    validation = None
    if config.folds is not None:
        assert config.fold is not None, "RunConfig checks that a fold comes with folds"
        X, X_val, y, y_val = fold_split(X, y, config.folds, config.fold, classify)
        validation = (X_val, y_val)
    elif config.validation_split > 0:
        _check_samples("validation_split", config.validation_split, len(X))
        X, X_val, y, y_val = train_test_split(
            X, y, config.validation_split, config.seed + 1, classify
        )
        validation = (X_val, y_val)
    return Split((X, y), test, validation)


def _check_samples(name: str, value: float, n: int) -> None:
    """A fraction (0 <= value < 1, checked already) that holds out at least one of ``n``
    samples and leaves at least one to train on."""
    if round(value * n) >= n:
        raise ValueError(
            f"{name}={value} leaves no training data out of {n} samples: "
            "expected a smaller fraction such as 0.25"
        )
    if round(value * n) < 1:
        raise ValueError(f"{name}={value} of {n} samples is less than one sample")
