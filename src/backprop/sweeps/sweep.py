"""A sweep: many runs of ``backprop train`` on a Dask cluster, ranked by a metric.

``sweep`` plans every trial (``plan``: each candidate of the search space with each seed, on
each cross-validation fold or on a held-out validation part), writes the plan to sweep.json, and
hands the trials to Dask's workers; each trial leaves a run folder and a result.json. As each
trial ends the driver rewrites trials.csv, so a crash loses nothing that finished; ``resume``
trains only the trials without a result. A worker that dies takes no trial with it: Dask runs
its trials again elsewhere. When every trial has ended, the candidates are ranked
(candidates.csv, report.txt), plotted, and the best model is copied beside them.
"""

from __future__ import annotations

import contextlib
import os
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from backprop.run.folder import write_text
from backprop.sweeps import cluster
from backprop.sweeps.folder import SweepFolder
from backprop.sweeps.plan import METRICS, check_same_data, make_plan
from backprop.sweeps.progress import Progress
from backprop.sweeps.results import (
    Candidate,
    candidates_csv,
    rank,
    table_text,
    trials_csv,
)
from backprop.sweeps.space import Space
from backprop.sweeps.trial import RESULT, Trial, TrialResult, read_result, write_result

if TYPE_CHECKING:
    from distributed import Client, Future

#: Candidates the terminal's table shows (candidates.csv has them all).
TABLE_ROWS = 10


@dataclass
class SweepResult:
    """What a sweep found: its candidates ranked best first, and every finished trial."""

    folder: SweepFolder
    metric: str
    swept: list[str]
    ranked: list[Candidate]
    results: list[TrialResult]
    total: int
    seconds: float
    interrupted: bool = False
    plots: list[Path] = field(default_factory=list)

    @property
    def best(self) -> Candidate | None:
        return self.ranked[0] if self.ranked and self.ranked[0].scores else None

    @property
    def finished(self) -> bool:
        return len(self.results) == self.total

    @property
    def failed(self) -> int:
        return sum(r.status == "failed" for r in self.results)

    def table(self, top: int = TABLE_ROWS) -> str:
        return table_text(self.ranked, self.swept, self.metric, top)


def sweep(
    dataset: str,
    space: Space | Mapping[str, Any],
    *,
    settings: Mapping[str, Any] | None = None,
    trials: int | None = None,
    folds: int | None = None,
    metric: str | None = None,
    random_state: int = 0,
    directory: str | os.PathLike[str] | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    client: Client | None = None,
    verbose: int = 1,
    on_result: Callable[[TrialResult], None] | None = None,
) -> SweepResult:
    """Train every candidate of ``space`` on ``dataset`` on a Dask cluster and rank them.

    Parameters
    ----------
    dataset : a built-in data set's name or a CSV file, as ``backprop train`` takes it.
    space : setting name -> values: a list, ``"a..b"`` (integers), a continuous ``Range`` or
        ``"low..high:log"`` (random search only), or one value. ``seed`` lists the seeds each
        candidate trains with; its score is the mean over them.
    settings : other settings of ``backprop train`` (RunConfig's fields), the same for all.
    trials : None for a grid search (every combination); N draws N candidates at random.
    folds : k-fold cross-validation of the training part; by default a held-out part
        (``settings["validation_split"]``, else 0.2) scores each trial.
    metric : what candidates are ranked by: "val_accuracy" (default for classes), "val_loss"
        (default for real values), "accuracy" or "loss".
    directory : the sweep's folder (new or empty); by default sweeps/<data set>-<time>.
    workers, scheduler, client : where trials run: a new local cluster of ``workers``
        processes (default: one per core), the cluster at ``scheduler``'s address, or a Dask
        ``client`` of your own.
    on_result : called in this process with each trial's result as it ends.
    """
    plan = make_plan(dataset, space, settings or {}, trials, folds, metric, random_state)
    given = None if directory is None else SweepFolder(directory)
    if given is not None and given.path.exists() and not given.path.is_dir():
        raise NotADirectoryError(f"directory={given}: a file: expected a folder for the sweep")
    if given is not None and given.path.exists() and any(given.path.iterdir()):
        raise FileExistsError(
            f"{given} already holds files: choose a new folder, or continue the sweep there "
            f"with --resume {given}"
        )
    # The cluster first: a sweep that cannot reach one leaves no folder behind.
    with contextlib.ExitStack() as cluster_open:
        dask = cluster_open.enter_context(_client(workers, scheduler, client))
        folder = given or SweepFolder.new(Path(dataset).stem)
        folder.path.mkdir(parents=True, exist_ok=True)
        folder.write_spec(plan)
        return _run(folder, plan, dask, cluster_open.close, verbose, on_result)


def resume(
    directory: str | os.PathLike[str],
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    client: Client | None = None,
    verbose: int = 1,
    on_result: Callable[[TrialResult], None] | None = None,
) -> SweepResult:
    """Continue the sweep in ``directory``: train the trials that have no result yet (none,
    for a finished sweep: it only writes the summary that a stop kept it from writing)."""
    folder = SweepFolder(directory)
    plan = _read_plan(folder)
    if all(_finished(folder, Trial(**t)) for t in plan["trials"]):
        return _run(folder, plan, None, lambda: None, verbose, on_result)  # no cluster needed
    check_same_data(plan)  # before a trial trains, and fails, on data that went or changed
    with contextlib.ExitStack() as cluster_open:
        dask = cluster_open.enter_context(_client(workers, scheduler, client))
        return _run(folder, plan, dask, cluster_open.close, verbose, on_result)


def _read_plan(folder: SweepFolder) -> dict[str, Any]:
    """The plan sweep.json holds, with every entry a resumed sweep reads there and of its
    kind: a file damaged or edited by hand is refused in one line, before anything runs."""
    plan = folder.read_spec()
    try:
        for key, kind in PLAN_ENTRIES.items():
            if not isinstance(plan[key], kind):
                raise TypeError(f"its {key!r} is {type(plan[key]).__name__} {plan[key]!r:.40}")
        for trial in plan["trials"]:
            Trial(**trial)
        Space(plan["space"])
        if plan["metric"] not in METRICS:
            raise ValueError(f"its metric {plan['metric']!r:.40} is none of {', '.join(METRICS)}")
    except KeyError as error:
        raise ValueError(f"{folder.spec} is damaged: it has no {error} entry") from None
    except (TypeError, ValueError, AttributeError) as error:
        raise ValueError(f"{folder.spec} is damaged: {error}") from None
    return plan


#: The entries of sweep.json that a resumed sweep reads, and their kinds.
PLAN_ENTRIES: dict[str, type | tuple[type, ...]] = {
    "dataset": str,
    "settings": dict,
    "space": dict,
    "folds": (int, type(None)),
    "metric": str,
    "candidates": list,
    "trials": list,
}


def _run(
    folder: SweepFolder,
    plan: dict[str, Any],
    dask: Client | None,
    release: Callable[[], None],
    verbose: int,
    on_result: Callable[[TrialResult], None] | None,
) -> SweepResult:
    """Train the plan's trials that have no result.json yet on ``dask``, ``release`` the
    cluster, then write the summary."""
    started = time.perf_counter()
    trials = [Trial(**t) for t in plan["trials"]]
    results = {t.id: read_result(folder.trial(t.id)) for t in trials if _finished(folder, t)}
    pending = [t for t in trials if t.id not in results]
    swept = Space(plan["space"]).varied()
    interrupted = False
    if pending:
        assert dask is not None, "a sweep with trials to train has a cluster"
        with Progress(len(trials), plan["metric"], verbose) as progress:
            for result in results.values():
                progress.record(result, running=0)
            try:
                trained = _trained(folder, plan, pending, dask)
                for result, running in trained:
                    results[result.trial.id] = result
                    write_text(folder.trials_csv, trials_csv(list(results.values()), swept))
                    progress.record(result, running)
                    if on_result is not None:
                        on_result(result)
            except KeyboardInterrupt:
                interrupted = True
                release()  # the workers stop: no trial ends after this
                # Trials that ended as the sweep stopped wrote their result.json: count them.
                for trial in pending:
                    if trial.id not in results and _finished(folder, trial):
                        results[trial.id] = read_result(folder.trial(trial.id))
                write_text(folder.trials_csv, trials_csv(list(results.values()), swept))
    ranked = rank(plan["candidates"], list(results.values()), plan["metric"])
    outcome = SweepResult(
        folder, plan["metric"], swept, ranked, sorted(results.values(), key=lambda r: r.trial.id),
        len(trials), time.perf_counter() - started, interrupted,
    )  # fmt: skip
    if outcome.finished and (pending or not folder.report.is_file()):
        _write_summary(outcome)
    return outcome


def _finished(folder: SweepFolder, trial: Trial) -> bool:
    return (folder.trial(trial.id) / RESULT).is_file()


def _trained(
    folder: SweepFolder,
    plan: dict[str, Any],
    pending: Sequence[Trial],
    dask: Client,
) -> Any:
    """Each pending trial's result, in the order they end, from Dask's workers, with the
    number of trials running then."""
    from distributed import as_completed

    cluster.warm_up(dask)
    per_host = cluster.trials_per_host(dask)
    slots = sum(per_host.values())
    tag = uuid.uuid4().hex[:8]
    futures: dict[Future, Trial] = {
        dask.submit(
            cluster.run_on_worker, trial, plan["settings"] | {"dataset": plan["dataset"]},
            plan["folds"], plan["metric"], str(folder.trial(trial.id)), per_host,
            key=f"backprop-trial-{trial.id}-{tag}", pure=False,
        ): trial
        for trial in pending
    }  # fmt: skip
    try:
        for left, future in enumerate(as_completed(futures, loop=dask.loop), 1):
            running = min(len(futures) - left, slots)
            if future.status == "finished":
                yield future.result(), running
            else:  # a trial that killed its workers again and again, or was cancelled
                yield _lost(folder, futures[future], future), running
    except BaseException:
        dask.cancel(list(futures))
        raise


def _lost(folder: SweepFolder, trial: Trial, future: Future) -> TrialResult:
    """The result of a trial Dask gave up on: failed, with Dask's reason."""
    error = future.exception()
    reason = " ".join(str(error).split()) or type(error).__name__
    result = TrialResult(trial, "failed", error=f"{type(error).__name__}: {reason}")
    path = folder.trial(trial.id)
    path.mkdir(parents=True, exist_ok=True)
    write_result(result, path)
    return result


class _client:
    """The client to use: the caller's (left open) or one of ``cluster.connect``."""

    def __init__(self, workers: int | None, scheduler: str | None, client: Client | None):
        if client is not None and (workers is not None or scheduler is not None):
            raise ValueError("client: give a Dask client, or workers or a scheduler, not both")
        self.given = client
        self.opened = None if client is not None else cluster.connect(workers, scheduler)

    def __enter__(self) -> Client:
        if self.opened is None:
            assert self.given is not None
            return self.given
        return self.opened.__enter__()

    def __exit__(self, *exc: Any) -> None:
        if self.opened is not None:
            self.opened.__exit__(*exc)


def _write_summary(outcome: SweepResult) -> None:
    """candidates.csv, report.txt, the plots and best-model.npz of a finished sweep."""
    from backprop.saving.atomic import write_atomically
    from backprop.sweeps.plots import plot_by_setting, plot_learning_curves

    folder, metric = outcome.folder, outcome.metric
    write_text(folder.trials_csv, trials_csv(outcome.results, outcome.swept))
    write_text(folder.candidates_csv, candidates_csv(outcome.ranked, outcome.swept, metric))
    scored = [r for r in outcome.results if r.status == "ok"]
    plots = [  # none when every trial failed: there is nothing to draw
        plot_by_setting(outcome.results, name, metric, folder.plot(f"{metric}-by-{name}"))
        for name in (outcome.swept if scored else [])
    ]
    curves = None
    if scored:
        curves = plot_learning_curves(
            outcome.ranked, folder, metric, folder.plot("learning-curves")
        )
    outcome.plots = plots + ([curves] if curves is not None else [])
    best = None if outcome.best is None else outcome.best.best_trial(metric)
    source = None if best is None else folder.trial(best.trial.id) / "model.npz"
    if source is not None and source.is_file():  # not on a worker's own disk
        model = source.read_bytes()
        write_atomically(folder.best_model, lambda file: file.write(model))
    lines = [
        f"sweep       {folder}",
        f"trials      {len(outcome.results)} ({outcome.failed} failed)",
        f"ranked by   {metric}" + (f", best: trial {best.trial.id}" if best else ""),
        "",
        outcome.table(len(outcome.ranked)),
    ]
    write_text(folder.report, "\n".join(lines))
