"""Sweeps: many training runs on a Dask cluster, ranked by a metric (``backprop sweep``).

>>> import backprop as bp
>>> result = bp.sweep("digits", {"lr": [0.001, 0.003, 0.01], "seed": "0..2"},
...                   settings={"epochs": 30}, workers=2)            # doctest: +SKIP
>>> print(result.table())                                           # doctest: +SKIP

The modules, in the order a sweep needs them: ``space`` (the values each setting may take),
``file`` (sweep files, TOML), ``plan`` (every trial, checked before any runs), ``trial`` (one
run and its result.json), ``cluster`` (Dask: a local cluster or a remote one, BLAS threads per
trial), ``folder`` (where the files go), ``progress`` (the live line), ``results`` (candidates
ranked, the tables), ``plots``, and ``sweep`` (running, resuming, the summary). Dask is
imported only when trials run: ``pip install 'backprop[dask]'``.
"""

from backprop.sweeps.space import Range, Space
from backprop.sweeps.sweep import SweepResult, resume, sweep
from backprop.sweeps.trial import Trial, TrialResult

__all__ = ["Range", "Space", "SweepResult", "Trial", "TrialResult", "resume", "sweep"]
