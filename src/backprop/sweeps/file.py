"""Sweep files: a sweep's search space and settings in TOML, for spaces too large to type.

::

    dataset = "digits"          # optional: DATASET on the command line names it otherwise
    trials = 20                 # optional: a random search of 20 candidates (else a grid)
    folds = 5                   # optional: 5-fold cross-validation (else a held-out part)
    metric = "val_accuracy"     # optional
    random_state = 0            # optional: seeds the random search's draws

    [settings]                  # the same for every trial: any setting of backprop train
    epochs = 30

    [space]                     # swept: a list, "a..b", "low..high:log", or {low, high, log}
    lr = "1e-4..1e-1:log"
    layers = [[64, 32, 10], [64, 64, 10]]
    activation = ["relu", "tanh"]
    seed = "0..2"

``read_sweep_file`` returns the keyword arguments of :func:`backprop.sweeps.sweep`.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10 reads TOML with tomli, the same parser
    import tomli as tomllib

#: The keys a sweep file may hold at its top level, and what each must be.
KEYS = {
    "dataset": str,
    "trials": int,
    "folds": int,
    "metric": str,
    "random_state": int,
    "settings": dict,
    "space": dict,
}


def read_sweep_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The sweep a TOML file describes, as keyword arguments of ``sweep`` (``dataset`` among
    them when the file names it)."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise ValueError(f"{path} is not a sweep file: it is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as error:
        raise ValueError(f"{path} is not valid TOML: {error}") from None
    unknown = sorted(set(data) - set(KEYS))
    if unknown:
        raise ValueError(
            f"{path}: unknown key {', '.join(unknown)}: a sweep file holds {', '.join(KEYS)}"
        )
    for key, kind in KEYS.items():
        value = data.get(key, kind())
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
            expected = "a table" if kind is dict else kind.__name__
            raise ValueError(f"{path}: {key} = {value!r}: expected {expected}")
    if "space" not in data:
        raise ValueError(f"{path}: no [space] table: a sweep file says what to sweep there")
    return data
