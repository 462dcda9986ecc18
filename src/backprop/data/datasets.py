"""Datasets: toy problems, scikit-learn's digits, MNIST from its original IDX files, and CSV files.

Every loader returns a :class:`Dataset`, so the rest of the library never cares where the numbers
came from. ``load`` is the single entry point::

    load("xor")                       # a built-in, by name (see ``available()``)
    load("mnist", data_dir="~/data")  # IDX files found locally, or downloaded once and cached
    load("iris.csv", target="species")

Conventions every caller can rely on:

* ``X`` is ``(n_samples, n_features)`` float64, except for MNIST, whose ``X`` and ``X_test`` are
  float32 (60,000 x 784 float64 would take 376 MB); pixel values are scaled to [0, 1].
* For classification ``y`` holds int64 class indices ``0..k-1`` and ``classes[i]`` is the original
  label of index ``i`` (plain ``str``, ``int`` or ``float``, so it can be written to JSON).
* For regression ``y`` is float64 and ``classes`` is None.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import logging
import math
import os
import shutil
import struct
import tempfile
import urllib.request
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)

Label = str | int | float
TASKS = ("classification", "regression")

# A numeric CSV target with integer values and at most this many distinct values is read as class
# labels (0/1, 1..5 stars, digits 0..9); anything else numeric is a regression target.
MAX_INTEGER_CLASSES = 20


@dataclass
class Dataset:
    """Feature matrix, targets, and what they mean: everything a training run needs."""

    name: str
    X: np.ndarray
    y: np.ndarray
    task: str
    classes: list[Label] | None
    feature_names: list[str]
    target_name: str | None = None
    X_test: np.ndarray | None = None
    y_test: np.ndarray | None = None
    description: str = ""

    def __post_init__(self) -> None:
        """Reject inconsistent fields at construction, not deep inside a training loop."""
        if self.task not in TASKS:
            raise ValueError(f"task={self.task!r} is not supported: expected one of {TASKS}")
        if self.X.ndim != 2:
            raise ValueError(f"X must be 2-D (n_samples, n_features), got shape {self.X.shape}")
        if len(self.y) != len(self.X):
            raise ValueError(f"X has {len(self.X)} rows but y has {len(self.y)}")
        if len(self.feature_names) != self.X.shape[1]:
            raise ValueError(
                f"{len(self.feature_names)} feature_names given for {self.X.shape[1]} features"
            )
        if (self.task == "classification") != (self.classes is not None):
            raise ValueError("classes must be a list for classification and None for regression")
        if (self.X_test is None) != (self.y_test is None):
            raise ValueError("X_test and y_test must be given together")

    @property
    def n_features(self) -> int:
        """Number of input columns, i.e. the size of the network's input layer."""
        return int(self.X.shape[1])

    @property
    def n_classes(self) -> int | None:
        """Number of classes for classification, None for regression."""
        return None if self.classes is None else len(self.classes)

    @property
    def n_outputs(self) -> int:
        """Size of the output layer: one unit per class (two for binary), or per target column."""
        if self.classes is not None:
            return len(self.classes)
        return 1 if self.y.ndim == 1 else int(self.y.shape[1])


# --------------------------------------------------------------------------------------------
# Built-in datasets
# --------------------------------------------------------------------------------------------

_GATES = {
    "xor": [0, 1, 1, 0],
    "and": [0, 0, 0, 1],
    "or": [0, 1, 1, 1],
}

_DESCRIPTIONS = {
    "xor": "XOR truth table: 4 rows, 2 binary inputs, 2 classes (not linearly separable)",
    "and": "AND truth table: 4 rows, 2 binary inputs, 2 classes",
    "or": "OR truth table: 4 rows, 2 binary inputs, 2 classes",
    "digits": "scikit-learn's 8x8 handwritten digits: 1797 x 64 pixels in [0, 1], 10 classes",
    "moons": "two interleaving half circles: 500 x 2, noise 0.2, 2 classes",
    "circles": "a circle inside a circle: 500 x 2, noise 0.1, factor 0.5, 2 classes",
    "spiral": "three-armed spiral (CS231n): 300 x 2, 3 classes",
    "blobs": "three Gaussian blobs: 500 x 2, 3 classes",
    "mnist": "MNIST handwritten digits: 60000 + 10000 test images, 28x28 in [0, 1], 10 classes",
}


def available() -> dict[str, str]:
    """Built-in dataset names mapped to a one-line description (for ``backprop datasets``)."""
    return dict(_DESCRIPTIONS)


def load(
    name_or_path: str | os.PathLike[str],
    *,
    data_dir: str | os.PathLike[str] | None = None,
    target: str | int | None = None,
    seed: int = 0,
    task: str | None = None,
) -> Dataset:
    """Load a built-in dataset by name, or a CSV file by path.

    A string that is a built-in name always means the built-in; a ``Path`` object always means a
    file. ``data_dir`` is only used by ``mnist``, ``seed`` only by the random two-feature sets
    (moons, circles, spiral, blobs), ``target`` and ``task`` only by CSV files.
    """
    if task is not None and task not in TASKS:
        raise ValueError(f"task={task!r} is not supported: expected one of {', '.join(TASKS)}")
    if isinstance(name_or_path, str) and name_or_path in _DESCRIPTIONS:
        if target is not None:
            raise ValueError(
                f"target={target!r} only applies to CSV files; "
                f"the built-in dataset {name_or_path!r} has a fixed target"
            )
        dataset = _load_builtin(name_or_path, data_dir=data_dir, seed=seed)
        if task is not None and task != dataset.task:
            raise ValueError(
                f"task={task!r} does not fit the built-in dataset {name_or_path!r}, "
                f"which is a {dataset.task} dataset"
            )
        return dataset
    path = Path(name_or_path).expanduser()
    if path.is_file():
        return load_csv(path, target=target, task=task)
    if path.is_dir():
        raise ValueError(f"dataset path '{path}' is a directory: expected a CSV file")
    text = os.fspath(name_or_path)
    if not isinstance(name_or_path, str) or _looks_like_path(text):
        raise FileNotFoundError(
            f"dataset file '{text}' does not exist (looked at '{path.resolve()}')"
        )
    raise ValueError(
        f"unknown dataset {text!r}: expected one of {', '.join(_DESCRIPTIONS)} "
        "or a path to a CSV file"
    )


def _looks_like_path(text: str) -> bool:
    """True for 'data/x', 'x.csv' and the like: a typo there is a missing file, not a bad name."""
    separators = {"/", os.sep} | ({os.altsep} if os.altsep else set())
    return any(sep in text for sep in separators) or text.lower().endswith(".csv")


def _load_builtin(name: str, *, data_dir: str | os.PathLike[str] | None, seed: int) -> Dataset:
    """Dispatch a built-in name to its loader."""
    if name in _GATES:
        return _logic_gate(name)
    if name == "digits":
        return _digits()
    if name == "mnist":
        return load_mnist(data_dir)
    makers: dict[str, Callable[[int], tuple[np.ndarray, np.ndarray]]] = {
        "moons": _make_moons,
        "circles": _make_circles,
        "spiral": make_spiral,
        "blobs": _make_blobs,
    }
    X, y = makers[name](seed)
    classes: list[Label] = [int(c) for c in np.unique(y)]
    return Dataset(
        name=name,
        X=X.astype(np.float64),
        y=y.astype(np.int64),
        task="classification",
        classes=classes,
        feature_names=["x1", "x2"],
        target_name="class",
        description=f"{_DESCRIPTIONS[name]} (seed {seed})",
    )


def _logic_gate(name: str) -> Dataset:
    """The four rows of a two-input truth table: the smallest problems worth training on."""
    classes: list[Label] = [0, 1]
    return Dataset(
        name=name,
        X=np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64),
        y=np.array(_GATES[name], dtype=np.int64),
        task="classification",
        classes=classes,
        feature_names=["x1", "x2"],
        target_name=name,
        description=_DESCRIPTIONS[name],
    )


def _digits() -> Dataset:
    """scikit-learn's bundled 8x8 digits, pixels 0..16 divided by 16 as the tutorials do."""
    from sklearn.datasets import load_digits  # imported here: sklearn takes a second to import

    bunch = load_digits()
    classes: list[Label] = list(range(10))
    return Dataset(
        name="digits",
        X=np.asarray(bunch.data, dtype=np.float64) / 16.0,
        y=np.asarray(bunch.target, dtype=np.int64),
        task="classification",
        classes=classes,
        feature_names=[str(f) for f in bunch.feature_names],
        target_name="digit",
        description=_DESCRIPTIONS["digits"],
    )


def _make_moons(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's two moons."""
    from sklearn.datasets import make_moons

    X, y = make_moons(n_samples=500, noise=0.2, random_state=seed)
    return X, y


def _make_circles(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's concentric circles."""
    from sklearn.datasets import make_circles

    X, y = make_circles(n_samples=500, noise=0.1, factor=0.5, random_state=seed)
    return X, y


def _make_blobs(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's isotropic Gaussian blobs, three centres in the plane."""
    from sklearn.datasets import make_blobs

    X, y = make_blobs(n_samples=500, centers=3, n_features=2, random_state=seed)
    return X, y


def make_spiral(
    seed: int = 0, n_per_class: int = 100, n_classes: int = 3
) -> tuple[np.ndarray, np.ndarray]:
    """The CS231n spiral: arms of growing radius whose angle is jittered by Gaussian noise.

    No straight line separates the arms, so a softmax classifier fails and a small hidden layer
    succeeds: the point of the example.
    """
    rng = np.random.default_rng(seed)
    X = np.zeros((n_per_class * n_classes, 2))
    y = np.zeros(n_per_class * n_classes, dtype=np.int64)
    for j in range(n_classes):
        rows = slice(n_per_class * j, n_per_class * (j + 1))
        radius = np.linspace(0.0, 1.0, n_per_class)
        theta = (
            np.linspace(j * 4, (j + 1) * 4, n_per_class) + rng.standard_normal(n_per_class) * 0.2
        )
        X[rows] = np.column_stack([radius * np.sin(theta), radius * np.cos(theta)])
        y[rows] = j
    return X, y


# --------------------------------------------------------------------------------------------
# IDX files (the MNIST format)
# --------------------------------------------------------------------------------------------

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


def _open_maybe_gzip(path: Path) -> io.BufferedIOBase:
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
    with _open_maybe_gzip(path) as f:
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


# --------------------------------------------------------------------------------------------
# MNIST: finding, downloading and verifying the four files
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IdxFileSpec:
    """One MNIST file: its name without ``.gz`` and the size and checksums of its raw content."""

    name: str
    size: int
    md5: str
    sha256: str


# Checksums of the *decompressed* files: mirrors gzip them with different timestamps, so the
# compressed bytes differ while the content does not. The MD5s are the published ones.
MNIST_FILES: dict[str, IdxFileSpec] = {
    "train_images": IdxFileSpec(
        "train-images-idx3-ubyte",
        47_040_016,
        "6bbc9ace898e44ae57da46a324031adb",
        "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    ),
    "train_labels": IdxFileSpec(
        "train-labels-idx1-ubyte",
        60_008,
        "a25bea736e30d166cdddb491f175f624",
        "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    ),
    "test_images": IdxFileSpec(
        "t10k-images-idx3-ubyte",
        7_840_016,
        "2646ac647ad5339dbf082846283269ea",
        "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    ),
    "test_labels": IdxFileSpec(
        "t10k-labels-idx1-ubyte",
        10_008,
        "27ae3e4e09519cfbb04c329615203637",
        "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    ),
}

# Base URLs tried in order; each serves ``<name>.gz``. Tests point this at a file:// directory.
MNIST_MIRRORS: tuple[str, ...] = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)
DOWNLOAD_TIMEOUT_S = 60.0


class DownloadError(OSError):
    """A download failed on every mirror, or delivered content that failed verification."""


def mnist_cache_dir() -> Path:
    """The per-user download cache: ``${XDG_CACHE_HOME:-~/.cache}/backprop/mnist``."""
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    base = Path(xdg) if os.path.isabs(xdg) else Path.home() / ".cache"
    return base / "backprop" / "mnist"


def _mnist_search_dirs(data_dir: str | os.PathLike[str] | None) -> list[Path]:
    """Directories that may hold the four files, in the order they are tried."""
    dirs: list[Path] = []
    for root in (data_dir, os.environ.get("BACKPROP_DATA") or None):
        if root is not None:
            root_path = Path(root).expanduser()
            dirs += [root_path, root_path / "mnist"]
    dirs.append(mnist_cache_dir())
    return dirs


def _find_idx(directory: Path, spec: IdxFileSpec) -> Path | None:
    """``directory/name`` or ``directory/name.gz``, whichever exists (raw first)."""
    for candidate in (directory / spec.name, directory / f"{spec.name}.gz"):
        if candidate.is_file():
            return candidate
    return None


def locate_mnist(data_dir: str | os.PathLike[str] | None = None, *, download: bool = True) -> Path:
    """The first directory holding all four MNIST files, downloading into the cache if none does.

    Searched in order: ``data_dir`` (and its ``mnist/`` subfolder), ``$BACKPROP_DATA`` (and its
    ``mnist/`` subfolder), then the cache from :func:`mnist_cache_dir`.
    """
    dirs = _mnist_search_dirs(data_dir)
    for directory in dirs:
        if all(_find_idx(directory, spec) for spec in MNIST_FILES.values()):
            return directory
    searched = "MNIST files not found; looked in " + ", ".join(f"'{d}'" for d in dirs)
    if not download:
        raise FileNotFoundError(searched)
    try:
        return download_mnist(dirs[-1])
    except DownloadError as exc:
        raise DownloadError(f"{searched}; then {exc}") from exc


def download_mnist(
    directory: str | os.PathLike[str] | None = None, *, mirrors: Sequence[str] | None = None
) -> Path:
    """Download whichever of the four MNIST files ``directory`` lacks; return the directory.

    ``directory`` defaults to the cache and ``mirrors`` to :data:`MNIST_MIRRORS`. Each file is
    verified (size, MD5 and SHA-256 of its decompressed content) before it gets its final name.
    """
    target_dir = mnist_cache_dir() if directory is None else Path(directory).expanduser()
    target_dir.mkdir(parents=True, exist_ok=True)
    for spec in MNIST_FILES.values():
        if _find_idx(target_dir, spec) is None:
            _download_file(spec, target_dir, MNIST_MIRRORS if mirrors is None else mirrors)
    return target_dir


def _download_file(spec: IdxFileSpec, directory: Path, mirrors: Sequence[str]) -> Path:
    """Fetch ``<name>.gz`` from the first mirror that delivers verified content."""
    if not mirrors:
        raise DownloadError(f"cannot download {spec.name}.gz: the list of mirrors is empty")
    failures = []
    for base in mirrors:
        url = (base if base.endswith("/") else base + "/") + f"{spec.name}.gz"
        try:
            return _fetch_verified(url, directory / f"{spec.name}.gz", spec)
        except OSError as exc:  # URLError, HTTPError, timeouts and DownloadError alike
            logger.warning("download of %s failed: %s", url, exc)
            failures.append(f"{url}: {exc}")
    raise DownloadError(f"could not download {spec.name}.gz:\n  " + "\n  ".join(failures))


def _fetch_verified(url: str, destination: Path, spec: IdxFileSpec) -> Path:
    """Download to a temporary file beside ``destination``, verify it, then rename atomically.

    A failed or corrupted download is deleted, so the cache only ever holds verified files and
    concurrent downloads cannot see each other's partial files.
    """
    logger.info("downloading %s to %s", url, destination)
    fd, temp_name = tempfile.mkstemp(dir=destination.parent, prefix=f".{destination.name}.")
    temp = Path(temp_name)
    try:
        with (
            os.fdopen(fd, "wb") as out,
            urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as response,
        ):
            shutil.copyfileobj(response, out)
        _verify_content(temp, spec, url)
        os.replace(temp, destination)
    finally:
        temp.unlink(missing_ok=True)
    return destination


def _verify_content(path: Path, spec: IdxFileSpec, source: str) -> None:
    """Raise DownloadError unless the (decompressed) content matches ``spec``."""
    size, md5, sha256 = 0, hashlib.md5(), hashlib.sha256()
    try:
        with _open_maybe_gzip(path) as f:
            while chunk := f.read(1 << 20):
                size += len(chunk)
                md5.update(chunk)
                sha256.update(chunk)
    except (OSError, EOFError, zlib.error) as exc:
        raise DownloadError(f"{source} is not a readable gzip file ({exc}); deleted it") from exc
    if (size, md5.hexdigest(), sha256.hexdigest()) != (spec.size, spec.md5, spec.sha256):
        raise DownloadError(
            f"checksum mismatch for {source}: got {size} bytes with MD5 {md5.hexdigest()}, "
            f"expected {spec.size} bytes with MD5 {spec.md5} (and the matching SHA-256); "
            "deleted the download"
        )


def load_mnist(data_dir: str | os.PathLike[str] | None = None) -> Dataset:
    """MNIST with its original 60,000 / 10,000 split; X and X_test are float32 in [0, 1]."""
    directory = locate_mnist(data_dir)
    arrays = {}
    for key, spec in MNIST_FILES.items():
        path = _find_idx(directory, spec)
        assert path is not None  # locate_mnist guarantees all four files exist
        arrays[key] = (path, read_idx(path))
    X, y = _mnist_split(*arrays["train_images"], *arrays["train_labels"])
    X_test, y_test = _mnist_split(*arrays["test_images"], *arrays["test_labels"])
    height, width = arrays["train_images"][1].shape[1:]
    return Dataset(
        name="mnist",
        X=X,
        y=y,
        task="classification",
        classes=list(range(10)),
        feature_names=[f"pixel_{r}_{c}" for r in range(height) for c in range(width)],
        target_name="digit",
        X_test=X_test,
        y_test=y_test,
        description=f"{_DESCRIPTIONS['mnist']} (from {directory})",
    )


def _mnist_split(
    images_path: Path, images: np.ndarray, labels_path: Path, labels: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Check one images/labels pair and turn it into float32 rows in [0, 1] and int64 labels."""
    if images.ndim != 3 or images.dtype != np.uint8:
        raise ValueError(
            f"'{images_path}' should hold uint8 images (n, rows, cols), "
            f"got {images.dtype.name} of shape {images.shape}"
        )
    if labels.shape != images.shape[:1]:
        raise ValueError(
            f"'{labels_path}' holds {labels.shape} labels for {len(images)} images "
            f"in '{images_path}': expected shape ({len(images)},)"
        )
    if labels.size and labels.max() > 9:
        raise ValueError(f"'{labels_path}' holds label {labels.max()}: expected digits 0..9")
    X = images.reshape(len(images), -1).astype(np.float32)
    X /= np.float32(255.0)  # in place: no float64 temporary of the whole set
    return X, labels.astype(np.int64)


# --------------------------------------------------------------------------------------------
# CSV files
# --------------------------------------------------------------------------------------------

Row = tuple[int, list[str]]  # (line number in the file, stripped fields)


def load_csv(
    path: str | os.PathLike[str],
    *,
    target: str | int | None = None,
    task: str | None = None,
    header: bool | None = None,
) -> Dataset:
    """Read a comma-separated file: numeric feature columns and one target column.

    Header rule (when ``header`` is None): the first row is a header when all its fields are
    non-numeric, or when one of its non-empty fields is non-numeric while the field below it is
    numeric. ``target`` is a column name or index (negative counts from the end; a string of
    digits such as "0" is read as an index unless a column has that name); default the last
    column. The task is inferred from the target (see :func:`_infer_task`) unless ``task`` is
    given. Blank lines are skipped; every other problem raises ValueError naming the line.
    """
    path = Path(path)
    if task is not None and task not in TASKS:
        raise ValueError(f"task={task!r} is not supported: expected one of {', '.join(TASKS)}")
    rows = _read_csv_rows(path)
    if not rows:
        raise ValueError(f"CSV file '{path}' has no data rows: it is empty")
    _check_rectangular(path, rows)
    if header is None:
        header = _looks_like_header(rows[0][1], rows[1][1] if len(rows) > 1 else None)
    names = rows[0][1] if header else None
    body = rows[1:] if header else rows
    if not body:
        raise ValueError(f"CSV file '{path}' has no data rows, only the header {names}")
    n_columns = len(rows[0][1])
    if n_columns < 2:
        raise ValueError(
            f"CSV file '{path}' has a single column: expected feature columns and a target column"
        )
    target_col = _resolve_target(path, target, names, n_columns)
    feature_cols = [c for c in range(n_columns) if c != target_col]
    X = _parse_features(path, body, feature_cols, names)
    y, classes, task = _parse_target(path, body, target_col, names, task)
    if names is None:
        feature_names = [f"x{i + 1}" for i in range(len(feature_cols))]
        target_name = "y"
    else:
        feature_names = [names[c] for c in feature_cols]
        target_name = names[target_col]
    kind = task if classes is None else f"{task}, {len(classes)} classes"
    return Dataset(
        name=path.stem,
        X=X,
        y=y,
        task=task,
        classes=classes,
        feature_names=feature_names,
        target_name=target_name,
        description=(
            f"CSV file {path}: {len(body)} rows, {len(feature_cols)} features, "
            f"target {target_name!r} ({kind})"
        ),
    )


def read_features(path: str | os.PathLike[str], feature_names: Sequence[str]) -> np.ndarray:
    """Rows of features to predict on, from a CSV file with or without a header.

    A header, when present, may list the columns in any order (they are matched by name) and
    may include the target column, which is ignored; without one the columns must be the
    features in training order.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"input file '{path}' does not exist")
    rows = _read_csv_rows(path)
    if not rows:
        raise ValueError(f"CSV file '{path}' has no data rows: it is empty")
    _check_rectangular(path, rows)
    header = _looks_like_header(rows[0][1], rows[1][1] if len(rows) > 1 else None)
    names = rows[0][1] if header else None
    body = rows[1:] if header else rows
    if not body:
        raise ValueError(f"CSV file '{path}' has no data rows, only the header {names}")
    if names is not None:
        missing = [name for name in feature_names if name not in names]
        if missing:
            raise ValueError(
                f"CSV file '{path}' lacks the feature columns {missing} the model was trained "
                f"on (its columns: {names})"
            )
        cols = [names.index(name) for name in feature_names]
    else:
        n = len(rows[0][1])
        if n != len(feature_names):
            raise ValueError(
                f"CSV file '{path}' has {n} columns but the model expects {len(feature_names)} "
                f"features ({', '.join(feature_names[:8])}{', ...' if n > 8 else ''})"
            )
        cols = list(range(n))
    return _parse_features(path, body, cols, names)


def _read_csv_rows(path: Path) -> list[Row]:
    """All non-blank rows with their line numbers; fields are stripped of surrounding spaces."""
    rows: list[Row] = []
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:
            reader = csv.reader(f)
            for fields in reader:
                stripped = [field.strip() for field in fields]
                if any(stripped):
                    rows.append((reader.line_num, stripped))
    except UnicodeDecodeError as exc:
        raise ValueError(f"CSV file '{path}' is not UTF-8 text: {exc}") from exc
    except csv.Error as exc:
        raise ValueError(
            f"CSV file '{path}' is malformed near line {reader.line_num}: {exc}"
        ) from exc
    return rows


def _check_rectangular(path: Path, rows: list[Row]) -> None:
    """Every row must have as many fields as the first one."""
    first_line, first = rows[0]
    for line, fields in rows:
        if len(fields) != len(first):
            raise ValueError(
                f"CSV file '{path}', line {line}: {len(fields)} fields, expected {len(first)} "
                f"like line {first_line}"
            )


def _is_number(text: str) -> bool:
    """True when ``float`` can parse ``text`` (including 'nan' and 'inf')."""
    try:
        float(text)
    except ValueError:
        return False
    return True


def _looks_like_header(first: list[str], second: list[str] | None) -> bool:
    """The header rule documented in :func:`load_csv`."""
    numeric = [_is_number(field) for field in first]
    if not any(numeric):
        return True
    if second is None:
        return False
    return any(
        field and not is_num and _is_number(below)
        for field, is_num, below in zip(first, numeric, second, strict=True)
    )


def _column_label(col: int, names: list[str] | None) -> str:
    """'column 3 ('age')' or 'column 3': 1-based, as a spreadsheet shows it."""
    return f"column {col + 1}" if names is None else f"column {col + 1} ({names[col]!r})"


def _resolve_target(path: Path, target: str | int | None, names: list[str] | None, n: int) -> int:
    """The 0-based index of the target column."""
    if target is None:
        return n - 1
    if isinstance(target, str) and names is not None and target in names:
        if names.count(target) > 1:
            raise ValueError(f"CSV file '{path}' has more than one column named {target!r}")
        return names.index(target)
    index: int | None = None
    if isinstance(target, str):
        try:
            index = int(target)
        except ValueError:
            index = None
    elif isinstance(target, (int, np.integer)) and not isinstance(target, bool):
        index = int(target)
    if index is not None and -n <= index < n:
        return index % n
    columns = "(the file has no header row)" if names is None else f"names {names}"
    raise ValueError(
        f"unknown target column {target!r} for CSV file '{path}': expected one of the column "
        f"{columns} or an index from {-n} to {n - 1}"
    )


def _parse_features(
    path: Path, body: list[Row], cols: list[int], names: list[str] | None
) -> np.ndarray:
    """The feature columns as float64, rejecting text, empty cells, NaN and infinity."""
    X = np.empty((len(body), len(cols)), dtype=np.float64)
    for i, (line, fields) in enumerate(body):
        for j, col in enumerate(cols):
            value = fields[col]
            try:
                X[i, j] = float(value)
            except ValueError:
                X[i, j] = math.nan
            if not math.isfinite(X[i, j]):
                problem = _describe_bad_number(value)
                raise ValueError(
                    f"CSV file '{path}', line {line}, {_column_label(col, names)}: {problem}; "
                    "every column except the target must be numeric"
                )
    return X


def _describe_bad_number(value: str) -> str:
    """Why ``value`` is not a usable number, for an error message."""
    if value == "":
        return "missing value (empty cell)"
    if _is_number(value):
        return f"missing or infinite value {value!r}"
    return f"expected a number, got {value!r}"


def _parse_target(
    path: Path, body: list[Row], col: int, names: list[str] | None, task: str | None
) -> tuple[np.ndarray, list[Label] | None, str]:
    """Encode the target column: ``(y, classes, task)``."""
    values = [fields[col] for _, fields in body]
    where = f"CSV file '{path}', target {_column_label(col, names)}"
    for (line, _), value in zip(body, values, strict=True):
        if value == "" or (_is_number(value) and not math.isfinite(float(value))):
            raise ValueError(f"{where}, line {line}: missing target value {value!r}")
    task = task or _infer_task(values)
    if task == "regression":
        for (line, _), value in zip(body, values, strict=True):
            if not _is_number(value):
                raise ValueError(
                    f"{where}, line {line}: a regression target must be numeric, got {value!r}"
                )
        return np.array([float(v) for v in values], dtype=np.float64), None, task
    labels = _class_labels(values)
    classes: list[Label] = sorted(set(labels))
    if len(classes) < 2:
        raise ValueError(
            f"{where}: classification needs at least two classes, "
            f"but every row has the label {classes[0]!r}"
        )
    index = {label: i for i, label in enumerate(classes)}
    return np.array([index[label] for label in labels], dtype=np.int64), classes, task


def _infer_task(values: list[str]) -> str:
    """Text labels, or at most MAX_INTEGER_CLASSES distinct integers: classification.

    Any other numeric column is a regression target.
    """
    if not all(_is_number(v) for v in values):
        return "classification"
    numbers = {float(v) for v in values}
    if all(x.is_integer() for x in numbers) and len(numbers) <= MAX_INTEGER_CLASSES:
        return "classification"
    return "regression"


def _class_labels(values: list[str]) -> list[Label]:
    """The labels as written (str) or, when all are numbers, as numbers so that '1' == '1.0'."""
    if not all(_is_number(v) for v in values):
        return list(values)
    numbers = [float(v) for v in values]
    return [int(x) if x.is_integer() else x for x in numbers]
