"""Constant arrays shared by the engine's inner loops."""

from __future__ import annotations

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
