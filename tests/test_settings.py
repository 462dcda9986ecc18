"""Settings of a run that were taken on trust: the held-out fractions and the task.

A fraction outside [0, 1) (or nan) is refused when the RunConfig is made, naming the setting;
before, a negative or nan test size quietly meant "no test part". Whether the target holds
classes or real values is inferred from a CSV file, stated in the summary, and set by --task.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from backprop import run
from backprop.data.csv_files import MAX_INTEGER_CLASSES

if TYPE_CHECKING:
    from conftest import CliResult

#: The ``cli`` fixture of conftest.py: ``cli("train", "xor", cwd=folder)`` -> CliResult.
Cli = Callable[..., "CliResult"]


def _one_line_error(result: CliResult, *words: str) -> None:
    assert result.returncode == 2, result
    assert result.stderr.startswith("backprop: error: ") and result.stderr.count("\n") == 1
    for word in words:
        assert word in result.stderr, (word, result.stderr)


# -- fractions ----------------------------------------------------------------------------------

BAD_FRACTIONS = [
    ("--test-size", "-0.1"),
    ("--test-size", "nan"),
    ("--test-size", "1.5"),
    ("--test-size", "1"),
    ("--validation-split", "-1"),
    ("--validation-split", "nan"),
    ("--validation-split", "inf"),
]


@pytest.mark.parametrize(("option", "value"), BAD_FRACTIONS)
def test_a_fraction_out_of_range_is_refused(
    tmp_path: Path, cli: Cli, option: str, value: str
) -> None:
    result = cli("train", "xor", option, value, "--epochs", "1", "--out", "run", cwd=tmp_path)
    name = option[2:].replace("-", "_")
    _one_line_error(result, f"{option}={value}", f"0 <= {name} < 1")
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("value", [float("nan"), -0.1, 1.0, float("inf"), "0.2", True])
def test_run_config_checks_its_fractions_when_made(value: object) -> None:
    for name in ("test_size", "validation_split"):
        with pytest.raises(ValueError, match=rf"^{name}=.* \(0 <= {name} < 1\)"):
            run.RunConfig("xor", **{name: value})  # type: ignore[arg-type]
    config = run.RunConfig("xor", test_size=0.0, validation_split=0.5)  # the ends of the range
    assert (config.test_size, config.validation_split) == (0.0, 0.5)


# -- the task: classes or real values -----------------------------------------------------------


def _csv(folder: Path, name: str, n_values: int, rows: int) -> Path:
    """A feature and an integer target taking ``n_values`` values."""
    lines = [f"{i / rows:.4f},{i % n_values}" for i in range(rows)]
    path = folder / name
    path.write_text("x,y\n" + "\n".join(lines) + "\n")
    return path


def test_task_regression_on_integer_classes(tmp_path: Path, cli: Cli) -> None:
    data = _csv(tmp_path, "stars.csv", 3, 24)  # 0, 1, 2: read as classes unless told
    out = tmp_path / "run"
    result = cli("train", data, "--task", "regression", "--epochs", "2", "--out", out, "-q")
    assert result.returncode == 0, result.stderr
    assert "mse" in result.stdout and "r2" in result.stdout and "accuracy" not in result.stdout
    report = (out / "report.txt").read_text()
    assert "task        regression" in report
    # The model keeps its task: evaluating it reads its own data as real values again.
    scored = cli("evaluate", out / "model.npz", data)
    assert scored.returncode == 0, scored.stderr
    assert "mse" in scored.stdout


def test_task_classification_on_many_integers(tmp_path: Path, cli: Cli) -> None:
    assert MAX_INTEGER_CLASSES < 25  # so 25 integers are read as real values unless told
    data = _csv(tmp_path, "ages.csv", 25, 50)
    out = tmp_path / "run"
    args = ("--task", "classification", "--epochs", "2", "--test-size", "0", "--out", out)
    result = cli("train", data, *args)
    assert result.returncode == 0, result.stderr
    assert "accuracy" in result.stdout and "mse" not in result.stdout
    assert re.search(r"task[\s│]+classification \(25 classes\)", result.stdout)
    assert run.Model.load(out / "model.npz").task == "classification"


def test_the_inferred_task_is_stated(tmp_path: Path, cli: Cli) -> None:
    data = _csv(tmp_path, "ages.csv", 25, 50)
    result = cli("train", data, "--epochs", "1", "--out", tmp_path / "run")
    assert result.returncode == 0, result.stderr
    assert re.search(r"task[\s│]+regression", result.stdout)


def test_task_must_fit_a_built_in_data_set(tmp_path: Path, cli: Cli) -> None:
    result = cli("train", "xor", "--task", "regression", "--epochs", "1", cwd=tmp_path)
    _one_line_error(result, "task='regression'", "xor", "classification")
    assert not (tmp_path / "runs").exists()


def test_train_help_states_the_rule(cli: Cli) -> None:
    shown = " ".join(cli("train", "--help").stdout.split())
    assert "--task [classification|regression]" in shown
    assert f"more than {MAX_INTEGER_CLASSES} distinct integers" in shown


def test_a_cross_entropy_names_its_output_in_a_network_and_a_run(cli, tmp_path: Path) -> None:
    """engine/defaults.py's rule, for bp.Network and backprop train as for the estimators."""
    import backprop as bp

    assert bp.Network([2, 2, 3], loss="cross_entropy").layers[-1].activation.name == "softmax"
    net = bp.Network([2, 2, 1], activation="tanh", loss="binary_cross_entropy")
    assert [layer.activation.name for layer in net.layers] == ["tanh", "sigmoid"]
    rows = ["a,b,y"] + [f"{i % 3},{i % 5},{i % 2}" for i in range(20)]
    (tmp_path / "two.csv").write_text("\n".join(rows) + "\n")
    result = cli("train", "two.csv", "--loss", "cross_entropy", "--epochs", "2", "--out", "r",
                 "-q", cwd=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    trained = run.Model.load(tmp_path / "r" / "model.npz").network
    assert trained.sizes[-1] == 2 and trained.layers[-1].activation.name == "softmax"
