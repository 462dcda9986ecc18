"""The run folder: where each file of a training run lives, in one place that all ask.

::

    model.npz        the model (the best epoch's weights with early stopping)
    checkpoint.npz   the last completed epoch, with optimizer and generator state: --resume
    history.csv      loss and accuracy per epoch
    report.txt       the settings, the scores and the classification report
    *.png            plots
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path


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
        return self.path.exists() and any(self.path.iterdir())

    @classmethod
    def new(cls, name: str, parent: str | os.PathLike[str] = "runs") -> RunFolder:
        """runs/<name>-<date>-<time>, with a suffix if two runs start in the same second."""
        stamp = time.strftime("%Y%m%d-%H%M%S")
        base = Path(parent) / f"{name}-{stamp}"
        candidate, n = base, 1
        while candidate.exists():
            n += 1
            candidate = base.with_name(f"{base.name}-{n}")
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
