"""A sweep's plan: every trial it trains, checked before any runs (sweep.json holds it).

Each candidate of the search space (every combination, or random draws) trains once per seed
and, cross-validating, once per fold; each such trial gets an id, 0001 on. The plan is checked
as ``train`` checks a run before it claims its folder, for every distinct candidate: a setting
the data or the engine refuses stops the sweep before anything trains, in one line.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from backprop.data.registry import available
from backprop.data.registry import load as load_dataset
from backprop.engine.validation import check_positive_int
from backprop.run import RunConfig, build_network
from backprop.run.split import split
from backprop.sweeps.results import shown
from backprop.sweeps.space import SETTINGS, Space, Values, check_values
from backprop.sweeps.trial import Trial
from backprop.training import schedule_spec
from backprop.training.dropout import check_dropout
from backprop.training.optimizers import get_optimizer

#: Held-out share of the training part that scores each trial, when no folds are asked for.
VALIDATION_SPLIT = 0.2
#: What a trial can be ranked by: the History's records at the model's epoch.
METRICS = ("val_accuracy", "val_loss", "accuracy", "loss")
#: Settings fixed for the whole sweep cannot name what the sweep itself decides.
_NOT_SETTINGS = {"dataset", "seed", "folds", "fold", "checkpoint_every"}


def make_plan(
    dataset: str,
    space: Space | Mapping[str, Values],
    settings: Mapping[str, Any],
    n_random: int | None,
    folds: int | None,
    metric: str | None,
    random_state: int,
) -> dict[str, Any]:
    """sweep.json: every trial, planned and checked before any runs."""
    if isinstance(random_state, bool) or not isinstance(random_state, int) or random_state < 0:
        raise ValueError(f"random_state must be an integer >= 0, got {random_state!r:.40}")
    if folds is not None and (isinstance(folds, bool) or not isinstance(folds, int) or folds < 2):
        raise ValueError(f"folds={folds!r:.40}: expected an integer of at least 2, such as 5")
    space = space if isinstance(space, Space) else Space(dict(space))
    fields = {f.name for f in dataclasses.fields(RunConfig)} - _NOT_SETTINGS
    unknown = sorted(set(settings) - fields)
    if unknown:
        raise ValueError(
            f"settings: {', '.join(unknown)} cannot be fixed for a sweep: expected among "
            f"{', '.join(sorted(fields))}"
        )
    both = sorted(set(settings) & set(space.values))
    if both:
        raise ValueError(f"{', '.join(both)}: given both as a fixed setting and as swept values")
    settings = {name: _one_value(name, value) for name, value in settings.items()}
    if dataset not in available() and Path(dataset).expanduser().is_file():
        dataset = os.path.abspath(Path(dataset).expanduser())  # workers may run elsewhere
    fixed = dict(settings)
    if fixed.get("data_dir") is not None:
        fixed["data_dir"] = os.path.abspath(Path(fixed["data_dir"]).expanduser())
    if folds is None:
        if fixed.get("validation_split") is None:  # 0 is kept: it holds nothing out
            fixed["validation_split"] = VALIDATION_SPLIT
    elif fixed.get("validation_split"):
        raise ValueError("folds and validation_split: a trial is scored on one or the other")
    data = _load(dataset, fixed)
    metric = metric or ("val_accuracy" if data.task == "classification" else "val_loss")
    if metric not in METRICS or (data.task == "regression" and "accuracy" in metric):
        allowed = [m for m in METRICS if data.task == "classification" or "accuracy" not in m]
        raise ValueError(f"metric={metric!r}: expected one of {', '.join(allowed)}")
    if folds is None and fixed["validation_split"] == 0 and metric.startswith("val_"):
        raise ValueError(
            f"validation_split=0 holds nothing out, but metric={metric!r} is scored on what it "
            "holds out: give validation_split > 0, folds, or metric='accuracy' or 'loss'"
        )
    candidates = space.grid() if n_random is None else space.random(n_random, seed=random_state)
    folds_each = [None] if folds is None else list(range(folds))
    planned = [
        Trial("", i, params, seed, fold)
        for i, params in enumerate(candidates)
        for seed in space.seeds
        for fold in folds_each
    ]
    width = max(4, len(str(len(planned))))
    planned = [dataclasses.replace(t, id=f"{n:0{width}d}") for n, t in enumerate(planned, 1)]
    for trial in {_shape(t): t for t in planned}.values():
        _check(trial, fixed, folds, data)
    _check_split(planned[0], fixed, folds, data)
    return {
        "format": "backprop-sweep",
        "version": 1,
        "dataset": dataset,
        "settings": fixed,
        "space": space.to_json(),
        "search": "grid" if n_random is None else "random",
        "random_trials": n_random,
        "random_state": random_state,
        "folds": folds,
        "metric": metric,
        "data_fingerprint": data.fingerprint(),
        "candidates": candidates,
        "trials": [dataclasses.asdict(t) for t in planned],
    }


def check_same_data(plan: dict[str, Any]) -> None:
    """Refuse to train a resumed sweep's trials on data other than its others trained on: a
    data file that is gone, or that changed (sweeps of backprop before this check stored no
    fingerprint)."""
    dataset = plan["dataset"]
    if dataset not in available() and not Path(dataset).is_file():
        raise ValueError(
            f"{dataset} is not there: the sweep's trials train on it. Put it back to resume "
            "(a trial trained without it would be recorded as failed)"
        )
    stored = plan.get("data_fingerprint")
    if stored is not None and _load(dataset, plan["settings"]).fingerprint() != stored:
        raise ValueError(
            f"{dataset} does not hold the data the sweep's trials trained on (its contents "
            "differ): a resumed sweep trains on its own data only"
        )


def _load(dataset: str, settings: Mapping[str, Any]) -> Any:
    """The data set the trials train on, as the plan names it."""
    return load_dataset(
        dataset,
        data_dir=settings.get("data_dir"),
        target=settings.get("target"),
        seed=0,
        task=settings.get("task"),
    )


def _one_value(name: str, value: Any) -> Any:
    """A fixed setting's value, read and checked as a swept one is (``"0.01"`` is 0.01)."""
    if name not in SETTINGS or (name == "dropout" and isinstance(value, list)):
        return value  # RunConfig checks the others (and a dropout rate per hidden layer)
    values = check_values(name, value)
    if not isinstance(values, list) or len(values) != 1:
        raise ValueError(
            f"settings: {name} = {value!r} gives {values}: a fixed setting takes one value "
            "(sweep several in the space)"
        )
    return values[0]


def _shape(trial: Trial) -> str:
    """What decides whether a trial's settings are valid: all but its seed and fold."""
    return repr(sorted(trial.params.items()))


def _check(trial: Trial, settings: Mapping[str, Any], folds: int | None, data: Any) -> None:
    """Refuse a plan with settings that the data or the engine refuses, before any trains:
    the checks ``train`` makes before it claims a run's folder."""
    try:
        config = trial.config({"dataset": data.name, **settings}, folds).resolved(data)
        network = build_network(config, data)
        optimizer = get_optimizer(config.optimizer, config.lr)
        check_dropout(config.dropout or 0.0, len(network.sizes) - 2)
        if config.schedule is not None:  # a sweep's trials always hold out a validation part
            schedule_spec.from_text(config.schedule, initial_lr=optimizer.lr, monitor="val_loss")
        check_positive_int("epochs", config.epochs)
    except (ValueError, TypeError) as error:
        described = ", ".join(f"{k}={shown(v)}" for k, v in trial.params.items())
        # "candidate ...": the settings it names are the candidate's, not one option's
        raise ValueError(
            f"{f'candidate {described}' if described else 'the settings'}: {error}"
        ) from None


def _check_split(trial: Trial, settings: Mapping[str, Any], folds: int | None, data: Any) -> None:
    """Refuse a validation part or folds that the data cannot give (too few samples): it is
    the same for every candidate, so one trial tells."""
    try:
        split(data, trial.config({"dataset": data.name, **settings}, folds).resolved(data))
    except ValueError as error:
        raise ValueError(str(error)) from None
