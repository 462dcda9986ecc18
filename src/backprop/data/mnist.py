"""MNIST: finding its four IDX files, downloading them once with checksums, and loading them."""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tempfile
import urllib.request
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from backprop.data.dataset import Dataset
from backprop.data.idx import open_maybe_gzip, read_idx

logger = logging.getLogger(__name__)

MNIST_DESCRIPTION = (
    "MNIST handwritten digits: 60000 + 10000 test images, 28x28 in [0, 1], 10 classes"
)


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
    partial = [d for d in dirs if any(_find_idx(d, spec) for spec in MNIST_FILES.values())]
    if partial:  # some of the four files there: say which are missing
        lacking = [spec.name for spec in MNIST_FILES.values() if not _find_idx(partial[0], spec)]
        searched += f" ('{partial[0]}' lacks {' and '.join(lacking)}, raw or .gz)"
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
            # Info, not a warning: the error raised when every mirror failed lists them all,
            # in the one line a command prints (and a later mirror may well deliver).
            logger.info("download of %s failed: %s", url, exc)
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
        with open_maybe_gzip(path) as f:
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
        description=f"{MNIST_DESCRIPTION} (from {directory})",
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
