"""Shared fixtures for the backprop test suite.

Other helpers may append fixtures to this file: append, never overwrite.
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from threadpoolctl import threadpool_limits


@pytest.fixture(autouse=True)
def one_blas_thread() -> Iterator[None]:
    """The tests' networks are small: BLAS threads would only fight over the two CPUs."""
    with threadpool_limits(limits=1, user_api="blas"):
        yield


#: The MNIST files beside the checkout, where CI and the development machines keep them.
SHARED_MNIST = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"


@pytest.fixture(scope="session")
def shared_mnist() -> Path:
    """The folder of the original MNIST files; tests that need it skip where it is absent."""
    if not SHARED_MNIST.is_dir():
        pytest.skip(f"MNIST files not available: {SHARED_MNIST} does not exist")
    return SHARED_MNIST


@pytest.fixture
def rng() -> np.random.Generator:
    """A fresh, fixed-seed NumPy generator for test data (independent of any network)."""
    return np.random.default_rng(20240601)


@pytest.fixture
def xor_data() -> tuple[np.ndarray, np.ndarray]:
    """The four XOR patterns and their 0/1 targets as a column."""
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    Y = np.array([[0.0], [1.0], [1.0], [0.0]])
    return X, Y


@pytest.fixture
def regression_data(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """40 samples, 3 features, 2 smooth continuous targets in (0, 1)."""
    X = rng.normal(size=(40, 3))
    Y = np.column_stack(
        [
            1.0 / (1.0 + np.exp(-(X[:, 0] - 0.5 * X[:, 1]))),
            0.5 + 0.3 * np.tanh(X[:, 2] * X[:, 0]),
        ]
    )
    return X, Y


@pytest.fixture
def classification_data(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """60 samples, 4 features, integer labels 0..2 (3 classes) separable by a linear rule."""
    X = rng.normal(size=(60, 4))
    scores = X @ np.array([[1.0, -1.0, 0.2], [0.5, 0.3, -1.0], [-0.2, 0.8, 0.4], [0.1, 0.1, 0.1]])
    labels = np.argmax(scores, axis=1)
    return X, labels


@pytest.fixture(scope="session")
def digits_split():
    """scikit-learn digits, scaled to [0, 1], 75/25 stratified split with random_state=42."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    X = digits.data / 16.0
    y = digits.target
    return train_test_split(X, y, test_size=0.25, random_state=42, stratify=y)


@dataclass
class CliResult:
    """What a run of the command line left: its exit code and what it printed."""

    returncode: int
    stdout: str
    stderr: str

    def assert_usage_error(self, *words: str) -> None:
        """Exit code 2, one line on stderr naming the problem (each of ``words``), no
        traceback."""
        assert self.returncode == 2, self.stderr
        lines = self.stderr.strip().splitlines()
        assert len(lines) == 1, self.stderr
        assert "Traceback" not in self.stderr
        for word in words:
            assert word in lines[0], lines[0]


#: Warnings Python's default filters hide from a console run (see the warnings module).
_HIDDEN_WARNINGS = (DeprecationWarning, PendingDeprecationWarning, ImportWarning, ResourceWarning)


@pytest.fixture
def cli(
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> Callable[..., CliResult]:
    """The command line run in this process: ``cli("train", "xor", cwd=folder)``.

    It calls ``backprop.cli.main`` as the console script does, without starting an interpreter.
    What the console would also print on stderr is added to ``stderr``: warnings the default
    filters show, and log records of level WARNING and above (logging's last resort handler).
    So "one line on stderr" means the same as for the console script.
    """
    from backprop.cli import main

    monkeypatch.setenv("COLUMNS", "120")  # rich's tables, as wide as the console script's

    def call(*args: str | os.PathLike[str], cwd: str | os.PathLike[str] | None = None) -> CliResult:
        capsys.readouterr()
        caplog.clear()
        with monkeypatch.context() as patch, warnings.catch_warnings(record=True) as caught:
            if cwd is not None:
                patch.chdir(cwd)
            warnings.resetwarnings()
            warnings.simplefilter("default")
            for category in _HIDDEN_WARNINGS:
                warnings.simplefilter("ignore", category)
            code = main([str(arg) for arg in args])
        out, err = capsys.readouterr()
        err += "".join(f"{w.category.__name__}: {w.message}\n" for w in caught)
        err += "".join(
            f"{r.getMessage()}\n" for r in caplog.records if r.levelno >= logging.WARNING
        )
        return CliResult(code, out, err)

    return call
