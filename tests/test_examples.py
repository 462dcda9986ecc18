"""Every script in examples/ runs (with fewer epochs), prints what its tutorial prints and saves
its plots, so none of them can rot."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

# script, extra arguments, what the output must show, the files it must save
CASES = [
    ("worked_example.py", ["--steps", "2"], ["0.191", "0.2557", "Step 2 of 2"],
     ["worked_example.html"]),
    ("xor.py", ["--epochs", "300"], ["epoch", "largest weight difference"],
     ["xor_loss.png"]),
    ("single_neuron.py", ["--epochs", "50"], ["dE/dw1", "dE/dw2", "dE/db1", "after 50 epochs"],
     ["single_neuron.png"]),
    ("digits.py", ["--epochs", "10"], ["epoch    1", "precision", "recall", "accuracy"],
     ["digits_history.png", "digits_confusion.png"]),
    ("two_hidden_layers.py", ["--epochs", "40"], ["final prediction"],
     ["two_hidden_layers.png"]),
]  # fmt: skip


def test_every_example_is_tested():
    assert sorted(p.name for p in EXAMPLES.glob("*.py")) == sorted(c[0] for c in CASES)


@pytest.mark.parametrize(("script", "args", "shows", "saves"), CASES, ids=[c[0] for c in CASES])
def test_example_runs(tmp_path, script, args, shows, saves):
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / script), *args, "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    for text in shows:
        assert text in result.stdout, f"{text!r} not in the output of {script}"
    for name in saves:
        path = tmp_path / name
        assert path.is_file() and path.stat().st_size > 5_000, name
    if script == "xor.py":  # the neuron model and the matrix engine agree to 1e-12
        gap = re.search(r"largest weight difference between the two models: (\S+)", result.stdout)
        assert gap is not None and float(gap.group(1)) < 1e-12
