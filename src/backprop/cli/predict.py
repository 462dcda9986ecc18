"""``backprop predict MODEL INPUT``: predictions for a CSV file or one comma-separated row."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from pathlib import Path

import click
import numpy as np


@click.command()
@click.argument("model", type=click.Path(path_type=Path))
@click.argument("input_", metavar="INPUT")
@click.option("--proba", is_flag=True, help="Classification: print each class's probability.")
def predict(model: Path, input_: str, proba: bool) -> None:
    """Predict with the model file MODEL for INPUT: a CSV file, or a row such as 0.5,1.2.

    Prints one line per sample: the class label, or with --proba the probability of every
    class, or the predicted value(s) for regression.

    MODEL is a run's model.npz (`backprop train` writes it with what its data was: features,
    classes, scaling); a bare network's file (net.save) holds none of that.
    """
    from backprop import run

    trained = run.Model.load(model)
    X = _read_input(input_, trained.feature_names)
    if proba:
        if trained.task != "classification":
            raise click.UsageError("--proba needs a classification model; this one does regression")
        probabilities = trained.predict_proba(X)  # refused before a line is printed
        click.echo(_csv_line(str(c) for c in trained.classes or []))
        for row in probabilities:
            click.echo(",".join(f"{p:.6f}" for p in row))
        return
    for value in trained.predict(X):
        click.echo(",".join(f"{v:.6g}" for v in value) if np.ndim(value) else _csv_line([value]))


def _csv_line(fields: Iterable[object]) -> str:
    """One line of CSV: a label holding a comma, a quote or a line break is quoted, so the
    output reads back as the columns it prints."""
    line = io.StringIO()
    # With "\n" as the line's end the writer quotes a label holding one (with "" it would
    # not), and the end is cut off again.
    csv.writer(line, lineterminator="\n").writerow(fields)
    return line.getvalue()[:-1]


def _read_input(text: str, feature_names: list[str]) -> np.ndarray:
    """A CSV file's rows, or the single row written on the command line."""
    if Path(text).is_file() or text.lower().endswith(".csv"):
        from backprop.data.csv_files import read_features

        return read_features(text, feature_names)
    fields = [field.strip() for field in text.split(",")]
    try:
        row = np.array([float(field) for field in fields])
    except ValueError:
        raise ValueError(
            f"INPUT {text!r} is neither a CSV file nor a row of numbers such as 0.5,1.2"
        ) from None
    if len(row) != len(feature_names):
        raise ValueError(
            f"INPUT {text!r} has {len(row)} values: the model expects {len(feature_names)} "
            "finite numbers, one per feature"
        )
    if not np.isfinite(row).all():
        bad = fields[int(np.argmin(np.isfinite(row)))]
        raise ValueError(f"INPUT {text!r} holds {bad!r}: the model expects finite numbers")
    return row.reshape(1, -1)
