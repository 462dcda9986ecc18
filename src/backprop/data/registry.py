"""What DATASET can be: a built-in name or a CSV file. ``load`` is the single entry point::

load("xor")                       # a built-in, by name (see ``available()``)
load("mnist", data_dir="~/data")  # IDX files found locally, or downloaded once and cached
load("iris.csv", target="species")
"""

from __future__ import annotations

import os
from pathlib import Path

from backprop.data.builtin import DESCRIPTIONS, load_builtin
from backprop.data.csv_files import load_csv
from backprop.data.dataset import TASKS, Dataset


def available() -> dict[str, str]:
    """Built-in dataset names mapped to a one-line description (for ``backprop datasets``)."""
    return dict(DESCRIPTIONS)


def load(
    name_or_path: str | os.PathLike[str],
    *,
    data_dir: str | os.PathLike[str] | None = None,
    target: str | int | None = None,
    seed: int = 0,
    task: str | None = None,
) -> Dataset:
    """Load a built-in dataset by name, or a CSV file by path.

    A string that is a built-in name always means the built-in; a ``Path`` object always means a
    file. ``data_dir`` is only used by ``mnist``, ``seed`` only by the random two-feature sets
    (moons, circles, spiral, blobs), ``target`` and ``task`` only by CSV files.
    """
    if task is not None and task not in TASKS:
        raise ValueError(f"task={task!r} is not supported: expected one of {', '.join(TASKS)}")
    if isinstance(name_or_path, str) and name_or_path in DESCRIPTIONS:
        if target is not None:
            raise ValueError(
                f"target={target!r} only applies to CSV files; "
                f"the built-in dataset {name_or_path!r} has a fixed target"
            )
        dataset = load_builtin(name_or_path, data_dir=data_dir, seed=seed)
        if task is not None and task != dataset.task:
            raise ValueError(
                f"task={task!r} does not fit the built-in dataset {name_or_path!r}, "
                f"which is a {dataset.task} dataset"
            )
        return dataset
    path = Path(name_or_path).expanduser()
    if path.is_file():
        return load_csv(path, target=target, task=task)
    if path.is_dir():
        raise ValueError(f"dataset path '{path}' is a directory: expected a CSV file")
    text = os.fspath(name_or_path)
    if not isinstance(name_or_path, str) or _looks_like_path(text):
        raise FileNotFoundError(
            f"dataset file '{text}' does not exist (looked at '{path.resolve()}')"
        )
    raise ValueError(
        f"unknown dataset {text!r}: expected one of {', '.join(DESCRIPTIONS)} "
        "or a path to a CSV file"
    )


def _looks_like_path(text: str) -> bool:
    """True for 'data/x', 'x.csv' and the like: a typo there is a missing file, not a bad name."""
    separators = {"/", os.sep} | ({os.altsep} if os.altsep else set())
    return any(sep in text for sep in separators) or text.lower().endswith(".csv")
