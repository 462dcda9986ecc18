"""What backprop 0.1 users have keeps working: its import paths (for one release, with a
DeprecationWarning) and the files it wrote (tests/data/v0.1, written by backprop 0.1)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import backprop as bp
from backprop import _moved, run
from backprop.sklearn import BackpropClassifier

OLD = Path(__file__).parent / "data" / "v0.1"


def test_old_module_paths_import_the_moved_modules_with_a_warning() -> None:
    # A fresh interpreter, where no old name was imported yet: each warns when first imported.
    code = (
        "import importlib, warnings\n"
        "from backprop import _moved\n"
        "for old, new in _moved.MOVED.items():\n"
        "    with warnings.catch_warnings(record=True) as caught:\n"
        "        warnings.simplefilter('always')\n"
        "        module = importlib.import_module(old)\n"
        "    assert module is importlib.import_module(new), old\n"
        "    print(old, '|', caught[0].category.__name__, '|', caught[0].message)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    lines = out.stdout.splitlines()
    assert len(lines) == len(_moved.MOVED) > 10
    for line, (old, new) in zip(lines, _moved.MOVED.items(), strict=True):
        assert line.startswith(f"{old} | DeprecationWarning | {old} moved to {new}")


def test_old_module_names_are_attributes_of_the_package() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        assert bp.network.Network is bp.Network  # type: ignore[attr-defined]
        assert bp.datasets.load is bp.data.load  # type: ignore[attr-defined]
    with pytest.raises(AttributeError, match="no attribute 'nonsense'"):
        bp.nonsense  # type: ignore[attr-defined]  # noqa: B018


def test_network_file_written_by_0_1_loads_and_predicts_the_same() -> None:
    net = bp.load(OLD / "network.npz")
    expected = np.load(OLD / "network_outputs.npy")
    np.testing.assert_array_equal(net.predict(np.load(OLD / "grid.npy")), expected)


def test_estimator_file_written_by_0_1_loads_and_predicts_the_same() -> None:
    clf = BackpropClassifier.load(OLD / "classifier.npz")
    expected = np.load(OLD / "classifier_proba.npy")
    np.testing.assert_array_equal(clf.predict_proba(np.load(OLD / "grid.npy")), expected)


def test_run_folder_written_by_0_1_resumes_as_if_never_stopped(tmp_path: Path) -> None:
    """0.1 stored the full batch as batch_size 0; it still means the full batch."""
    shutil.copytree(OLD / "run", tmp_path / "old")
    resumed = run.resume(tmp_path / "old", epochs=40, verbose=0)
    config = run.RunConfig("xor", epochs=40, batch_size=None)
    straight = run.train(config, tmp_path / "new", verbose=0)
    np.testing.assert_array_equal(
        resumed.model.network.parameter_vector, straight.model.network.parameter_vector
    )
    assert resumed.history.history == straight.history.history
    assert resumed.model.info["config"]["batch_size"] is None
