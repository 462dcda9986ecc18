"""Sweeps on a real Dask cluster: planning, running, ranking, faults, resuming, the CLI.

The cluster is a ``LocalCluster`` of two worker processes, started once for the tests that
need one (they run in one pytest-xdist worker: the ``dask`` group).
"""

from __future__ import annotations

import csv
import json
import os
import re
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from backprop import run
from backprop.cli.sweep import SWEPT, spread
from backprop.run import Model
from backprop.run.history_file import read_history
from backprop.sweeps import Range, Space, resume, sweep
from backprop.sweeps.file import read_sweep_file
from backprop.sweeps.space import SETTINGS, parse_values
from backprop.sweeps.trial import Trial, run_trial

distributed = pytest.importorskip(
    "distributed", reason="the dask extra is not installed: pip install 'backprop[dask]'"
)

#: Small trials: moons, a few epochs (each about 0.1 s).
FAST = {"epochs": 15}
#: The settings of a trial run directly, as a sweep's plan gives them.
ONE = {"dataset": "moons", **FAST, "validation_split": 0.2}
dask_group = pytest.mark.xdist_group("dask")


@pytest.fixture(scope="module")
def client() -> Iterator[distributed.Client]:
    """A client of a local cluster of two worker processes, one thread each."""
    from backprop.sweeps.cluster import connect

    with connect(workers=2) as dask:
        yield dask


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as file:
        return list(csv.DictReader(file))


# -- the search space --------------------------------------------------------------------------


def test_values_read_as_lists_ranges_and_single_values() -> None:
    assert parse_values("lr", "0.001,0.01,0.1") == [0.001, 0.01, 0.1]
    assert parse_values("seed", "0..4") == [0, 1, 2, 3, 4]
    assert parse_values("lr", "1e-4..1e-1:log") == Range(1e-4, 0.1, log=True)
    assert parse_values("lr", "0.5..1.5") == Range(0.5, 1.5)
    assert parse_values("layers", "64,32,10") == [[64, 32, 10]]
    assert parse_values("batch_size", "32,full") == [32, None]
    assert parse_values("activation", "relu,tanh") == ["relu", "tanh"]
    assert parse_values("dropout", "0,0.2") == [0.0, 0.2]
    assert parse_values("schedule", "cosine,step:10:0.5") == ["cosine", "step:10:0.5"]


@pytest.mark.parametrize(
    ("name", "text", "words"),
    [
        ("seed", "5..1", "low < high"),
        ("lr", "fast", "expected a positive learning rate"),
        ("layers", "64", "expected layer sizes"),
        ("activation", "softmax", "expected sigmoid"),
        ("epochs", "0", "positive number of epochs"),
        ("seed", "0..4:log", "':log' is for real settings"),
        ("l2", "0..1:log", "log range needs low > 0"),
        ("momentum", "0.9", "not a setting a sweep can vary"),
        ("dropout", "1", "dropout rate from 0 to below 1"),
        ("schedule", "wobble", "unknown schedule 'wobble'"),
        ("l2", "0.01,-1", "weight decay of 0 or more"),
        ("l1", "-0.5", "L1 penalty of 0 or more"),
        ("seed", "-2..1", "integer of 0 or more"),
        ("lr", "0", "positive learning rate"),
        ("lr", "-1..1", "positive learning rate"),
        ("clip_norm", "0", "positive gradient norm"),
    ],
)
def test_bad_values_name_the_setting_and_what_was_expected(name, text, words) -> None:
    with pytest.raises(ValueError, match=words) as error:
        parse_values(name, text)
    assert name in str(error.value)


def test_grid_is_every_combination_and_seeds_are_not_searched() -> None:
    space = Space({"lr": [0.1, 0.01], "layers": [[2, 4, 1], [2, 8, 1]], "seed": "0..2"})
    assert space.seeds == [0, 1, 2]
    assert len(space.grid()) == 4
    assert {"lr", "layers"} == set(space.grid()[0])
    assert space.varied() == ["lr", "layers"]


def test_a_grid_refuses_a_continuous_range_and_random_search_draws_from_it() -> None:
    space = Space({"lr": "1e-4..1e-1:log", "activation": ["relu", "tanh"]})
    with pytest.raises(ValueError, match="random search"):
        space.grid()
    first, again = space.random(50, seed=3), space.random(50, seed=3)
    assert first == again  # seeded: the same draws every time
    lrs = np.array([c["lr"] for c in first])
    assert lrs.min() >= 1e-4 and lrs.max() <= 1e-1
    assert (np.log10(lrs) < -2.5).mean() > 0.25  # log-uniform: a third below 10^-2.5...
    assert {c["activation"] for c in first} == {"relu", "tanh"}
    with pytest.raises(ValueError, match="trials=0"):
        space.random(0)


def test_space_values_from_python_and_files_are_checked_alike() -> None:
    space = Space({"layers": [64, 32, 10], "epochs": 5, "l2": {"low": 1e-5, "high": 1e-2}})
    assert space.values["layers"] == [[64, 32, 10]]
    assert space.values["epochs"] == [5]
    assert space.values["l2"] == Range(1e-5, 1e-2)
    with pytest.raises(ValueError, match="empty list"):
        Space({"lr": []})
    with pytest.raises(ValueError, match="only real settings"):
        Space({"epochs": Range(1, 5)})
    # A Range made in Python is checked as the command line's "low..high" is.
    with pytest.raises(ValueError, match="log range needs low > 0"):
        Space({"l2": Range(0.0, 0.1, log=True)})
    with pytest.raises(ValueError, match="low < high"):
        Space({"l2": Range(0.1, 0.01)})


def test_a_random_search_of_listed_values_draws_no_candidate_twice() -> None:
    space = Space({"lr": [0.1, 0.01, 0.001], "activation": ["relu", "tanh"], "epochs": "5..8"})
    drawn = space.random(20, seed=1)  # out of 24 combinations
    assert len({repr(c) for c in drawn}) == 20
    assert all(c in space.grid() for c in drawn)
    assert drawn == space.random(20, seed=1) != space.random(20, seed=2)
    assert space.random(30) == space.grid()  # more than the grid holds: the grid


def test_ranking_follows_the_metric_direction_and_puts_failures_last() -> None:
    from backprop.sweeps.results import rank
    from backprop.sweeps.trial import TrialResult

    def result(candidate: int, seed: int, metric: float | None) -> TrialResult:
        trial = Trial(f"{candidate}{seed}", candidate, {"lr": candidate}, seed)
        return TrialResult(trial, "ok" if metric is not None else "failed", metric)

    candidates = [{"lr": i} for i in range(4)]
    scores = {(0, 0): 0.5, (0, 1): 0.7, (1, 0): 0.2, (1, 1): 0.4, (2, 0): 0.1, (2, 1): None,
              (3, 0): 0.9, (3, 1): 0.9}  # fmt: skip
    results = [result(c, seed, metric) for (c, seed), metric in scores.items()]
    by_loss = rank(candidates, results, "val_loss")
    assert [c.index for c in by_loss] == [1, 0, 3, 2]  # lowest mean first; a failure last
    assert by_loss[0].mean == pytest.approx(0.3) and by_loss[0].spread == pytest.approx(
        np.std([0.2, 0.4], ddof=1)
    )
    assert by_loss[0].best_trial("val_loss").metric == 0.2  # type: ignore[union-attr]
    by_accuracy = rank(candidates, results, "val_accuracy")
    assert [c.index for c in by_accuracy] == [3, 0, 1, 2]
    assert by_accuracy[1].best_trial("val_accuracy").metric == 0.7  # type: ignore[union-attr]


def test_the_command_line_offers_every_setting_a_sweep_can_vary() -> None:
    assert set(SWEPT) == set(SETTINGS)


def test_several_words_after_a_swept_option_are_its_values() -> None:
    words = ["digits", "--layers", "64,32,10", "64,64,10", "--seed", "0..2", "--quiet"]
    assert spread(words) == [
        "digits", "--layers", "64,32,10", "--layers", "64,64,10", "--seed", "0..2", "--quiet",
    ]  # fmt: skip
    # A word that is not a value of the option ends it: DATASET may come last.
    assert spread(["--lr", "0.1", "0.01", "moons"]) == ["--lr", "0.1", "--lr", "0.01", "moons"]


def test_sweep_files_are_read_and_checked(tmp_path: Path) -> None:
    good = tmp_path / "sweep.toml"
    good.write_text(
        'dataset = "moons"\ntrials = 4\n[settings]\nepochs = 3\n'
        '[space]\nlr = "1e-3..1e-1:log"\nlayers = [[2, 8, 1], [2, 4, 1]]\n'
    )
    read = read_sweep_file(good)
    assert read["trials"] == 4 and read["settings"] == {"epochs": 3}
    assert Space(read["space"]).values["layers"] == [[2, 8, 1], [2, 4, 1]]
    for text, words in [
        ("[space\n", "not valid TOML"),
        ("[space]\nlr = [0.1]\nwat = 1\n[other]\n", "unknown key other"),
        ("trials = 'many'\n[space]\nlr = [0.1]\n", "trials = 'many': expected int"),
        ("dataset = 'moons'\n", "no \\[space\\] table"),
    ]:
        bad = tmp_path / "bad.toml"
        bad.write_text(text)
        with pytest.raises(ValueError, match=words):
            read_sweep_file(bad)


# -- one trial, in process ---------------------------------------------------------------------


def test_a_trial_is_a_run_folder_with_its_result(tmp_path: Path) -> None:
    trial = Trial("0001", 0, {"lr": 0.01}, seed=0)
    result = run_trial(trial, ONE, None, "val_accuracy", tmp_path / "t")
    assert result.status == "ok" and result.epochs == 15
    history = read_history(tmp_path / "t" / "history.csv")
    assert result.metric == history.history["val_accuracy"][-1]
    assert Model.load(tmp_path / "t" / "model.npz").info["config"]["lr"] == 0.01
    assert json.loads((tmp_path / "t" / "result.json").read_text())["status"] == "ok"
    # Run again, the finished trial is read back, not trained again.
    again = run_trial(trial, ONE, None, "val_accuracy", tmp_path / "t")
    assert again == result
    # backprop train --resume would train it on behind its sweep's back (a bug hunt).
    with pytest.raises(ValueError, match="is a trial of a sweep"):
        run.Resumption.read(tmp_path / "t", epochs=30)


def test_a_trial_trains_with_the_training_features_it_is_given(tmp_path: Path) -> None:
    params = {"lr": 0.01, "dropout": 0.2, "l1": 1e-4, "schedule": "cosine"}
    result = run_trial(Trial("0001", 0, params, 0), ONE, None, "val_loss", tmp_path / "t")
    assert result.status == "ok", result.error
    history = read_history(tmp_path / "t" / "history.csv")
    assert history.history["lr"][-1] < history.history["lr"][0]  # the cosine schedule ran
    assert result.metric == history.history["val_loss"][-1]


def test_a_trial_is_scored_at_the_epoch_early_stopping_restored(tmp_path: Path) -> None:
    trial = Trial("0001", 0, {"lr": 1.0, "patience": 2}, seed=0)
    settings = {**ONE, "epochs": 40}
    result = run_trial(trial, settings, None, "val_accuracy", tmp_path / "t")
    history = read_history(tmp_path / "t" / "history.csv").history
    best = int(np.argmin(history["val_loss"]))  # what early stopping watches
    assert result.epochs == len(history["val_loss"]) < 40 and best < result.epochs - 1
    assert result.metric == history["val_accuracy"][best] != history["val_accuracy"][-1]


def test_a_trial_that_ctrl_c_stopped_part_way_is_not_a_result(tmp_path, monkeypatch) -> None:
    """In the main thread ``train`` holds Ctrl-C and returns the run stopped at an epoch's end
    (``interrupted``): that is no score to rank, so no result.json, and the trial reruns."""
    from backprop.run import train
    from backprop.sweeps import trial as trial_module

    def stopped_by_ctrl_c(*args, **kwargs):
        run = train(*args, **kwargs)
        run.interrupted = True  # as a Ctrl-C after the first epochs leaves it
        return run

    monkeypatch.setattr(trial_module, "train", stopped_by_ctrl_c)
    with pytest.raises(KeyboardInterrupt):
        run_trial(Trial("0001", 0, {"lr": 0.01}, 0), ONE, None, "val_accuracy", tmp_path / "t")
    assert not (tmp_path / "t" / "result.json").exists()


def test_a_diverging_trial_is_a_failed_result(tmp_path: Path) -> None:
    trial = Trial("0001", 0, {"lr": 1e3, "optimizer": "momentum", "activation": "identity"}, 0)
    result = run_trial(trial, ONE, None, "val_accuracy", tmp_path / "t")
    assert result.status == "failed" and result.metric is None
    assert "DivergenceError: training diverged" in (result.error or "")


def test_a_trial_left_half_done_is_trained_anew_to_the_same_weights(tmp_path: Path) -> None:
    trial = Trial("0001", 0, {"lr": 0.01}, seed=4)
    first = run_trial(trial, ONE, None, "val_accuracy", tmp_path / "a")
    stale = tmp_path / "b"
    stale.mkdir()
    (stale / "checkpoint.npz").write_bytes(b"what a killed worker left")
    second = run_trial(trial, ONE, None, "val_accuracy", stale)
    assert second.metric == first.metric
    a, b = (Model.load(p / "model.npz").network for p in (tmp_path / "a", stale))
    for x, y in zip(a.parameters, b.parameters, strict=True):
        assert np.array_equal(x, y)


def test_folds_score_each_sample_once_and_are_the_same_for_the_same_rows(tmp_path: Path) -> None:
    from backprop.data.preprocessing import fold_split

    X, y = np.arange(40).reshape(20, 2), np.repeat([0, 1], 10)
    held = [fold_split(X, y, 4, k)[1][:, 0] for k in range(4)]
    assert sorted(np.concatenate(held).tolist()) == list(range(0, 40, 2))
    for h in held:  # stratified: each fold holds its share of each class
        assert np.bincount(y[h // 2], minlength=2).min() >= 2
    # A trial on a fold: its run's config says which.
    trial = Trial("0001", 0, {"lr": 0.01}, seed=1, fold=2)
    run_trial(trial, {**ONE, "validation_split": None}, 3, "val_accuracy", tmp_path / "t")
    config = Model.load(tmp_path / "t" / "model.npz").info["config"]
    assert (config["folds"], config["fold"], config["seed"]) == (3, 2, 1)


def test_a_plan_that_the_data_refuses_fails_before_anything_runs(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="layers=3,8,1 starts with 3 inputs"):
        sweep("moons", {"layers": ["3,8,1"]}, directory=tmp_path / "s", workers=1)
    with pytest.raises(ValueError, match=r"dropout=0\.5: the network has no hidden layer"):
        sweep("moons", {"layers": ["2,1"], "dropout": [0.5]}, directory=tmp_path / "s")
    with pytest.raises(ValueError, match="folds=600 needs at least 600 training samples"):
        sweep("moons", {"lr": [0.1]}, folds=600, directory=tmp_path / "s")
    with pytest.raises(ValueError, match=r"settings: epochs = '1\.\.3' gives"):
        sweep("moons", {"lr": [0.1]}, settings={"epochs": "1..3"}, directory=tmp_path / "s")
    with pytest.raises(ValueError, match="metric='val_r2'"):
        sweep("moons", {"lr": [0.1]}, metric="val_r2", directory=tmp_path / "s", workers=1)
    assert not (tmp_path / "s").exists()


# -- on a Dask cluster -------------------------------------------------------------------------


@dask_group
def test_a_sweep_runs_every_trial_and_ranks_the_candidates(client, tmp_path: Path) -> None:
    seen = []
    result = sweep(
        "moons",
        {"lr": [0.003, 0.03], "layers": ["2,8,1"], "seed": "0..1"},
        settings=FAST,
        directory=tmp_path / "s",
        client=client,
        verbose=0,
        on_result=seen.append,
    )
    assert result.finished and result.failed == 0 and len(seen) == 4
    # Two trials side by side on this machine's cores: each capped at its share of them.
    from backprop.sweeps.cluster import default_workers

    assert {r.blas_threads for r in result.results} == {max(1, default_workers() // 2)}
    folder = tmp_path / "s"
    trials = _rows(folder / "trials.csv")
    assert [r["trial"] for r in trials] == ["0001", "0002", "0003", "0004"]
    # Each candidate's score is the mean of its trials' metric, read back from their runs.
    for candidate in result.ranked:
        scores = [
            read_history(folder / "trials" / r.trial.id / "history.csv").history["val_accuracy"][-1]
            for r in candidate.results
        ]
        assert candidate.mean == pytest.approx(np.mean(scores), abs=1e-15)
    assert result.ranked[0].mean >= result.ranked[1].mean
    ranked = _rows(folder / "candidates.csv")
    assert [float(r["val_accuracy_mean"]) for r in ranked] == [c.mean for c in result.ranked]
    best = result.ranked[0].best_trial("val_accuracy")
    assert best is not None
    model = folder / "trials" / best.trial.id / "model.npz"
    assert (folder / "best-model.npz").read_bytes() == model.read_bytes()
    assert (folder / "val_accuracy-by-lr.png").is_file()
    assert (folder / "learning-curves.png").is_file()
    assert "rank" in (folder / "report.txt").read_text()


@dask_group
def test_a_failing_trial_is_recorded_and_the_sweep_goes_on(client, tmp_path: Path) -> None:
    result = sweep(
        "moons",
        {"lr": [0.01, 1e3], "optimizer": ["momentum"], "activation": ["identity"]},
        settings=FAST,
        directory=tmp_path / "s",
        client=client,
        verbose=0,
    )
    assert result.finished and result.failed == 1
    rows = {r["lr"]: r for r in _rows(tmp_path / "s" / "trials.csv")}
    assert rows["1000.0"]["status"] == "failed"
    assert "diverged" in rows["1000.0"]["error"]
    assert rows["0.01"]["status"] == "ok"
    assert result.best is not None and result.best.params["lr"] == 0.01


@dask_group
def test_an_interrupted_sweep_resumes_only_its_unfinished_trials(client, tmp_path: Path) -> None:
    done: list[str] = []

    def stop_after_two(result) -> None:
        done.append(result.trial.id)
        if len(done) == 2:
            raise KeyboardInterrupt  # as Ctrl-C does, between two results

    space = {"lr": [0.003, 0.01, 0.03], "seed": "0..1"}
    first = sweep(
        "moons", space, settings=FAST, directory=tmp_path / "s", client=client, verbose=0,
        on_result=stop_after_two,
    )  # fmt: skip
    assert first.interrupted and len(first.results) >= 2 and not first.finished
    assert not (tmp_path / "s" / "candidates.csv").exists()  # written when all have ended
    kept = {r.trial.id: (tmp_path / "s" / "trials" / r.trial.id / "result.json").stat().st_mtime_ns
            for r in first.results}  # fmt: skip
    rerun: list[str] = []
    second = resume(
        tmp_path / "s", client=client, verbose=0, on_result=lambda r: rerun.append(r.trial.id)
    )
    assert second.finished and len(second.results) == 6
    assert set(rerun) == {f"{n:04d}" for n in range(1, 7)} - set(kept)
    for trial_id, mtime in kept.items():  # finished trials were not trained again
        assert (tmp_path / "s" / "trials" / trial_id / "result.json").stat().st_mtime_ns == mtime
    # A finished sweep resumed trains nothing, and needs no cluster.
    third = resume(tmp_path / "s", verbose=0, on_result=rerun.append)
    assert third.finished and len(rerun) == 6 - len(kept)
    assert [c.mean for c in third.ranked] == [c.mean for c in second.ranked]
    # Stopped and resumed, the sweep found what one run straight through finds, bit for bit.
    straight = sweep("moons", space, settings=FAST, directory=tmp_path / "u", client=client,
                     verbose=0)  # fmt: skip
    assert [(r.trial, r.metric, r.epochs) for r in straight.results] == [
        (r.trial, r.metric, r.epochs) for r in second.results
    ]
    assert [c.index for c in straight.ranked] == [c.index for c in second.ranked]
    for trial_id in rerun:
        a, b = (Model.load(tmp_path / s / "trials" / trial_id / "model.npz").network
                for s in ("s", "u"))  # fmt: skip
        for x, y in zip(a.parameters, b.parameters, strict=True):
            assert np.array_equal(x, y)


@dask_group
def test_a_worker_killed_mid_sweep_loses_no_trial(tmp_path: Path) -> None:
    from backprop.sweeps.cluster import connect

    killed: list[int] = []

    def kill_a_busy_worker(result) -> None:
        if killed:
            return
        busy = [address for address, keys in dask.processing().items() if keys]
        if busy:
            pid = dask.run(os.getpid, workers=busy[:1])[busy[0]]
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    # A cluster of its own: the killed worker's nanny starts a new one, which takes a moment.
    with connect(workers=2) as dask:
        result = sweep(
            "moons", {"lr": [0.001, 0.003, 0.01, 0.03], "seed": "0..1"},
            settings={"epochs": 60}, directory=tmp_path / "s", client=dask, verbose=0,
            on_result=kill_a_busy_worker,
        )  # fmt: skip
    assert killed, "no worker was busy when the first trial ended"
    assert result.finished and result.failed == 0 and len(result.results) == 8
    assert len(_rows(tmp_path / "s" / "trials.csv")) == 8


@dask_group
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_grid_search_cv_runs_on_dask_through_joblib(client) -> None:
    import joblib
    from sklearn.datasets import make_moons
    from sklearn.model_selection import GridSearchCV

    from backprop.sklearn import BackpropClassifier

    X, y = make_moons(120, noise=0.2, random_state=0)
    grid = {"learning_rate_init": [0.003, 0.03], "hidden_layer_sizes": [(8,), (16,)]}
    estimator = BackpropClassifier(max_iter=30, random_state=0)
    here = GridSearchCV(estimator, grid, cv=3).fit(X, y)
    with joblib.parallel_backend("dask", client=client):
        there = GridSearchCV(estimator, grid, cv=3, n_jobs=-1).fit(X, y)
    assert there.best_params_ == here.best_params_
    np.testing.assert_array_equal(
        there.cv_results_["mean_test_score"], here.cv_results_["mean_test_score"]
    )


# -- the command line --------------------------------------------------------------------------


@dask_group
def test_backprop_sweep_trains_ranks_and_resumes(cli, tmp_path: Path) -> None:
    out = tmp_path / "s"
    file = tmp_path / "sweep.toml"  # the command line's --epochs overrides the file's
    file.write_text("[settings]\nepochs = 30\nbatch_size = 'full'\n[space]\nlr = [0.5]\n")
    done = cli("sweep", "moons", "--file", str(file), "--lr", "0.003", "0.03", "--epochs", "5",
               "--workers", "1", "--out", str(out))  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "best val_accuracy" in done.stdout and str(out) in done.stdout
    rows = _rows(out / "trials.csv")
    assert [(r["lr"], r["epochs_run"]) for r in rows] == [("0.003", "5"), ("0.03", "5")]
    config = Model.load(out / "trials" / "0001" / "model.npz").info["config"]
    assert config["batch_size"] is None  # the file's fixed setting: the full batch
    again = cli("sweep", "--resume", str(out), "--quiet")
    assert again.returncode == 0 and "best val_accuracy" in again.stdout
    # Each trial's folder is a run the other commands take.
    evaluated = cli("evaluate", str(out / "trials" / "0001" / "model.npz"), "moons")
    assert evaluated.returncode == 0, evaluated.stderr


@dask_group
def test_a_sweep_whose_every_trial_fails_says_so_and_fails(cli, client, tmp_path: Path) -> None:
    """A bug hunt: it exited 0 with empty plots and no best model to point to."""
    out = tmp_path / "s"
    args = ["--lr", "1000", "2000", "--optimizer", "momentum", "--activation", "identity"]
    done = cli("sweep", "moons", *args, "--epochs", "15", "--scheduler", client.scheduler.address,
               "--out", str(out), "--quiet")  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1].startswith("backprop: every trial failed (trial")
    assert "diverged" in done.stderr
    assert not list(out.glob("*.png")) and not (out / "best-model.npz").exists()
    assert len(_rows(out / "trials.csv")) == 2


@dask_group
def test_backprop_sweep_runs_on_a_cluster_given_by_its_address(cli, client, tmp_path) -> None:
    address = client.scheduler.address
    done = cli("sweep", "moons", "--lr", "0.01", "--epochs", "3", "--scheduler", address,
               "--out", str(tmp_path / "s"), "--quiet")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert _rows(tmp_path / "s" / "trials.csv")[0]["status"] == "ok"
    assert len(client.scheduler_info()["workers"]) == 2  # the cluster is left running


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["moons", "--momentum", "0.9"], ["No such option", "--momentum"]),
        (["moons", "--seed", "5..1"], ["seed='5..1'", "low < high"]),
        (["moons", "--lr", "0.1,fast"], ["lr='fast'", "learning rate"]),
        (["moons", "--lr", "1e-3..1e-1"], ["continuous", "random search"]),
        (["moons"], ["nothing to sweep"]),
        (["moons", "--lr", "0.1", "--epochs", "0"], ["epochs='0'", "positive number"]),
        (["--lr", "0.1"], ["missing DATASET"]),
        (["no-such-set", "--lr", "0.1"], ["no-such-set"]),
        (["moons", "--lr", "0.1", "--resume", "x"], ["--resume continues", "dataset"]),
        (["moons", "--l2", "-1"], ["l2='-1'", "0 or more"]),
        (["moons", "--lr", "0.1", "--folds", "600"], ["folds=600", "training samples"]),
        (["moons", "--lr", "0.1", "--validation-split", "0.999"], ["--validation-split=0.999"]),
        (["moons", "--lr", "0.1", "--file", "no-such.toml"], ["--file", "no-such.toml"]),
    ],
)
def test_bad_sweeps_get_one_line_and_exit_2(cli, tmp_path: Path, args, words) -> None:
    result = cli("sweep", *args, "--out", str(tmp_path / "s"))
    result.assert_usage_error(*words)
    assert not (tmp_path / "s").exists()


def test_folders_that_are_not_a_new_sweep_or_a_sweep_are_refused(cli, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    cli("sweep", "moons", "--lr", "0.1", "--out", str(tmp_path)).assert_usage_error(
        "already holds files", f"--resume {tmp_path}"
    )
    cli("sweep", "--resume", str(tmp_path)).assert_usage_error("holds no sweep", "sweep.json")
    (tmp_path / "sweep.json").write_text('{"format": "a run"}')
    cli("sweep", "--resume", str(tmp_path)).assert_usage_error("is not a sweep's file")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt", "sweep.json"]


DAMAGES = {
    "no trials": (lambda plan: plan.pop("trials"), "it has no 'trials' entry"),
    "no space": (lambda plan: plan.pop("space"), "it has no 'space' entry"),
    "trials of text": (lambda plan: plan.update(trials="x"), "its 'trials' is str"),
    "a trial of text": (lambda plan: plan.update(trials=["x"]), "must be a mapping"),
    "an unknown metric": (lambda plan: plan.update(metric="bogus"), "metric 'bogus' is none"),
}


@pytest.mark.parametrize(("damage", "words"), DAMAGES.values(), ids=DAMAGES.keys())
def test_a_damaged_sweep_file_is_refused_in_one_line(cli, tmp_path: Path, damage, words) -> None:
    """A bug hunt: these gave KeyError's 'trials', a TypeError, or (an unknown metric) a
    finished sweep ranked by it."""
    from backprop.sweeps.folder import SweepFolder
    from backprop.sweeps.plan import make_plan

    plan = make_plan("xor", {"lr": [0.1, 0.5]}, {"epochs": 5}, None, None, None, 0)
    damage(plan)
    SweepFolder(tmp_path).write_spec(plan)
    cli("sweep", "--resume", str(tmp_path)).assert_usage_error("sweep.json is damaged", words)
    assert [p.name for p in tmp_path.iterdir()] == ["sweep.json"]


def test_an_unreachable_scheduler_is_one_line_within_seconds(cli, tmp_path: Path) -> None:
    started = time.monotonic()
    result = cli("sweep", "moons", "--lr", "0.1", "--scheduler", "tcp://127.0.0.1:9",
                 "--out", str(tmp_path / "s"))  # fmt: skip
    result.assert_usage_error("tcp://127.0.0.1:9", "no Dask scheduler")
    assert time.monotonic() - started < 15
    assert not (tmp_path / "s").exists()


def test_a_server_that_is_no_scheduler_is_one_error_within_seconds(monkeypatch) -> None:
    """A new user's walk through the docs: --scheduler at an HTTP server waited forever (Dask's
    timeout covers the connection, not the handshake)."""
    import socket
    import threading

    from backprop.sweeps import cluster

    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT_S", 1)
    server = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []  # accepted and never answered
    threading.Thread(target=lambda: held.append(server.accept()[0]), daemon=True).start()
    address = f"tcp://127.0.0.1:{server.getsockname()[1]}"
    started = time.monotonic()
    with (
        pytest.raises(ConnectionError, match="no Dask scheduler answered there"),
        cluster.connect(scheduler=address),
    ):
        pass
    assert time.monotonic() - started < 10
    server.close()


def test_without_dask_sweep_says_how_to_install_it(cli, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if not installed
    result = cli("sweep", "moons", "--lr", "0.1")
    result.assert_usage_error("pip install 'backprop[dask]'")


def test_a_sweep_file_on_the_command_line(cli, tmp_path: Path) -> None:
    bad = tmp_path / "sweep.toml"
    bad.write_text("[space]\nlr = 'quick'\n")
    cli("sweep", "moons", "--file", str(bad)).assert_usage_error("lr='quick'")
    # A fixed setting is read as a swept one is, and takes one value.
    bad.write_text("[settings]\nepochs = '1..3'\n[space]\nlr = [0.1]\n")
    cli("sweep", "moons", "--file", str(bad)).assert_usage_error("epochs = '1..3'", "one value")
    bad.write_text("[settings]\nl2 = -1\n[space]\nlr = [0.1]\n")
    cli("sweep", "moons", "--file", str(bad)).assert_usage_error("l2='-1'")


def test_importing_the_sweeps_does_not_import_dask() -> None:
    code = "import backprop, backprop.sweeps, sys; print('distributed' in sys.modules)"
    import subprocess

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_ctrl_c_in_the_terminal_stops_a_sweep_that_resumes(cli, tmp_path: Path) -> None:
    """The real thing: SIGINT to the command's process group, as a terminal's Ctrl-C sends."""
    import subprocess

    out = tmp_path / "s"
    command = [sys.executable, "-m", "backprop", "sweep", "moons", "--lr", "0.001,0.003,0.01",
               "--seed", "0..2", "--epochs", "25", "--workers", "1", "--out", str(out)]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               start_new_session=True, text=True)  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not any(out.glob("trials/*/result.json")):
        time.sleep(0.1)
    os.killpg(process.pid, signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "backprop sweep --resume" in stderr
    finished = len(list(out.glob("trials/*/result.json")))
    assert 1 <= finished < 9
    assert len(_rows(out / "trials.csv")) == finished
    resumed = cli("sweep", "--resume", str(out), "--workers", "2", "--quiet")
    assert resumed.returncode == 0, resumed.stderr
    assert len(_rows(out / "trials.csv")) == 9


def _flowers(path: Path, flip: bool = False) -> Path:
    rows = [f"{i % 7},{(i * 3) % 5},{'ab'[(i % 7 > 3) != flip]}" for i in range(40)]
    path.write_text("x,y,kind\n" + "\n".join(rows) + "\n")
    return path


def test_a_resumed_sweep_refuses_data_that_is_gone_or_changed(tmp_path: Path) -> None:
    """A bug hunt: with its CSV moved, a resumed sweep recorded the trials left as failed for
    good (and ranked without them); with the CSV rewritten, it trained them on other data."""
    from backprop.sweeps.folder import SweepFolder
    from backprop.sweeps.plan import make_plan

    data = _flowers(tmp_path / "flowers.csv")
    plan = make_plan(str(data), {"lr": [0.1, 0.5]}, {"epochs": 3}, None, None, None, 0)
    (tmp_path / "s").mkdir()
    SweepFolder(tmp_path / "s").write_spec(plan)
    data.rename(tmp_path / "moved.csv")
    with pytest.raises(ValueError, match=r"flowers\.csv is not there"):
        resume(tmp_path / "s", verbose=0)
    _flowers(data, flip=True)
    with pytest.raises(ValueError, match="does not hold the data the sweep's trials trained on"):
        resume(tmp_path / "s", verbose=0)
    assert [p.name for p in (tmp_path / "s").iterdir()] == ["sweep.json"]


PLAN_MISTAKES = {
    "nothing held out for a val metric": (
        {"settings": {"validation_split": 0}},
        "validation_split=0 holds nothing out",
    ),
    "a value twice": ({"space": {"lr": [0.1, 0.1]}}, "lr lists 0.1 more than once"),
    "a seed twice": ({"space": {"lr": [0.1], "seed": [0, 0]}}, "seed lists 0 more than once"),
    "scale as text": ({"settings": {"scale": "false"}}, "scale='false': expected true or false"),
    "a negative random_state": ({"random_state": -1}, "random_state must be an integer >= 0"),
    "fractional folds": ({"folds": 2.5}, "folds=2.5: expected an integer of at least 2"),
}


@pytest.mark.parametrize(("change", "words"), PLAN_MISTAKES.values(), ids=PLAN_MISTAKES.keys())
def test_plans_refuse_what_a_bug_hunt_found_them_taking(change, words) -> None:
    """validation_split=0 became 0.2; duplicates trained again and counted as other seeds;
    scale="false" read as true; the others gave bare errors."""
    from backprop.sweeps.plan import make_plan

    arguments = {"space": {"lr": [0.1]}, "settings": {"epochs": 3}, "folds": None,
                 "random_state": 0} | change  # fmt: skip
    with pytest.raises(ValueError, match=re.escape(words)):
        make_plan("moons", arguments["space"], {"epochs": 3, **arguments["settings"]}, None,
                  arguments["folds"], None, arguments["random_state"])  # fmt: skip


def test_trials_csv_keeps_swept_values_whole_and_names_its_columns_once() -> None:
    from backprop.sweeps.results import trials_csv
    from backprop.sweeps.trial import TrialResult

    trial = Trial("0001", 0, {"lr": 0.0741557527195705, "epochs": 30}, seed=0)
    text = trials_csv([TrialResult(trial, "ok", 0.9, 1.0, 4)], ["lr", "epochs"])
    header, row = list(csv.reader(text.splitlines()))
    assert len(set(header)) == len(header) and "epochs_run" in header
    assert row[header.index("lr")] == "0.0741557527195705" and row[header.index("epochs")] == "30"


def test_a_damaged_result_is_named(tmp_path: Path) -> None:
    from backprop.sweeps.trial import read_result

    (tmp_path / "result.json").write_text('{"status": ')
    with pytest.raises(ValueError, match=r"result.json is damaged .* delete it"):
        read_result(tmp_path)
