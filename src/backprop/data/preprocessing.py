"""Feature standardisation and train/test splitting.

Gradient descent converges far faster when every input column has a similar scale, so features
are usually standardised to zero mean and unit variance with statistics taken from the training
rows only, and the same transform is applied to the test rows and to anything predicted later.
:class:`Scaler` stores those statistics as plain arrays so a saved model can carry them in its
``.npz`` file without pickle.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

# Rows per chunk when fitting: keeps the float64 temporaries small for float32 inputs like MNIST.
_FIT_CHUNK_ROWS = 8192


class Scaler:
    """Standardise each column: ``(X - mean_) / scale_``, like scikit-learn's StandardScaler.

    ``scale_`` is the population standard deviation, with 1 in place of (near-)zero values so a
    constant column is centred rather than divided by zero.
    """

    def __init__(self) -> None:
        """An unfitted scaler; call :meth:`fit` before :meth:`transform`."""
        self.mean_: np.ndarray | None = None
        self.scale_: np.ndarray | None = None

    def fit(self, X: Any) -> Scaler:
        """Learn per-column mean and standard deviation from ``X`` (n_samples, n_features)."""
        X = _as_2d_floats(X, "X")
        if len(X) == 0:
            raise ValueError("Scaler.fit needs at least one row, got X with 0 rows")
        if not np.all(np.isfinite(X)):
            raise ValueError("Scaler.fit got X with NaN or infinite values: clean the data first")
        mean = X.sum(axis=0, dtype=np.float64) / len(X)
        squares = np.zeros(X.shape[1], dtype=np.float64)
        for start in range(0, len(X), _FIT_CHUNK_ROWS):
            deviation = X[start : start + _FIT_CHUNK_ROWS].astype(np.float64) - mean
            squares += np.einsum("ij,ij->j", deviation, deviation)
        std = np.sqrt(squares / len(X))
        # Rounding leaves a std of ~1e-17 on a constant column; treat that as zero.
        constant = std <= 10 * np.finfo(np.float64).eps * np.maximum(np.abs(mean), 1.0)
        self.mean_, self.scale_ = mean, np.where(constant, 1.0, std)
        return self

    def transform(self, X: Any) -> np.ndarray:
        """Standardise ``X`` with the fitted statistics, keeping a float32 input float32."""
        mean, scale = self._fitted()
        X = _as_2d_floats(X, "X")
        if X.shape[1] != len(mean):
            raise ValueError(
                f"Scaler was fitted on {len(mean)} columns, but X has {X.shape[1]} "
                f"(shape {X.shape})"
            )
        return (X - mean.astype(X.dtype)) / scale.astype(X.dtype)

    def fit_transform(self, X: Any) -> np.ndarray:
        """:meth:`fit` then :meth:`transform` on the same rows."""
        return self.fit(X).transform(X)

    def inverse_transform(self, Z: Any) -> np.ndarray:
        """Undo :meth:`transform`: map standardised values back to the original units."""
        mean, scale = self._fitted()
        Z = _as_2d_floats(Z, "Z")
        if Z.shape[1] != len(mean):
            raise ValueError(f"Scaler was fitted on {len(mean)} columns, but Z has {Z.shape[1]}")
        return Z * scale.astype(Z.dtype) + mean.astype(Z.dtype)

    def to_arrays(self) -> dict[str, np.ndarray]:
        """The fitted state as ``{"mean": ..., "scale": ...}``, ready for ``np.savez``."""
        mean, scale = self._fitted()
        return {"mean": mean.copy(), "scale": scale.copy()}

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, Any]) -> Scaler:
        """Rebuild a fitted scaler from :meth:`to_arrays` output (or an ``np.load`` result)."""
        missing = [key for key in ("mean", "scale") if key not in arrays]
        if missing:
            raise ValueError(
                f"Scaler.from_arrays needs keys 'mean' and 'scale', missing {missing} "
                f"(got {sorted(arrays)})"
            )
        mean = np.asarray(arrays["mean"], dtype=np.float64)
        scale = np.asarray(arrays["scale"], dtype=np.float64)
        if mean.ndim != 1 or mean.shape != scale.shape:
            raise ValueError(
                "Scaler.from_arrays needs 1-D 'mean' and 'scale' of equal length, "
                f"got shapes {mean.shape} and {scale.shape}"
            )
        if not (np.all(np.isfinite(mean)) and np.all(np.isfinite(scale)) and np.all(scale > 0)):
            raise ValueError("Scaler.from_arrays needs finite 'mean' and finite positive 'scale'")
        scaler = cls()
        scaler.mean_, scaler.scale_ = mean, scale
        return scaler

    def _fitted(self) -> tuple[np.ndarray, np.ndarray]:
        """``(mean_, scale_)``, or a ValueError if :meth:`fit` has not been called."""
        if self.mean_ is None or self.scale_ is None:
            raise ValueError("this Scaler is not fitted yet: call fit(X) first")
        return self.mean_, self.scale_

    def __repr__(self) -> str:
        """Show whether and on how many columns the scaler was fitted."""
        state = "unfitted" if self.mean_ is None else f"fitted on {len(self.mean_)} columns"
        return f"Scaler({state})"


def _as_2d_floats(X: Any, argument: str) -> np.ndarray:
    """``X`` as a 2-D floating array (float32 stays float32, anything else becomes float64)."""
    array = np.asarray(X)
    if array.ndim != 2:
        raise ValueError(f"{argument} must be 2-D (n_samples, n_features), got shape {array.shape}")
    if array.dtype not in (np.float32, np.float64):
        try:
            array = array.astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{argument} must be numeric, got dtype {array.dtype}") from exc
    return array


def train_test_split(
    X: Any, y: Any, test_size: float | int = 0.25, seed: int = 0, stratify: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Shuffle and split into ``X_train, X_test, y_train, y_test``, deterministically by ``seed``.

    ``test_size`` is a fraction in (0, 1) or a row count. With ``stratify`` and integer class
    labels (classification), each class keeps its share in both parts; when that is impossible
    (a class with a single row, or fewer test or training rows than classes) the split falls back
    to a plain shuffle rather than failing. Float targets (regression) are never stratified.
    """
    from sklearn.model_selection import train_test_split as sk_split  # slow import: only here

    X, y = np.asarray(X), np.asarray(y)
    if len(X) != len(y):
        raise ValueError(f"X has {len(X)} rows but y has {len(y)}")
    strata = y if stratify and _can_stratify(y, test_size) else None
    X_train, X_test, y_train, y_test = sk_split(
        X, y, test_size=test_size, random_state=seed, shuffle=True, stratify=strata
    )
    return X_train, X_test, y_train, y_test


def _can_stratify(y: np.ndarray, test_size: float | int) -> bool:
    """Whether ``y`` holds class indices that a stratified split of this size can honour."""
    if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer) or len(y) == 0:
        return False
    _, counts = np.unique(y, return_counts=True)
    n_test = math.ceil(test_size * len(y)) if isinstance(test_size, float) else int(test_size)
    n_train = len(y) - n_test
    return bool(counts.min() >= 2 and min(n_test, n_train) >= len(counts))
