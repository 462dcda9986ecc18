"""The user's own CSV files: header detection, the target column, classes or real values."""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from backprop.data.dataset import TASKS, Dataset, Label

# A numeric CSV target with integer values and at most this many distinct values is read as class
# labels (0/1, 1..5 stars, digits 0..9); anything else numeric is a regression target.
MAX_INTEGER_CLASSES = 20

Row = tuple[int, list[str]]  # (line number in the file, stripped fields)


def load_csv(
    path: str | os.PathLike[str],
    *,
    target: str | int | None = None,
    task: str | None = None,
    header: bool | None = None,
) -> Dataset:
    """Read a comma-separated file: numeric feature columns and one target column.

    Header rule (when ``header`` is None): the first row is a header when all its fields are
    non-numeric, or when one of its non-empty fields is non-numeric while the field below it is
    numeric. ``target`` is a column name or index (negative counts from the end; a string of
    digits such as "0" is read as an index unless a column has that name); default the last
    column. The task is inferred from the target (see :func:`_infer_task`) unless ``task`` is
    given. Blank lines are skipped; every other problem raises ValueError naming the line.
    """
    path = Path(path)
    if task is not None and task not in TASKS:
        raise ValueError(f"task={task!r} is not supported: expected one of {', '.join(TASKS)}")
    rows = _read_csv_rows(path)
    if not rows:
        raise ValueError(f"CSV file '{path}' has no data rows: it is empty")
    _check_rectangular(path, rows)
    if header is None:
        header = _looks_like_header(rows[0][1], rows[1][1] if len(rows) > 1 else None)
    names = rows[0][1] if header else None
    body = rows[1:] if header else rows
    if not body:
        raise ValueError(f"CSV file '{path}' has no data rows, only the header {names}")
    n_columns = len(rows[0][1])
    if n_columns < 2:
        raise ValueError(
            f"CSV file '{path}' has a single column: expected feature columns and a target column"
        )
    target_col = _resolve_target(path, target, names, n_columns)
    feature_cols = [c for c in range(n_columns) if c != target_col]
    X = _parse_features(path, body, feature_cols, names)
    y, classes, task = _parse_target(path, body, target_col, names, task)
    if names is None:
        feature_names = [f"x{i + 1}" for i in range(len(feature_cols))]
        target_name = "y"
    else:
        feature_names = [names[c] for c in feature_cols]
        target_name = names[target_col]
    kind = task if classes is None else f"{task}, {len(classes)} classes"
    return Dataset(
        name=path.stem,
        X=X,
        y=y,
        task=task,
        classes=classes,
        feature_names=feature_names,
        target_name=target_name,
        description=(
            f"CSV file {path}: {len(body)} rows, {len(feature_cols)} features, "
            f"target {target_name!r} ({kind})"
        ),
    )


def read_features(path: str | os.PathLike[str], feature_names: Sequence[str]) -> np.ndarray:
    """Rows of features to predict on, from a CSV file with or without a header.

    A header, when present, may list the columns in any order (they are matched by name) and
    may include the target column, which is ignored; without one the columns must be the
    features in training order.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"input file '{path}' does not exist")
    rows = _read_csv_rows(path)
    if not rows:
        raise ValueError(f"CSV file '{path}' has no data rows: it is empty")
    _check_rectangular(path, rows)
    header = _looks_like_header(rows[0][1], rows[1][1] if len(rows) > 1 else None)
    names = rows[0][1] if header else None
    body = rows[1:] if header else rows
    if not body:
        raise ValueError(f"CSV file '{path}' has no data rows, only the header {names}")
    if names is not None:
        missing = [name for name in feature_names if name not in names]
        if missing:
            raise ValueError(
                f"CSV file '{path}' lacks the feature columns {missing} the model was trained "
                f"on (its columns: {names})"
            )
        cols = [names.index(name) for name in feature_names]
    else:
        n = len(rows[0][1])
        if n != len(feature_names):
            raise ValueError(
                f"CSV file '{path}' has {n} columns but the model expects {len(feature_names)} "
                f"features ({', '.join(feature_names[:8])}{', ...' if n > 8 else ''})"
            )
        cols = list(range(n))
    return _parse_features(path, body, cols, names)


def _read_csv_rows(path: Path) -> list[Row]:
    """All non-blank rows with their line numbers; fields are stripped of surrounding spaces."""
    rows: list[Row] = []
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:
            reader = csv.reader(f)
            for fields in reader:
                stripped = [field.strip() for field in fields]
                if any(stripped):
                    rows.append((reader.line_num, stripped))
    except UnicodeDecodeError as exc:
        raise ValueError(f"CSV file '{path}' is not UTF-8 text: {exc}") from exc
    except csv.Error as exc:
        raise ValueError(
            f"CSV file '{path}' is malformed near line {reader.line_num}: {exc}"
        ) from exc
    return rows


def _check_rectangular(path: Path, rows: list[Row]) -> None:
    """Every row must have as many fields as the first one."""
    first_line, first = rows[0]
    for line, fields in rows:
        if len(fields) != len(first):
            raise ValueError(
                f"CSV file '{path}', line {line}: {len(fields)} fields, expected {len(first)} "
                f"like line {first_line}"
            )


def _is_number(text: str) -> bool:
    """True when ``float`` can parse ``text`` (including 'nan' and 'inf')."""
    try:
        float(text)
    except ValueError:
        return False
    return True


def _looks_like_header(first: list[str], second: list[str] | None) -> bool:
    """The header rule documented in :func:`load_csv`."""
    numeric = [_is_number(field) for field in first]
    if not any(numeric):
        return True
    if second is None:
        return False
    return any(
        field and not is_num and _is_number(below)
        for field, is_num, below in zip(first, numeric, second, strict=True)
    )


def _column_label(col: int, names: list[str] | None) -> str:
    """'column 3 ('age')' or 'column 3': 1-based, as a spreadsheet shows it."""
    return f"column {col + 1}" if names is None else f"column {col + 1} ({names[col]!r})"


def _resolve_target(path: Path, target: str | int | None, names: list[str] | None, n: int) -> int:
    """The 0-based index of the target column."""
    if target is None:
        return n - 1
    if isinstance(target, str) and names is not None and target in names:
        if names.count(target) > 1:
            raise ValueError(f"CSV file '{path}' has more than one column named {target!r}")
        return names.index(target)
    index: int | None = None
    if isinstance(target, str):
        try:
            index = int(target)
        except ValueError:
            index = None
    elif isinstance(target, (int, np.integer)) and not isinstance(target, bool):
        index = int(target)
    if index is not None and -n <= index < n:
        return index % n
    columns = "(the file has no header row)" if names is None else f"names {names}"
    raise ValueError(
        f"unknown target column {target!r} for CSV file '{path}': expected one of the column "
        f"{columns} or an index from {-n} to {n - 1}"
    )


def _parse_features(
    path: Path, body: list[Row], cols: list[int], names: list[str] | None
) -> np.ndarray:
    """The feature columns as float64, rejecting text, empty cells, NaN and infinity."""
    X = np.empty((len(body), len(cols)), dtype=np.float64)
    for i, (line, fields) in enumerate(body):
        for j, col in enumerate(cols):
            value = fields[col]
            try:
                X[i, j] = float(value)
            except ValueError:
                X[i, j] = math.nan
            if not math.isfinite(X[i, j]):
                problem = _describe_bad_number(value)
                raise ValueError(
                    f"CSV file '{path}', line {line}, {_column_label(col, names)}: {problem}; "
                    "every column except the target must be numeric"
                )
    return X


def _describe_bad_number(value: str) -> str:
    """Why ``value`` is not a usable number, for an error message."""
    if value == "":
        return "missing value (empty cell)"
    if _is_number(value):
        return f"missing or infinite value {value!r}"
    return f"expected a number, got {value!r}"


def _parse_target(
    path: Path, body: list[Row], col: int, names: list[str] | None, task: str | None
) -> tuple[np.ndarray, list[Label] | None, str]:
    """Encode the target column: ``(y, classes, task)``."""
    values = [fields[col] for _, fields in body]
    where = f"CSV file '{path}', target {_column_label(col, names)}"
    for (line, _), value in zip(body, values, strict=True):
        if value == "" or (_is_number(value) and not math.isfinite(float(value))):
            raise ValueError(f"{where}, line {line}: missing target value {value!r}")
    task = task or _infer_task(values)
    if task == "regression":
        for (line, _), value in zip(body, values, strict=True):
            if not _is_number(value):
                raise ValueError(
                    f"{where}, line {line}: a regression target must be numeric, got {value!r}"
                )
        return np.array([float(v) for v in values], dtype=np.float64), None, task
    labels = _class_labels(values)
    classes: list[Label] = sorted(set(labels))
    if len(classes) < 2:
        raise ValueError(
            f"{where}: classification needs at least two classes, "
            f"but every row has the label {classes[0]!r}"
        )
    index = {label: i for i, label in enumerate(classes)}
    return np.array([index[label] for label in labels], dtype=np.int64), classes, task


def _infer_task(values: list[str]) -> str:
    """Text labels, or at most MAX_INTEGER_CLASSES distinct integers: classification.

    Any other numeric column is a regression target.
    """
    if not all(_is_number(v) for v in values):
        return "classification"
    numbers = {float(v) for v in values}
    if all(x.is_integer() for x in numbers) and len(numbers) <= MAX_INTEGER_CLASSES:
        return "classification"
    return "regression"


def _class_labels(values: list[str]) -> list[Label]:
    """The labels as written (str) or, when all are numbers, as numbers so that '1' == '1.0'."""
    if not all(_is_number(v) for v in values):
        return list(values)
    numbers = [float(v) for v in values]
    return [int(x) if x.is_integer() else x for x in numbers]
