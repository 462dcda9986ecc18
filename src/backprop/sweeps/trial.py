"""One trial of a sweep: a training run of one candidate with one seed (on one fold).

A trial is a ``backprop train`` run in a folder of its own (``trials/<id>/``), so it can be
evaluated, plotted or resumed with the usual commands; ``result.json`` beside the run's files
says how it ended. A trial that raises (a diverging loss, settings the data refuses) is a
result too: ``status`` "failed" and the error's message. This module runs where the trial runs,
on a Dask worker or in process, and knows nothing of Dask.
"""

from __future__ import annotations

import dataclasses
import json
import math
import shutil
import time
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from threadpoolctl import threadpool_info, threadpool_limits

from backprop.run import RunConfig, RunResult, train
from backprop.run.folder import TRIAL_RESULT as RESULT
from backprop.run.folder import write_text


@dataclass(frozen=True)
class Trial:
    """What one trial trains: its candidate's settings, a seed and (cross-validating) a fold."""

    id: str
    candidate: int
    params: dict[str, Any]
    seed: int
    fold: int | None = None

    def config(self, settings: Mapping[str, Any], folds: int | None) -> RunConfig:
        """The run's settings: the sweep's fixed ones, then the candidate's, seed and fold."""
        values = {**settings, **self.params, "seed": self.seed}
        if folds is not None:
            values.update(folds=folds, fold=self.fold, validation_split=None)
        return RunConfig(**values)


@dataclass
class TrialResult:
    """How a trial ended: its score by the sweep's metric, or the error that ended it."""

    trial: Trial
    status: str  # "ok" or "failed"
    metric: float | None = None
    seconds: float = 0.0
    epochs: int = 0
    #: The trained model's scores on the test part, when the run has one.
    test_scores: dict[str, float] = field(default_factory=dict)
    error: str | None = None
    #: The threads its matrix products could use (BLAS's, as capped for the trial).
    blas_threads: int | None = None

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TrialResult:
        values = dict(data)
        values["trial"] = Trial(**values["trial"])
        return cls(**values)


def run_trial(
    trial: Trial,
    settings: Mapping[str, Any],
    folds: int | None,
    metric: str,
    folder: str | Path,
    blas_threads: int | None = None,
) -> TrialResult:
    """Train ``trial`` in ``folder`` and write its result.json there.

    A folder without result.json is what an attempt that was stopped left (a killed worker, a
    Ctrl-C): it is removed and the trial trained anew, to the same weights, as it is seeded.
    ``blas_threads`` caps the matrix products' threads, so that trials side by side share the
    cores instead of each taking them all.
    """
    folder = Path(folder)
    if (folder / RESULT).is_file():
        return read_result(folder)
    if folder.exists():
        shutil.rmtree(folder)
    started = time.perf_counter()
    threads = None
    try:
        with threadpool_limits(limits=blas_threads, user_api="blas"):
            threads = max(
                (pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"),
                default=None,
            )
            run = train(trial.config(settings, folds), folder, verbose=0, plots=False)
        if run.interrupted:  # Ctrl-C stopped it part way: not a result, a trial to run again
            raise KeyboardInterrupt
        result = TrialResult(
            trial,
            "ok",
            metric=score(run, metric),
            epochs=len(run.history.epoch),
            test_scores=dict(run.test_report.scores) if run.test_report else {},
        )
    except Exception as error:  # a trial's failure is its result: the sweep goes on
        result = TrialResult(trial, "failed", error=_message(error))
    result.seconds = time.perf_counter() - started
    result.blas_threads = threads
    folder.mkdir(parents=True, exist_ok=True)  # a run that failed at once made none
    write_result(result, folder)
    return result


def score(run: RunResult, metric: str) -> float:
    """The run's ``metric`` at the epoch whose weights its model holds: the best epoch when
    early stopping restored it, else the last."""
    logs = run.history.history
    if metric not in logs:
        raise ValueError(
            f"metric {metric!r} is not recorded by this run: it records {', '.join(logs)}"
        )
    stopper = run.early_stopping
    restored = stopper is not None and stopper.restore_best_weights and stopper.best_epoch >= 0
    epoch = stopper.best_epoch if restored and stopper is not None else -1
    value = float(logs[metric][epoch])
    if math.isnan(value):
        raise ValueError(f"the run's {metric} is NaN")
    return value


def write_result(result: TrialResult, folder: Path) -> None:
    """result.json, written whole or not at all: its presence says the trial finished."""
    write_text(folder / RESULT, json.dumps(result.to_json(), indent=1))


def read_result(folder: Path) -> TrialResult:
    """The result a trial wrote, or a ValueError naming the file that is damaged."""
    path = folder / RESULT
    try:
        return TrialResult.from_json(json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, TypeError, KeyError) as error:  # JSONDecodeError is a ValueError
        raise ValueError(
            f"{path} is damaged ({type(error).__name__}: {error}): delete it to train that "
            "trial again with --resume"
        ) from None


def _message(error: BaseException) -> str:
    """The error on one line, with its type when its message is empty."""
    text = " ".join(str(error).split())
    return (
        f"{type(error).__name__}: {text}"
        if text
        else "".join(traceback.format_exception_only(type(error), error)).strip()
    )
