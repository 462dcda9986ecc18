"""CSV files at scale and at the edges (issue 15, parts 4 and 5).

* Column names: two columns of one name are refused when training, and never silently read
  from the first of them when predicting.
* Huge and tiny features: any finite column can be standardised, and the scaler a run saves
  can always be loaded again.
* The streaming reader: its chunks change nothing a user sees, and a file loads with memory
  bounded by a small multiple of the arrays it gives (checked in a subprocess).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest

from backprop import run
from backprop.data import Dataset, csv_files, load, read_features
from backprop.data.preprocessing import Scaler

if TYPE_CHECKING:
    from conftest import CliResult

Cli = Callable[..., "CliResult"]


def write_csv(tmp_path: Path, text: str, name: str = "data.csv") -> Path:
    """Write ``text`` to a CSV file in ``tmp_path``."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# -- column names --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("a,a,t", r"more than one column named 'a' \(columns 1 and 2\)"),
        ("a, a ,t", r"more than one column named 'a' \(columns 1 and 2\)"),  # spaces stripped
        (",b,,t", r"more than one column with an empty name \(columns 1 and 3\)"),
        ("a,b,a", r"more than one column named 'a' \(columns 1 and 3\)"),  # target = a feature
        ("a,b,a,b,t", r"named 'a' \(columns 1 and 3\); named 'b' \(columns 2 and 4\)"),
    ],
    ids=["twice", "spaces", "empty", "target-like-feature", "two-names"],
)
def test_csv_with_duplicate_column_names_is_refused(tmp_path, header, message):
    width = len(header.split(","))
    rows = "".join(",".join(str(i + j) for j in range(width - 1)) + f",{i % 2}\n" for i in range(4))
    path = write_csv(tmp_path, f"{header}\n{rows}")
    with pytest.raises(ValueError, match=message) as info:
        load(path)
    assert f"'{path}'" in str(info.value)
    with pytest.raises(ValueError, match=message):
        load(path, target=0)  # whichever column is the target


def test_dataset_refuses_duplicate_feature_names_and_a_target_named_like_one():
    X = np.zeros((3, 2))
    with pytest.raises(ValueError, match="feature_names must be unique, but 'a' name more"):
        Dataset("d", X, np.zeros(3), "regression", None, ["a", "a"])
    with pytest.raises(ValueError, match="target_name 'b' is also the name of a feature"):
        Dataset("d", X, np.zeros(3), "regression", None, ["a", "b"], target_name="b")


def test_read_features_never_picks_the_first_of_two_columns(tmp_path):
    path = write_csv(tmp_path, "b,a,a\n1,2,3\n4,5,6\n")
    with pytest.raises(ValueError, match=r"more than one column named 'a' \(columns 2 and 3\)"):
        read_features(path, ["a", "b"])
    # A repeated column the model does not read is harmless.
    X = read_features(
        write_csv(tmp_path, "note,b,a,note\nx,1,2,y\nz,3,4,w\n", "ok.csv"), ["a", "b"]
    )
    np.testing.assert_array_equal(X, [[2, 1], [4, 3]])
    # Names are compared exactly: 'A' and 'a' are two names.
    X = read_features(write_csv(tmp_path, "A,a\n1,2\n", "case.csv"), ["a", "A"])
    np.testing.assert_array_equal(X, [[2, 1]])
    assert load(write_csv(tmp_path, "A,a,t\n1,2,0\n3,4,1\n", "t.csv")).feature_names == ["A", "a"]


def test_read_features_for_a_model_with_duplicate_feature_names(tmp_path):
    """An old model trained on columns a, a: a header cannot say which is which."""
    with pytest.raises(ValueError, match=r"the model names more than one feature named 'a'"):
        read_features(write_csv(tmp_path, "a,a\n1,2\n"), ["a", "a"])
    X = read_features(write_csv(tmp_path, "1,2\n3,4\n", "rows.csv"), ["a", "a"])
    np.testing.assert_array_equal(X, [[1, 2], [3, 4]])  # in training order, by position


@pytest.fixture
def two_feature_csv(tmp_path: Path) -> Path:
    """200 rows whose class depends on both features, differently."""
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(2, 200))
    labels = (a - 2 * b > 0).astype(int)
    lines = [f"{x!r},{z!r},{k}" for x, z, k in zip(a.tolist(), b.tolist(), labels, strict=True)]
    return write_csv(tmp_path, "x,z,y\n" + "\n".join(lines) + "\n", "two.csv")


def test_cli_refuses_duplicate_names_in_training_and_prediction(
    tmp_path: Path, two_feature_csv: Path, cli: Cli
) -> None:
    duplicated = write_csv(tmp_path, two_feature_csv.read_text().replace("x,z,y", "x,x,y"))
    result = cli("train", duplicated, "--out", tmp_path / "dup", "--epochs", "2", "--quiet")
    result.assert_usage_error("more than one column named 'x'", str(duplicated))
    assert not (tmp_path / "dup").exists()

    out = tmp_path / "run"
    result = cli("train", two_feature_csv, "--out", out, "--epochs", "2", "--quiet")
    assert result.returncode == 0, result.stderr
    rows = write_csv(tmp_path, "x,z,x\n0.5,1.0,-3\n", "rows.csv")
    cli("predict", out / "model.npz", rows).assert_usage_error("named 'x'", str(rows))


# -- huge and tiny features ---------------------------------------------------------------


@pytest.mark.parametrize("magnitude", [1e300, 1e200, 1e154, 1e-20, 1e-200, 1e-300])
def test_scaler_standardises_any_finite_magnitude(magnitude):
    """Squaring 1e154 overflowed to inf (a network trained on zeros, a model file that would
    not load); a column of 1e-20s was taken for a constant one and left unscaled."""
    X = np.random.default_rng(0).normal(size=(500, 2)) * magnitude
    X[:, 1] = magnitude  # a constant column, centred and divided by 1
    scaler = Scaler().fit(X)
    assert scaler.mean_ is not None and scaler.scale_ is not None
    assert scaler.mean_[1] == magnitude and scaler.scale_[1] == 1.0
    Z = scaler.transform(X)
    np.testing.assert_allclose(Z.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(Z.std(axis=0), [1, 0], atol=1e-12)
    restored = Scaler.from_arrays(scaler.to_arrays())  # what a model file holds, loaded again
    np.testing.assert_array_equal(restored.transform(X), Z)


def test_scaler_takes_the_whole_float64_range():
    biggest = np.finfo(np.float64).max
    X = np.array([[-biggest, 3e-307, 5e-324], [biggest, 0.0, 0.0], [0.0, 3e-307, 5e-324]])
    scaler = Scaler().fit(X)
    Z = scaler.transform(X)
    np.testing.assert_allclose(Z[:, 0], [-np.sqrt(1.5), np.sqrt(1.5), 0], rtol=1e-12)
    np.testing.assert_allclose(Z[:, 1], [np.sqrt(0.5), -np.sqrt(2), np.sqrt(0.5)], rtol=1e-12)
    # The smallest subnormals keep a single bit of precision, but still a usable scale.
    assert np.isfinite(Z).all() and scaler.scale_ is not None and scaler.scale_[2] > 0
    Scaler.from_arrays(scaler.to_arrays())


def test_scaler_names_a_value_whose_standardised_form_overflows():
    scaler = Scaler().fit(np.array([[0.0, 0.0], [1.0, 1.0]]))
    with pytest.raises(ValueError, match=r"X\[1, 1\] = -1.7e\+308 is too far from column 1's"):
        scaler.transform(np.array([[0.5, 0.5], [0.5, -1.7e308]]))


def test_scaler_never_writes_statistics_it_cannot_read():
    scaler = Scaler().fit(np.array([[0.0], [1.0]]))
    scaler.scale_ = np.array([np.inf])
    with pytest.raises(ValueError, match=r"Scaler.to_arrays needs finite 'mean' and finite"):
        scaler.to_arrays()


def test_cli_trains_and_predicts_on_features_near_1e300(tmp_path: Path, cli: Cli) -> None:
    rng = np.random.default_rng(1)
    big, small = rng.normal(size=(2, 200))
    labels = np.where(big > 0, "pos", "neg")
    lines = [
        f"{x * 1e300!r},{z!r},{k}"
        for x, z, k in zip(big.tolist(), small.tolist(), labels, strict=True)
    ]
    data = write_csv(tmp_path, "big,small,sign\n" + "\n".join(lines) + "\n", "huge.csv")
    out = tmp_path / "run"
    result = cli("train", data, "--out", out, "--epochs", "30", "--test-size", "0", "--quiet")
    assert result.returncode == 0, result.stderr
    model = run.Model.load(out / "model.npz")
    assert model.scaler is not None and np.isfinite(model.scaler.scale_).all()
    result = cli("predict", out / "model.npz", data)
    assert result.returncode == 0, result.stderr
    predicted = np.array(result.stdout.split())
    assert (predicted == labels).mean() > 0.95  # the sign of the huge feature was learnt


# -- the streaming reader -----------------------------------------------------------------


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks of three rows (of two fields) and two remembered labels, so that small files
    cross every boundary."""
    monkeypatch.setattr(csv_files, "_CHUNK_FIELDS", 6)
    monkeypatch.setattr(csv_files, "_MAX_REMEMBERED_LABELS", 2)


def test_chunked_reading_gives_the_same_dataset(tmp_path, monkeypatch):
    text = "a,b,kind\n\n" + "".join(
        f"{i},{i * 0.5},{'xyzwv'[i % 5]}\n" + ("\n" if i % 4 == 0 else "") for i in range(20)
    )
    path = write_csv(tmp_path, text)
    whole = load(path)
    monkeypatch.setattr(csv_files, "_CHUNK_FIELDS", 9)  # three rows of three fields
    monkeypatch.setattr(csv_files, "_MAX_REMEMBERED_LABELS", 2)  # five labels: a third pass
    chunked = load(path)
    assert chunked.classes == whole.classes == ["v", "w", "x", "y", "z"]
    np.testing.assert_array_equal(chunked.X, whole.X)
    np.testing.assert_array_equal(chunked.y, whole.y)
    np.testing.assert_array_equal(chunked.y, [2, 3, 4, 1, 0] * 4)
    np.testing.assert_array_equal(read_features(path, ["b", "a"]), whole.X[:, ::-1])


@pytest.mark.parametrize(
    ("text", "task", "message"),
    [
        ("a,t\n1,0\n2,1\n3,0\n4,1\nx,0\n", None, r"line 6, column 1 \('a'\): expected a number"),
        ("a,t\n1,0\n2,1\n3,0\n4,1\n1e999,0\n", None, r"line 6, column 1 \('a'\): missing or"),
        ("a,t\n1,0\n2,\n3,0\n4,1\nx,0\n", None, r"line 6, column 1 \('a'\): expected a number"),
        ("a,t\n1,0\n2,1\n3,0\n4,\n5,nan\n", None, r"column 2 \('t'\), line 5: missing target"),
        ("a,t\n1,0\nx,1\n3,0\n4,1\n5,0,6\n", None, r"line 6: 3 fields, expected 2 like line 1"),
        ("a,t\n1,1.5\n2,2.5\n3,.5\n4,1\n5,no\n", "regression", r"line 6: a regression target"),
    ],
    ids=["text-late", "inf-late", "features-first", "first-missing", "ragged-first", "reg-text"],
)
def test_chunked_reading_reports_the_same_first_problem(
    tmp_path, small_chunks, text, task, message
):
    with pytest.raises(ValueError, match=message):
        load(write_csv(tmp_path, text), task=task)


@pytest.mark.parametrize(
    "rewrite",
    ["a,t\n1,0\n2,1\n3,0\n", "a,t\n1,0\n", "a,t\n1,0\n2\n"],
    ids=["longer", "shorter", "ragged"],
)
def test_a_file_rewritten_between_the_two_passes(tmp_path, monkeypatch, rewrite):
    path = write_csv(tmp_path, "a,t\n1,0\n2,1\n")
    scan = csv_files._scan

    def scan_then_rewrite(*args):
        layout = scan(*args)
        path.write_text(rewrite)
        return layout

    monkeypatch.setattr(csv_files, "_scan", scan_then_rewrite)
    with pytest.raises(ValueError, match=rf"'{path}' changed while it was read \(2 data rows"):
        load(path)


def test_regression_target_with_many_values_keeps_no_labels(tmp_path, small_chunks):
    text = "a,t\n" + "".join(f"{i},{i * 1.5}\n" for i in range(10))
    ds = load(write_csv(tmp_path, text))
    assert ds.task == "regression" and ds.classes is None
    np.testing.assert_array_equal(ds.y, np.arange(10) * 1.5)


# Runs in a fresh interpreter: caps its address space at what it has after the imports plus
# a budget, then loads the file. Address space, not resident memory, is what the kernel can
# cap; numpy's and Python's baseline (hundreds of MB of mappings) is measured, not guessed.
_LOAD_UNDER_A_CAP = """
import resource, sys
from backprop.data import load

def vm_size():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024

budget = int(sys.argv[2])
resource.setrlimit(resource.RLIMIT_AS, (vm_size() + budget, resource.RLIM_INFINITY))
data = load(sys.argv[1])
print(data.X.shape[0], data.X.nbytes)
"""


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux's /proc")
def test_loading_a_csv_file_takes_a_small_multiple_of_its_arrays(tmp_path):
    """About 10 MB of text, a 9 MB array: the old reader kept every field as a Python string
    and grew by about 107 MB; the streaming one by about 20 MB (a few MB of it fixed)."""
    rng = np.random.default_rng(0)
    block = "".join(
        ",".join(f"{v:.6f}" for v in row) + f",{k}\n"
        for row, k in zip(rng.normal(size=(1000, 20)), rng.integers(0, 5, 1000), strict=True)
    )
    path = tmp_path / "big.csv"
    with path.open("w") as f:
        f.write(",".join(f"f{i}" for i in range(20)) + ",label\n")
        for _ in range(60):
            f.write(block)
    array_bytes = 60_000 * 20 * 8
    budget = 6 * array_bytes  # 55 MB
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_LOAD_UNDER_A_CAP), str(path), str(budget)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["60000", str(array_bytes)]
