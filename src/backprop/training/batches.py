"""An epoch's rows in chunks of whole batches: the data side of the training loop's speed.

Shuffled rows are gathered a chunk at a time, one ``np.take`` for several batches, into
buffers allocated once per ``fit``; the chunk's losses and accuracy are then computed together.
Memory stays bounded whatever the data's size.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

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
        row_bytes = sum(a[:1].nbytes for a in arrays if a is not None)
        self.size = min(n, batch * max(1, CHUNK_BYTES // (batch * row_bytes)))
        self.buffers: list[np.ndarray | None] = []

    def __call__(self, order: np.ndarray | None) -> Iterator[list[Any]]:
        """One list of arrays per chunk, in the order of ``arrays``."""
        if order is None:
            for first in range(0, self.n, self.size):
                yield [a if a is None else a[first : first + self.size] for a in self.arrays]
            return
        if not self.buffers:
            self.buffers = [
                None if a is None else np.empty((self.size, *a.shape[1:]), a.dtype)
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
    return arrays[0] if len(arrays) == 1 else np.concatenate(arrays)


def _gather(
    array: np.ndarray | None, rows: np.ndarray, buffer: np.ndarray | None
) -> np.ndarray | None:
    if array is None or buffer is None:
        return None
    # mode="clip" spares np.take the bounds check that makes it buffer its output; the rows
    # of a permutation are all valid.
    return np.take(array, rows, axis=0, out=buffer[: len(rows)], mode="clip")
