"""Model files: a ``.npz`` of arrays plus a JSON header, read without pickle, written atomically.

Layout of the archive (docs/model-format.md describes the whole format):

- ``header``: a 0-d string array holding JSON: the format name and version, the architecture
  (sizes, activations, loss, bias, init, dtype) and free-form ``metadata`` (class labels,
  training settings, history...);
- ``layer{i}.weights`` and ``layer{i}.bias``: the parameters;
- ``extra.{name}``: any further arrays (a feature scaler, optimizer buffers...).

Because nothing in the file is pickled, loading a file cannot run code. Because every size a
file declares is checked, against the limits of :mod:`backprop.saving.npz` and against the
header's architecture, before memory is allocated for it, a crafted or corrupt file costs
little memory and ends in one :class:`ModelFileError` that says what is wrong. And because
the file is written to a temporary name and then renamed, a crash mid-save never leaves a
half-written model where a good one was.
"""

from __future__ import annotations

import io
import itertools
import json
import os
import re
import reprlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeGuard

import numpy as np

from backprop.engine.backend import host, to_numpy
from backprop.engine.layers import Dense
from backprop.engine.network import DTYPES, Network
from backprop.saving.atomic import write_atomically
from backprop.saving.npz import Archive
from backprop.saving.npz import ModelFileError as ModelFileError

FORMAT = "backprop-model"
VERSION = 1
#: Most characters of the header's JSON (numpy stores them 4 bytes each: 64 MiB). A run's
#: history takes about a hundred characters an epoch.
MAX_HEADER_CHARS = 2**24
#: Most levels the header's JSON may nest, the header itself being the first: what backprop
#: writes nests less than ten deep.
MAX_JSON_DEPTH = 64

#: The names of the parameter arrays: ``layer0.weights``, ``layer0.bias``, ``layer1.weights``...
_PARAMETER = re.compile(r"layer\d+\.(weights|bias)")
#: What each entry of the header must be (only "init" may be absent: it defaults).
_FIELDS: dict[str, tuple[str, Callable[[Any], bool]]] = {
    "sizes": (
        "a list of at least two positive integers",
        lambda v: isinstance(v, list) and len(v) >= 2 and all(_is_int(n) and n >= 1 for n in v),
    ),
    "activations": (
        "a list of activation names",
        lambda v: isinstance(v, list) and all(isinstance(name, str) for name in v),
    ),
    "loss": ("a loss name", lambda v: isinstance(v, str)),
    "bias": ("true or false", lambda v: isinstance(v, bool)),
    "init": ("an initializer name", lambda v: isinstance(v, str)),
    "dtype": (f"one of {', '.join(DTYPES)}", lambda v: isinstance(v, str) and v in DTYPES),
    "metadata": ("a JSON object", lambda v: isinstance(v, dict)),
}
#: Values quoted in messages are shortened: a header's entry may be as long as the header.
_short = reprlib.Repr()
_short.maxstring = _short.maxother = 60


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
    """Write ``net`` (and JSON ``metadata`` and named ``arrays``) to ``path`` atomically.

    The file gets the permissions of any file the user creates (0o666 less the umask). What
    :func:`load_model` would refuse is refused here, before any file is written: metadata
    nested deeper than :data:`MAX_JSON_DEPTH` or longer than :data:`MAX_HEADER_CHARS` as
    JSON, and arrays of Python objects (which only pickle could store).
    """
    path = file_to_write(path)
    content = _contents(net, metadata, arrays)
    if not path.parent.is_dir():
        raise FileNotFoundError(f"cannot save to {path}: the folder {path.parent} does not exist")
    # numpy's stubs type **kwds as its allow_pickle flag; the keys here are array names.
    return write_atomically(path, lambda file: np.savez(file, **content))  # type: ignore[arg-type]


def to_bytes(
    net: Network,
    metadata: dict[str, Any] | None = None,
    arrays: dict[str, np.ndarray] | None = None,
) -> bytes:
    """The bytes :func:`save` would write, made in memory (for a download, say)."""
    buffer = io.BytesIO()
    np.savez(buffer, **_contents(net, metadata, arrays))  # type: ignore[arg-type]
    return buffer.getvalue()


def _check_metadata(metadata: Any) -> None:
    """Metadata is a JSON object that reads back as it was written: a dict (load_model
    refuses anything else)."""
    if metadata is not None and not isinstance(metadata, dict):
        raise TypeError(
            f"metadata must be a dict (a JSON object), got {type(metadata).__name__} "
            f"{metadata!r:.60}"
        )


def _check_keys(value: Any) -> None:
    """Every dict in ``value`` has string keys: JSON would read the key 1 back as "1"."""
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(
                    f"metadata keys must be strings (JSON object keys), got {key!r:.40}: "
                    "it would be read back as a string"
                )
            _check_keys(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _check_keys(item)


def file_to_write(path: Any, example: str | None = "model.npz") -> Path:
    """``path`` as the Path of a file to write, or a clear error: not a path (the network
    given first, say), or a folder (one that exists, or a path that ends in a separator:
    ``Path`` would drop the separator and write a file of the folder's name). The error
    suggests ``example`` in the folder."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(
            f"path must be a file path (str or Path), got {type(path).__name__}: "
            "bp.save(net, path) takes the network first"
        )
    text = os.fspath(path)
    path = Path(path)
    ends_in_separator = isinstance(text, str) and text.endswith(("/", os.sep))
    if path.is_dir() or not path.name or path.name in (".", "..") or ends_in_separator:
        such_as = "" if example is None else f", such as {path / example}"
        raise IsADirectoryError(f"cannot save to {path}: it is a folder; give a file{such_as}")
    return path


def _contents(
    net: Network, metadata: dict[str, Any] | None, arrays: dict[str, np.ndarray] | None
) -> dict[str, np.ndarray]:
    """The arrays of a model file: the JSON header, the parameters and the extra arrays."""
    if not isinstance(net, Network):
        raise TypeError(
            f"net must be a backprop Network, got {type(net).__name__} {net!r:.60}: "
            "bp.save(net, path) takes the network first"
        )
    _check_metadata(metadata)
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
    if _json_depth(header) > MAX_JSON_DEPTH:  # checked first: a cycle would never end
        raise ValueError(
            f"metadata nests more than {MAX_JSON_DEPTH - 1} levels deep: a model file's "
            f"header may nest {MAX_JSON_DEPTH} (MAX_JSON_DEPTH), the header included"
        )
    _check_keys(metadata)
    try:
        header_json = json.dumps(header)
    except TypeError as error:
        raise TypeError(f"metadata must be JSON-serialisable: {error}") from None
    if len(header_json) > MAX_HEADER_CHARS:
        raise ValueError(
            f"metadata takes {len(header_json)} characters as JSON: a model file's header "
            f"may take {MAX_HEADER_CHARS} (MAX_HEADER_CHARS)"
        )
    content: dict[str, np.ndarray] = {"header": np.array(header_json)}
    # NumPy arrays whatever the backend: a model trained on a GPU loads on a machine without.
    for i, layer in enumerate(net.layers):
        content[f"layer{i}.weights"] = to_numpy(layer.weights)
        if layer.bias is not None:
            content[f"layer{i}.bias"] = to_numpy(layer.bias)
    for name, array in (arrays or {}).items():
        array = np.asarray(host(array))
        if array.dtype.hasobject:  # np.savez would pickle it, and load_model refuse it
            raise TypeError(
                f"arrays[{name!r}] holds Python objects (dtype {array.dtype}): a model file "
                "holds numbers and strings only, as it is read without pickle"
            )
        content[f"extra.{name}"] = array
    return content


def load_model(path: str | os.PathLike[str]) -> SavedModel:
    """Read a model file written by :func:`save`, checking every part of it.

    Whatever the file holds, a file that is not a readable model raises one
    :class:`ModelFileError` naming the file and what is wrong with it. Every size is checked
    before memory is allocated for it, and only the members the format names are inflated.
    """
    path = Path(path)
    if not path.is_file():
        if path.exists():
            raise IsADirectoryError(
                f"model file {path} is a {'folder' if path.is_dir() else 'device or pipe'}, "
                "not a file: give a model file's path, such as runs/NAME/model.npz"
            )
        raise FileNotFoundError(f"model file {path} does not exist")
    with Archive(path) as archive:
        if "header" not in archive.members:
            raise ModelFileError(f"{path} is not a backprop model file (it has no header)")
        unknown = [
            name
            for name in archive.members
            if name != "header" and not _PARAMETER.fullmatch(name) and not name.startswith("extra.")
        ]
        if unknown:  # refused from the directory: they are never inflated
            raise ModelFileError(f"{path} holds unexpected arrays {unknown}: is it a model file?")
        header = _read_header(path, archive)
        _check_parameters(path, header, archive)
        extras = [name for name in archive.members if name.startswith("extra.")]
        for name in extras:  # every declared size is checked before any array is allocated
            archive.inspect(name)
        net = _network(path, header)
        for i, layer in enumerate(net.layers):
            _assign(path, archive, f"layer{i}.weights", layer, "weights")
            if layer.bias is not None:
                _assign(path, archive, f"layer{i}.bias", layer, "bias")
        arrays = {name.removeprefix("extra."): archive.read(name) for name in extras}
    return SavedModel(net, header["metadata"], arrays)


def load(
    path: str | os.PathLike[str], backend: str = "numpy", device: str | None = None
) -> Network:
    """The network stored in a model file, on ``backend`` and ``device`` (see ``Network``):
    a file is the same whichever backend wrote it."""
    return load_model(path).network.to(backend, device)


def _read_header(path: Path, archive: Archive) -> dict[str, Any]:
    """The header's JSON, once its size, nesting and every entry's type are checked."""
    info = archive.inspect("header")
    if info.dtype.kind != "U" or info.shape != ():
        raise ModelFileError(
            f"{path} is not a backprop model file (its header is {info.describe()}, "
            "not a JSON string)"
        )
    if info.dtype.itemsize // 4 > MAX_HEADER_CHARS:  # checked before the text is inflated
        raise ModelFileError(
            f"{path} is refused: its member 'header.npy' holds {info.dtype.itemsize // 4} "
            f"characters of JSON, over the limit of {MAX_HEADER_CHARS} (MAX_HEADER_CHARS)"
        )
    deep = ModelFileError(
        f"{path} is refused: its header nests more than {MAX_JSON_DEPTH} levels deep "
        "(MAX_JSON_DEPTH)"
    )
    try:
        header = json.loads(str(archive.read("header")[()]))
    # The JSON parser recurses once a level: a text nested a few thousand deep exhausts
    # Python's recursion limit before the depth below can be measured.
    except RecursionError:
        raise deep from None
    except ValueError as error:  # JSONDecodeError, or an integer of over 4300 digits
        raise ModelFileError(f"{path} has a corrupted header: {error}") from None
    if _json_depth(header) > MAX_JSON_DEPTH:
        raise deep
    return _checked_header(path, header)


def _checked_header(path: Path, header: Any) -> dict[str, Any]:
    """``header`` if it is a backprop model's header of this version with well-typed entries."""
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ModelFileError(f"{path} is not a backprop model file (format is not {FORMAT!r})")
    version = header.get("version")
    if not _is_int(version) or version != VERSION:
        newer = _is_int(version) and version > VERSION
        raise ModelFileError(
            f"{path} has format version {_short.repr(version)}; this backprop reads version "
            f"{VERSION}" + (": it was written by a newer backprop" if newer else "")
        )
    missing = set(_FIELDS) - {"init"} - set(header)
    if missing:
        raise ModelFileError(f"{path} has an incomplete header: missing {sorted(missing)}")
    for key, (expected, valid) in _FIELDS.items():
        if key in header and not valid(header[key]):
            raise ModelFileError(
                f"{path} has a malformed header: {key!r} must be {expected}, "
                f"got {_short.repr(header[key])}"
            )
    layers = len(header["sizes"]) - 1
    if len(header["activations"]) != layers:
        raise ModelFileError(
            f"{path} has a malformed header: 'activations' must name one activation for each "
            f"of its {layers} weight layers, got {_short.repr(header['activations'])}"
        )
    return header


def _check_parameters(path: Path, header: dict[str, Any], archive: Archive) -> None:
    """Check that the archive holds exactly the parameter arrays the header's architecture
    needs, of the right shapes and dtype (from their ``.npy`` headers: no data is read)."""
    sizes, dtype = header["sizes"], np.dtype(header["dtype"])
    shapes: dict[str, tuple[int, ...]] = {}
    for i, (n_in, n_out) in enumerate(itertools.pairwise(sizes)):
        shapes[f"layer{i}.weights"] = (n_in, n_out)
        if header["bias"]:
            shapes[f"layer{i}.bias"] = (n_out,)
    architecture = f"sizes {sizes}, bias {str(header['bias']).lower()}, dtype {dtype}"
    unexpected = [name for name in archive.members if _PARAMETER.fullmatch(name)]
    unexpected = [name for name in unexpected if name not in shapes]
    if unexpected:
        raise ModelFileError(
            f"{path} holds arrays {unexpected} that its architecture ({architecture}) "
            "has no place for"
        )
    for name, shape in shapes.items():
        if name not in archive.members:
            raise ModelFileError(f"{path} is missing the array {name!r}")
        info = archive.inspect(name)
        # Either byte order will do: the network converts the values to its own.
        if info.shape != shape or info.dtype.kind != "f" or info.dtype.itemsize != dtype.itemsize:
            raise ModelFileError(
                f"{path}: the array {name!r} is {info.describe()}, but the header's "
                f"architecture ({architecture}) needs a {shape} {dtype} array"
            )


def _network(path: Path, header: dict[str, Any]) -> Network:
    """The network the header describes (its parameters still the initial ones)."""
    try:
        return Network(
            header["sizes"],
            activation=header["activations"],
            loss=header["loss"],
            bias=header["bias"],
            init=header.get("init", "normal_scaled"),
            dtype=header["dtype"],
        )
    except (ValueError, TypeError, KeyError) as error:  # an unknown name, a mismatched loss...
        raise ModelFileError(f"{path} holds an inconsistent model: {error}") from None


def _assign(path: Path, archive: Archive, name: str, layer: Dense, attribute: str) -> None:
    """Read the array ``name`` into the layer's ``attribute`` ("weights" or "bias")."""
    try:
        setattr(layer, attribute, archive.read(name))
    except ModelFileError:
        raise
    except (ValueError, TypeError) as error:  # shape and dtype are checked: NaN, infinity
        raise ModelFileError(f"{path}: the array {name!r} cannot be used: {error}") from None


def _json_depth(value: Any) -> int:
    """How many levels of objects and arrays ``value`` nests, counted without recursion and
    only until past :data:`MAX_JSON_DEPTH` (so a cycle ends too)."""
    deepest, pending = 0, [(value, 1)]
    while pending and deepest <= MAX_JSON_DEPTH:
        item, depth = pending.pop()
        if isinstance(item, dict):
            children = list(item.values())
        elif isinstance(item, (list, tuple)):
            children = list(item)
        else:
            continue
        deepest = max(deepest, depth)
        pending.extend((child, depth + 1) for child in children)
    return deepest


def _is_int(value: Any) -> TypeGuard[int]:
    """Whether ``value`` is a JSON integer (True and False are not)."""
    return isinstance(value, int) and not isinstance(value, bool)
