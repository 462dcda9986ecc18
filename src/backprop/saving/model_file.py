"""Model files: a ``.npz`` of arrays plus a JSON header, read without pickle, written atomically.

Layout of the archive:

- ``header``: a 0-d string array holding JSON: the format name and version, the architecture
  (sizes, activations, loss, bias, init, dtype) and free-form ``metadata`` (class labels,
  training settings, history...);
- ``layer{i}.weights`` and ``layer{i}.bias``: the parameters;
- ``extra.{name}``: any further arrays (a feature scaler, optimizer buffers...).

Because nothing in the file is pickled, loading a file cannot run code; and because the file
is written to a temporary name and then renamed, a crash mid-save never leaves a half-written
model where a good one was.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from backprop.engine.network import Network

FORMAT = "backprop-model"
VERSION = 1


class ModelFileError(ValueError):
    """A file that is not a readable backprop model."""


@dataclass
class SavedModel:
    """Everything a model file holds."""

    network: Network
    metadata: dict[str, Any] = field(default_factory=dict)
    arrays: dict[str, np.ndarray] = field(default_factory=dict)


def save(
    net: Network,
    path: str | os.PathLike[str],
    metadata: dict[str, Any] | None = None,
    arrays: dict[str, np.ndarray] | None = None,
) -> Path:
    """Write ``net`` (and JSON ``metadata`` and named ``arrays``) to ``path`` atomically."""
    path = Path(path)
    header = {
        "format": FORMAT,
        "version": VERSION,
        "sizes": net.sizes,
        "activations": [layer.activation.name for layer in net.layers],
        "loss": net.loss.name,
        "bias": net.layers[0].bias is not None,
        "init": net.init,
        "dtype": net.dtype.name,
        "metadata": metadata or {},
    }
    try:
        header_json = json.dumps(header)
    except TypeError as error:
        raise TypeError(f"metadata must be JSON-serialisable: {error}") from None
    content: dict[str, np.ndarray] = {"header": np.array(header_json)}
    for i, layer in enumerate(net.layers):
        content[f"layer{i}.weights"] = layer.weights
        if layer.bias is not None:
            content[f"layer{i}.bias"] = layer.bias
    for name, array in (arrays or {}).items():
        content[f"extra.{name}"] = np.asarray(array)
    if not path.parent.is_dir():
        raise FileNotFoundError(f"cannot save to {path}: the folder {path.parent} does not exist")
    descriptor, temporary = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
    )
    try:
        with os.fdopen(descriptor, "wb") as file:
            # numpy's stubs type **kwds as its allow_pickle flag; the keys here are array names.
            np.savez(file, **content)  # type: ignore[arg-type]
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def load_model(path: str | os.PathLike[str]) -> SavedModel:
    """Read a model file written by :func:`save`, checking every part of it."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"model file {path} does not exist")
    with path.open("rb") as file:
        if file.read(4) != b"PK\x03\x04":  # every .npz is a zip archive
            raise ModelFileError(f"{path} is not a backprop model file (not a .npz archive)")
    try:
        with np.load(path, allow_pickle=False) as archive:
            content = {name: archive[name] for name in archive.files}
    except (zipfile.BadZipFile, EOFError, OSError, KeyError) as error:
        raise ModelFileError(
            f"{path} is not a backprop model file (not a valid .npz: {error})"
        ) from None
    except ValueError as error:  # an object array would need pickle
        raise ModelFileError(f"{path} is not a backprop model file: {error}") from None
    header = _read_header(path, content.pop("header", None))
    try:
        net = Network(
            header["sizes"],
            activation=header["activations"],
            loss=header["loss"],
            bias=header["bias"],
            init=header.get("init", "normal_scaled"),
            dtype=header["dtype"],
        )
        for i, layer in enumerate(net.layers):
            layer.weights = _take(content, f"layer{i}.weights", path)
            if layer.bias is not None:
                layer.bias = _take(content, f"layer{i}.bias", path)
    except (ValueError, TypeError, KeyError) as error:
        raise ModelFileError(f"{path} holds an inconsistent model: {error}") from None
    arrays = {k.removeprefix("extra."): v for k, v in content.items() if k.startswith("extra.")}
    unknown = sorted(set(content) - {f"extra.{k}" for k in arrays})
    if unknown:
        raise ModelFileError(f"{path} holds unexpected arrays {unknown}: is it a model file?")
    return SavedModel(net, header["metadata"], arrays)


def load(path: str | os.PathLike[str]) -> Network:
    """The network stored in a model file."""
    return load_model(path).network


def _read_header(path: Path, raw: np.ndarray | None) -> dict[str, Any]:
    if raw is None or raw.dtype.kind != "U" or raw.ndim != 0:
        raise ModelFileError(f"{path} is not a backprop model file (it has no header)")
    try:
        header = json.loads(str(raw))
    except json.JSONDecodeError as error:
        raise ModelFileError(f"{path} has a corrupted header: {error}") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ModelFileError(f"{path} is not a backprop model file (format is not {FORMAT!r})")
    version = header.get("version")
    if version != VERSION:
        raise ModelFileError(
            f"{path} has format version {version!r}; this backprop reads version {VERSION}"
            + (": it was written by a newer backprop" if isinstance(version, int) else "")
        )
    missing = {"sizes", "activations", "loss", "bias", "dtype", "metadata"} - set(header)
    if missing:
        raise ModelFileError(f"{path} has an incomplete header: missing {sorted(missing)}")
    return header


def _take(content: dict[str, np.ndarray], name: str, path: Path) -> np.ndarray:
    if name not in content:
        raise ModelFileError(f"{path} is missing the array {name!r}")
    return content.pop(name)
