"""``backprop sweep DATASET``: train many settings on a Dask cluster and rank them."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from backprop.cli.options import NamesItsOptions

#: The settings a sweep can vary, each an option taking one or more values (backprop.sweeps
#: .space.SETTINGS, named here so that --help needs no import of the sweeps package).
SWEPT = (
    "layers", "activation", "output", "loss", "init", "optimizer", "lr", "l2", "epochs",
    "batch_size", "patience", "dropout", "l1", "clip_norm", "schedule", "seed",
)  # fmt: skip
#: Settings fixed for the whole sweep.
FIXED = ("test_size", "validation_split", "scale", "target", "task", "data_dir")


class _ManyValues(NamesItsOptions):
    """A command whose swept options take several words each: ``--layers 64,32,10 64,64,10``
    is read as ``--layers 64,32,10 --layers 64,64,10``. A word joins the option before it only
    if it is a value of that setting, so DATASET may come anywhere."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, spread(args))


def spread(args: Sequence[str]) -> list[str]:
    """The words with each extra value of a swept option given its option again."""
    from backprop.sweeps.space import parse_values

    words: list[str] = []
    option, taken = None, False  # the swept option being read, and whether it has a value
    for word in args:
        name = word[2:].replace("-", "_") if word.startswith("--") else None
        if name is not None:
            option, taken = (name if name in SWEPT else None), False
        elif option is not None and taken and _is_value(parse_values, option, word):
            words.append(f"--{option.replace('_', '-')}")
        elif option is not None and not taken:
            taken = True
        else:
            option = None
        words.append(word)
    return words


def _is_value(parse: Any, name: str, word: str) -> bool:
    try:
        parse(name, word)
    except ValueError:
        return False
    return True


def _swept_options(command: Any) -> Any:
    for name in reversed(SWEPT):
        command = click.option(
            f"--{name.replace('_', '-')}",
            name,
            multiple=True,
            metavar="VALUES",
            help=_HELP.get(name),
        )(command)
    return command


_HELP = {
    "layers": "Layer sizes to try, e.g. 64,32,10 64,64,10.",
    "lr": "Learning rates: 0.001,0.01,0.1, or 1e-4..1e-1:log with --trials.",
    "seed": "Seeds each candidate trains with, e.g. 0..4: scores are their mean.",
}


@click.command(cls=_ManyValues)
@click.argument("dataset", required=False)
@_swept_options
@click.option(
    "--file",
    "sweep_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A TOML sweep file (see docs/sweeps.md); options given here override it.",
)
@click.option(
    "--trials",
    type=click.IntRange(min=1),
    help="Random search of N candidates (default: every combination).",
)
@click.option("--folds", type=click.IntRange(min=2), help="K-fold cross-validation.")
@click.option(
    "--metric",
    help="Rank by val_accuracy (default for classes), val_loss (default for real values), "
    "accuracy or loss.",
)
@click.option("--random-state", type=int, help="Seed of the random search's draws [0].")
@click.option("--test-size", type=float, help="Fraction held out for the test report.")
@click.option("--validation-split", type=float, help="Held-out fraction scoring trials [0.2].")
@click.option("--scale/--no-scale", default=None, help="Standardise features.")
@click.option("--target", help="CSV: the target column.")
@click.option("--task", type=click.Choice(["classification", "regression"]))
@click.option("--data-dir", type=click.Path(file_okay=False), help="Where MNIST's files are.")
@click.option(
    "--workers", type=click.IntRange(min=1), help="Local Dask worker processes [one per core]."
)
@click.option(
    "--scheduler", metavar="ADDRESS", help="Run on this Dask cluster instead, e.g. tcp://host:8786."
)
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Sweep folder.")
@click.option(
    "--resume",
    type=click.Path(file_okay=False, path_type=Path),
    help="Continue the sweep in this folder.",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress bar or table.")
@click.pass_context
def sweep(
    ctx: click.Context,
    dataset: str | None,
    sweep_file: Path | None,
    trials: int | None,
    folds: int | None,
    metric: str | None,
    random_state: int | None,
    workers: int | None,
    scheduler: str | None,
    out: Path | None,
    resume: Path | None,
    quiet: bool,
    **options: Any,
) -> None:
    """Train every candidate setting on DATASET on a Dask cluster, and rank them.

    Each swept option takes values as a list (--lr 0.001,0.01,0.1), an integer range
    (--seed 0..4), several words (--layers 64,32,10 64,64,10) or, with --trials N (random
    search), a real range (--lr 1e-4..1e-1:log). Every combination is a candidate; each
    trains once per seed (and fold), and ranks by the mean of its scores on the held-out
    part (or the folds). Each trial is a run folder under SWEEP/trials/, which the other
    commands take; the sweep folder (--out, default sweeps/DATASET-TIME) gets trials.csv,
    candidates.csv, report.txt, plots and best-model.npz. Ctrl-C stops; --resume SWEEP
    trains only the trials not finished.
    """
    from rich.console import Console

    from backprop import sweeps
    from backprop.sweeps.cluster import require_dask
    from backprop.sweeps.file import read_sweep_file

    try:
        require_dask()
    except ImportError as missing:
        raise click.UsageError(str(missing)) from None
    console = Console(quiet=quiet)
    verbose = 0 if quiet else 1
    swept = {name: values for name, values in options.items() if name in SWEPT and values}
    fixed = {name: options[name] for name in FIXED if options[name] is not None}
    if resume is not None:
        given = [*swept, *fixed] + [
            name for name, value in (("dataset", dataset), ("file", sweep_file), ("trials", trials),
            ("folds", folds), ("metric", metric), ("random_state", random_state), ("out", out))
            if value is not None
        ]  # fmt: skip
        if given:
            raise click.UsageError(
                "--resume continues a sweep as it was planned: give only --workers, "
                f"--scheduler and --quiet with it (got {', '.join(given)})"
            )
        result = sweeps.resume(resume, workers=workers, scheduler=scheduler, verbose=verbose)
    else:
        plan: dict[str, Any] = read_sweep_file(sweep_file) if sweep_file is not None else {}
        dataset = dataset or plan.pop("dataset", None)
        plan.pop("dataset", None)
        if dataset is None:
            raise click.UsageError(
                "missing DATASET: a built-in name (see `backprop datasets`) or a CSV file"
            )
        # What the command line gives overrides the file's, swept or fixed there.
        space = {**plan.pop("space", {}), **{k: _values(k, v) for k, v in swept.items()}}
        settings = {k: v for k, v in plan.pop("settings", {}).items() if k not in swept}
        settings.update(fixed)
        search = {"trials": trials, "folds": folds, "metric": metric, "random_state": random_state}
        plan.update({k: v for k, v in search.items() if v is not None})
        if not space:
            raise click.UsageError("nothing to sweep: give values such as --lr 0.001,0.01")
        result = sweeps.sweep(
            dataset, space, settings=settings, directory=out, workers=workers,
            scheduler=scheduler, verbose=verbose, **plan,
        )  # fmt: skip
    _show(console, result)
    if result.finished and result.results and result.failed == len(result.results):
        first = min(result.results, key=lambda r: r.trial.id)
        click.echo(
            f"backprop: every trial failed (trial {first.trial.id}: {first.error}); "
            f"see {result.folder.trials_csv}",
            err=True,
        )
        ctx.exit(1)
    if result.interrupted:
        click.echo(
            f"interrupted: {len(result.results)} of {result.total} trials finished; continue "
            f"with: backprop sweep --resume {result.folder}",
            err=True,
        )
        ctx.exit(130)


def _values(name: str, words: Sequence[str]) -> Any:
    """The values of a swept option given as several words: their lists joined, or the one
    range given."""
    from backprop.sweeps.space import Range, parse_values

    parsed = [parse_values(name, word) for word in words]
    ranges = [values for values in parsed if isinstance(values, Range)]
    if ranges and len(parsed) > 1:
        raise click.UsageError(f"--{name.replace('_', '-')}: a range cannot be mixed with values")
    if ranges:
        return ranges[0]
    return [value for values in parsed for value in values]  # type: ignore[union-attr]


def _show(console: Any, result: Any) -> None:
    """The ranked table and where everything is."""
    console.print(result.table())
    if result.failed:
        console.print(f"{result.failed} trials failed: their errors are in trials.csv")
    if result.plots:
        console.print("plots: " + ", ".join(p.name for p in result.plots))
    best = result.best
    if best is None:
        click.echo(f"no trial succeeded  ->  {result.folder}")
        return
    from backprop.sweeps.results import shown

    settings = ", ".join(f"{k}={shown(best.params[k])}" for k in result.swept) or "one candidate"
    click.echo(
        f"best {result.metric} {best.mean:.4f} ± {best.spread:.4f} ({settings})  ->  "
        f"{result.folder}"
    )
