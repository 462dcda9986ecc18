"""``backprop explain`` on what a user hands it: a run's model, an output file, a weights file.

A run's model file holds the feature scaler its network was trained behind, so explain must
standardise the input as predict does; --out never overwrites a file unless told (--force);
and a broken weights file is one line on stderr, however it is broken.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest

from backprop import run

if TYPE_CHECKING:
    from conftest import CliResult

#: The ``cli`` fixture of conftest.py: ``cli("explain", "worked-example")`` -> CliResult.
Cli = Callable[..., "CliResult"]

#: Three classes told apart by a feature in the thousands; the other is in thousandths.
LABELS = ("low", "mid", "high")


@pytest.fixture(scope="module")
def scaled_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The model file of a short CSV run whose features the run standardised."""
    folder = tmp_path_factory.mktemp("scaled")
    rng = np.random.default_rng(0)
    size = rng.uniform(1000.0, 4000.0, 60)
    tiny = rng.uniform(0.0, 0.01, 60)
    rows = [
        f"{s:.3f},{t:.6f},{LABELS[int((s - 1000) // 1000)]}"
        for s, t in zip(size, tiny, strict=True)
    ]
    data = folder / "sizes.csv"
    data.write_text("size,tiny,kind\n" + "\n".join(rows) + "\n")
    config = run.RunConfig(str(data), epochs=3, test_size=0.0)
    run.train(config, folder / "run", verbose=0)
    model = folder / "run" / "model.npz"
    assert run.Model.load(model).scaler is not None
    return model


def _outputs(trace_text: str) -> list[float]:
    """The network's outputs before the step, from the trace's summary line."""
    return [float(v) for v in re.findall(r"out_o\d+ (\S+) ->", trace_text)]


def _one_line_error(result: CliResult, *words: str) -> None:
    assert result.returncode == 2, result
    assert result.stderr.startswith("backprop: error: ") and result.stderr.count("\n") == 1
    for word in words:
        assert word in result.stderr, (word, result.stderr)


# -- a run's model: its scaler and its class labels ----------------------------------------------


def test_explain_standardises_the_input_as_predict_does(scaled_run: Path, cli: Cli) -> None:
    row = "3500,0.002"
    predicted = cli("predict", scaled_run, row, "--proba")
    assert predicted.returncode == 0, predicted.stderr
    classes, probabilities = predicted.stdout.splitlines()
    shown = cli(
        "explain", "--model", scaled_run, "--input", row, "--target", "high",
        "--format", "markdown", "--digits", "6",
    )  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    expected = [float(p) for p in probabilities.split(",")]
    assert _outputs(shown.stdout) == pytest.approx(expected, abs=2e-6)
    # The reader is told the input was standardised, and sees both the raw and the scaled value.
    assert "standardised" in shown.stdout and "size = 3500 ->" in shown.stdout
    # The class label is the network's output for that class: a one-hot target there.
    hot = classes.split(",").index("high") + 1
    assert f"target_o{hot} = 1" in shown.stdout


def test_explain_names_the_classes_of_a_run_model(scaled_run: Path, cli: Cli) -> None:
    result = cli("explain", "--model", scaled_run, "--input", "3500,0.002", "--target", "huge")
    _one_line_error(result, "--target", "'huge'", "high", "low", "mid")


def test_explain_wants_one_input_per_feature(scaled_run: Path, cli: Cli) -> None:
    result = cli("explain", "--model", scaled_run, "--input", "3500", "--target", "low")
    _one_line_error(result, "--input", "2 features", "size, tiny")


def test_explain_refuses_an_input_that_is_not_a_number(cli: Cli) -> None:
    result = cli("explain", "--sizes", "2,2,1", "--input", "nan,1", "--target", "1")
    _one_line_error(result, "--input", "'nan,1'", "none nan or inf")


# -- --out: no file is overwritten unless --force says so ---------------------------------------


def test_out_refuses_an_existing_file_without_force(tmp_path: Path, cli: Cli) -> None:
    page = tmp_path / "step.html"
    page.write_text("my notes")
    _one_line_error(cli("explain", "worked-example", "--out", page), str(page), "--force")
    assert page.read_text() == "my notes"
    result = cli("explain", "worked-example", "--out", page, "--force")
    assert result.returncode == 0, result.stderr
    assert "<svg" in page.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--out", "data.csv"], ["--out", "data.csv", ".csv", ".html"]),
        (["--out", "trace"], ["--out", "trace", ".txt"]),
        (["--out", "step.md", "--format", "html"], ["step.md", "markdown", "--format html"]),
        (["--force"], ["--force", "--out"]),
    ],
)
def test_out_refuses_a_file_it_does_not_write(
    tmp_path: Path, cli: Cli, args: list[str], words: list[str]
) -> None:
    _one_line_error(cli("explain", "worked-example", *args, cwd=tmp_path), *words)
    assert list(tmp_path.iterdir()) == []


# -- weights files: broken however deeply, one line ---------------------------------------------


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("[" * 100_000 + "]" * 100_000, ["nested too deeply"]),
        ('{"sizes": [1, 1], "w": [' + "9" * 5000 + "]}", ["not valid JSON"]),
        ('{"sizes": [1, 1], "w": [NaN]}', ['"w"', "finite"]),
    ],
)
def test_a_broken_weights_file_is_one_line(
    tmp_path: Path, cli: Cli, content: str, words: list[str]
) -> None:
    weights = tmp_path / "net.json"
    weights.write_text(content)
    result = cli("explain", "--weights", weights, "--input", "1", "--target", "1")
    _one_line_error(result, f"weights file '{weights}'", *words)


def test_a_weights_file_with_an_infinite_bias_is_refused(tmp_path: Path, cli: Cli) -> None:
    weights = tmp_path / "net.json"
    weights.write_text(json.dumps({"layers": [{"weights": [[1.0]], "bias": [1e999]}]}))
    result = cli("explain", "--weights", weights, "--input", "1", "--target", "1")
    _one_line_error(result, "layers[0]", "bias", "finite")


def test_a_class_label_with_a_comma_is_a_label(cli, tmp_path: Path) -> None:
    """Quoted CSV labels may hold commas; --target takes the label before reading numbers."""
    rows = ["a,b,label"] + [
        f'{0.1 * i},{1 - 0.1 * i},"{"Iris, virginica" if i % 2 else "Iris setosa"}"'
        for i in range(10)
    ]
    (tmp_path / "tr.csv").write_text("\n".join(rows) + "\n")
    assert cli("train", "tr.csv", "--epochs", "3", "--out", "r", "-q", cwd=tmp_path).returncode == 0
    result = cli(
        "explain", "--model", "r/model.npz", "--input", "0.5,0.6",
        "--target", "Iris, virginica", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Iris, virginica" in result.stdout
    wrong = cli(
        "explain", "--model", "r/model.npz", "--input", "0.5,0.6", "--target", "Iris",
        cwd=tmp_path,
    )  # fmt: skip
    assert wrong.returncode == 2 and len(wrong.stderr.splitlines()) == 1
    assert "not one of the model's classes" in wrong.stderr


def test_predict_quotes_labels_that_hold_commas(cli, tmp_path: Path) -> None:
    import csv

    rows = ["a,b,label"] + [
        f'{0.1 * i},{1 - 0.1 * i},"{"Iris, virginica" if i % 2 else "Iris setosa"}"'
        for i in range(10)
    ]
    (tmp_path / "tr.csv").write_text("\n".join(rows) + "\n")
    assert cli("train", "tr.csv", "--epochs", "3", "--out", "r", "-q", cwd=tmp_path).returncode == 0
    proba = cli("predict", "r/model.npz", "0.5,0.6", "--proba", cwd=tmp_path)
    header, values = list(csv.reader(proba.stdout.splitlines()))
    assert header == ["Iris setosa", "Iris, virginica"] and len(values) == 2
    labels = cli("predict", "r/model.npz", "tr.csv", cwd=tmp_path)
    read_back = [row[0] for row in csv.reader(labels.stdout.splitlines())]
    assert set(read_back) <= {"Iris setosa", "Iris, virginica"} and len(read_back) == 10
