"""history.csv: a run's metrics, one row per epoch (counted from 1), readable by any tool."""

from __future__ import annotations

import csv
import os
from pathlib import Path

from backprop.training.history import History


def write_history(history: History, path: str | os.PathLike[str]) -> Path:
    """One row per epoch (counted from 1) with every recorded metric."""
    path = Path(path)
    keys = list(history.history)
    with path.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["epoch", *keys])
        for i, epoch in enumerate(history.epoch):
            writer.writerow([epoch + 1, *(repr(float(history.history[k][i])) for k in keys)])
    return path


def read_history(path: str | os.PathLike[str]) -> History:
    """The History that :func:`write_history` wrote."""
    history = History()
    with Path(path).open(newline="") as file:
        for row in csv.DictReader(file):
            epoch = int(row.pop("epoch")) - 1
            history.record(epoch, {k: float(v) for k, v in row.items()})
    return history
