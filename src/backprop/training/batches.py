"""An epoch's rows in chunks of whole batches: the data side of the training loop's speed.

Shuffled rows are gathered a chunk at a time, one ``np.take`` for several batches, into
buffers allocated once per ``fit``; the chunk's losses and accuracy are then computed together.
Memory stays bounded whatever the data's size.

Arrays of another library than NumPy (``backprop.engine.backend``) stay on their device: the
epoch's order is moved there once, and each chunk's rows are gathered there with ``xp.take``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from backprop.engine.backend import concat, is_numpy, namespace, numpy_dtype

if TYPE_CHECKING:
    from backprop.engine.network import Network

#: Bytes of data rows per chunk (rounded to whole batches). Shuffled rows are gathered a chunk
#: at a time, one ``np.take`` for several batches, and the chunk's losses are computed together;
#: memory stays bounded whatever the data's size. 4 MB holds ten 128-row batches of MNIST.
CHUNK_BYTES = 1 << 22


class Chunks:
    """An epoch's rows of some arrays (None stands for an absent one), in chunks of whole
    batches.

    Without an order the chunks are consecutive slices: views, no copies. With a shuffled
    order, a chunk's rows are gathered into buffers allocated once per ``fit``.
    """

    def __init__(self, arrays: list[np.ndarray | None], n: int, batch: int) -> None:
        self.arrays, self.n = arrays, n
        # A sparse array's chunks are made dense: they take a dense row's bytes.
        row_bytes = sum(math.prod(a.shape[1:]) * numpy_dtype(a.dtype).itemsize
                        for a in arrays if a is not None)  # fmt: skip
        self.size = min(n, batch * max(1, CHUNK_BYTES // (batch * row_bytes)))
        self.buffers: list[np.ndarray | None] = []
        #: Arrays of another library than NumPy: rows are taken there, as the standard allows.
        self.on_device = any(not (a is None or is_numpy(a) or is_sparse(a)) for a in arrays)

    def __call__(self, order: np.ndarray | None) -> Iterator[list[Any]]:
        """One list of arrays per chunk, in the order of ``arrays``."""
        if order is None and self.on_device:
            for first in range(0, self.n, self.size):
                # The standard indexes every axis (or ...), with a slice that ends in bounds.
                part = slice(first, min(first + self.size, self.n))
                yield [a if a is None else a[part, ...] for a in self.arrays]
            return
        if order is None:
            for first in range(0, self.n, self.size):
                part = slice(first, first + self.size)
                yield [a if a is None else dense_rows(a, part) for a in self.arrays]
            return
        if self.on_device:  # gathered there, into new arrays, by an order moved there
            for first in range(0, self.n, self.size):
                rows = order[first : min(first + self.size, self.n)]
                yield [a if a is None else namespace(a).take(a, rows, axis=0) for a in self.arrays]
            return
        if not self.buffers:
            self.buffers = [
                None if a is None or is_sparse(a) else np.empty((self.size, *a.shape[1:]), a.dtype)
                for a in self.arrays
            ]
        for first in range(0, self.n, self.size):
            rows = order[first : first + self.size]
            yield [
                _gather(a, rows, buffer)
                for a, buffer in zip(self.arrays, self.buffers, strict=True)
            ]


def joined(arrays: list[np.ndarray]) -> np.ndarray:
    """One array of the rows of several (without a copy when there is one)."""
    return arrays[0] if len(arrays) == 1 else concat(arrays)


def _gather(
    array: np.ndarray | None, rows: np.ndarray, buffer: np.ndarray | None
) -> np.ndarray | None:
    if array is None:
        return None
    if buffer is None:  # a sparse array: its rows, made dense
        return array[rows].toarray()
    # mode="clip" spares np.take the bounds check that makes it buffer its output; the rows
    # of a permutation are all valid.
    return np.take(array, rows, axis=0, out=buffer[: len(rows)], mode="clip")


def is_sparse(X: Any) -> bool:
    """Whether X is a SciPy sparse matrix or array (told without importing SciPy)."""
    return hasattr(X, "tocsr") and hasattr(X, "nnz")


def checked_data(net: Network, X: Any, Y: Any) -> tuple[Any, np.ndarray]:
    """``net.check_data(X, Y)``, except that a SciPy sparse X stays sparse: in CSR form (whose
    rows are quick to take) and the network's dtype, its rows made dense a chunk at a time."""
    if not is_sparse(X):
        return net.check_data(X, Y)
    if not net.backend.is_numpy:
        raise TypeError(
            f"X is a sparse matrix: it trains on backend='numpy' only, not on "
            f"backend={net.backend.name!r}; give X.toarray() (or an array on the device)"
        )
    n_inputs = net.sizes[0]
    if X.ndim != 2 or X.shape[1] != n_inputs:
        raise ValueError(
            f"X is a sparse matrix of shape {X.shape} but the network's input layer has "
            f"{n_inputs} neurons (sizes[0]={n_inputs}): expected shape (n_samples, {n_inputs})"
        )
    Y = net.check_targets(Y, X.shape[0])
    return X.tocsr().astype(net.dtype, copy=False), Y


def dense_rows(X: Any, rows: slice | np.ndarray) -> np.ndarray:
    """The ``rows`` of X as an array: a SciPy sparse matrix (or array) is made dense only for
    those rows, so that a large sparse data set never is all at once."""
    part = X[rows]
    return part.toarray() if hasattr(part, "toarray") else part
