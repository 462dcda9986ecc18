"""Model files that are crafted or corrupt: one clear ModelFileError, bounded memory, no pickle.

Every file here is built by the test itself, with zipfile and numpy.lib.format, or by hand
where the zip's directory has to lie about its sizes (see ``write_zip``).
"""

from __future__ import annotations

import io
import json
import os
import re
import stat
import struct
import subprocess
import sys
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from numpy.lib import format as npy

import backprop as bp
from backprop import run
from backprop.saving import model_file, npz
from backprop.sklearn import BackpropClassifier

# -- building files -----------------------------------------------------------------------------


def npy_bytes(array: Any) -> bytes:
    """An array as the bytes of a ``.npy`` file."""
    buffer = io.BytesIO()
    np.save(buffer, np.asarray(array), allow_pickle=False)
    return buffer.getvalue()


def npy_header(shape: tuple[int, ...], dtype: str = "float64") -> bytes:
    """Just the magic string and header of a ``.npy`` file declaring ``shape`` and ``dtype``."""
    buffer = io.BytesIO()
    descr = npy.dtype_to_descr(np.dtype(dtype))
    npy.write_array_header_1_0(buffer, {"shape": shape, "fortran_order": False, "descr": descr})
    return buffer.getvalue()


def deflate(data: bytes) -> bytes:
    """``data`` as a raw deflate stream, as a zip archive holds a deflated member."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush()


def deflated_zeros(head: bytes, mebibytes: int) -> bytes:
    """A deflate stream of ``head`` and then ``mebibytes`` MiB of zeros, built without ever
    holding them: a fully flushed block of 1 MiB of zeros does not depend on what came before,
    so the stream repeats it (about a kilobyte each)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    start = compressor.compress(head) + compressor.flush(zlib.Z_FULL_FLUSH)
    block = compressor.compress(bytes(2**20)) + compressor.flush(zlib.Z_FULL_FLUSH)
    return start + block * mebibytes + compressor.flush()


@dataclass
class Entry:
    """A member of a hand-written zip: its bytes in the archive and what the directory says."""

    name: str
    data: bytes
    method: int = zipfile.ZIP_STORED
    size: int | None = None  # the inflated size the directory declares: len(data) if None
    crc: int | None = None  # the CRC-32 the directory declares: that of data if None
    flags: int = 0


def write_zip(path: Path, entries: list[Entry]) -> Path:
    """A zip archive written field by field (APPNOTE.TXT 4.3), so that it may lie."""
    body, directory = b"", b""
    for entry in entries:
        name = entry.name.encode()
        size = len(entry.data) if entry.size is None else entry.size
        crc = zlib.crc32(entry.data) if entry.crc is None else entry.crc
        fields = (entry.flags, entry.method, 0, 0x21, crc, len(entry.data), size, len(name))
        local = struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, *fields, 0)
        directory += struct.pack(
            "<4s6H3L5H2L", b"PK\x01\x02", 20, 20, *fields, 0, 0, 0, 0, 0, len(body)
        )
        directory += name
        body += local + name + entry.data
    end = struct.pack(
        "<4s4H2LH", b"PK\x05\x06", 0, 0, len(entries), len(entries), len(directory), len(body), 0
    )
    path.write_bytes(body + directory + end)
    return path


def members(path: Path) -> dict[str, bytes]:
    """The members of a (trusted) archive that the test wrote, by file name."""
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def write_npz(path: Path, content: dict[str, bytes], method: int = zipfile.ZIP_STORED) -> Path:
    """An honest archive of ``content`` (file name -> bytes), written by zipfile."""
    with zipfile.ZipFile(path, "w", compression=method) as archive:
        for name, data in content.items():
            archive.writestr(name, data)
    return path


def write_bomb(model: Path, path: Path, name: str = "extra.bomb.npy") -> Path:
    """The model file ``model`` plus a member ``name`` of 2 GiB of zeros in about 2 MB: a
    real deflate stream, whose .npy header and directory entry say what it inflates to."""
    head = npy_header((2**28,))
    entries = [Entry(n, data) for n, data in members(model).items()]
    bomb = deflated_zeros(head, 2048)
    entries.append(Entry(name, bomb, zipfile.ZIP_DEFLATED, len(head) + 2**31))
    return write_zip(path, entries)


def header_of(path: Path) -> dict[str, Any]:
    with np.load(path) as archive:
        header: dict[str, Any] = json.loads(str(archive["header"]))
    return header


def with_header(path: Path, target: Path, text: str | None = None, **changes: Any) -> Path:
    """A copy of the model file ``path`` whose header is ``text`` or has these ``changes``."""
    if text is None:
        header = header_of(path)
        text = json.dumps(header | changes)
    content = members(path)
    content["header.npy"] = npy_bytes(np.array(text))
    return write_npz(target, content)


@pytest.fixture
def model(tmp_path: Path) -> Path:
    """A small, good model file: [2, 3, 1] tanh/sigmoid with biases."""
    net = bp.Network([2, 3, 1], activation="tanh", output="sigmoid", seed=0)
    return bp.save(net, tmp_path / "model.npz", metadata={"note": "good"})


@pytest.fixture
def inflated() -> Iterator[list[int]]:
    """Bytes inflated by zipfile while the test runs, one item a read (the memory spent)."""
    reads: list[int] = []
    original = zipfile.ZipExtFile.read

    def counting(self: zipfile.ZipExtFile, n: int | None = -1) -> bytes:
        data = original(self, n)
        reads.append(len(data))
        return data

    zipfile.ZipExtFile.read = counting  # type: ignore[method-assign]
    try:
        yield reads
    finally:
        zipfile.ZipExtFile.read = original  # type: ignore[method-assign]


def refused(path: Path, *words: str) -> str:
    """The message of the ModelFileError that loading ``path`` raises; it names the file and
    holds ``words``."""
    with pytest.raises(bp.ModelFileError) as caught:
        bp.load_model(path)
    message = str(caught.value)
    assert str(path) in message
    for word in words:
        assert word in message, (word, message)
    return message


# -- sizes declared beyond the file ----------------------------------------------------------


def test_a_declared_shape_far_beyond_the_file_is_refused_before_allocating(
    model: Path, tmp_path: Path, inflated: list[int]
) -> None:
    content = members(model)
    content["extra.big.npy"] = npy_header((10**12,)) + bytes(8)
    inflated.clear()  # what building the file read
    message = refused(
        write_npz(tmp_path / "big.npz", content), "'extra.big.npy'", "(1000000000000,)"
    )
    assert "7.3 TiB" in message and "but holds 8 B" in message
    assert sum(inflated) < 2**16  # headers only

    # The same lie in a layer, whose architecture in the header agrees with it.
    content = members(
        with_header(model, tmp_path / "h.npz", sizes=[10**6, 10**6], activations=["sigmoid"])
    )
    content["layer0.weights.npy"] = npy_header((10**6, 10**6)) + bytes(48)
    del content["layer1.weights.npy"], content["layer1.bias.npy"]
    content["layer0.bias.npy"] = npy_header((10**6,)) + bytes(8)
    refused(write_npz(tmp_path / "wide.npz", content), "(1000000, 1000000)", "but holds 48 B")


@pytest.mark.parametrize("name", ["extra.bomb.npy", "unneeded.npy"])
def test_a_zip_bomb_is_refused_from_the_directory_before_it_is_inflated(
    model: Path, tmp_path: Path, inflated: list[int], name: str
) -> None:
    """Whether the format needs the member (extra.*) or not."""
    bomb = write_bomb(model, tmp_path / "bomb.npz", name)
    assert bomb.stat().st_size < 4 * 2**20
    inflated.clear()  # what building the file read
    refused(bomb, repr(name), "2.0 GiB", "MAX_COMPRESSION_RATIO")
    assert sum(inflated) == 0

    # A deflated model is no bomb: savez_compressed's files load.
    deflated = write_npz(tmp_path / "deflated.npz", members(model), zipfile.ZIP_DEFLATED)
    assert bp.load(deflated).sizes == [2, 3, 1]


def test_many_small_members_cannot_add_up_to_a_bomb(model: Path, tmp_path: Path) -> None:
    """Each member inflating to under RATIO_EXEMPT_BYTES may inflate any amount; not all."""
    content = members(model)
    for i in range(3):
        content[f"extra.zeros{i}.npy"] = npy_bytes(np.zeros(120_000))
    path = write_npz(tmp_path / "zeros.npz", content, zipfile.ZIP_DEFLATED)
    refused(path, "its 8 members would inflate to", "MAX_COMPRESSION_RATIO")


def test_the_total_size_is_limited(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = bp.save(bp.Network([100, 400, 1], seed=0), tmp_path / "net.npz")
    monkeypatch.setattr(npz, "MAX_TOTAL_BYTES", 2**18)
    refused(path, "the largest, 'layer0.weights.npy', to 312.6 KiB", "256.0 KiB (MAX_TOTAL_BYTES)")


def test_the_number_of_members_and_the_directory_size_are_limited(
    model: Path, tmp_path: Path
) -> None:
    tiny = npy_bytes(np.zeros(1))
    content = members(model) | {f"extra.{i}.npy": tiny for i in range(npz.MAX_MEMBERS)}
    many = write_npz(tmp_path / "many.npz", content)
    refused(many, f"holds {len(content)} members", f"limit of {npz.MAX_MEMBERS} (MAX_MEMBERS)")

    # Long names make a large directory from few members: refused before zipfile reads it.
    content = members(model) | {f"extra.{i:04}{'x' * 2000}.npy": tiny for i in range(600)}
    refused(write_npz(tmp_path / "long.npz", content), "central directory", "MAX_DIRECTORY_BYTES")


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc/self/statm")
def test_a_bomb_is_refused_within_a_small_address_space(model: Path, tmp_path: Path) -> None:
    """Loading with 1 GiB of address space to spare: a 2 GiB allocation cannot hide."""
    bomb = write_bomb(model, tmp_path / "bomb.npz")
    code = (
        "import resource, sys\n"
        "import backprop as bp\n"
        "used = int(open('/proc/self/statm').read().split()[0]) * resource.getpagesize()\n"
        "resource.setrlimit(resource.RLIMIT_AS, (used + 2**30, used + 2**30))\n"
        "try:\n"
        "    bp.load_model(sys.argv[1])\n"
        "except bp.ModelFileError as error:\n"
        "    print('refused:', error)\n"
    )
    env = os.environ | {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    done = subprocess.run(
        [sys.executable, "-c", code, str(bomb)], capture_output=True, text=True, env=env
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("refused:") and "MAX_COMPRESSION_RATIO" in done.stdout


# -- the header ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "[" * 100_000 + "]" * 100_000,
        json.dumps({"format": "backprop-model", "metadata": json.loads("[" * 100 + "]" * 100)}),
    ],
    ids=["100000-deep", "100-deep"],
)
def test_a_deeply_nested_header_is_refused(model: Path, tmp_path: Path, text: str) -> None:
    refused(with_header(model, tmp_path / "deep.npz", text=text), "MAX_JSON_DEPTH")


def test_a_header_longer_than_the_limit_is_refused_before_it_is_inflated(
    model: Path, monkeypatch: pytest.MonkeyPatch, inflated: list[int]
) -> None:
    monkeypatch.setattr(model_file, "MAX_HEADER_CHARS", 100)
    refused(model, "'header.npy'", "characters of JSON", "MAX_HEADER_CHARS")
    assert max(inflated) < 256  # the .npy header of the header: not its text


@pytest.mark.parametrize(
    ("key", "value", "words"),
    [
        ("sizes", "2,3,1", "'sizes' must be a list of at least two positive integers"),
        ("sizes", [2, 3.0, 1], "'sizes' must be"),
        ("sizes", [2, True, 1], "'sizes' must be"),
        ("sizes", [2, 0, 1], "'sizes' must be"),
        ("sizes", [3], "'sizes' must be"),
        ("sizes", {"0": 2}, "'sizes' must be"),
        ("activations", "tanh", "'activations' must be a list of activation names"),
        ("activations", [1, 2], "'activations' must be a list"),
        ("activations", ["tanh"], "one activation for each of its 2 weight layers"),
        ("loss", 5, "'loss' must be a loss name, got 5"),
        ("loss", None, "'loss' must be a loss name"),
        ("bias", "yes", "'bias' must be true or false, got 'yes'"),
        ("bias", 1, "'bias' must be true or false"),
        ("init", 7, "'init' must be an initializer name"),
        ("dtype", "int8", "'dtype' must be one of float32, float64, got 'int8'"),
        ("dtype", 5, "'dtype' must be one of"),
        ("dtype", ["float64"], "'dtype' must be one of"),
        ("metadata", [], "'metadata' must be a JSON object, got []"),
        ("metadata", "notes", "'metadata' must be a JSON object"),
        ("metadata", None, "'metadata' must be a JSON object"),
        ("version", True, "format version True"),
        ("sizes", ["x" * 500, 3, 1], "'sizes' must be a list of at least two positive integers"),
    ],
)
def test_header_entries_of_the_wrong_type_are_refused(
    model: Path, tmp_path: Path, key: str, value: Any, words: str
) -> None:
    message = refused(with_header(model, tmp_path / "bad.npz", **{key: value}), words)
    assert len(message) < 300  # long values are shortened


@pytest.mark.skipif(
    not hasattr(sys, "get_int_max_str_digits"), reason="Python converts integers of any length"
)
def test_an_integer_too_long_for_python_is_a_corrupted_header(model: Path, tmp_path: Path) -> None:
    text = json.dumps(header_of(model)).replace('"sizes": [2', '"sizes": [' + "2" * 5000)
    refused(with_header(model, tmp_path / "digits.npz", text=text), "corrupted header", "4300")


# -- members that are not what they say -------------------------------------------------------


def test_a_corrupt_deflate_stream_is_one_error(model: Path, tmp_path: Path) -> None:
    entries = [Entry(n, d) for n, d in members(model).items() if n != "layer0.weights.npy"]
    weights = npy_bytes(np.ones((2, 3)))
    garbage = b"\xff" * 40  # a block of the reserved type 3: zlib cannot go on
    entries.append(Entry("layer0.weights.npy", garbage, zipfile.ZIP_DEFLATED, len(weights)))
    path = write_zip(tmp_path / "corrupt.npz", entries)
    refused(path, "'layer0.weights.npy' is corrupt", "invalid block type")


@pytest.mark.parametrize(
    ("offset", "value", "words"),
    [(6, 100, "version 10.0"), (8, 0x20, "flag bit 5")],  # version needed; patched data
)
def test_a_zip_header_asking_for_what_zipfile_lacks_is_one_error(
    model: Path, tmp_path: Path, offset: int, value: int, words: str
) -> None:
    """zipfile raises NotImplementedError for these (a bit-flip hunt found them)."""
    data = bytearray(model.read_bytes())
    central = data.find(b"PK\x01\x02")
    data[central + offset : central + offset + 2] = struct.pack("<H", value)
    path = tmp_path / "odd.npz"
    path.write_bytes(bytes(data))
    refused(path, words)


@pytest.mark.parametrize(
    ("name", "data", "words"),
    [
        ("notes.txt", b"hello", "'notes.txt' is not a .npy array"),
        ("extra.notes", b"hello", "'extra.notes' is not a .npy array"),
        ("header", b'{"format": "backprop-model"}', "'header' is not a .npy array"),
        ("extra.text.npy", b"hello, not an array", "'extra.text.npy' is not a .npy array"),
        ("extra.long.npy", npy.magic(1, 0) + struct.pack("<H", 60_000), "MAX_NPY_HEADER_BYTES"),
        ("extra.odd.npy", npy.magic(1, 0) + struct.pack("<H", 9) + b"{'a': 1}\n", "unreadable"),
        (
            "extra.deep.npy",
            npy.magic(1, 0) + struct.pack("<H", 9000) + b"-" * 8999 + b"1",
            "unreadable .npy header",
        ),
        ("extra.v9.npy", npy.magic(9, 0), "version (9, 0)"),
    ],
)
def test_a_member_that_is_not_a_npy_array_is_refused(
    model: Path, tmp_path: Path, name: str, data: bytes, words: str
) -> None:
    content = members(model)
    if name == "header":
        del content["header.npy"]
    content[name] = data
    refused(write_npz(tmp_path / "odd.npz", content), words)


def test_pickled_arrays_are_refused_without_unpickling(model: Path, tmp_path: Path) -> None:
    content = members(model)
    buffer = io.BytesIO()
    np.save(buffer, np.array([print], dtype=object), allow_pickle=True)
    content["extra.code.npy"] = buffer.getvalue()
    refused(write_npz(tmp_path / "pickled.npz", content), "'extra.code.npy'", "without pickle")


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"method": 99}, "compression method 99"),
        ({"flags": 1}, "is encrypted"),
        ({"name": "layer0.bias.npy"}, "'layer0.bias.npy' appears twice"),
    ],
)
def test_zip_entries_that_model_files_never_hold_are_refused(
    model: Path, tmp_path: Path, change: dict[str, Any], words: str
) -> None:
    entries = [Entry(n, d) for n, d in members(model).items()]
    odd = Entry("extra.odd.npy", npy_bytes(np.ones(3)))
    for key, value in change.items():
        setattr(odd, key, value)
    refused(write_zip(tmp_path / "odd.npz", [*entries, odd]), words)


# -- arrays that do not fit the architecture -----------------------------------------------


@pytest.mark.parametrize(
    ("name", "array", "words"),
    [
        ("layer0.weights.npy", np.ones((2, 3), np.float32), "is a (2, 3) float32 array"),
        ("layer0.weights.npy", np.ones((2, 3), np.int64), "is a (2, 3) int64 array"),
        ("layer0.weights.npy", np.ones((3, 2)), "needs a (2, 3) float64 array"),
        ("layer1.bias.npy", np.ones((1, 1)), "needs a (1,) float64 array"),
        ("layer2.weights.npy", np.ones((1, 1)), "['layer2.weights'] that its architecture"),
    ],
)
def test_arrays_that_do_not_fit_the_architecture_are_refused(
    model: Path, tmp_path: Path, name: str, array: np.ndarray, words: str
) -> None:
    content = members(model) | {name: npy_bytes(array)}
    refused(write_npz(tmp_path / "misfit.npz", content), words, "sizes [2, 3, 1]")


def test_classes_that_do_not_label_the_outputs_are_refused(tmp_path: Path) -> None:
    net = bp.Network([2, 4, 3], activation="relu", output="softmax", seed=0)
    run.Model(net, "classification", ["a", "b"], ["x1", "x2"]).save(tmp_path / "two.npz")
    with pytest.raises(bp.ModelFileError, match=r"2 classes for 3 outputs \(expected 3 labels\)"):
        run.Model.load(tmp_path / "two.npz")
    run.Model(net, "classification", ["a", "b", "c"], ["x1"]).save(tmp_path / "names.npz")
    with pytest.raises(bp.ModelFileError, match="1 feature names for 2 inputs"):
        run.Model.load(tmp_path / "names.npz")


@pytest.mark.parametrize(
    ("arrays", "words"),
    [
        ({"scaler.mean": np.zeros(2)}, "the scaler's mean alone"),  # its scale silently dropped
        ({"scaler.mean": np.zeros(3), "scaler.scale": np.ones(3)}, "vectors of its 2 inputs"),
        (
            {"scaler.mean": np.zeros(2, "datetime64[D]"), "scaler.scale": np.ones(2)},
            "mean datetime64[D] (2,)",
        ),  # read as numbers
        ({"scaler.mean": np.zeros(2), "scaler.scale": np.zeros(2)}, "positive 'scale'"),
    ],
    ids=["half", "width", "datetime", "zero-scale"],
)
def test_a_run_model_whose_scaler_does_not_fit_is_refused(
    tmp_path: Path, arrays: dict[str, np.ndarray], words: str
) -> None:
    """A bug hunt: these loaded (a scaler dropped, dates read as numbers) or failed later,
    naming no file."""
    net = bp.Network([2, 4, 3], activation="relu", output="softmax", seed=0)
    metadata = {"task": "classification", "classes": ["a", "b", "c"], "feature_names": ["p", "q"]}
    path = bp.save(net, tmp_path / "m.npz", metadata, arrays)
    with pytest.raises(bp.ModelFileError, match=re.escape(words)) as caught:
        run.Model.load(path)
    assert str(path) in str(caught.value)


def test_a_run_model_whose_classes_repeat_is_refused(tmp_path: Path) -> None:
    net = bp.Network([2, 4, 3], activation="relu", output="softmax", seed=0)
    run.Model(net, "classification", ["a", "a", "b"], ["x1", "x2"]).save(tmp_path / "m.npz")
    with pytest.raises(bp.ModelFileError, match=r"its class labels \['a', 'a', 'b'\] repeat"):
        run.Model.load(tmp_path / "m.npz")


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_an_estimator_whose_classes_do_not_label_its_outputs_is_refused(tmp_path: Path) -> None:
    X = np.random.default_rng(0).normal(size=(30, 2))
    y = np.array(["a", "b", "c"])[np.arange(30) % 3]
    path = (
        BackpropClassifier(hidden_layer_sizes=(4,), max_iter=2).fit(X, y).save(tmp_path / "c.npz")
    )
    content = members(path) | {"extra.classes_.npy": npy_bytes(np.array(["a", "b"]))}
    write_npz(path, content)
    with pytest.raises(bp.ModelFileError, match=r"classes_ of shape \(2,\) for a network of 3"):
        BackpropClassifier.load(path)


# -- the command line --------------------------------------------------------------------------


def _huge_shape(model: Path, path: Path) -> None:
    write_npz(path, members(model) | {"extra.big.npy": npy_header((10**12,)) + bytes(8)})


def _deep(model: Path, path: Path) -> None:
    with_header(model, path, text="[" * 100_000 + "]" * 100_000)


def _corrupt(model: Path, path: Path) -> None:
    entries = [Entry(n, d) for n, d in members(model).items() if n != "layer0.bias.npy"]
    write_zip(path, [*entries, Entry("layer0.bias.npy", b"\xff" * 40, zipfile.ZIP_DEFLATED, 152)])


@pytest.mark.parametrize(
    "craft", [write_bomb, _huge_shape, _deep, _corrupt], ids=["bomb", "shape", "deep", "corrupt"]
)
def test_the_command_line_says_what_is_wrong_in_one_line(
    model: Path,
    tmp_path: Path,
    cli: Callable[..., Any],
    craft: Callable[[Path, Path], object],
    inflated: list[int],
) -> None:
    bad = tmp_path / "BAD.npz"
    craft(model, bad)
    inflated.clear()  # what building the file read
    for args in (("evaluate", bad, "digits"), ("predict", bad, "1,2")):
        result = cli(*args)
        assert result.returncode == 2, result.stderr
        assert result.stderr.count("\n") == 1, result.stderr
        assert result.stderr.startswith("backprop: error: ") and "BAD.npz" in result.stderr
    assert sum(inflated) < 2**22  # at most the deep header's 1.6 MB of text: no bomb


def test_the_command_line_refuses_a_model_whose_classes_are_too_few(
    tmp_path: Path, cli: Callable[..., Any]
) -> None:
    net = bp.Network([2, 4, 3], activation="relu", output="softmax", seed=0)
    run.Model(net, "classification", [0], ["x1", "x2"]).save(tmp_path / "BAD.npz")
    result = cli("predict", tmp_path / "BAD.npz", "1,2")
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert "1 classes for 3 outputs" in result.stderr


# -- writing ---------------------------------------------------------------------------------


@pytest.fixture(params=[0o022, 0o027, 0o002], ids=["022", "027", "002"])
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    previous = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(previous)


def test_files_get_the_permissions_the_umask_gives(tmp_path: Path, umask: int) -> None:
    net = bp.Network([2, 2, 1], seed=0)
    net.fit(np.zeros((4, 2)), np.zeros((4, 1)), epochs=1, optimizer="adam")
    assert net.optimizer is not None
    written = [
        bp.save(net, tmp_path / "model.npz"),
        bp.save_checkpoint(tmp_path / "checkpoint.npz", net, net.optimizer, bp.History()),
    ]
    for path in written:
        assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask, path
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint.npz", "model.npz"]


@pytest.mark.parametrize(
    ("metadata", "arrays", "error", "words"),
    [
        ({}, {"names": np.array(["a", None], dtype=object)}, TypeError, "holds Python objects"),
        (json.loads("[" * 70 + "]" * 70), {}, ValueError, "MAX_JSON_DEPTH"),
    ],
    ids=["object-array", "70-deep"],
)
def test_what_could_not_be_loaded_is_not_written(
    tmp_path: Path, metadata: Any, arrays: dict[str, np.ndarray], error: type, words: str
) -> None:
    net = bp.Network([2, 2, 1], seed=0)
    with pytest.raises(error, match=words):
        bp.save(net, tmp_path / "model.npz", metadata={"deep": metadata}, arrays=arrays)
    assert list(tmp_path.iterdir()) == []  # neither the file nor a temporary one


@pytest.mark.parametrize(
    ("call", "error", "words"),
    [
        (lambda net, path: bp.save(net, path, metadata=["x"]), TypeError, "metadata must be a"),
        (lambda net, path: bp.save(net, path, metadata={"a": {1: "b"}}), TypeError, "got 1:"),
        (lambda net, path: bp.save(str(path), net), TypeError, "takes the network first"),
        (lambda net, path: net.save(path.parent), IsADirectoryError, "it is a folder"),
        (lambda net, path: net.save(f"{path}/"), IsADirectoryError, "it is a folder"),
        (lambda net, path: bp.save_checkpoint(path, net, "adam", 0), TypeError, "an Optimizer"),
        (lambda net, path: bp.save_checkpoint(path, net, bp.Adam(), -1), TypeError, "epochs"),
    ],
    ids=[
        "metadata-list",
        "integer-key",
        "swapped",
        "folder",
        "slash",
        "optimizer-name",
        "epochs",
    ],
)
def test_a_save_that_load_would_refuse_keeps_the_model_there(
    tmp_path: Path, call: Any, error: type, words: str
) -> None:
    """Found in a bug hunt: these wrote a file load refuses, over a good model, or failed
    deep inside (a pathlib or AttributeError)."""
    net = bp.Network([2, 2, 1], seed=0)
    path = net.save(tmp_path / "model.npz")
    good = path.read_bytes()
    with pytest.raises(error, match=words):
        call(net, path)
    assert path.read_bytes() == good and list(tmp_path.iterdir()) == [path]


@pytest.mark.parametrize("where", ["folder", "device"])
def test_loading_a_folder_or_a_device_says_what_it_is(tmp_path: Path, where: str) -> None:
    """Both were said not to exist."""
    path = tmp_path if where == "folder" else Path(os.devnull)
    with pytest.raises(IsADirectoryError, match=f"is a {where}"):
        bp.load(path)


def test_a_checkpoint_of_an_optimizer_made_for_another_network_is_refused(tmp_path: Path) -> None:
    X, y = np.random.default_rng(0).normal(size=(20, 3)), np.arange(20) % 3
    adam = bp.Adam(lr=0.01)
    bp.Network([3, 5, 3], loss="cross_entropy", seed=0).fit(X, y, optimizer=adam)
    with pytest.raises(ValueError, match="made for other parameters"):
        bp.save_checkpoint(tmp_path / "c.npz", bp.Network([3, 4, 3], seed=0), adam, 1)
    assert list(tmp_path.iterdir()) == []
