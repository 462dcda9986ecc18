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

# Columns whose largest magnitude lies within 2**-300 .. 2**300 (1e-90 .. 2e90) are fitted as
# they are: n * peak**2 stays far from overflow, and a spread of one rounding error far from
# underflow. Others are first divided by a power of two near their largest magnitude.
_SAFE_MAGNITUDE = 2.0**300

# The smallest positive float64 (a subnormal, 5e-324): the least a fitted scale can be.
_SMALLEST_POSITIVE = float(np.nextafter(0.0, 1.0))


class Scaler:
    """Standardise each column: ``(X - mean_) / scale_``, like scikit-learn's StandardScaler.

    ``scale_`` is the population standard deviation, with 1 in place of values that are zero
    up to rounding (below ten machine epsilons of the column's largest magnitude), so a
    constant column is centred rather than divided by zero.

    Any finite column can be standardised, from 1e-300 to 1e308: a column beyond 1e90 or
    below 1e-90 is fitted divided by a power of two near its largest magnitude (an exact
    division), so that squaring 1e200 cannot overflow to infinity nor squaring 1e-200
    underflow to zero. A fitted scaler's ``mean_`` is finite and its ``scale_`` finite and
    positive, which is what :meth:`from_arrays` accepts: a model file always loads again.
    """

    def __init__(self) -> None:
        """An unfitted scaler; call :meth:`fit` before :meth:`transform`."""
        self.mean_: np.ndarray | None = None
        self.scale_: np.ndarray | None = None

    def fit(self, X: Any) -> Scaler:
        """Learn per-column mean and standard deviation from ``X`` (n_samples, n_features).

        Three passes over ``X`` in chunks of rows (so a float32 ``X`` is never copied whole to
        float64): each column's minimum and maximum, its mean, its squared deviations. A
        column whose minimum is its maximum is constant: its mean is that value exactly, so it
        is centred to exact zeros, not to rounding noise.
        """
        X = _as_2d_floats(X, "X")
        if len(X) == 0:
            raise ValueError("Scaler.fit needs at least one row, got X with 0 rows")
        chunks = [X[start : start + _FIT_CHUNK_ROWS] for start in range(0, len(X), _FIT_CHUNK_ROWS)]
        low = np.full(X.shape[1], np.inf)
        high = np.full(X.shape[1], -np.inf)
        for chunk in chunks:
            # NaN propagates through min and max; an infinity is its own extreme.
            low = np.minimum(low, chunk.min(axis=0))
            high = np.maximum(high, chunk.max(axis=0))
        if not (np.all(np.isfinite(low)) and np.all(np.isfinite(high))):
            raise ValueError("Scaler.fit got X with NaN or infinite values: clean the data first")
        peak = np.maximum(np.abs(low), np.abs(high))
        unit = _power_of_two_below(peak)  # column / unit lies in (-2, 2)
        # Ordinary columns are summed and squared as they are (the same numbers, as dividing
        # by a power of two is exact, without a pass to divide them).
        unit[(unit >= 1 / _SAFE_MAGNITUDE) & (unit <= _SAFE_MAGNITUDE)] = 1.0
        rescale = bool(np.any(unit != 1.0))

        def units(chunk: np.ndarray) -> np.ndarray:
            """A chunk as float64 in each column's unit (a copy when it must be one)."""
            return chunk.astype(np.float64) / unit if rescale else chunk.astype(np.float64)

        total = np.zeros(X.shape[1], dtype=np.float64)
        for chunk in chunks:
            total += units(chunk).sum(axis=0) if rescale else chunk.sum(axis=0, dtype=np.float64)
        mean = total / len(X)
        # Second pass: squared deviations, and the deviations' sum, which corrects the mean
        # for the rounding of the first sum (the "corrected two-pass" algorithm).
        squares = np.zeros(X.shape[1], dtype=np.float64)
        residual = np.zeros(X.shape[1], dtype=np.float64)
        for chunk in chunks:
            deviation = units(chunk)
            deviation -= mean
            squares += np.einsum("ij,ij->j", deviation, deviation)
            residual += deviation.sum(axis=0)
        correction = residual / len(X)
        mean += correction
        std = np.sqrt(np.maximum(squares / len(X) - correction**2, 0.0))
        # A constant column is centred exactly (its mean is its value) and divided by 1, as is
        # one whose spread is rounding (ten machine epsilons of its largest magnitude).
        constant = (low == high) | (std <= 10 * np.finfo(np.float64).eps * (peak / unit))
        with np.errstate(over="ignore"):
            # low <= mean <= high and 0 < std <= peak exactly; clipping undoes rounding past
            # them: near the largest float64 to infinity, among the subnormals to zero.
            self.mean_ = np.where(low == high, low, np.clip(mean * unit, low, high))
            spread = np.clip(std * unit, _SMALLEST_POSITIVE, np.maximum(peak, _SMALLEST_POSITIVE))
            self.scale_ = np.where(constant, 1.0, spread)
        return self

    def transform(self, X: Any) -> np.ndarray:
        """Standardise ``X`` with the fitted statistics, keeping a float32 input float32.

        A value whose standardised form exceeds the largest float64 (predicting on 1e300
        with a scaler fitted on values near 1) raises a ValueError naming it.
        """
        mean, scale = self._fitted()
        X = _as_2d_floats(X, "X")
        if X.shape[1] != len(mean):
            raise ValueError(
                f"Scaler was fitted on {len(mean)} columns, but X has {X.shape[1]} "
                f"(shape {X.shape})"
            )
        if X.dtype != np.float64 and not _fits(mean, scale, X.dtype):
            X = X.astype(np.float64)  # statistics beyond float32's range: work in float64
        m, s = mean.astype(X.dtype), scale.astype(X.dtype)
        try:
            with np.errstate(over="raise"):
                return (X - m) / s
        except FloatingPointError:
            return _transform_huge(X, m, s)

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
        """The fitted state as ``{"mean": ..., "scale": ...}``, ready for ``np.savez``.

        Checked as :meth:`from_arrays` checks it, so that no model file is written that
        cannot be loaded again.
        """
        mean, scale = self._fitted()
        _check_statistics("Scaler.to_arrays", mean, scale)
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
        _check_statistics("Scaler.from_arrays", mean, scale)
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


def _power_of_two_below(peak: np.ndarray) -> np.ndarray:
    """Per column the power of two ``u`` with ``u <= peak < 2u`` (1 for a column of zeros).

    Dividing by a power of two is exact, down to the subnormals, and ``2u`` could overflow
    where ``u`` cannot: the largest float64 is just under 2**1024.
    """
    _, exponent = np.frexp(peak)  # peak = m * 2**exponent with 0.5 <= m < 1
    return np.where(peak > 0, np.ldexp(1.0, exponent - 1), 1.0)


def _fits(mean: np.ndarray, scale: np.ndarray, dtype: np.dtype) -> bool:
    """Whether the statistics survive a cast to ``dtype`` (finite, and scale still positive)."""
    info = np.finfo(dtype)
    return bool(
        np.all(np.abs(mean) <= info.max) and np.all((scale <= info.max) & (scale >= info.tiny))
    )


def _transform_huge(X: np.ndarray, mean: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """``(X - mean) / scale`` where ``X - mean`` overflows but the result does not.

    Near the largest float64 (a column spanning -1e308 to 1e308) the difference overflows;
    those entries are computed as ``X / scale - mean / scale`` instead. An entry whose
    standardised value itself overflows raises a ValueError naming it.
    """
    with np.errstate(over="ignore"):
        Z = (X - mean) / scale
        overflowed = np.isinf(Z) & np.isfinite(X)
        rows, cols = np.nonzero(overflowed)
        Z[rows, cols] = X[rows, cols] / scale[cols] - mean[cols] / scale[cols]
    still = ~np.isfinite(Z[rows, cols])
    if still.any():
        i, j = int(rows[still][0]), int(cols[still][0])
        raise ValueError(
            f"X[{i}, {j}] = {X[i, j]:.6g} is too far from column {j}'s mean for the scaler: "
            f"(value - mean {mean[j]:.6g}) / scale {scale[j]:.6g} is beyond the largest "
            f"{X.dtype} ({np.finfo(X.dtype).max:.6g}); expected values in the range the "
            "scaler was fitted on"
        )
    return Z


def _check_statistics(where: str, mean: np.ndarray, scale: np.ndarray) -> None:
    """Refuse statistics that would make transform return NaN or infinity."""
    if mean.ndim != 1 or mean.shape != scale.shape:
        raise ValueError(
            f"{where} needs 1-D 'mean' and 'scale' of equal length, "
            f"got shapes {mean.shape} and {scale.shape}"
        )
    bad = ~np.isfinite(mean) | ~np.isfinite(scale) | ~(scale > 0)
    if bad.any():
        j = int(np.argmax(bad))
        raise ValueError(
            f"{where} needs finite 'mean' and finite positive 'scale', got mean {mean[j]} and "
            f"scale {scale[j]} for column {j}"
        )


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


def fold_split(
    X: Any, y: Any, folds: int, fold: int, stratify: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Fold ``fold`` of ``folds`` as ``X_train, X_val, y_train, y_val``, as k-fold
    cross-validation takes it: every sample is in exactly one fold's validation part.

    The folds are shuffled with a fixed seed: the same rows give the same folds, so the
    candidates of a sweep trained with one seed are scored on the same folds. With
    ``stratify`` and integer class labels, each class keeps its share in every fold when each
    class has at least ``folds`` samples.
    """
    from sklearn.model_selection import KFold, StratifiedKFold  # slow import: only here

    X, y = np.asarray(X), np.asarray(y)
    if len(X) < folds:
        raise ValueError(f"folds={folds} needs at least {folds} training samples, not {len(X)}")
    classes = y.ndim == 1 and np.issubdtype(y.dtype, np.integer) and len(y) > 0
    if stratify and classes and np.unique(y, return_counts=True)[1].min() >= folds:
        splitter: Any = StratifiedKFold(folds, shuffle=True, random_state=0)
    else:
        splitter = KFold(folds, shuffle=True, random_state=0)
    train, val = list(splitter.split(X, y if classes else None))[fold]
    return X[train], X[val], y[train], y[val]
