"""history.csv: a run's metrics, one row per epoch (counted from 1), readable by any tool.

A run appends each epoch's row as the epoch ends (:class:`HistoryWriter`). Its checkpoints
between epochs hold only the number of epochs, and vouch for that many first rows: a resumed
run reads those back (:func:`read_history`) and drops any rows after them. Values are written
as Python writes floats (``repr``), which reads back bit for bit.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TextIO

from backprop.run.folder import write_text
from backprop.training.history import History


def write_history(history: History, path: str | os.PathLike[str]) -> Path:
    """One row per epoch (counted from 1) with every recorded metric; the file is replaced
    whole, never left half written."""
    keys = list(history.history)
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(["epoch", *keys])
    for i, epoch in enumerate(history.epoch):
        writer.writerow(_row(epoch, [history.history[k][i] for k in keys]))
    return write_text(Path(path), text.getvalue())


def read_history(path: str | os.PathLike[str], epochs: int | None = None) -> History:
    """The History that :func:`write_history` or a :class:`HistoryWriter` wrote: with
    ``epochs``, only its first ``epochs`` rows, which it must hold."""
    history = History()
    with Path(path).open(newline="", encoding="utf-8-sig", errors="strict") as file:
        reader = csv.DictReader(file)
        try:
            columns = reader.fieldnames
        except UnicodeDecodeError:
            raise ValueError(f"{path} is not a history: it is not UTF-8 text") from None
        if columns is None or "epoch" not in columns:
            raise ValueError(f"{path} is not a history: its header has no 'epoch' column")
        for row in reader:
            if len(history.epoch) == epochs:
                break  # rows after those asked for are not read: the last may be cut short
            try:
                epoch = int(row.pop("epoch")) - 1
                logs = {k: float(v) for k, v in row.items()}
            except (TypeError, ValueError, UnicodeDecodeError) as error:
                raise ValueError(
                    f"{path}, line {reader.line_num}: not a row of a history ({error})"
                ) from None
            if epoch != len(history.epoch):
                raise ValueError(
                    f"{path}, line {reader.line_num}: epoch {epoch + 1} where epoch "
                    f"{len(history.epoch) + 1} was expected"
                )
            history.record(epoch, logs)
    if epochs is not None and len(history.epoch) < epochs:
        raise ValueError(
            f"{path} holds {len(history.epoch)} epochs, not the {epochs} its checkpoint "
            "vouches for: the history of the others is lost"
        )
    return history


class HistoryWriter:
    """history.csv as a run trains: each epoch's row appended, and flushed, as the epoch ends.

    The file holds the rows of ``history`` before the first append: none in a new run's
    folder, and those :meth:`rewrite` wrote in a resumed one.
    """

    def __init__(self, path: str | os.PathLike[str], history: History) -> None:
        self.path = Path(path)
        self.keys = list(history.history)
        self._file: TextIO | None = None

    def rewrite(self, history: History) -> None:
        """Make the file hold exactly the rows of ``history``: rows of later epochs, which a
        run stopped before its next checkpoint wrote, go."""
        self.close()
        if history.epoch:
            write_history(history, self.path)
        else:
            self.path.unlink(missing_ok=True)
        self.keys = list(history.history)

    def append(self, epoch: int, logs: Mapping[str, float]) -> None:
        if self._file is None:
            self._file = self.path.open("a", newline="")
            self._writer = csv.writer(self._file)
            if not self.keys:  # a new file: its header first
                self.keys = list(logs)
                self._writer.writerow(["epoch", *self.keys])
        self._writer.writerow(_row(epoch, [logs[k] for k in self.keys]))
        self._file.flush()  # on disk for a checkpoint to vouch for, even if the run is killed

    def sync(self) -> None:
        """Wait until the rows written are on the storage device, not only in its cache."""
        if self._file is not None:
            os.fsync(self._file.fileno())

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def _row(epoch: int, values: Sequence[float]) -> list[object]:
    return [epoch + 1, *(repr(float(v)) for v in values)]
