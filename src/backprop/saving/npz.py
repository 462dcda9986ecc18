"""Reading a ``.npz`` archive with bounded memory and without pickle, whatever its bytes say.

A ``.npz`` is a zip archive of ``.npy`` arrays, and ``numpy.load`` trusts what the archive
declares: a ``.npy`` header declaring 10**12 elements makes it allocate terabytes, a few
megabytes of deflated zeros inflate to gigabytes, and a corrupt archive raises whichever
error the zip or zlib module happened to meet. A model file may come from anywhere (a
download, a colleague, a failing disk), so :class:`Archive` reads one in three steps, each
checked before the next one costs memory:

1. the zip's end record: a central directory larger than :data:`MAX_DIRECTORY_BYTES` is
   refused before :mod:`zipfile` parses it (it reads the whole directory when it opens);
2. the central directory: at most :data:`MAX_MEMBERS` members, each a ``.npy`` array, stored
   or deflated and not encrypted, none inflating more than :data:`MAX_COMPRESSION_RATIO`-fold
   and all together to at most :data:`MAX_TOTAL_BYTES`;
3. a member's own ``.npy`` header (a few hundred bytes, read on its own): its shape and dtype
   must account for exactly the bytes the directory declares. Only then is memory allocated
   for the data, which is read in chunks and checked against the member's CRC.

A member is inflated only when asked for, so a member the caller refuses by its name is never
inflated at all. Whatever is wrong becomes one :class:`ModelFileError` naming the file, the
member and, where a limit refused it, the limit.
"""

from __future__ import annotations

import contextlib
import io
import math
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np
from numpy.lib import format as npy

#: Most bytes the members of one file may inflate to, together. A [784, 4096, 4096, 4096, 10]
#: float64 network with Adam's two buffers holds about 1.2 GB of arrays.
MAX_TOTAL_BYTES = 4 * 2**30
#: Most members one file may hold: a header, two arrays a layer and the extra arrays.
MAX_MEMBERS = 1024
#: Most bytes of the zip's central directory (about a kilobyte for each of MAX_MEMBERS).
MAX_DIRECTORY_BYTES = 2**20
#: Most times a member (or the whole archive) may inflate beyond its compressed size, once it
#: inflates to more than RATIO_EXEMPT_BYTES. Model files are written uncompressed (ratio 1);
#: compressed float arrays shrink little, while deflated zeros inflate about 1000-fold.
MAX_COMPRESSION_RATIO = 100
#: What a member (or the archive) may always inflate to, whatever its compression ratio, so
#: that small arrays of zeros (fresh biases, optimizer buffers) in a compressed file still load.
RATIO_EXEMPT_BYTES = 2**20
#: Most bytes of a member's ``.npy`` header (numpy's own default limit).
MAX_NPY_HEADER_BYTES = 10_000

#: Zip compression methods a model file may use: numpy's savez and savez_compressed.
_METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflated"}
#: What the zip and zlib modules raise on a damaged archive or member (NotImplementedError:
#: a header asking for a zip version or a feature zipfile lacks).
_CORRUPT = (
    zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, struct.error,
    NotImplementedError,
)  # fmt: skip
#: Bytes read at a time: the data goes straight into the array, a chunk at a time.
_CHUNK = 2**24

# The zip's end records (APPNOTE.TXT 4.3.14-4.3.16), read the way zipfile reads them.
_END = struct.Struct("<4s4H2LH")
_END_SIGNATURE = b"PK\x05\x06"
_ZIP64_LOCATOR = struct.Struct("<4sLQL")
_ZIP64_LOCATOR_SIGNATURE = b"PK\x06\x07"
_ZIP64_END = struct.Struct("<4sQ2H2L4Q")
_ZIP64_END_SIGNATURE = b"PK\x06\x06"


class ModelFileError(ValueError):
    """A file that is not a readable backprop model."""


@dataclass(frozen=True)
class ArrayInfo:
    """What a member's ``.npy`` header declares, read without reading its data."""

    shape: tuple[int, ...]
    dtype: np.dtype
    fortran_order: bool
    #: Where the data starts in the inflated member: after the magic string and the header.
    offset: int

    @property
    def nbytes(self) -> int:
        return math.prod(self.shape) * self.dtype.itemsize

    def describe(self) -> str:
        """E.g. "a (2, 3) float64 array"."""
        return f"a {self.shape} {self.dtype} array"


class Archive:
    """An open ``.npz`` archive whose directory was checked against the limits.

    ``members`` maps each array name (the member's name without ``.npy``) to its directory
    entry; :meth:`inspect` reads a member's ``.npy`` header, :meth:`read` its array.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file = path.open("rb")
        self._infos: dict[str, ArrayInfo] = {}
        try:
            self._zip = self._open()
        except BaseException:
            self._file.close()
            raise
        try:
            self.members = self._check_directory()
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._zip.close()
        self._file.close()

    def inspect(self, name: str) -> ArrayInfo:
        """The shape and dtype member ``name`` declares, checked against its size."""
        if name not in self._infos:
            with self._member(name) as stream:
                self._infos[name] = self._read_npy_header(name, stream)
        return self._infos[name]

    def read(self, name: str) -> np.ndarray:
        """The array held by member ``name``, after :meth:`inspect` accepted its header."""
        info = self.inspect(name)
        count = math.prod(info.shape)
        # np.ndarray, not np.empty, as numpy's own reader does: np.empty mistakes a dtype of
        # zero-width strings for one-character strings.
        array = np.ndarray((count,), info.dtype)
        with self._member(name) as stream:
            stream.read(info.offset)  # the header, checked by inspect
            if info.nbytes:
                data, filled = array.view(np.uint8), 0
                while filled < info.nbytes:
                    got = stream.readinto(data[filled : filled + _CHUNK])  # type: ignore[attr-defined]
                    if not got:  # cannot happen while the directory's size holds: checked anyway
                        raise ModelFileError(
                            f"{self.path}: member {self._file_name(name)!r} ends after "
                            f"{filled} of its {info.nbytes} bytes of data"
                        )
                    filled += got
        if info.fortran_order:
            return array.reshape(info.shape[::-1]).transpose()
        return array.reshape(info.shape)

    # -- the three steps -----------------------------------------------------------------------

    def _open(self) -> zipfile.ZipFile:
        """The zip archive, once its end record says its directory is within the limit."""
        if self._file.read(4) != b"PK\x03\x04":  # every .npz starts with a zip's first entry
            raise ModelFileError(f"{self.path} is not a backprop model file (not a .npz archive)")
        size = _directory_size(self._file)
        if size is None:
            raise ModelFileError(
                f"{self.path} is not a backprop model file (not a valid .npz: the zip archive "
                "has no end record; is the file truncated?)"
            )
        if size > MAX_DIRECTORY_BYTES:
            raise ModelFileError(
                f"{self.path} is refused: its zip central directory declares {_size(size)}, "
                f"over the limit of {_size(MAX_DIRECTORY_BYTES)} (MAX_DIRECTORY_BYTES)"
            )
        try:
            return zipfile.ZipFile(self._file)
        except _CORRUPT as error:
            raise ModelFileError(
                f"{self.path} is not a backprop model file (not a valid .npz: {error})"
            ) from None

    def _check_directory(self) -> dict[str, zipfile.ZipInfo]:
        """The members by array name, once the directory's declared sizes are within limits."""
        entries = self._zip.infolist()
        if len(entries) > MAX_MEMBERS:
            raise ModelFileError(
                f"{self.path} is refused: it holds {len(entries)} members, over the limit of "
                f"{MAX_MEMBERS} (MAX_MEMBERS)"
            )
        members: dict[str, zipfile.ZipInfo] = {}
        for entry in entries:
            where = f"{self.path}: member {entry.filename!r}"
            if not entry.filename.endswith(".npy"):
                raise ModelFileError(f"{where} is not a .npy array: is the file a model file?")
            name = entry.filename.removesuffix(".npy")
            if name in members:
                raise ModelFileError(f"{where} appears twice in the archive")
            if entry.flag_bits & 0x1:
                raise ModelFileError(f"{where} is encrypted; model files are not")
            if entry.compress_type not in _METHODS:
                raise ModelFileError(
                    f"{where} uses zip compression method {entry.compress_type}; model files "
                    f"are {' or '.join(_METHODS.values())}"
                )
            if _bomb(entry.file_size, entry.compress_size):
                raise ModelFileError(
                    f"{where} is refused: it would inflate to {_size(entry.file_size)} from "
                    f"{_size(entry.compress_size)}, more than {MAX_COMPRESSION_RATIO} times "
                    "its size (MAX_COMPRESSION_RATIO)"
                )
            members[name] = entry
        if not entries:
            return members
        total = sum(entry.file_size for entry in entries)
        largest = max(entries, key=lambda entry: entry.file_size)
        inflating = (
            f"{self.path} is refused: its {len(entries)} members would inflate to "
            f"{_size(total)} (the largest, {largest.filename!r}, to {_size(largest.file_size)})"
        )
        if total > MAX_TOTAL_BYTES:
            raise ModelFileError(
                f"{inflating}, over the limit of {_size(MAX_TOTAL_BYTES)} (MAX_TOTAL_BYTES)"
            )
        # Many members, each small enough to be exempt from the ratio, must not add up to a bomb.
        if _bomb(total, sum(entry.compress_size for entry in entries)):
            raise ModelFileError(
                f"{inflating}, more than {MAX_COMPRESSION_RATIO} times their size in the file "
                "(MAX_COMPRESSION_RATIO)"
            )
        return members

    def _read_npy_header(self, name: str, stream: IO[bytes]) -> ArrayInfo:
        """The member's ``.npy`` header, read from the start of ``stream`` and checked."""
        where = f"{self.path}: member {self._file_name(name)!r}"
        prefix = stream.read(len(npy.MAGIC_PREFIX) + 2)
        if len(prefix) < len(npy.MAGIC_PREFIX) + 2 or not prefix.startswith(npy.MAGIC_PREFIX):
            raise ModelFileError(f"{where} is not a .npy array (no .npy magic string)")
        version = (prefix[-2], prefix[-1])
        # The header's length is a 2-byte field in version 1.0, a 4-byte one in 2.0.
        readers = {
            (1, 0): ("<H", npy.read_array_header_1_0),
            (2, 0): ("<I", npy.read_array_header_2_0),
        }
        if version not in readers:
            raise ModelFileError(f"{where} has .npy format version {version}; expected 1.0 or 2.0")
        length_format, reader = readers[version]
        length_field = stream.read(struct.calcsize(length_format))
        if len(length_field) < struct.calcsize(length_format):
            raise ModelFileError(f"{where} ends inside its .npy header")
        (length,) = struct.unpack(length_format, length_field)
        if length > MAX_NPY_HEADER_BYTES:
            raise ModelFileError(
                f"{where} is refused: its .npy header declares {length} bytes, over the limit "
                f"of {MAX_NPY_HEADER_BYTES} (MAX_NPY_HEADER_BYTES)"
            )
        text = stream.read(length)
        if len(text) < length:
            raise ModelFileError(f"{where} ends inside its .npy header")
        try:
            buffer = io.BytesIO(prefix + length_field + text)
            npy.read_magic(buffer)
            shape, fortran_order, dtype = reader(buffer, max_header_size=MAX_NPY_HEADER_BYTES)
        except (ValueError, TypeError, SyntaxError) as error:
            raise ModelFileError(
                f"{where} has an unreadable .npy header: {' '.join(str(error).split())}"
            ) from None
        # numpy parses the header with ast.literal_eval, whose parser runs out of stack (or
        # recursion) on some texts of a few thousand characters, such as "-" * 9000 + "1".
        except (RecursionError, MemoryError):
            raise ModelFileError(
                f"{where} has an unreadable .npy header: it nests too deeply to be parsed"
            ) from None
        if dtype.hasobject:
            raise ModelFileError(
                f"{where} holds Python objects ({dtype}), which only pickle could read: model "
                "files are read without pickle"
            )
        if any(n < 0 for n in shape):
            raise ModelFileError(f"{where} declares the impossible shape {shape}")
        if dtype.subdtype is not None:  # no array has one: numpy moves it into the shape
            raise ModelFileError(f"{where} declares the sub-array dtype {dtype}")
        offset = len(prefix) + len(length_field) + len(text)
        info = ArrayInfo(tuple(int(n) for n in shape), dtype, bool(fortran_order), offset)
        entry = self.members[name]
        if info.offset + info.nbytes != entry.file_size:
            raise ModelFileError(
                f"{where} declares {info.describe()} ({_size(info.nbytes)}) but holds "
                f"{_size(max(entry.file_size - info.offset, 0))} of data"
            )
        return info

    @contextlib.contextmanager
    def _member(self, name: str) -> Iterator[IO[bytes]]:
        """Member ``name``, open for reading; a damaged archive raises one ModelFileError."""
        try:
            with self._zip.open(self.members[name]) as stream:
                yield stream
        except ModelFileError:
            raise
        except _CORRUPT as error:
            raise ModelFileError(
                f"{self.path}: member {self._file_name(name)!r} is corrupt ({error})"
            ) from None

    def _file_name(self, name: str) -> str:
        return self.members[name].filename


def _bomb(inflated: int, compressed: int) -> bool:
    """Whether ``compressed`` bytes inflating to ``inflated`` are more than the ratio allows."""
    return inflated > RATIO_EXEMPT_BYTES and inflated > MAX_COMPRESSION_RATIO * compressed


def _directory_size(file: IO[bytes]) -> int | None:
    """The size of the central directory as the zip's end records declare it (None: no end
    record). Where a ZIP64 end record is present too, the larger of the two sizes."""
    end = file.seek(0, io.SEEK_END)
    # Like zipfile: the end record is the last 22 bytes, unless a comment (at most 64 KiB)
    # follows it: then it is the last signature before the comment.
    tail_start = max(0, end - _END.size - (1 << 16) - _ZIP64_LOCATOR.size)
    file.seek(tail_start)
    tail = file.read()
    at = len(tail) - _END.size
    if not (at >= 0 and tail[at:].startswith(_END_SIGNATURE) and tail[-2:] == b"\0\0"):
        at = tail.rfind(_END_SIGNATURE, max(0, len(tail) - _END.size - (1 << 16)))
        if at < 0 or len(tail) - at < _END.size:
            return None
    size = _END.unpack_from(tail, at)[5]
    locator = at - _ZIP64_LOCATOR.size
    if locator >= 0 and tail[locator:].startswith(_ZIP64_LOCATOR_SIGNATURE):
        # Python's zipfile has looked for the ZIP64 end record just before the locator, and
        # where the locator points: both places are checked.
        pointed = _ZIP64_LOCATOR.unpack_from(tail, locator)[2]
        for position in (tail_start + locator - _ZIP64_END.size, pointed):
            if 0 <= position <= end - _ZIP64_END.size:
                file.seek(position)
                record = file.read(_ZIP64_END.size)
                if record.startswith(_ZIP64_END_SIGNATURE):
                    size = max(size, _ZIP64_END.unpack(record)[8])
    file.seek(0)
    return int(size)


def _size(n: int) -> str:
    """``n`` bytes for a person: "800 B", "2.0 MiB", "7.3 TiB"."""
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024:
            return f"{n} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TiB"
