"""IDX files, the format MNIST is published in: a magic number, the dimensions, the values."""

from __future__ import annotations

import gzip
import io
import os
import struct
import zlib
from pathlib import Path
from typing import Any

import numpy as np

# Third byte of the magic number -> element type; the fourth byte is the number of dimensions.
_IDX_TYPES: dict[int, np.dtype[Any]] = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_GZIP_MAGIC = b"\x1f\x8b"


def open_maybe_gzip(path: Path) -> io.BufferedIOBase:
    """Open ``path`` for reading, decompressing on the fly when its first bytes say gzip."""
    with path.open("rb") as probe:
        is_gzip = probe.read(2) == _GZIP_MAGIC
    return gzip.open(path, "rb") if is_gzip else path.open("rb")


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read an IDX file (raw or gzip, told apart by content) into an array of its shape.

    The header is a magic number ``0x0000TTDD`` (TT the element type, DD the number of
    dimensions) and one big-endian uint32 per dimension. The file must hold exactly the bytes the
    header announces, so a truncated download fails here rather than as garbage digits.
    """
    path = Path(path)
    try:
        with open_maybe_gzip(path) as f:
            dtype, shape = _read_idx_header(f, path)
            header_bytes = 4 + 4 * len(shape)
            try:
                data = np.empty(shape, dtype=dtype)
            except (MemoryError, ValueError) as exc:  # a corrupt header announcing a huge shape
                raise ValueError(
                    f"IDX file '{path}' announces shape {shape} ({dtype.name}), too large to load"
                ) from exc
            n_read = _read_into(f, data)
            trailing = len(f.read())
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:  # (EOFError: not Ctrl-C here)
        raise ValueError(
            f"IDX file '{path}' is a damaged gzip file ({exc or 'it ends early'}): "
            "download it again"
        ) from None
    if n_read != data.nbytes or trailing:
        raise ValueError(
            f"IDX file '{path}' is {'truncated' if trailing == 0 else 'too long'}: its header "
            f"announces {header_bytes + data.nbytes} bytes (shape {shape}, {dtype.name}), "
            f"but it holds {header_bytes + n_read + trailing}"
        )
    return data.astype(dtype.newbyteorder("="), copy=False)


def _read_idx_header(f: io.BufferedIOBase, path: Path) -> tuple[np.dtype[Any], tuple[int, ...]]:
    """Parse the magic number and dimensions at the start of an IDX stream."""
    magic = f.read(4)
    if len(magic) < 4:
        raise ValueError(
            f"IDX file '{path}' is truncated: {len(magic)} bytes, too short for a header"
        )
    if magic[:2] != b"\x00\x00" or magic[2] not in _IDX_TYPES or magic[3] == 0:
        codes = ", ".join(f"0x{code:02X} {dt.name}" for code, dt in _IDX_TYPES.items())
        raise ValueError(
            f"'{path}' is not an IDX file: bad magic number 0x{magic.hex().upper()}, expected "
            f"0x0000TTDD with TT a type code ({codes}) and DD the number of dimensions"
        )
    ndim = magic[3]
    raw_dims = f.read(4 * ndim)
    if len(raw_dims) < 4 * ndim:
        raise ValueError(
            f"IDX file '{path}' is truncated: its header needs {4 + 4 * ndim} bytes, "
            f"but it holds {4 + len(raw_dims)}"
        )
    return _IDX_TYPES[magic[2]], struct.unpack(f">{ndim}I", raw_dims)


def _read_into(f: io.BufferedIOBase, array: np.ndarray) -> int:
    """Fill ``array``'s memory from ``f`` without an intermediate copy; return bytes read."""
    buffer = array.reshape(-1).data.cast("B")
    total = 0
    while total < len(buffer):
        n = f.readinto(buffer[total:])
        if not n:
            break
        total += n
    return total
