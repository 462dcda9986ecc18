"""Peak memory of loading a large CSV file with ``backprop.data.load`` (issue 15, part 5).

Writes a CSV file of about ``--mb`` megabytes (``--features`` numeric columns written with six
decimals, and an integer class target 0..4) into a temporary folder, then loads it in a fresh
Python process and prints that process's peak resident memory (``VmHWM`` in
``/proc/self/status``) before and after the load, next to the size of the float64 feature
array the load returns. A fresh process keeps the measurement free of whatever this one
allocated while writing the file::

    .venv/bin/python benchmarks/csv_memory.py              # ~200 MB file, 20 features
    .venv/bin/python benchmarks/csv_memory.py --mb 20
    PYTHONPATH=/tmp/old/src .venv/bin/python benchmarks/csv_memory.py   # another checkout

The child imports whatever ``backprop`` its environment finds, so setting ``PYTHONPATH`` to
another checkout's ``src`` measures that version: how the "before" numbers in README.md were
taken. Linux only (``/proc``).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

# Runs in the child: VmHWM once numpy and backprop are imported (the baseline), then after the
# load. Memory that the load freed again still counts: VmHWM is the high-water mark.
CHILD = r"""
import json, sys, time

import numpy as np

import backprop
from backprop.data import load


def vm(key):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(key + " not in /proc/self/status")


baseline = vm("VmHWM")
started = time.perf_counter()
data = load(sys.argv[1])
seconds = time.perf_counter() - started
print(json.dumps({
    "backprop": backprop.__file__,
    "rows": int(data.X.shape[0]),
    "features": int(data.X.shape[1]),
    "classes": data.classes,
    "array_bytes": int(data.X.nbytes + data.y.nbytes),
    "baseline_hwm": baseline,
    "peak_hwm": vm("VmHWM"),
    "seconds": seconds,
}))
"""

BLOCK_ROWS = 10_000  # rows formatted once and written again until the file is big enough


def write_csv(path: Path, megabytes: float, features: int, seed: int = 0) -> int:
    """Write a CSV file of at least ``megabytes`` MB; return its number of data rows.

    A block of random rows is formatted once and repeated: formatting every row anew would
    take minutes for 200 MB, and the reader's memory does not depend on the values.
    """
    rng = np.random.default_rng(seed)
    values = rng.normal(size=(BLOCK_ROWS, features))
    labels = rng.integers(0, 5, size=BLOCK_ROWS)
    lines = [
        ",".join(f"{v:.6f}" for v in row) + f",{label}\n"
        for row, label in zip(values, labels, strict=True)
    ]
    block = "".join(lines).encode()
    header = (",".join(f"f{i + 1}" for i in range(features)) + ",label\n").encode()
    target = int(megabytes * 1e6)
    rows = 0
    with path.open("wb") as f:
        f.write(header)
        written = len(header)
        while written < target:
            f.write(block)
            written += len(block)
            rows += BLOCK_ROWS
    return rows


def measure(path: Path) -> dict[str, Any]:
    """Load ``path`` in a fresh process and return what the child measured."""
    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(path)], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise SystemExit(f"loading failed (exit {result.returncode}):\n{result.stderr}")
    measured: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return measured


def main() -> None:
    """Parse the options, write the file, measure, print a short report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=200, help="file size in MB (default 200)")
    parser.add_argument("--features", type=int, default=20, help="feature columns (default 20)")
    parser.add_argument("--json", action="store_true", help="print the measurement as JSON")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="csv-memory-") as folder:
        path = Path(folder) / "large.csv"
        write_csv(path, options.mb, options.features)
        size = os.path.getsize(path)
        measured = measure(path)
    measured["file_bytes"] = size
    if options.json:
        print(json.dumps(measured))
        return
    mb = 1e6
    array, baseline, peak = (measured[k] for k in ("array_bytes", "baseline_hwm", "peak_hwm"))
    print(f"backprop from   {measured['backprop']}")
    print(
        f"file            {size / mb:8.1f} MB, {measured['rows']:,} rows x "
        f"{measured['features']} features + target"
    )
    print(f"arrays X and y  {array / mb:8.1f} MB")
    print(f"peak RSS        {peak / mb:8.1f} MB (after imports {baseline / mb:.1f} MB)")
    print(
        f"load's growth   {(peak - baseline) / mb:8.1f} MB = "
        f"{(peak - baseline) / array:.2f} x the arrays"
    )
    print(f"load time       {measured['seconds']:8.1f} s")


if __name__ == "__main__":
    main()
