"""The user's own CSV files: header detection, the target column, classes or real values.

Files are read in two streaming passes, so that a large file never sits in memory as Python
strings (a list of lists of str costs about ten times the file's size). The first pass only
looks at the rows' shape: how many there are, whether one is ragged, and the first two, which
decide whether the file has a header. The second pass parses a chunk of rows at a time (about
:data:`_CHUNK_FIELDS` fields) into a float64 array allocated once at its final size, so
loading peaks at little more than the arrays it returns (benchmarks/csv_memory.py measures it).
"""

from __future__ import annotations

import csv
import math
import operator
import os
from collections import defaultdict
from collections.abc import Callable, Generator, Sequence
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from backprop.data.dataset import TASKS, Dataset, Label

# A numeric CSV target with integer values and at most this many distinct values is read as
# class labels (0/1, 1..5 stars, digits 0..9); anything else numeric is a regression target.
MAX_INTEGER_CLASSES = 20

# Fields parsed together in the second pass (as whole rows, at least one): their strings and
# Python floats, about 6 MB, are all the text and objects held at any time, whether the file
# has 3 columns or 784.
_CHUNK_FIELDS = 65536

# Distinct target strings remembered during the second pass. A text target with more (rare:
# thousands of classes) is read once more, alone; a numeric target never needs them.
_MAX_REMEMBERED_LABELS = 4096

Row = tuple[int, list[str]]  # (line number in the file, fields)
Rows = Generator[Row, None, None]  # a generator, so that ``closing`` can close its file


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
    numeric, or when ``target`` is a name (not an index) that the first row holds. Column names
    must be unique (compared after stripping surrounding spaces, as every field is): a model
    finds its features by name when it predicts, and two columns of one name would both be read
    from the first. ``target`` is a column name or index (negative counts from the end; a string
    of digits such as "0" is read as an index unless a column has that name); default the last
    column. The task is inferred from the target (see :func:`_infer_task`) unless ``task`` is
    given. Blank lines are skipped; every other problem raises ValueError naming the line.
    """
    path = Path(path)
    if task is not None and task not in TASKS:
        raise ValueError(f"task={task!r} is not supported: expected one of {', '.join(TASKS)}")
    layout = _scan(path, header)
    if header is None and layout.names is None and _names_a_field(target, layout.first):
        layout = _scan(path, True)  # the target is named by the first row: a header after all
    n_columns = len(layout.first)
    if n_columns < 2:
        raise ValueError(
            f"CSV file '{path}' has a single column: expected feature columns and a target column"
        )
    names = layout.names
    if names is not None:
        _check_unique_names(path, names)
    target_col = _resolve_target(path, target, names, n_columns)
    feature_cols = [c for c in range(n_columns) if c != target_col]
    column = _TargetColumn(path, layout.n_body, target_col, names)
    X = _read_body(path, layout, feature_cols, column)
    y, classes, task = column.encode(task, lambda: _chunks(path, layout))
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
            f"CSV file {path}: {layout.n_body} rows, {len(feature_cols)} features, "
            f"target {target_name!r} ({kind})"
        ),
    )


def read_features(path: str | os.PathLike[str], feature_names: Sequence[str]) -> np.ndarray:
    """Rows of features to predict on, from a CSV file with or without a header.

    A header, when present, may list the columns in any order (they are matched by name) and
    may include the target column, which is ignored; without one the columns must be the
    features in training order. A feature whose name two columns share is refused, never
    read from the first of them; so is a header when the model itself names two features
    alike (a model trained before duplicate column names were refused): its rows must then
    come without a header, in training order.
    """
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"input file '{path}' is a directory: expected a CSV file")
    if not path.is_file():
        raise FileNotFoundError(f"input file '{path}' does not exist")
    layout = _scan(path, None)
    names = layout.names
    if names is not None:
        missing = [name for name in feature_names if name not in names]
        if missing:
            raise ValueError(
                f"CSV file '{path}' lacks the feature columns {missing} the model was trained "
                f"on (its columns: {names})"
            )
        twice = _duplicates(list(feature_names))
        if twice:
            raise ValueError(
                f"the model names more than one feature {_describe_duplicates(twice)}, so the "
                f"columns of CSV file '{path}' cannot be matched by name: give its rows "
                "without a header, the features in training order, or train again"
            )
        wanted = set(feature_names)
        ambiguous = {name: cols for name, cols in _duplicates(names).items() if name in wanted}
        if ambiguous:
            raise ValueError(
                f"CSV file '{path}' has more than one column {_describe_duplicates(ambiguous)}: "
                "cannot tell which holds the feature the model was trained on; "
                "rename or remove the extra column"
            )
        cols = [names.index(name) for name in feature_names]
    else:
        n = len(layout.first)
        if n != len(feature_names):
            raise ValueError(
                f"CSV file '{path}' has {n} columns but the model expects {len(feature_names)} "
                f"features ({', '.join(feature_names[:8])}{', ...' if n > 8 else ''})"
            )
        cols = list(range(n))
    return _read_body(path, layout, cols, None)


# -- the first pass: the file's shape -----------------------------------------------------------


@dataclass
class _Layout:
    """What the first pass learns: the header decision and the number of data rows."""

    first: list[str]  # the first non-blank row, fields stripped
    names: list[str] | None  # the header's names, or None without a header
    n_body: int  # data rows (non-blank rows after the header)


def _scan(path: Path, header: bool | None) -> _Layout:
    """Read the file once without keeping its rows: count them, check that every row has as
    many fields as the first, and decide the header (see :func:`_looks_like_header`) unless
    ``header`` says. Raises the errors that the file's shape alone decides, in this order:
    unreadable (not UTF-8, malformed quoting), empty, ragged, only a header."""
    first: Row | None = None
    second: list[str] | None = None
    ragged: tuple[int, int] | None = None
    n_rows = 0
    with closing(_iter_rows(path)) as rows:
        for line, fields in rows:
            n_rows += 1
            if first is None:
                first = (line, [field.strip() for field in fields])
            elif second is None:
                second = [field.strip() for field in fields]
            if ragged is None and len(fields) != len(first[1]):
                ragged = (line, len(fields))
    if first is None:
        raise ValueError(f"CSV file '{path}' has no data rows: it is empty")
    first_line, first_fields = first
    if ragged is not None:
        line, n_fields = ragged
        raise ValueError(
            f"CSV file '{path}', line {line}: {n_fields} fields, expected {len(first_fields)} "
            f"like line {first_line}"
        )
    if header is None:
        header = _looks_like_header(first_fields, second)
    names = first_fields if header else None
    n_body = n_rows - 1 if header else n_rows
    if n_body == 0:
        raise ValueError(f"CSV file '{path}' has no data rows, only the header {names}")
    return _Layout(first_fields, names, n_body)


def _iter_rows(path: Path) -> Rows:
    """The non-blank rows with their line numbers, one at a time; fields as written.

    A row is blank when all its fields are empty or spaces. The line number is that of the
    row's last line (a quoted field may span several).
    """
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:
            # strict: a quote left open at the end of the file (or a stray character after a
            # closing quote) is an error, not a field that swallows the rest of the file.
            reader = csv.reader(f, strict=True)
            for fields in reader:
                if any(map(str.strip, fields)):
                    yield reader.line_num, fields
    except UnicodeDecodeError as exc:
        raise ValueError(f"CSV file '{path}' is not UTF-8 text: {exc}") from exc
    except csv.Error as exc:
        raise ValueError(
            f"CSV file '{path}' is malformed near line {reader.line_num}: {exc}"
        ) from exc


def _body_rows(path: Path, layout: _Layout) -> Rows:
    """The data rows: the non-blank rows after the header, if there is one."""
    rows = _iter_rows(path)
    if layout.names is not None:
        next(rows, None)
    return rows


def _chunks(path: Path, layout: _Layout) -> Generator[list[Row], None, None]:
    """The data rows again, in lists of about :data:`_CHUNK_FIELDS` fields, checked against the
    first pass: a file that another program rewrote in between gets a clear error, not an
    IndexError or rows of garbage."""
    width, count, changed = len(layout.first), 0, False
    chunk_rows = max(1, _CHUNK_FIELDS // width)
    chunk: list[Row] = []
    with closing(_body_rows(path, layout)) as rows:
        for row in rows:
            count += 1
            changed = len(row[1]) != width or count > layout.n_body
            if changed:
                break
            chunk.append(row)
            if len(chunk) == chunk_rows:
                yield chunk
                chunk = []
    if changed or count != layout.n_body:
        raise ValueError(
            f"CSV file '{path}' changed while it was read ({layout.n_body} data rows of "
            f"{width} fields at first, then different): read it again once it is complete"
        )
    if chunk:
        yield chunk


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


def _names_a_field(target: str | int | None, first: list[str]) -> bool:
    """Whether ``target`` is a column name (not an index such as "0") found in ``first``:
    numbered columns over a text target (``0,1,2,label``) look like data to the header rule."""
    if not isinstance(target, str) or target not in first:
        return False
    try:
        int(target)
    except ValueError:
        return True
    return False


def _duplicates(names: Sequence[str]) -> dict[str, list[int]]:
    """Each name that more than one column has, with those columns' 0-based indices."""
    where: defaultdict[str, list[int]] = defaultdict(list)
    for col, name in enumerate(names):
        where[name].append(col)
    return {name: cols for name, cols in where.items() if len(cols) > 1}


def _describe_duplicates(duplicates: dict[str, list[int]]) -> str:
    """How duplicated names read in a message: named 'a' (columns 1 and 3); with an empty name
    (columns 2 and 5)."""
    parts = []
    for name, cols in duplicates.items():
        numbers = [str(col + 1) for col in cols]
        listed = ", ".join(numbers[:-1]) + " and " + numbers[-1]
        what = "with an empty name" if name == "" else f"named {name!r}"
        parts.append(f"{what} (columns {listed})")
    return "; ".join(parts)


def _check_unique_names(path: Path, names: list[str]) -> None:
    """Refuse a header in which two columns have one name (after stripping spaces)."""
    duplicates = _duplicates(names)
    if duplicates:
        raise ValueError(
            f"CSV file '{path}' has more than one column {_describe_duplicates(duplicates)}: "
            "every column needs its own name (spaces around names do not count), so that a "
            "model can find its features by name when it predicts; rename or remove the "
            "extra columns"
        )


def _column_label(col: int, names: list[str] | None) -> str:
    """'column 3 ('age')' or 'column 3': 1-based, as a spreadsheet shows it."""
    return f"column {col + 1}" if names is None else f"column {col + 1} ({names[col]!r})"


def _resolve_target(path: Path, target: str | int | None, names: list[str] | None, n: int) -> int:
    """The 0-based index of the target column (``names`` hold no duplicates)."""
    if target is None:
        return n - 1
    if isinstance(target, str) and names is not None and target in names:
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


# -- the second pass: the numbers --------------------------------------------------------------


def _read_body(
    path: Path, layout: _Layout, cols: list[int], target: _TargetColumn | None
) -> np.ndarray:
    """The data rows' ``cols`` as a float64 array, filled a chunk of rows at a time;
    ``target``, when given, takes in its column from the same rows."""
    X = np.empty((layout.n_body, len(cols)), dtype=np.float64)
    pick = _picker(cols)
    start = 0
    with closing(_chunks(path, layout)) as chunks:
        for chunk in chunks:
            stop = start + len(chunk)
            _parse_chunk(path, chunk, cols, pick, layout.names, X[start:stop])
            if target is not None:
                target.add(chunk, start)
            start = stop
    return X


def _picker(cols: list[int]) -> Callable[[list[str]], Sequence[str]]:
    """A function returning a row's fields ``cols``, in that order, as a sequence."""
    if len(cols) == 1:
        col = cols[0]
        return lambda fields: (fields[col],)
    return operator.itemgetter(*cols)


def _parse_chunk(
    path: Path,
    chunk: list[Row],
    cols: list[int],
    pick: Callable[[list[str]], Sequence[str]],
    names: list[str] | None,
    out: np.ndarray,
) -> None:
    """Parse a chunk's features into ``out``: all at once with ``float`` (which ignores spaces
    as stripping them would), or when any value fails, field by field for the exact error."""
    values: list[float] = []
    try:
        for _, fields in chunk:
            values.extend(map(float, pick(fields)))
    except ValueError:
        _parse_strictly(path, chunk, cols, names, out)
        return
    block = np.array(values, dtype=np.float64).reshape(out.shape)
    if not np.isfinite(block).all():
        _parse_strictly(path, chunk, cols, names, out)
        return
    out[...] = block


def _parse_strictly(
    path: Path, chunk: list[Row], cols: list[int], names: list[str] | None, out: np.ndarray
) -> None:
    """Field by field, row by row: raise on the first text, empty cell, NaN or infinity."""
    for i, (line, fields) in enumerate(chunk):
        for j, col in enumerate(cols):
            value = fields[col].strip()
            try:
                number = float(value)
            except ValueError:
                number = math.nan
            if not math.isfinite(number):
                problem = _describe_bad_number(value)
                raise ValueError(
                    f"CSV file '{path}', line {line}, {_column_label(col, names)}: {problem}; "
                    "every column except the target must be numeric"
                )
            out[i, j] = number


def _describe_bad_number(value: str) -> str:
    """Why ``value`` is not a usable number, for an error message."""
    if value == "":
        return "missing value (empty cell)"
    if _is_number(value):
        return f"missing or infinite value {value!r}"
    return f"expected a number, got {value!r}"


class _TargetColumn:
    """The target column, taken in chunk by chunk during the second pass, then encoded.

    It keeps the values as float64 (NaN where a value is not a number), the first line with a
    missing value and the first with text, and, while there are at most
    :data:`_MAX_REMEMBERED_LABELS` distinct strings, each row's string as a code: enough to
    encode text labels without another pass, and no dictionary of a million real values.
    Problems are raised by :meth:`encode`, after every feature was parsed, so a file with
    several problems reports the same one as ever.
    """

    def __init__(self, path: Path, n_rows: int, col: int, names: list[str] | None) -> None:
        """Room for ``n_rows`` values of column ``col`` (0-based)."""
        self.col = col
        self.where = f"CSV file '{path}', target {_column_label(col, names)}"
        self.numbers = np.full(n_rows, np.nan)
        self.codes: np.ndarray | None = np.empty(n_rows, dtype=np.int32)
        self.labels: dict[str, int] | None = {}
        self.missing: tuple[int, str] | None = None  # first (line, value) that is missing
        self.text: tuple[int, str] | None = None  # first (line, value) that is not a number

    def add(self, chunk: list[Row], start: int) -> None:
        """Take in the target values of ``chunk``, whose first row is data row ``start``."""
        strings = [fields[self.col].strip() for _, fields in chunk]
        stop = start + len(strings)
        try:
            self.numbers[start:stop] = list(map(float, strings))
        except ValueError:
            self._add_strictly(chunk, strings, start)
        else:
            if self.missing is None and not np.isfinite(self.numbers[start:stop]).all():
                self._add_strictly(chunk, strings, start)
        if self.labels is not None and self.codes is not None:
            labels = self.labels
            self.codes[start:stop] = [labels.setdefault(s, len(labels)) for s in strings]
            if len(labels) > _MAX_REMEMBERED_LABELS:
                self.labels = self.codes = None

    def _add_strictly(self, chunk: list[Row], strings: list[str], start: int) -> None:
        """Value by value: the numbers, and the lines of the first missing value (an empty
        cell, NaN or infinity) and of the first value that is not a number."""
        for i, ((line, _), value) in enumerate(zip(chunk, strings, strict=True)):
            try:
                number = float(value)
                missing = not math.isfinite(number)
            except ValueError:
                number, missing = math.nan, value == ""
                if not missing and self.text is None:
                    self.text = (line, value)
            if missing and self.missing is None:
                self.missing = (line, value)
            self.numbers[start + i] = number

    def encode(
        self, task: str | None, chunks: Callable[[], Generator[list[Row], None, None]]
    ) -> tuple[np.ndarray, list[Label] | None, str]:
        """``(y, classes, task)``, inferring the task (see :func:`_infer_task`) unless given.

        ``chunks`` reads the data rows again; it is called only for a text target with more
        distinct labels than were remembered.
        """
        if self.missing is not None:
            line, value = self.missing
            raise ValueError(f"{self.where}, line {line}: missing target value {value!r}")
        task = task or _infer_task(self.numbers, self.text is None)
        if task == "regression":
            if self.text is not None:
                line, value = self.text
                raise ValueError(
                    f"{self.where}, line {line}: a regression target must be numeric, got {value!r}"
                )
            return self.numbers, None, task
        classes: list[Label]
        if self.text is None:
            # Numbers are labels by value, so that '1' and '1.0' are one class.
            values, y = np.unique(self.numbers, return_inverse=True)
            classes = [int(x) if x.is_integer() else x for x in values.tolist()]
        else:
            # Labels as written: sorted strings.
            if self.labels is None or self.codes is None:
                self._remember_all(chunks)
            assert self.labels is not None and self.codes is not None
            ordered = sorted(self.labels)
            rank = np.empty(len(ordered), dtype=np.int64)
            rank[[self.labels[label] for label in ordered]] = np.arange(len(ordered))
            classes = list(ordered)
            y = rank[self.codes]
        if len(classes) < 2:
            raise ValueError(
                f"{self.where}: classification needs at least two classes, "
                f"but every row has the label {classes[0]!r}"
            )
        return y.astype(np.int64, copy=False), classes, task

    def _remember_all(self, chunks: Callable[[], Generator[list[Row], None, None]]) -> None:
        """Read the column once more, keeping every distinct label (thousands of classes)."""
        labels: dict[str, int] = {}
        codes = np.empty(len(self.numbers), dtype=np.int64)
        start = 0
        with closing(chunks()) as iterator:
            for chunk in iterator:
                stop = start + len(chunk)
                codes[start:stop] = [
                    labels.setdefault(fields[self.col].strip(), len(labels)) for _, fields in chunk
                ]
                start = stop
        self.labels, self.codes = labels, codes


def _infer_task(numbers: np.ndarray, all_numeric: bool) -> str:
    """Text labels, or at most MAX_INTEGER_CLASSES distinct integers: classification.

    Any other numeric column is a regression target.
    """
    if not all_numeric:
        return "classification"
    distinct = np.unique(numbers)
    if len(distinct) <= MAX_INTEGER_CLASSES and all(x.is_integer() for x in distinct.tolist()):
        return "classification"
    return "regression"
