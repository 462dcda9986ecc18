"""``backprop train DATASET``: train a network and leave a run folder behind."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from backprop.cli.options import LAYERS, OPTIONAL_BATCH
from backprop.engine.activations import ACTIVATIONS
from backprop.engine.initializers import INITIALIZERS
from backprop.engine.losses import LOSSES
from backprop.saving import checkpoint as io
from backprop.training.optimizers import OPTIMIZERS

if TYPE_CHECKING:
    from rich.console import Console

    from backprop.run import experiment

#: Options that describe the run itself; with --resume they come from the checkpoint.
RUN_OPTIONS = (
    "layers", "activation", "output", "loss", "init", "lr", "batch_size", "optimizer", "l2",
    "seed", "test_size", "validation_split", "patience", "scale", "target", "data_dir",
)  # fmt: skip


@click.command()
@click.argument("dataset", required=False)
@click.option("--layers", type=LAYERS, help="Layer sizes, input first, e.g. 64,32,16,10.")
@click.option(
    "--activation",
    type=click.Choice([name for name in ACTIVATIONS if name != "softmax"]),
    help="Hidden layers' activation (softmax is for the output layer).",
)
@click.option("--output", type=click.Choice(list(ACTIVATIONS)), help="Output layer's activation.")
@click.option("--loss", type=click.Choice(list(LOSSES)))
@click.option("--init", type=click.Choice(list(INITIALIZERS)), help="Weight initialiser.")
@click.option("--lr", type=float, help="Learning rate.")
@click.option("--epochs", type=int, help="Passes over the training data.")
@click.option("--batch-size", type=OPTIONAL_BATCH, help="Samples per step; 'full' for full batch.")
@click.option("--optimizer", type=click.Choice(list(OPTIMIZERS)))
@click.option("--l2", type=float, help="L2 weight decay.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--test-size", type=float, help="Fraction held out for the test report [0.25].")
@click.option(
    "--validation-split", type=float, help="Fraction of the training part for validation."
)
@click.option("--patience", type=int, help="Early stopping: epochs without val_loss improvement.")
@click.option("--scale/--no-scale", default=None, help="Standardise features (default: CSV only).")
@click.option("--target", help="CSV: the target column, by name or index (default: the last).")
@click.option("--data-dir", type=click.Path(file_okay=False), help="Where to find MNIST's files.")
@click.option(
    "--checkpoint-every", type=click.IntRange(min=1), help="Save checkpoint.npz every N epochs."
)
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Run folder.")
@click.option("--resume", type=click.Path(path_type=Path), help="Continue the run in this folder.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar or tables: the scores only.")
@click.pass_context
def train(
    ctx: click.Context,
    dataset: str | None,
    out: Path | None,
    resume: Path | None,
    quiet: bool,
    epochs: int | None,
    checkpoint_every: int | None,
    **run: Any,
) -> None:
    """Train a network on DATASET (a built-in name or a CSV file); see `backprop datasets`.

    Settings left out come from the data set's recipe: digits trains the tutorials'
    [64, 32, 16, 10] network, xor the [2, 2, 1] sigmoid network online at lr 0.2 for 10,000
    epochs, a CSV file one hidden layer of 32 on standardised features. The run folder (--out,
    default runs/DATASET-TIME) gets model.npz, checkpoint.npz, history.csv, report.txt and the
    plots. Ctrl-C stops at the last completed epoch; --resume RUN_DIR continues from there.
    """
    # Imported when the command runs, not for --help: the run module loads the data sets'.
    from rich.console import Console

    from backprop.run import experiment

    console = Console(stderr=False, quiet=quiet)
    if resume is not None:
        given = [name for name in RUN_OPTIONS if _given(ctx, name)]
        if dataset is not None or given:
            raise click.UsageError(
                "--resume continues a run with its own settings: give only --epochs, "
                f"--checkpoint-every and --quiet with it (got {dataset or ''} "
                f"{' '.join('--' + g.replace('_', '-') for g in given)})"
            )
        checkpoint = io.load_checkpoint(_checkpoint_file(resume))
        stored = experiment.Model.from_saved(checkpoint, resume).info["config"]
        config = experiment.RunConfig(**stored)
        config.epochs = epochs or config.epochs
        config.checkpoint_every = checkpoint_every or config.checkpoint_every
        directory = resume
        console.print(f"resuming {directory} at epoch {len(checkpoint.history.epoch) + 1}")
    else:
        if dataset is None:
            raise click.UsageError(
                "missing DATASET: a built-in name (see `backprop datasets`) or a CSV file"
            )
        if not _given(ctx, "batch_size"):
            run["batch_size"] = experiment.Recipe.RECIPE  # None would mean the full batch
        config = experiment.RunConfig(
            dataset, epochs=epochs, checkpoint_every=checkpoint_every, **run
        )
        checkpoint = None
        directory = out or _new_run_folder(Path(dataset).stem)
        if directory.exists() and any(directory.iterdir()):
            raise click.UsageError(
                f"--out {directory} already holds files: choose a new folder, or continue "
                f"that run with --resume {directory}"
            )

    result = experiment.train(config, directory, verbose=0 if quiet else 1, resume=checkpoint)
    _show(console, result)
    scores = result.test_report or result.train_report
    part = "test" if result.test_report else "training"
    click.echo(
        f"{part} "
        + "  ".join(f"{k} {v:.4f}" for k, v in scores.scores.items())
        + f"  ->  {directory}"
    )
    if result.interrupted:
        click.echo(
            f"interrupted after epoch {len(result.history.epoch)}: the last model is in "
            f"{directory / 'checkpoint.npz'}, the best in {directory / 'model.npz'}; continue "
            f"with: backprop train --resume {directory}",
            err=True,
        )
        ctx.exit(130)


def _given(ctx: click.Context, name: str) -> bool:
    source = ctx.get_parameter_source(name)
    return source is not None and source.name == "COMMANDLINE"


def _checkpoint_file(run: Path) -> Path:
    path = run / "checkpoint.npz" if run.is_dir() else run
    if not path.is_file():
        raise FileNotFoundError(f"--resume {run}: no checkpoint.npz there to continue from")
    return path


def _new_run_folder(name: str) -> Path:
    """runs/<name>-<date>-<time>, with a suffix if two runs start in the same second."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    base = Path("runs") / f"{name}-{stamp}"
    candidate, n = base, 1
    while candidate.exists():
        n += 1
        candidate = base.with_name(f"{base.name}-{n}")
    return candidate


def _show(console: Console, result: experiment.RunResult) -> None:
    """The summary table and the report, for a person at a terminal."""
    from rich.table import Table

    config = result.model.info["config"]
    table = Table(title="backprop train", show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    table.add_row("dataset", str(result.model.info["dataset"]))
    table.add_row("layers", ",".join(map(str, result.model.network.sizes)))
    activations = [layer.activation.name for layer in result.model.network.layers]
    table.add_row("activations", ", ".join(activations))
    table.add_row("loss", result.model.network.loss.name)
    for key in ("optimizer", "lr", "batch_size", "l2"):
        table.add_row(
            key.replace("_", " "), str(config[key] or ("full" if key == "batch_size" else 0))
        )
    table.add_row("epochs", str(len(result.history.epoch)))
    table.add_row("time", f"{result.seconds:.1f} s")
    for part, report in (("training", result.train_report), ("test", result.test_report)):
        if report is not None:
            for key, value in report.scores.items():
                table.add_row(f"{part} {key}", f"{value:.4f}")
    console.print(table)
    console.print((result.test_report or result.train_report).text)
    if result.plots:
        console.print("plots: " + ", ".join(p.name for p in result.plots))
