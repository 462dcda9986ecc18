"""The sweep folder: where each file of a sweep lives, in one place that all ask.

::

    sweep.json        what the sweep trains: data set, settings, search space, every trial
    trials/<id>/      each trial's run folder (model.npz, history.csv, report.txt, ...)
                      and its result.json, written when the trial ends
    trials.csv        one row per finished trial, rewritten whole as each one ends
    candidates.csv    the candidates ranked by the metric (mean and spread over seeds, folds)
    report.txt        the ranked table, as the terminal shows it
    best-model.npz    a copy of the best candidate's best trial's model
    <metric>-by-<setting>.png, learning-curves.png   plots

Every file is written under a temporary name and renamed, so a crash never leaves a half-
written one: ``--resume`` reads the trials' result.json files and trains only the others.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from backprop.run.folder import RunFolder, write_text


@dataclass(frozen=True)
class SweepFolder:
    """The files of the sweep in ``path``."""

    path: Path

    def __init__(self, path: str | os.PathLike[str]) -> None:
        object.__setattr__(self, "path", Path(path).absolute())

    @property
    def spec(self) -> Path:
        return self.path / "sweep.json"

    def trial(self, trial_id: str) -> Path:
        return self.path / "trials" / trial_id

    @property
    def trials_csv(self) -> Path:
        return self.path / "trials.csv"

    @property
    def candidates_csv(self) -> Path:
        return self.path / "candidates.csv"

    @property
    def report(self) -> Path:
        return self.path / "report.txt"

    @property
    def best_model(self) -> Path:
        return self.path / "best-model.npz"

    def plot(self, name: str) -> Path:
        return self.path / f"{name}.png"

    def write_spec(self, spec: dict[str, Any]) -> None:
        write_text(self.spec, json.dumps(spec, indent=1) + "\n")

    def read_spec(self) -> dict[str, Any]:
        if not self.spec.is_file():
            raise FileNotFoundError(f"{self.path} holds no sweep: sweep.json is not there")
        try:
            spec = json.loads(self.spec.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise ValueError(f"{self.spec} is not a sweep's file: {error}") from None
        if not isinstance(spec, dict) or spec.get("format") != "backprop-sweep":
            raise ValueError(f"{self.spec} is not a sweep's file")
        return spec

    @classmethod
    def new(cls, name: str, parent: str | os.PathLike[str] = "sweeps") -> SweepFolder:
        """A new, empty folder sweeps/<name>-<date>-<time> (with a suffix if taken)."""
        return cls(RunFolder.new(name, parent).path)  # made as a run's folder is

    def __str__(self) -> str:
        return str(self.path)
