"""How a sweep scales on Dask (issue 13, part 5), measured on this machine::

    .venv/bin/python benchmarks/sweep.py               # both measurements, 3 rounds (~4 min)
    .venv/bin/python benchmarks/sweep.py --rounds 5 --epochs 100

1. Scaling: the same 8 digits trials (the digits recipe's network, ``--epochs`` epochs, 300
   by default: 1-2 s each) on a local cluster of 1 worker and of 2 workers,
   alternating, ``--rounds`` times each. Printed: the median wall time of each, from starting
   the cluster to the sweep's summary (what the user waits for), and without the cluster's
   start; and the ratios 1 worker / 2 workers. This process imports what the summary needs
   first, so that the first round does not pay it alone.
   The peer, measured in the same run: the same 8 trials through a plain
   ``ProcessPoolExecutor`` of 1 and of 2 processes (no Dask): how much this machine gives two
   processes side by side at all.
2. Overhead: 100 tiny trials (moons, [2, 8, 1], 20 epochs) on 2 workers. The scheduling
   overhead is the share of the workers' time in the trials' phase (from the sweep's call to
   its last result, both workers counted) not spent inside a trial: 1 - sum of the trials'
   own times / (2 x that phase). The cluster's start and the summary (plots) are timed apart.

The machine must be quiet: a second process on the cores makes 2 workers look slower than
they are. The load average is printed at the start and the end.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from backprop.sweeps import Space, Trial, sweep
from backprop.sweeps.cluster import connect, warm_up
from backprop.sweeps.trial import run_trial


def timed_sweep(
    dataset: str, workers: int, space: dict, settings: dict, root: Path
) -> dict[str, float]:
    """One sweep on a new local cluster: times of the start, the trials and the whole."""
    started = time.perf_counter()
    seen: list[float] = []
    with connect(workers=workers) as client:
        warm_up(client)
        ready = time.perf_counter()
        result = sweep(
            dataset,
            space,
            settings=settings,
            directory=root / f"w{workers}-{time.monotonic_ns()}",
            client=client,
            verbose=0,
            on_result=lambda r: seen.append(time.perf_counter()),
        )
        swept = time.perf_counter()
    assert result.finished and result.failed == 0, result.results
    trial_seconds = sum(r.seconds for r in result.results)
    return {
        "start": ready - started,
        "trials_phase": max(seen) - ready,
        "sweep": swept - ready,
        "total": time.perf_counter() - started,
        "trial_seconds": trial_seconds,
    }


def timed_pool(workers: int, trials: list, settings: dict, root: Path) -> float:
    """The peer: the same trials through a plain process pool (no Dask), one BLAS thread
    each. Its ratio says how much two processes side by side can gain on this machine."""
    started = time.perf_counter()
    folder = root / f"pool{workers}-{time.monotonic_ns()}"
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        jobs = [
            pool.submit(run_trial, t, settings, None, "val_accuracy", folder / t.id, 1)
            for t in trials
        ]
        assert all(job.result().status == "ok" for job in jobs)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=300)
    args = parser.parse_args()
    import matplotlib.figure  # noqa: F401  (the summary's plots: imported once, up front)
    import sklearn.metrics  # noqa: F401

    print(f"load average at start: {os.getloadavg()}")
    digits_space = {"lr": [0.001, 0.002, 0.003, 0.005], "seed": "0..1"}  # 8 trials
    digits_settings = {"epochs": args.epochs}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        runs: dict[int, list[dict[str, float]]] = {1: [], 2: []}
        for _ in range(args.rounds):
            for workers in (1, 2):
                runs[workers].append(
                    timed_sweep("digits", workers, digits_space, digits_settings, root)
                )
                t = runs[workers][-1]
                print(
                    f"8 digits trials, {workers} worker(s): total {t['total']:.2f} s "
                    f"(start {t['start']:.2f} s, sweep {t['sweep']:.2f} s)"
                )
        trials = [
            Trial(f"{n:04d}", n, {"lr": lr}, seed)
            for n, (lr, seed) in enumerate(
                (lr, seed) for lr in digits_space["lr"] for seed in Space(digits_space).seeds
            )
        ]
        plain = {"dataset": "digits", **digits_settings, "validation_split": 0.2}
        pool: dict[int, list[float]] = {1: [], 2: []}
        for _ in range(args.rounds):
            for workers in (1, 2):
                pool[workers].append(timed_pool(workers, trials, plain, root))
        pooled = {w: statistics.median(pool[w]) for w in pool}
        print(
            f"peer, a plain process pool, medians of {args.rounds}: 1 process "
            f"{pooled[1]:.2f} s, 2 processes {pooled[2]:.2f} s -> {pooled[1] / pooled[2]:.2f}x"
        )
        total = {w: statistics.median(r["total"] for r in runs[w]) for w in runs}
        sweep_only = {w: statistics.median(r["sweep"] for r in runs[w]) for w in runs}
        print(
            f"scaling, medians of {args.rounds}: 1 worker {total[1]:.2f} s, 2 workers "
            f"{total[2]:.2f} s -> {total[1] / total[2]:.2f}x faster with the cluster's start, "
            f"{sweep_only[1] / sweep_only[2]:.2f}x without it"
        )

        tiny_space = {"layers": ["2,8,1"], "lr": [0.003, 0.01, 0.03, 0.1], "seed": "0..24"}
        t = timed_sweep("moons", 2, tiny_space, {"epochs": 20}, root)
        overhead = 1 - t["trial_seconds"] / (2 * t["trials_phase"])
        print(
            f"100 tiny trials on 2 workers: cluster start {t['start']:.2f} s, trials phase "
            f"{t['trials_phase']:.2f} s holding {t['trial_seconds']:.2f} s of trials -> "
            f"scheduling overhead {overhead:.1%}; summary and plots "
            f"{t['sweep'] - t['trials_phase']:.2f} s; total {t['total']:.2f} s"
        )
    print(f"load average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
