"""``backprop evaluate MODEL DATASET``: a saved model's scores on a data set."""

from __future__ import annotations

from pathlib import Path

import click

#: The parts --split takes: backprop.run's SPLITS, written out here so that
#: ``backprop evaluate --help`` need not import the run modules (tests/test_cli.py compares them).
SPLITS = ("auto", "test", "train", "all")


@click.command()
@click.argument("model", type=click.Path(path_type=Path))
@click.argument("dataset")
@click.option(
    "--split",
    "part",
    type=click.Choice(SPLITS),
    default="auto",
    show_default=True,
    help="Which part to score; auto: the test part of the model's own data set, else all.",
)
@click.option("--target", help="CSV: the target column, by name or index.")
@click.option("--data-dir", type=click.Path(file_okay=False), help="Where to find MNIST's files.")
def evaluate(
    model: Path, dataset: str, part: str, target: str | None, data_dir: str | None
) -> None:
    """Score the model file MODEL on DATASET: accuracy and report, or MSE and R2.

    A CSV file's feature columns are matched to the model's by name (in any order); a file
    without a header gives them in training order. MODEL is a run's model.npz, as for
    `backprop predict`.
    """
    from backprop import run

    trained = run.Model.load(model)
    X, y, described = run.evaluation_data(trained, dataset, part, data_dir=data_dir, target=target)
    report = trained.report(X, y)
    click.echo(f"{model} on {described}")
    click.echo("  ".join(f"{k} {v:.4f}" for k, v in report.scores.items()))
    click.echo(report.text)
