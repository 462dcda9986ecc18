"""Learning rate schedules (issue 14): each epoch's rate is its formula's, the optimizer steps
with it, history records it, a plateau reduces it, and a resumed run continues bit for bit."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest

import backprop as bp
from backprop import run
from backprop.cli import main
from backprop.training import schedule_spec

if TYPE_CHECKING:
    from conftest import CliResult

Cli = Callable[..., "CliResult"]


class RecordingSGD(bp.SGD):
    """Plain SGD that remembers the learning rate of every step."""

    def __init__(self, lr: float) -> None:
        super().__init__(lr)
        self.record: dict[str, list[float]] = {"rates": []}  # not a buffer of the state

    def step(self, params: list[np.ndarray], grads: list[np.ndarray]) -> None:
        self.record["rates"].append(self.lr)
        super().step(params, grads)


def rates_per_epoch(schedule: bp.Callback, epochs: int, lr: float = 0.4) -> tuple[list, list]:
    """The ``lr`` history and the rate of each epoch's steps, training XOR in 2 steps an epoch."""
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    Y = np.array([[0.0], [1.0], [1.0], [0.0]])
    net = bp.Network([2, 3, 1], seed=0)
    optimizer = RecordingSGD(lr)
    history = net.fit(X, Y, epochs=epochs, optimizer=optimizer, batch_size=2, callbacks=[schedule])
    steps = optimizer.record["rates"]
    assert steps[0::2] == steps[1::2]  # one rate for all the steps of an epoch
    return history["lr"], steps[0::2]


FORMULAS: list[tuple[Callable[[], Any], Callable[[int], float]]] = [
    (lambda: bp.StepDecay(every=3, factor=0.5), lambda e: 0.4 * 0.5 ** (e // 3)),
    (lambda: bp.ExponentialDecay(rate=0.9), lambda e: 0.4 * 0.9**e),
    (
        lambda: bp.CosineDecay(min_lr=0.01),
        lambda e: 0.01 + (0.4 - 0.01) * (1 + math.cos(math.pi * e / 10)) / 2,
    ),
    (
        lambda: bp.CosineDecay(epochs=4, initial_lr=0.2),  # its own length; floor after it
        lambda e: 0.2 * (1 + math.cos(math.pi * min(e, 4) / 4)) / 2,
    ),
]


@pytest.mark.parametrize(("make", "formula"), FORMULAS, ids=["step", "exp", "cos", "cos4"])
def test_each_epochs_rate_is_its_formula(make: Callable, formula: Callable) -> None:
    logged, used = rates_per_epoch(make(), epochs=10)
    expected = [formula(epoch) for epoch in range(10)]
    assert logged == pytest.approx(expected, rel=1e-15, abs=0)
    assert used == logged


def test_rates_agree_with_torch_schedulers() -> None:
    torch = pytest.importorskip(
        "torch", reason="PyTorch is not installed: the cross-checks against torch are skipped"
    )
    schedulers = torch.optim.lr_scheduler
    ours = [
        bp.StepDecay(every=3, factor=0.5),
        bp.ExponentialDecay(rate=0.9),
        bp.CosineDecay(min_lr=0.01),
    ]
    theirs = [
        lambda o: schedulers.StepLR(o, step_size=3, gamma=0.5),
        lambda o: schedulers.ExponentialLR(o, gamma=0.9),
        lambda o: schedulers.CosineAnnealingLR(o, T_max=10, eta_min=0.01),
    ]
    for schedule, make in zip(ours, theirs, strict=True):
        optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.4)
        scheduler = make(optimizer)
        expected = []
        for _ in range(10):
            expected.append(optimizer.param_groups[0]["lr"])
            optimizer.step()
            scheduler.step()
        logged, _ = rates_per_epoch(schedule, epochs=10)
        assert logged == pytest.approx(expected, rel=1e-12)


class Plateau:
    """A ReduceLROnPlateau fed made-up epochs, on a real network's optimizer."""

    def __init__(self, **settings: Any) -> None:
        self.callback = bp.ReduceLROnPlateau(monitor="loss", **settings)
        net = bp.Network([2, 1])
        net.optimizer = bp.SGD(lr=1.0)
        self.callback.network = net
        self.callback.on_train_begin()

    def rates(self, losses: list[float]) -> list[float]:
        """The rate each epoch trained with (as logged), for these losses."""
        logged = []
        for epoch, loss in enumerate(losses):
            logs = {"loss": loss}
            logs.update(self.callback.epoch_metrics(epoch, logs))
            self.callback.on_epoch_end(epoch, logs)
            logged.append(logs["lr"])
        return logged


def test_plateau_reduces_after_patience_epochs_without_improvement() -> None:
    flat = [1.0] * 7
    assert Plateau(patience=2, factor=0.5).rates(flat) == [1, 1, 1, 0.5, 0.5, 0.25, 0.25]
    # An improvement (by more than min_delta) starts the count again.
    losses = [1.0, 1.0, 0.5, 0.5, 0.49995, 0.5, 0.5]
    assert Plateau(patience=2, factor=0.5).rates(losses) == [1, 1, 1, 1, 1, 0.5, 0.5]
    # After a reduction, cooldown epochs are not counted (as in Keras).
    assert Plateau(patience=2, factor=0.5, cooldown=2).rates(flat) == [1, 1, 1, 0.5, 0.5, 0.5, 0.25]
    # Never below min_lr.
    assert Plateau(patience=1, factor=0.1, min_lr=0.05).rates([1.0] * 4) == [1, 1, 0.1, 0.05]


# val_score: the accuracy or R² that the scikit-learn estimators log with early_stopping.
@pytest.mark.parametrize("monitor", ["accuracy", "val_accuracy", "val_score"])
def test_plateau_watches_accuracy_and_score_upwards(monitor: str) -> None:
    callback = bp.ReduceLROnPlateau(monitor=monitor, patience=1, factor=0.5)
    net = bp.Network([2, 1])
    net.optimizer = bp.SGD(lr=1.0)
    callback.network = net
    callback.on_train_begin()
    for epoch, accuracy in enumerate([0.5, 0.6, 0.7, 0.7]):
        callback.on_epoch_end(epoch, {monitor: accuracy})
    assert net.optimizer.lr == 0.5  # rising accuracy is progress; the flat last epoch is not


def test_early_stopping_on_an_estimators_val_score_waits_while_it_rises() -> None:
    from backprop.sklearn import BackpropRegressor

    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    y = X @ np.array([1.0, -2.0, 0.5])
    stop = bp.EarlyStopping(monitor="val_score", patience=2)
    reg = BackpropRegressor((8,), early_stopping=True, max_iter=8, random_state=0, callbacks=[stop])
    with pytest.warns(Warning):  # max_iter reached: the R² rose every epoch
        reg.fit(X, y)
    assert np.all(np.diff(reg.validation_scores_) > 0)
    assert reg.n_iter_ == 8


def test_plateau_in_fit_reacts_to_a_loss_that_stopped_improving(xor_data: tuple) -> None:
    X, Y = xor_data
    net = bp.Network([2, 3, 1], seed=0)
    # A rate so small that no epoch improves the loss by min_delta: a plateau from the start.
    plateau = bp.ReduceLROnPlateau(monitor="loss", patience=2, factor=0.5, min_delta=1e-4)
    history = net.fit(X, Y, epochs=6, lr=1e-6, callbacks=[plateau])
    assert history["lr"] == [1e-6, 1e-6, 1e-6, 5e-7, 5e-7, 2.5e-7]
    # With a rate that learns, the loss keeps improving and the rate stays.
    net = bp.Network([2, 3, 1], seed=0)
    history = net.fit(X, Y, epochs=6, lr=2.0, callbacks=[bp.ReduceLROnPlateau("loss", patience=2)])
    assert history["lr"] == [2.0] * 6


def test_plateau_takes_numpy_numbers() -> None:
    # as a grid of settings (np.arange, np.linspace) hands them over
    plateau = bp.ReduceLROnPlateau(factor=np.float32(0.5), cooldown=np.int64(2))
    assert (plateau.factor, plateau.cooldown) == (0.5, 2)
    assert type(plateau.cooldown) is int


def test_plateau_needs_its_metric(xor_data: tuple) -> None:
    X, Y = xor_data
    with pytest.raises(ValueError, match=r"ReduceLROnPlateau\(monitor='val_loss'\): fit logs only"):
        bp.Network([2, 2, 1]).fit(X, Y, epochs=2, callbacks=[bp.ReduceLROnPlateau()])


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda: bp.StepDecay(every=0), "every must be an integer >= 1"),
        (lambda: bp.StepDecay(factor=-1), "factor must be a positive"),
        (lambda: bp.ExponentialDecay(rate=0), "rate must be a positive"),
        (lambda: bp.CosineDecay(min_lr=-1), "min_lr must be a finite number >= 0"),
        (lambda: bp.CosineDecay(initial_lr=math.inf), "initial_lr must be a positive"),
        (lambda: bp.ReduceLROnPlateau(factor=1.0), "factor=1.0: expected a number between 0"),
        (lambda: bp.ReduceLROnPlateau(cooldown=-1), "cooldown=-1"),
    ],
)
def test_bad_settings_are_refused(make: Callable, words: str) -> None:
    with pytest.raises((ValueError, TypeError), match=words):
        make()


# -- resuming ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        lambda: bp.StepDecay(every=2, factor=0.5),
        lambda: bp.CosineDecay(epochs=9, min_lr=0.001),  # the run's length, not a fit's
        lambda: bp.ReduceLROnPlateau("loss", patience=1, factor=0.5, min_delta=0.05),
    ],
    ids=["step", "cosine", "plateau"],
)
def test_a_schedule_continued_from_its_state_is_bit_for_bit(make: Callable) -> None:
    """Training stopped after 4 epochs and continued by new callback objects given the
    stopped ones' state ends with the weights and rates of training that never stopped."""
    from sklearn.datasets import make_moons

    X, y = make_moons(60, noise=0.2, random_state=0)
    settings = {"epochs": 9, "batch_size": 16, "dropout": 0.2}
    reference = bp.Network([2, 8, 2], activation="tanh", output="softmax", seed=1)
    expected = reference.fit(X, y, optimizer=bp.Adam(lr=0.05), callbacks=[make()], **settings)

    net = bp.Network([2, 8, 2], activation="tanh", output="softmax", seed=1)
    optimizer = bp.Adam(lr=0.05)
    first = make()
    history = net.fit(X, y, optimizer=optimizer, callbacks=[first], **{**settings, "epochs": 4})
    second = make()
    second.set_state(first.get_state())
    history = net.fit(
        X, y, optimizer=optimizer, callbacks=[history, second], initial_epoch=4, **settings
    )
    np.testing.assert_array_equal(net.parameter_vector, reference.parameter_vector)
    assert history["lr"] == expected["lr"]
    assert len(set(expected["lr"])) > 1  # the rate did change


def history_rows(folder: Path) -> list[str]:
    return (folder / "history.csv").read_text().splitlines()


def test_a_run_with_a_plateau_and_dropout_resumes_bit_for_bit(tmp_path: Path, cli: Cli) -> None:
    common = [
        *("--schedule", "plateau:1:0.5", "--dropout", "0.2", "--l1", "1e-4", "--clip-norm", "5"),
        *("--validation-split", "0.2", "--checkpoint-every", "2", "-q"),
    ]
    assert cli("train", "moons", "--epochs", "14", *common, "--out", tmp_path / "a").returncode == 0
    assert cli("train", "moons", "--epochs", "5", *common, "--out", tmp_path / "b").returncode == 0
    resumed = cli("train", "--resume", tmp_path / "b", "--epochs", "14", "-q")
    assert resumed.returncode == 0, resumed.stderr
    for a, b in zip(
        bp.load(tmp_path / "a" / "model.npz").parameters,
        bp.load(tmp_path / "b" / "model.npz").parameters,
        strict=True,
    ):
        np.testing.assert_array_equal(a, b)
    rows = history_rows(tmp_path / "a")
    assert rows == history_rows(tmp_path / "b")
    assert rows[0].endswith(",lr")
    assert len({row.rsplit(",", 1)[1] for row in rows[1:]}) > 1  # the plateau reduced the rate
    config = run.Model.load(tmp_path / "b" / "model.npz").info["config"]
    assert config["schedule"] == "plateau:1:0.5" and config["dropout"] == 0.2


def test_a_run_with_a_cosine_schedule_resumes_bit_for_bit_after_ctrl_c(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    args = ["train", "blobs", "--epochs", "8", "--schedule", "cosine:0.001", "--dropout", "0.3",
            "--optimizer", "momentum", "-q"]  # fmt: skip
    assert main([*args, "--out", str(tmp_path / "full")]) == 0

    steps = {"n": 0}
    original = bp.Network.backward

    def interrupted(self: bp.Network, *a: Any, **k: Any) -> Any:
        steps["n"] += 1
        if steps["n"] == 4 * 12 + 5:  # in the middle of epoch 5 (12 batches of 32 per epoch)
            raise KeyboardInterrupt
        return original(self, *a, **k)

    monkeypatch.setattr(bp.Network, "backward", interrupted)
    assert main([*args, "--out", str(tmp_path / "cut")]) == 130
    monkeypatch.undo()
    assert len(history_rows(tmp_path / "cut")) == 1 + 4
    assert main(["train", "--resume", str(tmp_path / "cut"), "-q"]) == 0
    for a, b in zip(
        bp.load(tmp_path / "full" / "model.npz").parameters,
        bp.load(tmp_path / "cut" / "model.npz").parameters,
        strict=True,
    ):
        np.testing.assert_array_equal(a, b)
    assert history_rows(tmp_path / "full") == history_rows(tmp_path / "cut")


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--schedule", "steep"], "unknown schedule 'steep'"),
        (["--schedule", "step:0"], "every must be an integer >= 1"),
        (["--schedule", "plateau:2:1.5"], "factor=1.5"),
        (["--dropout", "1.5"], "dropout=1.5"),
        (["--dropout", "0.1,0.2,0.3"], "has 3 rates but the network has 2 hidden layers"),
        (["--dropout", "half"], "'half': expected a rate"),
        (["--l1", "-1"], "--l1 must be a finite number >= 0"),
        (["--clip-norm", "0"], "--clip-norm must be a positive"),
    ],
)
def test_bad_options_get_one_line(tmp_path: Path, cli: Cli, args: list[str], words: str) -> None:
    cli("train", "moons", *args, "--out", tmp_path / "run").assert_usage_error(words)
    assert not (tmp_path / "run").exists()


def test_resume_refuses_new_training_settings(tmp_path: Path, cli: Cli) -> None:
    assert cli("train", "xor", "--epochs", "2", "-q", "--out", tmp_path / "r").returncode == 0
    cli("train", "--resume", tmp_path / "r", "--schedule", "cosine").assert_usage_error(
        "--schedule"
    )


def test_schedule_text_forms() -> None:
    assert schedule_spec.parse("step") == ("step", {})
    assert schedule_spec.parse("Step:20:0.25") == ("step", {"every": 20, "factor": 0.25})
    schedule = schedule_spec.from_text("plateau:4", monitor="loss")
    assert isinstance(schedule, bp.ReduceLROnPlateau) and schedule.patience == 4
    with pytest.raises(ValueError, match="at most 1 setting"):
        schedule_spec.parse("cosine:0:1")
    with pytest.raises(ValueError, match="schedule='nope'"):
        run.RunConfig("xor", schedule="nope")


def test_cosine_needs_its_length_outside_fit() -> None:
    assert bp.CosineDecay(epochs=4, initial_lr=1.0).lr_at(2) == pytest.approx(0.5, rel=1e-15)
    with pytest.raises(ValueError, match="CosineDecay needs its length"):
        bp.CosineDecay(initial_lr=1.0).lr_at(2)
