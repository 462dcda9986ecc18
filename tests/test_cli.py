"""The command line, run in this process through ``backprop.cli.main`` as the console script
runs it (the ``cli`` fixture of conftest.py); tests/test_cli_startup.py starts the console
script itself."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest

import backprop as bp
from backprop import data as datasets
from backprop import run
from backprop.cli import main
from backprop.cli.evaluate import SPLITS

if TYPE_CHECKING:
    from conftest import CliResult

#: The ``cli`` fixture: ``cli("train", "xor", cwd=folder)`` -> CliResult.
Cli = Callable[..., "CliResult"]


def digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}


@pytest.fixture(scope="module")
def moons_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small finished run that several tests read."""
    out = tmp_path_factory.mktemp("runs") / "moons"
    assert main(["train", "moons", "--epochs", "40", "--out", str(out), "--quiet"]) == 0
    return out


@pytest.fixture
def csv_file(tmp_path: Path) -> Path:
    """Two well-separated classes with string labels."""
    rng = np.random.default_rng(0)
    rows = ["length,width,species"]
    for label, centre in (("setosa", 0.0), ("virginica", 3.0)):
        for x1, x2 in rng.normal(centre, 0.5, (40, 2)):
            rows.append(f"{x1:.3f},{x2:.3f},{label}")
    path = tmp_path / "flowers.csv"
    path.write_text("\n".join(rows) + "\n")
    return path


# -- normal paths ------------------------------------------------------------------------------


def test_datasets_lists_every_builtin(cli: Cli) -> None:
    result = cli("datasets")
    assert result.returncode == 0
    for name in ("xor", "and", "or", "digits", "moons", "circles", "spiral", "blobs", "mnist"):
        assert name in result.stdout


@pytest.mark.parametrize(
    ("command", "words"),
    [
        ([], ["train", "evaluate", "predict", "explain", "plot", "datasets"]),
        (["train"], ["--layers", "--activation", "relu", "--optimizer", "adam", "--resume"]),
        (["evaluate"], ["--split", "auto|test|train|all"]),
        (["predict"], ["--proba"]),
        (["explain"], ["--format", "text|markdown|html", "--steps"]),
        (["plot"], ["RUN_DIR"]),
        (["datasets"], ["built-in data sets"]),
    ],
)
def test_help(cli: Cli, command: list[str], words: list[str]) -> None:
    result = cli(*command, "--help")
    assert result.returncode == 0 and result.stderr == ""
    for word in words:
        assert word in result.stdout


def test_evaluate_offers_the_runs_splits() -> None:
    assert SPLITS == run.SPLITS  # written out in the command, for a fast --help


def test_train_leaves_a_complete_run_folder(moons_run: Path) -> None:
    names = {p.name for p in moons_run.iterdir()}
    assert {"model.npz", "checkpoint.npz", "history.csv", "report.txt"} <= names
    assert {"history.png", "confusion_matrix.png", "decision_boundary.png"} <= names
    history = (moons_run / "history.csv").read_text().splitlines()
    assert history[0] == "epoch,loss,accuracy" and len(history) == 41
    report = (moons_run / "report.txt").read_text()
    assert "precision" in report and "recall" in report and "f1-score" in report


def test_train_shows_summary_and_report(tmp_path: Path, cli: Cli) -> None:
    result = cli("train", "xor", "--epochs", "300", "--out", tmp_path / "xor")  # plumbing only
    assert result.returncode == 0, result.stderr
    assert "backprop train" in result.stdout  # the summary table
    assert "precision" in result.stdout
    assert result.stdout.strip().splitlines()[-1].startswith("training accuracy")


def test_digits_demo_reaches_97_percent(tmp_path: Path) -> None:
    assert main(["train", "digits", "--out", str(tmp_path / "d"), "--quiet"]) == 0
    model = run.Model.load(tmp_path / "d" / "model.npz")
    assert model.network.sizes == [64, 32, 16, 10]
    X, y, _ = run.evaluation_data(model, "digits")
    assert len(X) == 450
    assert model.report(X, y).scores["accuracy"] >= 0.97


def test_evaluate_scores_the_test_part(moons_run: Path, cli: Cli) -> None:
    result = cli("evaluate", moons_run / "model.npz", "moons")
    assert result.returncode == 0, result.stderr
    assert "test, 125 samples" in result.stdout
    accuracy = float(result.stdout.splitlines()[1].split()[1])
    assert accuracy >= 0.9


def test_predict_a_row_and_probabilities(moons_run: Path, cli: Cli) -> None:
    label = cli("predict", moons_run / "model.npz", "1.0,-0.5")
    assert label.returncode == 0 and label.stdout.strip() in {"0", "1"}
    proba = cli("predict", moons_run / "model.npz", "1.0,-0.5", "--proba")
    header, row = proba.stdout.strip().splitlines()
    assert header == "0,1"
    p = [float(v) for v in row.split(",")]
    assert sum(p) == pytest.approx(1.0) and str(int(np.argmax(p))) == label.stdout.strip()
    cli("predict", moons_run / "model.npz", "nan,2").assert_usage_error("holds 'nan'")


@pytest.mark.parametrize(
    "settings",
    [["--output", "identity", "--loss", "mse"], ["--output", "exp", "--loss", "poisson"]],
    ids=["identity", "exp"],
)
def test_probabilities_only_of_outputs_that_are_probabilities(
    tmp_path: Path, cli: Cli, settings: list[str]
) -> None:
    """A bug hunt: --proba printed an identity output's -0.69 and 1.69 as probabilities."""
    out = tmp_path / "run"
    assert cli("train", "moons", "--epochs", "2", *settings, "--out", out, "-q").returncode == 0
    refused = cli("predict", out / "model.npz", "3,-3", "--proba")
    refused.assert_usage_error("are not probabilities of its classes", "--output softmax")
    assert refused.stdout == ""


def test_a_label_with_a_line_break_is_quoted_in_the_header(tmp_path: Path, cli: Cli) -> None:
    csv_file = tmp_path / "two.csv"
    rows = [f"{i % 5},{i % 3},{'ab' if i % 2 else 'c' + chr(10) + 'd'}" for i in range(20)]
    csv_file.write_text("x,y,label\n" + "\n".join(f'{a},{b},"{c}"' for a, b, c in
                        (r.split(",") for r in rows)) + "\n")  # fmt: skip
    out = tmp_path / "run"
    assert cli("train", csv_file, "--epochs", "2", "--out", out, "-q").returncode == 0
    header = cli("predict", out / "model.npz", "1,2", "--proba").stdout
    assert header.splitlines()[:2] == ['ab,"c', 'd"']  # one quoted field over two lines


def test_plot_redraws(moons_run: Path, cli: Cli) -> None:
    (moons_run / "history.png").unlink()
    result = cli("plot", moons_run)
    assert result.returncode == 0, result.stderr
    assert (moons_run / "history.png").stat().st_size > 1000
    # Its model file, or no folder at all, were both said to have no model.npz.
    cli("plot", moons_run / "model.npz").assert_usage_error("it is a file (give the folder")
    cli("plot", moons_run / "nothing").assert_usage_error("it does not exist")


def test_csv_with_string_labels_round_trip(tmp_path: Path, csv_file: Path, cli: Cli) -> None:
    out = tmp_path / "run"
    assert cli("train", csv_file, "--epochs", "30", "--out", out, "-q").returncode == 0
    model = bp.load_model(out / "model.npz")
    assert model.metadata["classes"] == ["setosa", "virginica"]
    assert "scaler.mean" in model.arrays  # scaling fitted on the training part, stored
    new = tmp_path / "new.csv"
    new.write_text("width,length\n0.1,0.0\n3.2,2.9\n")  # columns matched by name
    result = cli("predict", out / "model.npz", new)
    assert result.stdout.split() == ["setosa", "virginica"]
    result = cli("evaluate", out / "model.npz", csv_file, "--split", "all")
    assert result.returncode == 0 and "accuracy 1.0000" in result.stdout
    # evaluate matches columns by name too (it read them by position: a silently wrong score)
    rows = csv_file.read_text().splitlines()
    swapped = tmp_path / "swapped.csv"
    swapped.write_text("\n".join(",".join(row.split(",")[i] for i in (1, 0, 2)) for row in rows))
    result = cli("evaluate", out / "model.npz", swapped, "--split", "all")
    assert result.returncode == 0 and "accuracy 1.0000" in result.stdout
    renamed = tmp_path / "renamed.csv"
    renamed.write_text("\n".join(["a,b,species", *rows[1:]]))
    cli("evaluate", out / "model.npz", renamed).assert_usage_error("['a', 'b'] are not the ones")
    inputs_alone = tmp_path / "inputs.csv"  # its last column was read as the target, silently
    inputs_alone.write_text("\n".join(",".join(row.split(",")[:2]) for row in rows))
    cli("evaluate", out / "model.npz", inputs_alone).assert_usage_error(
        "besides its target column 'width'", "needs the targets too"
    )
    a_feature_short = tmp_path / "short.csv"  # its targets, but not every feature
    a_feature_short.write_text("\n".join(",".join(row.split(",")[1:]) for row in rows))
    result = cli("evaluate", out / "model.npz", a_feature_short)
    result.assert_usage_error("has 1 features but the model was trained on 2")
    assert "needs the targets" not in result.stderr


def test_csv_regression_reports_mse_and_r2(tmp_path: Path, cli: Cli) -> None:
    rng = np.random.default_rng(1)
    x = rng.uniform(-1, 1, (200, 2))
    y = x[:, 0] * 2 - x[:, 1] + 0.3
    path = tmp_path / "line.csv"
    np.savetxt(path, np.column_stack([x, y]), delimiter=",", header="a,b,t", comments="")
    result = cli("train", path, "--epochs", "100", "--out", tmp_path / "r")
    assert result.returncode == 0, result.stderr
    last = result.stdout.strip().splitlines()[-1]
    assert last.startswith("test mse") and float(last.split()[4]) > 0.95  # R2


def test_mnist_one_epoch_reaches_90_percent(tmp_path: Path, shared_mnist: Path) -> None:
    args = ["train", "mnist", "--data-dir", str(shared_mnist), "--layers", "784,128,10"]
    assert main([*args, "--epochs", "1", "--out", str(tmp_path / "m"), "-q"]) == 0
    report = (tmp_path / "m" / "report.txt").read_text()
    accuracy = float(report.split("test set:")[1].split()[1])
    assert accuracy >= 0.90


# -- checkpoints, Ctrl-C and resume ------------------------------------------------------------


def weights(folder: Path, name: str = "checkpoint.npz") -> list[np.ndarray]:
    return bp.load(folder / name).parameters


def test_resume_is_bit_identical_to_an_uninterrupted_run(tmp_path: Path, cli: Cli) -> None:
    common = ["--optimizer", "adam", "--batch-size", "16", "--checkpoint-every", "5", "-q"]
    assert (
        cli("train", "circles", "--epochs", "20", *common, "--out", tmp_path / "a").returncode == 0
    )
    assert (
        cli("train", "circles", "--epochs", "8", *common, "--out", tmp_path / "b").returncode == 0
    )
    resumed = cli("train", "--resume", tmp_path / "b", "--epochs", "20", "-q")
    assert resumed.returncode == 0, resumed.stderr
    for a, b in zip(weights(tmp_path / "a"), weights(tmp_path / "b"), strict=True):
        np.testing.assert_array_equal(a, b)
    history = (tmp_path / "b" / "history.csv").read_text()
    assert history == (tmp_path / "a" / "history.csv").read_text()


def test_ctrl_c_keeps_last_model_and_resumes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["train", "blobs", "--epochs", "12", "--optimizer", "momentum", "-q"]
    assert main([*args, "--out", str(tmp_path / "full")]) == 0

    steps = {"n": 0}
    original = bp.Network.backward

    def interrupted(self: bp.Network, *a: object, **k: object) -> object:
        steps["n"] += 1
        if steps["n"] == 7 * 12 + 5:  # in the middle of epoch 8 (12 batches of 32 per epoch)
            raise KeyboardInterrupt
        return original(self, *a, **k)

    monkeypatch.setattr(bp.Network, "backward", interrupted)
    assert main([*args, "--out", str(tmp_path / "cut")]) == 130
    message = capsys.readouterr().err
    assert "interrupted after epoch 7" in message and "--resume" in message
    assert len((tmp_path / "cut" / "history.csv").read_text().splitlines()) == 1 + 7
    monkeypatch.undo()

    assert main(["train", "--resume", str(tmp_path / "cut"), "-q"]) == 0
    for a, b in zip(weights(tmp_path / "full"), weights(tmp_path / "cut"), strict=True):
        np.testing.assert_array_equal(a, b)


def test_early_stopping_restores_the_best_epoch(tmp_path: Path) -> None:
    out = tmp_path / "es"
    args = ["train", "spiral", "--epochs", "400", "--patience", "5", "--lr", "0.05"]
    assert main([*args, "--out", str(out), "-q"]) == 0
    history = bp.load_checkpoint(out / "checkpoint.npz").history
    assert len(history.epoch) < 400
    best = int(np.argmin(history["val_loss"]))
    assert len(history.epoch) == best + 1 + 5  # stopped after `patience` epochs without progress
    saved = run.Model.load(out / "model.npz")
    data = datasets.load("spiral")
    config = run.RunConfig(**saved.info["config"])
    X_val, y_val = run.split(data, config).validation  # type: ignore[misc]
    val_loss = saved.network.evaluate(X_val, y_val)["loss"]
    assert val_loss == pytest.approx(history["val_loss"][best], rel=1e-12)


# -- mistakes: one line on stderr, exit code 2, nothing lost ------------------------------------


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["train", "nosuch"], ["unknown dataset 'nosuch'", "xor"]),
        (["train", "missing.csv"], ["missing.csv", "does not exist"]),
        (["train", "xor", "--layers", "64,,10"], ["--layers", "64,,10"]),
        (["train", "xor", "--layers", "0,5"], ["--layers", "0,5", "positive"]),
        (["train", "digits", "--layers", "10,5,10"], ["64 features", "first size"]),
        (["train", "xor", "--lr", "0"], ["--lr", "positive"]),
        (["train", "xor", "--lr", "-0.5"], ["lr", "-0.5"]),
        (["train", "xor", "--epochs", "0"], ["--epochs", "0"]),
        (["train", "xor", "--batch-size", "zero"], ["--batch-size", "zero"]),
        (["train", "xor", "--activation", "swish"], ["--activation", "swish"]),
        (["train", "xor", "--activation", "softmax"], ["--activation", "softmax", "relu"]),
        (["train", "xor", "--checkpoint-every", "0"], ["--checkpoint-every", "0"]),
        (["train", "xor", "--test-size", "1.5"], ["--test-size=1.5"]),
        (["train", "xor", "--clip-norm", "-1"], ["--clip-norm must be", "-1"]),
        (["train", "moons", "--seed", "-1"], ["--seed must be", "-1"]),
        (["train", "xor", "--l2", "-1"], ["--l2 must be", "-1"]),
        (["train", "xor", "--patience", "3", "--validation-split", "0"], ["--patience=3"]),
        (["train", "xor", "--l1", "-1"], ["--l1 must be", "-1"]),
        (["train", "xor", "--dropout", "0.5,0.5"], ["--dropout=", "2 rates"]),
        (["train", "digits", "--patience", "0"], ["patience", "0"]),
        (["train", "xor", "--patience", "3"], ["--validation-split=0.1 of 4 samples"]),
        (["evaluate", "nope.npz", "xor"], ["nope.npz", "does not exist"]),
        # explain and sweep name their options too, not the library's parameters
        (["explain", "--sizes", "2,2,1", "--activation", "swish"], ["--activation='swish'"]),
        (
            ["explain", "--sizes", "2,2,1", "--input", "1,1", "--target", "1", "--lr", "-1"],
            ["--lr must be", "-1"],
        ),
        (["sweep", "xor", "--lr", "-1"], ["--lr='-1'", "positive"]),
        (["sweep", "xor", "--lr", "0.1", "--clip-norm", "-1"], ["--clip-norm='-1'"]),
        # a candidate's settings lead its error, not an option of the first of them
        (["sweep", "moons", "--layers", "64,64,10", "--lr", "0.1,0.2"], ["candidate layers=64,64"]),
        (["sweep", "moons", "--layers", "64,64,10"], ["error: candidate layers=64,64,10: "]),
        (["nosuchcommand"], ["nosuchcommand"]),
        (
            ["train", "digits", "--activation", "relu", "--optimizer", "sgd", "--lr", "1e6"],
            ["diverged at epoch 1", "lower learning rate"],
        ),
    ],
)
def test_mistakes_get_one_line(tmp_path: Path, cli: Cli, args: list[str], words: list[str]) -> None:
    cli(*args, cwd=tmp_path).assert_usage_error(*words)
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


def test_mnist_that_can_be_neither_found_nor_downloaded_is_one_line(
    tmp_path: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each failed mirror was also logged as a warning: three lines on stderr (a bug hunt)."""
    from backprop.data import mnist

    mirrors = tuple(f"file://{tmp_path}/mirror{i}/" for i in range(2))
    monkeypatch.setattr(mnist, "MNIST_MIRRORS", mirrors)
    monkeypatch.setenv("HOME", str(tmp_path))  # no MNIST in the user's cache either
    result = cli("train", "mnist", "--data-dir", tmp_path / "none", "--out", tmp_path / "run")
    result.assert_usage_error("MNIST files not found", "mirror0", "mirror1")
    assert not (tmp_path / "run").exists()


def test_a_run_that_diverges_after_an_epoch_keeps_it(tmp_path: Path, cli: Cli) -> None:
    """ripple with momentum at lr 0.4 trains epoch 1 (its loss already huge) and diverges in
    epoch 2. The folder keeps epoch 1, resumable and explained: checkpoint, history, report
    and model; the error is one line that names the folder (it was removed, epochs and all,
    before)."""
    out = tmp_path / "run"
    args = ["train", "ripple", "--optimizer", "momentum", "--lr", "0.4", "--epochs", "50"]
    cli(*args, "--out", out, "-q").assert_usage_error("diverged at epoch 2", f"{out} keeps epoch 1")
    checkpoint = bp.load_checkpoint(out / "checkpoint.npz")
    assert len(checkpoint.history.epoch) == 1
    assert (out / "history.csv").read_text().count("\n") == 2  # the header and epoch 1
    model = run.Model.load(out / "model.npz")
    assert model.info["epochs_trained"] == 1
    assert np.array_equal(model.network.parameter_vector, checkpoint.network.parameter_vector)
    assert "outputs are not all finite" in (out / "report.txt").read_text()
    # Resuming it trains epoch 2 again, from the same state: it diverges the same way.
    cli("train", "--resume", out, "-q").assert_usage_error("diverged at epoch 2")


def test_a_diverging_run_with_early_stopping_keeps_its_best_epoch(tmp_path: Path, cli: Cli):
    """A learning rate that quadruples each epoch diverges in epoch 6. The model kept is the
    early stopper's best (it was the last epoch's, which the report did not say), and the
    message gives the rate epoch 6 had (it gave epoch 5's)."""
    out = tmp_path / "run"
    args = ["--lr", "0.01", "--optimizer", "sgd", "--schedule", "exponential:4", "--patience", "5"]
    cli("train", "ripple", "--epochs", "30", *args, "--out", out, "-q").assert_usage_error(
        "diverged at epoch 6", "lr=10.24", "keeps epochs 1 to 5"
    )
    last = bp.load_checkpoint(out / "checkpoint.npz")
    best = int(np.argmin(last.history["val_loss"]))
    assert f"holds epoch {best + 1}'s weights" in (out / "report.txt").read_text()
    model = run.Model.load(out / "model.npz")
    assert not np.array_equal(model.network.parameter_vector, last.network.parameter_vector)
    data = datasets.load("ripple")
    X_val, y_val = run.split(data, run.RunConfig(**model.info["config"])).validation
    val_loss = model.network.evaluate(model.scaler.transform(X_val), y_val[:, None])["loss"]
    assert val_loss == pytest.approx(last.history["val_loss"][best], rel=1e-9)


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("a,b,y\n1,2,x\n3,4\n", ["line 3", "2 fields", "expected 3"]),
        ("a,b,y\n1,zz,x\n3,4,y\n", ["line 2", "'zz'", "numeric"]),
        ("a,b,y\n", ["no data rows"]),
        ("", ["empty"]),
        ("a,b,y\n1,2,x\n3,4,x\n", ["two classes"]),
        # A quote left open swallowed the rest of the file into one label (a bug hunt).
        ('a,b,y\n1,2,x\n3,4,y\n5,6,"unterminated\n', ["malformed", "unexpected end of data"]),
        ('a,b,y\n1,2,x\n3,4,"y"z\n', ["malformed", "expected after"]),
    ],
)
def test_bad_csv_files(tmp_path: Path, cli: Cli, content: str, words: list[str]) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content)
    cli("train", path, "--out", tmp_path / "out").assert_usage_error(*words)
    assert not (tmp_path / "out").exists()


def test_unknown_target_column(tmp_path: Path, csv_file: Path, cli: Cli) -> None:
    cli("train", csv_file, "--target", "colour").assert_usage_error("colour", "species")


def test_model_file_that_is_not_one(tmp_path: Path, moons_run: Path, cli: Cli) -> None:
    fake = tmp_path / "fake.npz"
    fake.write_text("hello")
    cli("predict", fake, "1,2").assert_usage_error("not a backprop model file")
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes((moons_run / "model.npz").read_bytes()[:300])
    cli("evaluate", truncated, "moons").assert_usage_error("truncated.npz")
    np.savez(tmp_path / "pickled.npz", header=np.array([{"a": 1}], dtype=object))
    cli("predict", tmp_path / "pickled.npz", "1,2").assert_usage_error("pickled.npz")


def test_predict_input_of_the_wrong_width(moons_run: Path, cli: Cli) -> None:
    cli("predict", moons_run / "model.npz", "1,2,3").assert_usage_error("3 values", "expects 2")


def test_predict_input_that_is_a_folder(moons_run: Path, cli: Cli, tmp_path: Path) -> None:
    """It was said not to exist."""
    folder = tmp_path / "rows.csv"
    folder.mkdir()
    cli("predict", moons_run / "model.npz", folder).assert_usage_error("is a directory")


def test_an_existing_run_is_never_overwritten(moons_run: Path, cli: Cli) -> None:
    before = digest(moons_run)
    cli("train", "moons", "--out", moons_run).assert_usage_error("already holds", "--resume")
    assert digest(moons_run) == before


def test_resume_with_early_stopping_matches_the_uninterrupted_run(tmp_path: Path) -> None:
    args = ["train", "moons", "--patience", "3", "--lr", "0.05", "-q"]
    assert main([*args, "--epochs", "300", "--out", str(tmp_path / "a")]) == 0
    stopped_at = len(bp.load_checkpoint(tmp_path / "a" / "checkpoint.npz").history.epoch)
    assert 6 < stopped_at < 300
    assert main([*args, "--epochs", "6", "--out", str(tmp_path / "b")]) == 0
    assert main(["train", "--resume", str(tmp_path / "b"), "--epochs", "300", "-q"]) == 0
    for name in ("checkpoint.npz", "model.npz"):
        for a, b in zip(weights(tmp_path / "a", name), weights(tmp_path / "b", name), strict=True):
            np.testing.assert_array_equal(a, b)


def test_training_on_one_sample_plots_prediction_and_error(tmp_path: Path, cli: Cli) -> None:
    data = tmp_path / "one.csv"
    data.write_text("a,b,t\n0.5,0.2,0.7\n")
    out = tmp_path / "run"
    args = ["--test-size", "0", "--lr", "0.05", "--epochs", "200"]  # no scaler for one row
    result = cli("train", data, *args, "--out", out, "-q")
    assert result.returncode == 0, result.stderr
    history = bp.load_checkpoint(out / "checkpoint.npz").history
    assert abs(history["prediction"][-1] - 0.7) < 0.01  # it learned its one target
    assert history["error"][-1] == pytest.approx(0.5 * (0.7 - history["prediction"][-1]) ** 2)
    (out / "single_sample.png").unlink()
    assert cli("plot", out).returncode == 0
    assert (out / "single_sample.png").stat().st_size > 5_000


def test_the_version_is_the_packages(cli: Cli) -> None:
    """The README speaks of changes in 0.2; `backprop --version` said 0.1.0."""
    pyproject = (Path(__file__).parents[1] / "pyproject.toml").read_text()
    version = re.search(r'^version = "(.*)"$', pyproject, flags=re.MULTILINE)
    assert version is not None and bp.__version__ == version[1]
    assert cli("--version").stdout.strip().endswith(bp.__version__)
