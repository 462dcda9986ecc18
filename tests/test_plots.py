"""Every plot writes a real PNG, without a display."""

from __future__ import annotations

import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import backprop as bp
from backprop.run import plots

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(path: Path) -> tuple[int, int]:
    """Width and height of a PNG, from its IHDR chunk; fails unless the file is a PNG."""
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE and data[12:16] == b"IHDR"
    assert len(data) > 10_000, f"{path.name} is only {len(data)} bytes"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_plot_history_two_panels_and_one(tmp_path):
    epochs = np.arange(1, 31)
    logs = {
        "loss": list(1 / epochs),
        "val_loss": list(1.2 / epochs),
        "accuracy": list(1 - 1 / (epochs + 1)),
        "val_accuracy": list(1 - 1.5 / (epochs + 2)),
    }
    path = plots.plot_history(logs, tmp_path / "sub" / "history.png")
    assert path == tmp_path / "sub" / "history.png"
    two_wide, _ = png_size(path)
    one_wide, _ = png_size(plots.plot_history({"loss": logs["loss"]}, tmp_path / "loss.png"))
    assert two_wide > 1.5 * one_wide  # the accuracy panel appears only with accuracy


def test_plot_history_takes_a_history(tmp_path, xor_data):
    net = bp.Network([2, 3, 1], seed=0)
    history = net.fit(*xor_data, epochs=5, lr=0.5)
    png_size(plots.plot_history(history, tmp_path / "h.png"))
    with pytest.raises(ValueError, match="no 'loss'"):
        plots.plot_history({"accuracy": [0.5]}, tmp_path / "bad.png")


def test_plot_confusion_matrix(tmp_path):
    rng = np.random.default_rng(0)
    y_true = rng.integers(0, 4, 200)
    y_pred = np.where(rng.uniform(size=200) < 0.8, y_true, rng.integers(0, 4, 200))
    path = plots.plot_confusion_matrix(y_true, y_pred, ["a", "b", "c", "d"], tmp_path / "cm.png")
    png_size(path)


@pytest.mark.parametrize("output", ["sigmoid", "softmax"])
def test_plot_decision_boundary(tmp_path, output):
    rng = np.random.default_rng(1)
    X = rng.normal(loc=5.0, scale=2.0, size=(80, 2))
    y = (X[:, 0] > X[:, 1]).astype(int)
    mean, std = X.mean(axis=0), X.std(axis=0)
    net = bp.Network([2, 6, 1 if output == "sigmoid" else 2], activation="tanh", output=output)
    net.fit((X - mean) / std, y, epochs=50, lr=0.5)
    path = plots.plot_decision_boundary(
        net, X, y, tmp_path / "boundary.png", transform=lambda Z: (Z - mean) / std
    )
    png_size(path)
    with pytest.raises(ValueError, match="two features"):
        plots.plot_decision_boundary(net, np.ones((4, 3)), [0, 1, 0, 1], tmp_path / "x.png")


def test_plot_single_sample(tmp_path):
    predictions = list(0.2 + 0.5 * np.exp(-np.arange(100) / 20))
    errors = [0.5 * (p - 0.2) ** 2 for p in predictions]
    png_size(plots.plot_single_sample(predictions, errors, tmp_path / "single.png"))


def test_plots_need_no_display(tmp_path):
    """Importing and plotting works with no display and leaves pyplot's backend alone."""
    code = (
        "import sys, backprop.run.plots as p; "
        f"p.plot_single_sample([1, 0.5], [0.2, 0.1], {str(tmp_path / 'x.png')!r}); "
        "assert 'matplotlib.pyplot' not in sys.modules"
    )
    env = {"PATH": "", "MPLBACKEND": "", "DISPLAY": ""}
    subprocess.run([sys.executable, "-c", code], check=True, env=env, timeout=60)
    png_size(tmp_path / "x.png")
