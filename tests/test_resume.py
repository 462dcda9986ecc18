"""A run stopped at any instant, by Ctrl-C or by a kill, continues with --resume to the very
weights, history and model of a run that never stopped (issue 15)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest

import backprop as bp
from backprop import run
from backprop.data import load as load_dataset
from backprop.run.callbacks import PAUSE_VARIABLE
from backprop.run.history_file import HistoryWriter

if TYPE_CHECKING:
    from conftest import CliResult

Cli = Callable[..., "CliResult"]

#: moons with early stopping and a checkpoint every epoch: it stops after 13 epochs, and a
#: resume carries the early stopper's state across too.
MOONS = {"patience": 3, "lr": 0.05, "checkpoint_every": 1}
#: xor online (shuffled, so that the generator's state matters), a checkpoint every epoch.
XOR = ["xor", "--epochs", "30", "--checkpoint-every", "1", "-q"]


@pytest.fixture(scope="module")
def moons_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The run of MOONS that nothing stopped."""
    folder = tmp_path_factory.mktemp("reference") / "moons"
    run.train(run.RunConfig("moons", **MOONS), folder, verbose=0)  # type: ignore[arg-type]
    return folder


def assert_same_run(folder: Path, reference: Path) -> None:
    """The same files (the results and plots, no temporary ones), and bit for bit the weights
    of the checkpoint and the model, and the history."""
    assert sorted(p.name for p in folder.iterdir()) == sorted(p.name for p in reference.iterdir())
    for name in ("checkpoint.npz", "model.npz"):
        got, expected = bp.load(folder / name).parameters, bp.load(reference / name).parameters
        for a, b in zip(got, expected, strict=True):
            np.testing.assert_array_equal(a, b, err_msg=f"{folder / name}")
    assert (folder / "history.csv").read_text() == (reference / "history.csv").read_text()


def test_a_run_signalled_at_random_moments_resumes_bit_for_bit(tmp_path: Path, cli: Cli) -> None:
    """Ctrl-C and kill -9, sent at random moments to `backprop train` processes. Each
    checkpoint write pauses, so that a signal likely lands while one is being written."""
    chance = random.Random(15)
    moments = sorted(chance.uniform(0.0, 0.7) for _ in range(4))
    kinds = [signal.SIGINT, signal.SIGKILL] * 2
    env = {**os.environ, PAUSE_VARIABLE: "0.02"}
    folders = [tmp_path / f"run{i}" for i in range(len(moments))]
    started = [
        subprocess.Popen(
            [sys.executable, "-m", "backprop", "train", *XOR, "--out", str(folder)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for folder in folders
    ]
    try:
        for process, folder in zip(started, folders, strict=True):
            wait_for_claim(process, folder)
        claimed = time.monotonic()
        for process, moment, kind in zip(started, moments, kinds, strict=True):
            time.sleep(max(0.0, claimed + moment - time.monotonic()))
            process.send_signal(kind)
        reference = tmp_path / "reference"  # the run nothing stops, while those end
        assert cli("train", *XOR, "--out", reference).returncode == 0
        codes = [process.wait(timeout=60) for process in started]
    finally:
        for process in started:
            process.kill()
            process.wait()
            assert process.stderr is not None
            process.stderr.close()
    # Ctrl-C ends a run cleanly (130), finds it done (0) or ends the interpreter as it exits
    # (-SIGINT); kill -9 ends it at once.
    assert all(code in (0, 130, -signal.SIGINT, -signal.SIGKILL) for code in codes), codes
    for folder in folders:
        resumed = cli("train", "--resume", folder, "-q")
        if resumed.returncode != 0:  # the signal came after the run wrote everything
            assert "already trained 30 of 30 epochs" in resumed.stderr, resumed.stderr
        assert_same_run(folder, reference)


def wait_for_claim(process: subprocess.Popen[bytes], folder: Path) -> None:
    """Until the run has claimed its folder (its first checkpoint), after which it trains."""
    while not (folder / "checkpoint.npz").exists():
        if process.poll() is not None:
            assert process.stderr is not None
            pytest.fail(f"the run ended before it trained: {process.stderr.read().decode()}")
        time.sleep(0.005)


class Killed(BaseException):
    """What a kill would do to the process at that line: nothing after it runs."""


def kill_at(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """Stop `run.train` when it calls the function ``name`` of backprop.run.train."""

    def killed(*args: object, **kwargs: object) -> None:
        raise Killed

    monkeypatch.setattr(sys.modules["backprop.run.train"], name, killed)


def test_a_run_killed_before_its_results_are_written_finishes_with_resume(
    tmp_path: Path, moons_run: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Killed right after its last checkpoint: early stopping had ended it, and model.npz is
    to hold the weights of its best epoch."""
    folder = tmp_path / "run"
    with monkeypatch.context() as patch:
        kill_at(patch, "write_history")
        with pytest.raises(Killed):
            run.train(run.RunConfig("moons", **MOONS), folder, verbose=0)  # type: ignore[arg-type]
    assert bp.load_checkpoint(folder / "checkpoint.npz").epochs == 13
    assert not (folder / "model.npz").exists()

    finished = cli("train", "--resume", folder)
    assert finished.returncode == 0, finished.stderr
    assert "finished training: writing its results" in finished.stdout
    assert_same_run(folder, moons_run)
    assert "epochs run  13" in (folder / "report.txt").read_text()
    assert cli("plot", folder).returncode == 0

    again = cli("train", "--resume", folder, "-q")
    assert again.returncode == 2 and "already trained 13 of 300 epochs" in again.stderr


def kill_at_row(monkeypatch: pytest.MonkeyPatch, epoch: int) -> None:
    """Stop `run.train` as it appends the row of ``epoch`` (counted from 0) to history.csv."""
    append = HistoryWriter.append

    def killed(self: HistoryWriter, at: int, logs: Mapping[str, float]) -> None:
        if at == epoch:
            raise Killed
        append(self, at, logs)

    monkeypatch.setattr(HistoryWriter, "append", killed)


def test_a_kill_between_checkpoints_leaves_rows_that_resume_drops(
    tmp_path: Path, moons_run: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """history.csv gets a row every epoch, checkpoint.npz every 4 epochs: a kill in epoch 11
    leaves 10 rows, and the checkpoint of epoch 8, which vouches for 8 of them (and holds the
    early stopper's state after it heard of epoch 8)."""
    folder = tmp_path / "cut"
    with monkeypatch.context() as patch:
        kill_at_row(patch, 10)
        with pytest.raises(Killed):
            config = run.RunConfig("moons", **{**MOONS, "checkpoint_every": 4})  # type: ignore[arg-type]
            run.train(config, folder, verbose=0)
    checkpoint = bp.load_checkpoint(folder / "checkpoint.npz")
    assert checkpoint.epochs == 8 and checkpoint.history is None
    assert len((folder / "history.csv").read_text().splitlines()) == 1 + 10

    resumed = cli("train", "--resume", folder, "-q")
    assert resumed.returncode == 0, resumed.stderr
    assert_same_run(folder, moons_run)


def test_history_csv_that_does_not_belong_to_the_checkpoint_is_refused(
    tmp_path: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "cut"
    with monkeypatch.context() as patch:
        kill_at_row(patch, 6)
        with pytest.raises(Killed):
            run.train(run.RunConfig("xor", epochs=12, checkpoint_every=4), folder, verbose=0)
    lines = (folder / "history.csv").read_text().splitlines()
    changed = "\n".join([*lines[:4], lines[4] + "1", *lines[5:]]) + "\n"  # epoch 4's last value
    for text, words in ((changed, "its row of epoch 4"), ("\n".join(lines[:3]) + "\n", "2 epochs")):
        (folder / "history.csv").write_text(text)
        refused = cli("train", "--resume", folder, "-q")
        assert refused.returncode == 2 and len(refused.stderr.splitlines()) == 1
        assert words in refused.stderr, refused.stderr
        assert (folder / "history.csv").read_text() == text  # left as it was


def test_a_checkpoint_between_epochs_is_as_large_at_epoch_400_as_at_epoch_4(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its time to save does not grow with the epochs: it holds their number, not their
    history (history.csv does, a row at a time)."""
    sizes = []
    for epochs in (4, 400):
        folder = tmp_path / str(epochs)
        with monkeypatch.context() as patch:
            kill_at_row(patch, epochs)
            with pytest.raises(Killed):
                config = run.RunConfig("xor", epochs=500, checkpoint_every=4)
                run.train(config, folder, verbose=0)
        assert bp.load_checkpoint(folder / "checkpoint.npz").epochs == epochs
        sizes.append((folder / "checkpoint.npz").stat().st_size)
    assert abs(sizes[1] - sizes[0]) < 100, sizes


def test_stale_temporary_files_go_when_a_run_starts_or_resumes(tmp_path: Path, cli: Cli) -> None:
    """What writes stopped midway left (.NAME.<random>.tmp beside the file NAME): a folder
    holding only those is free for a new run, and they go; files of others stay."""
    stale = [
        ".checkpoint.npz.0f1e2d3c4b5a6978.tmp",
        "..checkpoint.npz.0123456789abcdef.tmp.fedcba9876543210.tmp",
        ".history.csv.00aa11bb22cc33dd.tmp",
        ".model.npz.4455667788990011.tmp",
        ".report.txt.a1b2c3d4e5f60718.tmp",
    ]
    folder = tmp_path / "run"
    folder.mkdir()
    for name in stale:
        (folder / name).write_bytes(b"half a file")
    started = cli("train", "xor", "--epochs", "5", "--out", folder, "-q")
    assert started.returncode == 0, started.stderr
    assert not any((folder / name).exists() for name in stale)

    for name in stale:
        (folder / name).write_bytes(b"half a file")
    theirs = [folder / ".notes.txt.swp.tmp", folder / "notes.txt"]
    for path in theirs:
        path.write_text("mine")
    resumed = cli("train", "--resume", folder, "--epochs", "8", "-q")
    assert resumed.returncode == 0, resumed.stderr
    assert not any((folder / name).exists() for name in stale)
    assert all(path.read_text() == "mine" for path in theirs)


class CtrlC(bp.Callback):
    """Presses Ctrl-C (SIGINT to this process) as the callbacks hear of epoch ``at``, after
    the early stopper did: ``times`` times."""

    def __init__(self, at: int, times: int = 1) -> None:
        self.at, self.times = at, times

    def on_epoch_end(self, epoch: int, logs: Mapping[str, float]) -> None:
        if epoch == self.at:
            for _ in range(self.times):
                os.kill(os.getpid(), signal.SIGINT)


def test_ctrl_c_while_callbacks_hear_of_an_epoch_stops_after_it() -> None:
    """The epoch is complete: rolling it back would leave the early stopper's record of it."""
    moons = load_dataset("moons")
    X, y, validation = moons.X[40:], moons.y[40:], (moons.X[:40], moons.y[:40])
    settings = {"validation_data": validation, "batch_size": 32, "optimizer": "adam", "lr": 0.02}

    def network() -> bp.Network:
        return bp.Network([2, 16, 16, 2], activation="tanh", output="softmax", seed=4)

    straight = network()
    full = straight.fit(X, y, epochs=200, callbacks=[bp.EarlyStopping(patience=3)], **settings)
    assert 6 < len(full.epoch) < 200

    net, stopper = network(), bp.EarlyStopping(patience=3)
    cut = net.fit(X, y, epochs=200, callbacks=[stopper, CtrlC(at=2)], **settings)
    assert cut.interrupted and len(cut.epoch) == 3
    again = bp.EarlyStopping(patience=3)
    again.set_state(stopper.get_state())
    settings.update(optimizer=net.optimizer, lr=None)
    rest = net.fit(X, y, epochs=200, callbacks=[cut, again], initial_epoch=3, **settings)
    assert rest.epoch == full.epoch and rest.history == full.history
    np.testing.assert_array_equal(net.parameter_vector, straight.parameter_vector)


def test_ctrl_c_twice_stops_at_once() -> None:
    moons = load_dataset("moons")
    net = bp.Network([2, 8, 2], output="softmax", seed=4)
    ended = []

    class Ends(bp.Callback):
        def on_train_end(self) -> None:
            ended.append(True)

    with pytest.raises(KeyboardInterrupt):
        net.fit(moons.X, moons.y, epochs=20, callbacks=[CtrlC(at=2, times=2), Ends()])
    assert not ended  # nothing more is saved: the checkpoints written before stay as they were


def _edited_checkpoint(run_folder: Path, copy: Path, entry: str, value: object) -> Path:
    """A copy of a run folder whose checkpoint's metadata has ``entry`` (dotted: training.rng)
    set to ``value``, or removed when ``value`` is ``...``."""
    import io
    import json
    import shutil
    import zipfile

    shutil.copytree(run_folder, copy)
    path = copy / "checkpoint.npz"
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    header = json.loads(str(np.load(io.BytesIO(members["header.npy"]))))
    *parents, last = entry.split(".")
    node = header["metadata"]
    for key in parents:
        node = node[key]
    if value is ...:
        del node[last]
    else:
        node[last] = value
    buffer = io.BytesIO()
    np.save(buffer, np.array(json.dumps(header)), allow_pickle=False)
    members["header.npy"] = buffer.getvalue()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return copy


@pytest.mark.parametrize(
    ("entry", "value", "words"),
    [
        ("training.optimizer_settings.lr", -1.0, "lr must be a finite number >= 0"),  # ascent
        ("training.optimizer_settings.lr", "abc", "lr must be a finite number >= 0"),
        ("training.optimizer_settings.beta1", 1.5, "beta1 must be in [0, 1)"),
        ("training.optimizer_settings._t", -3, "step count t"),
        ("training.optimizer_buffers._m", -1, "is not a count"),
        ("training.rng.state.state", -1, "OverflowError"),
        ("training.history", "x", "inconsistent checkpoint"),
        ("training.history.loss", [0.1] * 20, "history 'loss' is not numbers"),
        ("training.history.loss", [0.1], "its history's metrics are not one per epoch"),
        ("run", "x", "its 'run' is 'x'"),
        ("info.config", ..., "no run settings (info.config)"),
    ],
)
def test_an_edited_checkpoint_is_refused_in_one_line(
    moons_run: Path, tmp_path: Path, cli: Cli, entry: str, value: object, words: str
) -> None:
    """A bug hunt: these crashed --resume with a traceback (OverflowError, AttributeError,
    IndexError), or resumed with an lr of -1, training by gradient ascent."""
    edited = _edited_checkpoint(moons_run, tmp_path / "run", entry, value)
    before = (edited / "checkpoint.npz").read_bytes()
    result = cli("train", "--resume", edited, "--epochs", "20", "-q")
    result.assert_usage_error(words, str(edited / "checkpoint.npz"))
    assert (edited / "checkpoint.npz").read_bytes() == before


def test_a_history_saved_with_a_byte_order_mark_reads(moons_run: Path, tmp_path: Path) -> None:
    """A spreadsheet saves UTF-8 with a BOM: its header's 'epoch' column was not found."""
    from backprop.run.history_file import read_history

    text = (moons_run / "history.csv").read_text()
    marked = tmp_path / "history.csv"
    marked.write_text("\ufeff" + text, encoding="utf-8")
    assert read_history(marked).history == read_history(moons_run / "history.csv").history


def test_checkpoints_of_what_fit_does_load(tmp_path: Path) -> None:
    """A review: a schedule's learning rate of 0 (cosine's end) and a metric that a later fit
    of the same History adds (its list shorter than the epochs) were refused as damage."""
    X = np.random.default_rng(0).normal(size=(30, 2))
    y = (X[:, 0] > 0).astype(int)
    net, history = bp.Network([2, 3, 1], seed=0), bp.History()
    optimizer = bp.SGD(0.1)
    net.fit(X, y, epochs=2, optimizer=optimizer, callbacks=[history])
    net.fit(X, y, epochs=6, initial_epoch=2, optimizer=optimizer, validation_data=(X, y),
            callbacks=[history, bp.CosineDecay(epochs=4)])  # fmt: skip
    assert optimizer.lr == 0.0 and len(history.history["val_loss"]) == 4 < len(history.epoch)
    path = bp.save_checkpoint(tmp_path / "c.npz", net, optimizer, history)
    loaded = bp.load_checkpoint(path)
    assert loaded.optimizer.lr == 0.0 and loaded.history is not None
    assert loaded.history.history == history.history
