"""Every plot writes a real PNG, without a display."""

from __future__ import annotations

import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from matplotlib.figure import Figure

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


class Drawn:
    """Stands in for plots._save: keeps the figure instead of rendering it."""

    def __init__(self) -> None:
        self.figures: list[Figure] = []

    def __call__(self, figure: Figure, path: Path) -> Path:
        self.figures.append(figure)
        return Path(path)


@pytest.fixture
def drawn(monkeypatch: pytest.MonkeyPatch) -> Drawn:
    drawn = Drawn()
    monkeypatch.setattr(plots, "save_png", drawn)
    return drawn


def test_plot_history_of_one_epoch_shows_its_point(tmp_path, drawn):
    """A single point draws no line: a short run marks each epoch's point."""
    plots.plot_history({"loss": [0.7], "val_loss": [0.8]}, tmp_path / "h.png")
    (ax,) = drawn.figures[0].axes
    assert [line.get_marker() for line in ax.lines] == ["o", "o"]


def test_a_confusion_matrix_of_many_classes_shows_the_most_confused(tmp_path, drawn):
    """40 classes: 30 of them are shown, with a text per cell, those of the most frequent
    confusion (37 taken for 3) among them, and the counts among the classes shown."""
    y_true = np.repeat(np.arange(40), 10)
    y_pred = y_true.copy()
    y_pred[y_true == 3] = [37] * 6 + [3] * 4
    y_pred[y_true == 12] = [13] + [12] * 9
    plots.plot_confusion_matrix(y_true, y_pred, [f"c{k}" for k in range(40)], tmp_path / "cm.png")
    ax = drawn.figures[0].axes[0]
    names = [label.get_text() for label in ax.get_xticklabels()]
    assert len(names) == plots.CONFUSION_CLASSES and ax.get_title().endswith(
        "the 30 of 40 classes most often confused"
    )
    assert {"c3", "c37", "c12", "c13"} <= set(names)
    assert len(ax.texts) == plots.CONFUSION_CLASSES**2
    cell = {(int(t.get_position()[1]), int(t.get_position()[0])): t.get_text() for t in ax.texts}
    assert cell[names.index("c3"), names.index("c37")] == "6"
    assert cell[names.index("c3"), names.index("c3")] == "4"
    assert cell[names.index("c13"), names.index("c13")] == "10"


def test_a_confusion_matrix_of_few_classes_shows_them_all(tmp_path, drawn):
    plots.plot_confusion_matrix([0, 1, 2, 2], [0, 2, 2, 2], ["a", "b", "c"], tmp_path / "cm.png")
    ax = drawn.figures[0].axes[0]
    assert [label.get_text() for label in ax.get_yticklabels()] == ["a", "b", "c"]
    assert [t.get_text() for t in ax.texts] == ["1", "0", "0", "0", "0", "1", "0", "0", "2"]
    with pytest.raises(ValueError, match=r"0\.\.2"):
        plots.plot_confusion_matrix([0, 3], [0, 1], ["a", "b", "c"], tmp_path / "x.png")


def test_a_confusion_matrix_of_1000_classes_draws_in_bounded_memory_and_time(tmp_path):
    """Drawn in a child limited to 1.5 GB of address space and 60 s of CPU: all 1,000 classes
    with their counts took over 4 minutes and 6 GB before running out of memory."""
    code = f"""
import resource
for limit, value in ((resource.RLIMIT_AS, 1536 * 2**20), (resource.RLIMIT_CPU, 60)):
    resource.setrlimit(limit, (value, value))
import numpy as np
from backprop.run import plots
rng = np.random.default_rng(0)
y_true = rng.integers(0, 1000, 20_000)
y_pred = np.where(rng.uniform(size=20_000) < 0.7, y_true, rng.integers(0, 1000, 20_000))
plots.plot_confusion_matrix(y_true, y_pred, range(1000), {str(tmp_path / "cm.png")!r})
"""
    env = {"PATH": "", "MPLBACKEND": "Agg", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    subprocess.run([sys.executable, "-c", code], check=True, env=env, timeout=300)
    width, height = png_size(tmp_path / "cm.png")
    assert width <= 2000 and height <= 2000


def test_decision_boundary_of_features_near_the_largest_float(tmp_path):
    """Features the scaler standardises (up to +-1.8e308) leave a plottable plane: the padding
    around the data must not overflow to inf and nan."""
    biggest = np.finfo(np.float64).max
    X = np.array([[-biggest, -1.0], [biggest, 1.0], [0.0, 0.0], [1e300, -1e300]])
    y = np.array([0, 1, 0, 1])
    scaler = bp.data.Scaler().fit(X)
    net = bp.Network([2, 3, 1], seed=0)
    path = plots.plot_decision_boundary(
        net, X, y, tmp_path / "b.png", transform=scaler.transform, resolution=20
    )
    assert path.stat().st_size > 0
