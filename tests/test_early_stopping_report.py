"""A run says when early stopping fired and which epoch's weights model.npz holds: EarlyStopping
keeps both, report.txt and the summary table of ``backprop train`` state them."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console

import backprop as bp
from backprop.cli.train import _show
from backprop.run import Model, RunResult
from backprop.run.reports import Report

CONFIG = {"optimizer": "sgd", "lr": 1.0, "epochs": 500, "batch_size": None, "l2": 0.0}


def noisy(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """30 samples of two features, class 1 where the first is positive: a quarter flipped."""
    X = rng.normal(size=(30, 2))
    return X, ((X[:, 0] > 0) ^ (rng.uniform(size=30) < 0.25)).astype(int)


def a_run(tmp_path: Path, stopper: bp.EarlyStopping | None, epochs: int = 500) -> RunResult:
    """A run that overfits: a quarter of the labels are flipped, so the validation loss falls
    for 27 epochs, then rises."""
    rng = np.random.default_rng(0)
    (X, y), validation = noisy(rng), noisy(rng)
    net = bp.Network([2, 16, 2], output="softmax", seed=0)
    callbacks = [stopper] if stopper else []
    history = net.fit(X, y, epochs=epochs, lr=1.0, validation_data=validation, callbacks=callbacks)
    model = Model(net, "classification", [0, 1], ["a", "b"], info={"dataset": "noisy"})
    model.info["config"] = CONFIG
    report = model.report(X, y)
    return RunResult(model, history, report, None, tmp_path, 1.0, early_stopping=stopper)


def test_early_stopping_keeps_when_it_stopped_and_its_best_epoch(tmp_path: Path) -> None:
    stopper = bp.EarlyStopping(patience=4)
    result = a_run(tmp_path, stopper)
    val_loss = result.history["val_loss"]
    assert stopper.best_epoch > 0 and len(val_loss) < 500
    assert stopper.stopped_epoch == len(val_loss) - 1
    assert stopper.best_epoch == int(np.argmin(val_loss)) == stopper.stopped_epoch - 4
    assert stopper.best_value == val_loss[stopper.best_epoch]

    note = (
        f"at epoch {stopper.stopped_epoch + 1}: model.npz holds epoch "
        f"{stopper.best_epoch + 1}'s weights (best val_loss {stopper.best_value:.4f})"
    )
    assert result.early_stopping_note() == note
    assert f"\nearly stop  {note}\n" in result.report_text()
    console = Console(width=200, file=io.StringIO())
    _show(console, result)
    assert isinstance(console.file, io.StringIO)
    assert any(
        "early stop" in line and note in line for line in console.file.getvalue().splitlines()
    )


def test_a_run_whose_early_stopping_did_not_fire_still_names_the_weights_it_kept(
    tmp_path: Path,
) -> None:
    stopper = bp.EarlyStopping(patience=1000)
    result = a_run(tmp_path, stopper, epochs=60)
    assert stopper.stopped_epoch is None
    best = int(np.argmin(result.history["val_loss"]))
    assert best < 59
    assert result.early_stopping_note() == (
        f"did not fire (patience 1000): model.npz holds epoch {best + 1}'s weights "
        f"(best val_loss {stopper.best_value:.4f})"
    )


def test_a_run_without_early_stopping_says_nothing_of_it(tmp_path: Path) -> None:
    result = a_run(tmp_path, None, epochs=3)
    assert result.early_stopping_note() is None
    assert "early stop" not in result.report_text()


@pytest.mark.parametrize("classes", [3, 200])
def test_the_terminal_report_of_many_classes_keeps_its_beginning_and_totals(
    tmp_path: Path, classes: int
) -> None:
    result = a_run(tmp_path, None, epochs=1)
    lines = ["header", ""] + [f"class {k}" for k in range(classes)]
    lines += ["", "accuracy", "macro avg", "weighted avg"]
    result.train_report = Report({"accuracy": 0.5}, "\n".join(lines) + "\n")
    short = result.short_report().splitlines()
    if classes == 3:
        assert short == lines
    else:
        assert short[:3] == ["header", "", "class 0"]
        assert short[-4:] == ["", "accuracy", "macro avg", "weighted avg"]
        assert f"... {len(lines) - len(short) + 1} more lines in report.txt" in short[-5]
        assert len(short) < 30
