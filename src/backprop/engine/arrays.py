"""Constant arrays shared by the engine's inner loops."""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np


@lru_cache(maxsize=64)
def ones(n: int, dtype: np.dtype) -> np.ndarray:
    """A read-only vector of ``n`` ones.

    ``np.dot(ones, M)`` sums the rows of M and ``np.dot(M, ones)`` its columns. The product
    runs in BLAS and, on the small arrays of a training step, costs less than ``M.sum(axis)``.
    """
    vector = np.ones(n, dtype)
    vector.flags.writeable = False
    return vector


@lru_cache(maxsize=16)
def zeros(shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    """A read-only array of zeros.

    ``np.maximum(z, zeros)`` runs NumPy's vectorised loop for two arrays of one shape, two to
    three times faster on a float32 batch than ``np.maximum(z, 0.0)``, whose scalar takes a
    slower broadcasting loop. Meant for small arrays: the cache keeps what it returns.
    """
    array = np.zeros(shape, dtype)
    array.flags.writeable = False
    return array


def all_finite(vector: np.ndarray) -> bool:
    """Whether every entry of a 1-D array is finite, from its sum: an inf or a NaN anywhere
    makes the sum inf or NaN. (So would finite entries summing past the largest float, which
    for the parameters of a network means training diverged all the same.) One BLAS product,
    where ``np.isfinite(vector).all()`` makes a boolean copy and reduces it. inf - inf warns
    "invalid value" unless called under ``np.errstate(invalid="ignore")``, as ``fit`` does."""
    return math.isfinite(np.dot(ones(len(vector), vector.dtype), vector))
