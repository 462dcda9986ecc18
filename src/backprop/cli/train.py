"""``backprop train DATASET``: train a network and leave a run folder behind."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from backprop.cli.options import LAYERS, OPTIONAL_BATCH, NamesItsOptions
from backprop.engine.activations import ACTIVATIONS
from backprop.engine.backend import BACKENDS
from backprop.engine.initializers import INITIALIZERS
from backprop.engine.losses import LOSSES
from backprop.training.optimizers import OPTIMIZERS

if TYPE_CHECKING:
    from rich.console import Console

    from backprop.run import RunResult

#: Options that describe the run itself; with --resume they come from the checkpoint.
RUN_OPTIONS = (
    "layers", "activation", "output", "loss", "init", "lr", "batch_size", "optimizer", "l2",
    "dropout", "l1", "clip_norm", "schedule",
    "seed", "test_size", "validation_split", "patience", "scale", "target", "task", "data_dir",
)  # fmt: skip


class DropoutRates(click.ParamType):
    """One dropout rate for every hidden layer (``0.2``), or one per hidden layer
    (``0.2,0.1``); the rates' range is checked against the network (``check_dropout``)."""

    name = "P[,P...]"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None):
        if not isinstance(value, str):
            return value
        try:
            rates = [float(part) for part in value.split(",")]
        except ValueError:
            self.fail(
                f"{value!r}: expected a rate such as 0.2, or one rate per hidden layer "
                "separated by commas, such as 0.2,0.1",
                param,
                ctx,
            )
        return rates[0] if len(rates) == 1 else rates


class Schedule(click.ParamType):
    """A learning rate schedule as text (``backprop.training.schedule_spec``)."""

    name = "SCHEDULE"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None):
        from backprop.training import schedule_spec

        try:
            schedule_spec.parse(value)
        except ValueError as error:
            self.fail(str(error).removeprefix(f"schedule={value!r}: "), param, ctx)
        return value


@click.command(cls=NamesItsOptions)
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
@click.option("--l1", type=float, help="L1 penalty on the weights: steps add l1 * sign(W).")
@click.option(
    "--dropout",
    type=DropoutRates(),
    help="Dropout rate of the hidden layers in training, e.g. 0.2, or one per hidden layer: "
    "0.2,0.1.",
)
@click.option(
    "--clip-norm",
    type=float,
    help="Scale each step's gradient down to this L2 norm when it is longer.",
)
@click.option(
    "--schedule",
    type=Schedule(),
    help="Learning rate schedule: step[:EVERY[:FACTOR]] (default 10, 0.5), "
    "exponential[:RATE] (0.95), cosine[:MIN_LR] (0: down to MIN_LR over the epochs) or "
    "plateau[:PATIENCE[:FACTOR[:MIN_LR]]] (10, 0.1, 0: on val_loss, else loss), "
    "e.g. step:20:0.5.",
)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--test-size", type=float, help="Fraction held out for the test report [0.25].")
@click.option(
    "--validation-split", type=float, help="Fraction of the training part for validation."
)
@click.option("--patience", type=int, help="Early stopping: epochs without val_loss improvement.")
@click.option("--scale/--no-scale", default=None, help="Standardise features (default: CSV only).")
@click.option("--target", help="CSV: the target column, by name or index (default: the last).")
@click.option(
    "--task",
    type=click.Choice(["classification", "regression"]),
    help="Classes or real values; default: inferred from a CSV target (see above).",
)
@click.option("--data-dir", type=click.Path(file_okay=False), help="Where to find MNIST's files.")
@click.option(
    "--checkpoint-every", type=click.IntRange(min=1), help="Save checkpoint.npz every N epochs."
)
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Run folder.")
@click.option("--resume", type=click.Path(path_type=Path), help="Continue the run in this folder.")
@click.option(
    "--backend",
    type=click.Choice(list(BACKENDS)),
    help="Array library to compute with [numpy]: torch or cupy for a GPU (with --device).",
)
@click.option("--device", help="Where the arrays live: cpu, cuda or cuda:N [the backend's own].")
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
    backend: str | None,
    device: str | None,
    **settings: Any,
) -> None:
    """Train a network on DATASET (a built-in name or a CSV file); see `backprop datasets`.

    Settings left out come from the data set's recipe: digits trains the tutorials'
    [64, 32, 16, 10] network, xor the [2, 2, 1] sigmoid network online at lr 0.2 for 10,000
    epochs, a CSV file one hidden layer of 32 on standardised features. The run folder (--out,
    default runs/DATASET-TIME) gets model.npz, checkpoint.npz, history.csv, report.txt and the
    plots. Ctrl-C stops at the last completed epoch; --resume RUN_DIR continues from there,
    whatever stopped the run, even a kill: a run that trained all its epochs but was stopped
    before it wrote its results writes them.

    --resume takes the run's own settings: only --epochs, --checkpoint-every and --quiet may
    be given with it, and DATASET (a CSV file) or --data-dir when the run's data moved: they
    say where the same data is now, which the run checks against the data it trained on.

    A CSV target of text labels, or of at most 20 distinct integers, is read as classes; one
    of non-integers or more than 20 distinct integers as real values (regression). --task
    says which instead; the summary states the task.

    --backend torch --device cuda trains on a GPU through PyTorch (--backend cupy through
    CuPy); the numbers are the same as NumPy's up to rounding, and the run folder's files are
    the same NumPy files, which load anywhere. --resume may move a run to another backend or
    device (a run trained on a GPU continues on a machine without one).
    """
    # Imported when the command runs, not for --help: the run module loads the data sets'.
    from rich.console import Console

    from backprop import run

    console = Console(stderr=False, quiet=quiet)
    if resume is not None:
        given = [name for name in RUN_OPTIONS if name != "data_dir" and _given(ctx, name)]
        if out is not None:
            given.append("out")  # the run's folder is the one --resume names
        if given:
            raise click.UsageError(
                "--resume continues a run with its own settings: give only --epochs, "
                "--checkpoint-every and --quiet with it, and DATASET or --data-dir where its "
                f"data moved (got {' '.join('--' + g.replace('_', '-') for g in given)})"
            )
        stopped = run.Resumption.read(
            resume,
            epochs=epochs,
            checkpoint_every=checkpoint_every,
            dataset=dataset,
            data_dir=settings["data_dir"],
            backend=backend,
            device=device,
        )
        if backend is not None or device is not None:
            _check_backend(stopped.config.backend, stopped.config.device)
        folder = stopped.folder
        if stopped.finished:
            console.print(f"{folder} finished training: writing its results")
        else:
            console.print(f"resuming {folder} at epoch {stopped.next_epoch}")
        result = stopped.run(verbose=0 if quiet else 1)
    else:
        if dataset is None:
            raise click.UsageError(
                "missing DATASET: a built-in name (see `backprop datasets`) or a CSV file"
            )
        if not _given(ctx, "batch_size"):
            settings["batch_size"] = run.Recipe.RECIPE  # None would mean the full batch
        if backend is not None or device is not None:
            _check_backend(backend or "numpy", device)
        config = run.RunConfig(
            dataset,
            epochs=epochs,
            checkpoint_every=checkpoint_every,
            backend=backend or "numpy",
            device=device,
            **settings,
        )
        if out is not None and run.RunFolder(out).holds_files():
            raise click.UsageError(
                f"--out {out} already holds files: choose a new folder, or continue "
                f"that run with --resume {out}"
            )
        # Without --out, train makes a new folder runs/DATASET-TIME once the data is read.
        result = run.train(config, out, verbose=0 if quiet else 1)
        folder = run.RunFolder(result.directory)

    _show(console, result)
    scores = result.test_report or result.train_report
    part = "test" if result.test_report else "training"
    click.echo(
        f"{part} " + "  ".join(f"{k} {v:.4f}" for k, v in scores.scores.items()) + f"  ->  {folder}"
    )
    if result.interrupted:
        click.echo(
            f"interrupted after epoch {len(result.history.epoch)}: the last model is in "
            f"{folder.checkpoint}, the best in {folder.model}; continue "
            f"with: backprop train --resume {folder}",
            err=True,
        )
        ctx.exit(130)


def _check_backend(backend: str, device: str | None) -> None:
    """A usage error, before any data is read, when the asked library or device is not here
    (CuPy not installed, --device cuda without a GPU)."""
    from backprop.engine.backend import get_backend

    try:
        get_backend(backend, device)
    except (ImportError, ValueError, TypeError) as error:
        raise click.UsageError(str(error)) from None


def _given(ctx: click.Context, name: str) -> bool:
    source = ctx.get_parameter_source(name)
    return source is not None and source.name == "COMMANDLINE"


def _show(console: Console, result: RunResult) -> None:
    """The summary table and the report, for a person at a terminal."""
    from rich.table import Table

    config = result.model.info["config"]
    table = Table(title="backprop train", show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    table.add_row("dataset", str(result.model.info["dataset"]))
    classes = result.model.classes
    table.add_row("task", result.model.task + (f" ({len(classes)} classes)" if classes else ""))
    table.add_row("layers", ",".join(map(str, result.model.network.sizes)))
    activations = [layer.activation.name for layer in result.model.network.layers]
    table.add_row("activations", ", ".join(activations))
    table.add_row("loss", result.model.network.loss.name)
    for key in ("optimizer", "lr", "batch_size", "l2"):
        table.add_row(
            key.replace("_", " "), str(config[key] or ("full" if key == "batch_size" else 0))
        )
    for key in ("l1", "dropout", "clip_norm", "schedule"):
        if config.get(key):  # shown when used
            table.add_row(key.replace("_", " "), str(config[key]))
    if config.get("backend", "numpy") != "numpy":  # shown when used
        table.add_row("backend", " on ".join(filter(None, [config["backend"], config["device"]])))
    table.add_row("epochs", str(len(result.history.epoch)))
    stopping = result.early_stopping_note()
    if stopping:
        table.add_row("early stop", stopping)
    table.add_row("time", f"{result.seconds:.1f} s")
    for part, report in (("training", result.train_report), ("test", result.test_report)):
        if report is not None:
            for key, value in report.scores.items():
                table.add_row(f"{part} {key}", f"{value:.4f}")
    console.print(table)
    console.print(result.short_report())
    if result.plots:
        console.print("plots: " + ", ".join(p.name for p in result.plots))
