"""Run folders: their layout has one home, run.RunFolder, which the run and the CLI ask; they
work from anywhere, and each belongs to one run (issue 15): the data's paths are stored
absolute, --resume reads data that moved from where it is now, and of two runs started into
one folder at once only one trains there."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest

import backprop as bp
from backprop import run

if TYPE_CHECKING:
    from conftest import CliResult

Cli = Callable[..., "CliResult"]


def at_once(count: int, work: Callable[[int], object]) -> list[object]:
    """``work(i)`` in ``count`` threads that start it together: what each returned or raised."""
    barrier = threading.Barrier(count)
    outcomes: list[object] = [None] * count

    def one(i: int) -> None:
        barrier.wait()
        try:
            outcomes[i] = work(i)
        except Exception as error:
            outcomes[i] = error

    threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_new_folders_made_in_the_same_second_are_distinct(tmp_path: Path) -> None:
    folders = at_once(6, lambda i: run.RunFolder.new("xor", parent=tmp_path))
    paths = {folder.path for folder in folders}  # type: ignore[union-attr]
    assert len(paths) == 6 and all(path.is_dir() for path in paths)


def test_of_two_runs_started_into_one_folder_one_trains_and_one_is_refused(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "run"
    configs = [run.RunConfig("xor", epochs=5), run.RunConfig("xor", epochs=7)]
    outcomes = at_once(2, lambda i: run.train(configs[i], folder, verbose=0))
    results = [o for o in outcomes if isinstance(o, run.RunResult)]
    refusals = [o for o in outcomes if isinstance(o, FileExistsError)]
    assert len(results) == 1 and len(refusals) == 1, outcomes
    assert str(folder) in str(refusals[0]) and "--resume" in str(refusals[0])
    epochs = len(results[0].history.epoch)
    assert bp.load_checkpoint(folder / "checkpoint.npz").epochs == epochs
    assert len((folder / "history.csv").read_text().splitlines()) == 1 + epochs


@pytest.fixture(scope="module")
def flowers_csv() -> str:
    """A CSV file's text: two separable classes."""
    rng = np.random.default_rng(0)
    rows = ["length,width,species"]
    for label, centre in (("setosa", 0.0), ("virginica", 3.0)):
        for x1, x2 in rng.normal(centre, 0.5, (30, 2)):
            rows.append(f"{x1:.3f},{x2:.3f},{label}")
    return "\n".join(rows) + "\n"


@pytest.fixture
def flowers(tmp_path: Path, flowers_csv: str) -> Path:
    """A folder holding flowers.csv."""
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "flowers.csv").write_text(flowers_csv)
    return folder


@pytest.fixture(scope="module")
def flowers_run(tmp_path_factory: pytest.TempPathFactory, flowers_csv: str) -> Path:
    """The run of 12 epochs on flowers.csv that nothing stopped."""
    folder = tmp_path_factory.mktemp("reference")
    (folder / "flowers.csv").write_text(flowers_csv)
    run.train(run.RunConfig(str(folder / "flowers.csv"), epochs=12), folder / "run", verbose=0)
    return folder / "run"


def weights(folder: Path) -> list[np.ndarray]:
    return bp.load(folder / "model.npz").parameters


def assert_same_weights(folder: Path, reference: Path) -> None:
    for a, b in zip(weights(folder), weights(reference), strict=True):
        np.testing.assert_array_equal(a, b)


def test_a_run_folder_is_plotted_and_resumed_from_another_directory(
    tmp_path: Path, flowers: Path, flowers_run: Path, cli: Cli
) -> None:
    """Its paths are stored absolute. --data-dir (where mnist's files are, which a CSV run
    ignores) may change with --resume, as data that moved may."""
    args = ["--epochs", "6", "--data-dir", "files", "--out", "run", "-q"]
    assert cli("train", "flowers.csv", *args, cwd=flowers).returncode == 0
    config = run.Model.load(flowers / "run" / "model.npz").info["config"]
    assert config["dataset"] == str(flowers / "flowers.csv")
    assert config["data_dir"] == str(flowers / "files")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (flowers / "run" / "history.png").unlink()
    assert cli("plot", flowers / "run", cwd=elsewhere).returncode == 0
    assert (flowers / "run" / "history.png").is_file()

    args = ["--epochs", "12", "--data-dir", "new", "-q"]
    resumed = cli("train", "--resume", flowers / "run", *args, cwd=elsewhere)
    assert resumed.returncode == 0, resumed.stderr
    assert_same_weights(flowers / "run", flowers_run)
    config = run.Model.load(flowers / "run" / "model.npz").info["config"]
    assert config["data_dir"] == str(elsewhere / "new")


def test_resume_reads_data_that_moved_from_the_path_given(
    tmp_path: Path, flowers: Path, flowers_run: Path, cli: Cli
) -> None:
    data = flowers / "flowers.csv"
    out = tmp_path / "run"
    assert cli("train", data, "--epochs", "6", "--out", out, "-q").returncode == 0
    moved = tmp_path / "moved" / "renamed.csv"
    moved.parent.mkdir()
    shutil.move(data, moved)
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    lost = cli("train", "--resume", out, "--epochs", "12", "-q")
    assert lost.returncode == 2 and "flowers.csv" in lost.stderr and "does not exist" in lost.stderr
    other = tmp_path / "other.csv"
    other.write_text(moved.read_text().replace("setosa", "versicolor"))
    for args, words in [
        ([other], "does not hold the data this run trained on"),
        (["xor"], "only say where its CSV file is now"),
        ([moved, "--lr", "0.1"], "--lr"),
    ]:
        refused = cli("train", *args, "--resume", out, "--epochs", "12", "-q")
        assert refused.returncode == 2 and len(refused.stderr.splitlines()) == 1
        assert words in refused.stderr, refused.stderr
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # refusals change nothing

    resumed = cli("train", moved, "--resume", out, "--epochs", "12", "-q")
    assert resumed.returncode == 0, resumed.stderr
    assert_same_weights(out, flowers_run)
    assert run.Model.load(out / "model.npz").info["config"]["dataset"] == str(moved)


def test_resume_refuses_a_bad_epoch_count_and_another_folder(cli, tmp_path: Path) -> None:
    assert cli("train", "xor", "--epochs", "3", "--out", "r", "-q", cwd=tmp_path).returncode == 0
    before = (tmp_path / "r" / "checkpoint.npz").read_bytes()
    for args, words in (
        (("--epochs", "0"), "epochs"),
        (("--epochs", "-3"), "epochs"),
        (("--checkpoint-every", "0"), "checkpoint"),
        (("--out", "elsewhere"), "--out"),
    ):
        result = cli("train", "--resume", "r", *args, "-q", cwd=tmp_path)
        assert result.returncode == 2, (args, result.stdout)
        assert len(result.stderr.splitlines()) == 1 and words in result.stderr, result.stderr
        assert "writing its results" not in result.stdout
    assert (tmp_path / "r" / "checkpoint.npz").read_bytes() == before
    assert not (tmp_path / "elsewhere").exists()


@pytest.mark.parametrize(
    ("content", "words"),
    [(b"loss,accuracy\n0.5,1\n", "no 'epoch' column"), (b"epoch,loss\n1,\xff\xfe\n", "UTF-8")],
)
def test_plot_of_a_folder_with_a_broken_history_is_one_line(
    cli, tmp_path: Path, content: bytes, words: str
) -> None:
    assert cli("train", "xor", "--epochs", "3", "--out", "r", "-q", cwd=tmp_path).returncode == 0
    (tmp_path / "r" / "history.csv").write_bytes(content)
    result = cli("plot", "r", cwd=tmp_path)
    assert result.returncode == 2 and len(result.stderr.splitlines()) == 1
    assert words in result.stderr and "history.csv" in result.stderr


def test_a_run_writes_exactly_the_files_its_folder_names(tmp_path: Path) -> None:
    result = run.train(run.RunConfig("xor", epochs=20), tmp_path / "xor", verbose=0)
    folder = run.RunFolder(result.directory)
    named = {folder.model, folder.checkpoint, folder.history, folder.report}
    named |= {p for p in result.plots if p.parent == folder.path}
    assert set(folder.path.iterdir()) == named
    assert all(plot == folder.plot(plot.stem) for plot in result.plots)


def test_new_folders_never_collide(tmp_path: Path) -> None:
    first = run.RunFolder.new("xor", parent=tmp_path)  # made, empty: the name is taken
    second = run.RunFolder.new("xor", parent=tmp_path)
    assert first.path.is_dir() and second.path.is_dir()
    assert second.path != first.path and not second.holds_files()
    assert second.path.name.startswith(first.path.name)


def test_resume_takes_the_folder_or_its_checkpoint(tmp_path: Path) -> None:
    run.train(run.RunConfig("xor", epochs=5), tmp_path, verbose=0)
    folder = run.RunFolder(tmp_path)
    assert run.RunFolder.of_checkpoint(tmp_path) == (folder, folder.checkpoint)
    assert run.RunFolder.of_checkpoint(folder.checkpoint) == (folder, folder.checkpoint)
    with pytest.raises(FileNotFoundError, match=r"no checkpoint\.npz there"):
        run.RunFolder.of_checkpoint(tmp_path / "elsewhere")
