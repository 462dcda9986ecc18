"""The run folder: where each file of a training run lives, in one place that all ask.

::

    checkpoint.npz   the last epoch saved, with optimizer and generator state: --resume
    history.csv      loss and accuracy per epoch, a row added as each epoch ends
    report.txt       the settings, the scores and the classification report
    *.png            plots
    model.npz        the model (the best epoch's weights with early stopping), written last

A run claims its folder by creating checkpoint.npz (at epoch 0) before it writes anything
else, and of two runs started into one folder only one can: the folder is then resumable from
any instant on. Its files are written under temporary names (``.NAME.<random>.tmp``) and
renamed; a run stopped mid-write leaves such a file, which the next start or resume removes.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from backprop.saving.atomic import write_atomically

#: The temporary files the writers of a run folder's files leave when stopped mid-write:
#: ``.NAME.<random>.tmp`` beside the file NAME, or a temporary file's own temporary file.
_TEMPORARY = re.compile(
    r"\.+(?:model\.npz|checkpoint\.npz|history\.csv|report\.txt|[\w-]+\.png)\..*\.tmp"
)


#: The file a sweep writes into each of its trials' run folders: such a run belongs to its
#: sweep, whose tables hold its result (``backprop.sweeps.trial``).
TRIAL_RESULT = "result.json"


@dataclass(frozen=True)
class RunFolder:
    """The files of the run in ``path``."""

    path: Path

    def __init__(self, path: str | os.PathLike[str]) -> None:
        object.__setattr__(self, "path", Path(path))

    @property
    def model(self) -> Path:
        return self.path / "model.npz"

    @property
    def checkpoint(self) -> Path:
        return self.path / "checkpoint.npz"

    @property
    def history(self) -> Path:
        return self.path / "history.csv"

    @property
    def report(self) -> Path:
        return self.path / "report.txt"

    def plot(self, name: str) -> Path:
        """Where the plot ``name`` (e.g. "history") is drawn."""
        return self.path / f"{name}.png"

    def holds_files(self) -> bool:
        """Whether the folder holds anything but what an interrupted write left."""
        return self.path.exists() and any(
            not _TEMPORARY.fullmatch(p.name) for p in self.path.iterdir()
        )

    def temporaries(self) -> Iterator[Path]:
        """The temporary files that writes stopped midway left in the folder."""
        if self.path.is_dir():
            yield from (p for p in self.path.iterdir() if _TEMPORARY.fullmatch(p.name))

    def remove_temporaries(self) -> None:
        """Remove what writes stopped midway left (only while no one else writes here)."""
        for path in list(self.temporaries()):
            path.unlink(missing_ok=True)

    def remove_if_empty(self) -> None:
        """Remove the folder if it holds nothing (a run that failed before writing a file)."""
        self.remove_temporaries()
        with contextlib.suppress(OSError):  # it holds files, or is gone already
            self.path.rmdir()

    @classmethod
    def new(cls, name: str, parent: str | os.PathLike[str] = "runs") -> RunFolder:
        """A new, empty folder runs/<name>-<date>-<time>, with a suffix if the name is taken.

        The folder is created here, and creating a folder fails if it exists: of two runs
        started in the same second, each gets a folder of its own.
        """
        stamp = time.strftime("%Y%m%d-%H%M%S")
        base = Path(parent) / f"{name}-{stamp}"
        base.parent.mkdir(parents=True, exist_ok=True)
        candidate, n = base, 1
        while True:
            try:
                candidate.mkdir()
            except FileExistsError:
                n += 1
                candidate = base.with_name(f"{base.name}-{n}")
            else:
                return cls(candidate)

    @classmethod
    def of_checkpoint(cls, path: str | os.PathLike[str]) -> tuple[RunFolder, Path]:
        """The run folder and checkpoint file that ``--resume PATH`` names (a folder or its
        checkpoint file)."""
        path = Path(path)
        folder = cls(path) if path.is_dir() else cls(path.parent)
        checkpoint = folder.checkpoint if path.is_dir() else path
        if not checkpoint.is_file():
            raise FileNotFoundError(f"--resume {path}: no checkpoint.npz there to continue from")
        return folder, checkpoint

    def __str__(self) -> str:
        return str(self.path)


def write_text(path: Path, text: str) -> Path:
    """Write a text file of a run folder atomically: a reader, or a run stopped midway, never
    sees half of it."""
    return write_atomically(path, lambda file: file.write(text.encode()))
