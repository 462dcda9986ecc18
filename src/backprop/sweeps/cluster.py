"""Where a sweep's trials run: a Dask cluster, local or remote, reached the same way.

``connect`` starts a ``LocalCluster`` of worker processes (one thread each) sized to the
machine, or joins the cluster whose scheduler address it is given. Each trial caps its matrix
products' threads at the cores of its machine divided by the trials that can run there at
once (the cluster's worker threads on it when the sweep starts): NumPy's BLAS would otherwise
take every core for each trial, and trials side by side would fight over them (two trainings
sharing 2 cores took 13 times as long as one alone).
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import logging
import os
import threading
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from backprop.sweeps.trial import Trial, TrialResult, run_trial

if TYPE_CHECKING:
    from distributed import Client

INSTALL_HINT = "backprop sweep needs Dask: pip install 'backprop[dask]'"
#: How long joining a cluster may take before the scheduler counts as unreachable.
CONNECT_TIMEOUT_S = 3


def require_dask() -> None:
    """Raise ImportError with the line that says how to install Dask, when it is missing."""
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise ImportError(INSTALL_HINT) from None


@contextlib.contextmanager
def connect(workers: int | None = None, scheduler: str | None = None) -> Iterator[Client]:
    """A Dask client: of a new local cluster of ``workers`` processes (default: one per
    core), closed on exit, or of the running cluster at ``scheduler`` (left running)."""
    require_dask()
    from distributed import Client, LocalCluster

    if scheduler is not None:
        if workers is not None:
            raise ValueError(
                "workers and scheduler: a cluster reached by its scheduler has its own workers"
            )
        with contextlib.closing(_join(Client, scheduler)) as client:
            yield client
        return
    n = default_workers() if workers is None else workers
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"workers={workers!r}: expected a positive number of worker processes")
    cluster = LocalCluster(
        n_workers=n,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",  # any free port: two sweeps at once must not collide
        silence_logs=logging.CRITICAL,  # a closing cluster logs errors of no use to the user
    )
    with cluster, Client(cluster, set_as_default=False) as client:
        yield client


def _join(client_type: Any, scheduler: str) -> Client:
    """A client of the scheduler at ``scheduler``, or a ConnectionError within seconds.

    Dask's own timeout covers each of its waits (reaching the address, the scheduler's
    answers), not what answers there: a server that is no Dask scheduler kept the handshake
    waiting forever (an HTTP server), or sent bytes read as a frame of exabytes (MemoryError).
    So the client is made in a thread of its own, waited for as long as Dask's three waits
    may take, and closed by that thread if it comes after all, too late."""
    lock = threading.Lock()
    made: dict[str, Any] = {}  # "client", or "error" (its name and text); "abandoned"

    def join() -> None:
        failed = None
        try:
            client = client_type(scheduler, timeout=f"{CONNECT_TIMEOUT_S}s", set_as_default=False)
        except Exception as error:  # whatever answered there, it was not a scheduler
            failed = f"{type(error).__name__}: {' '.join(str(error).split())[:200]}"
        if failed is not None:
            # The half-made client that the error's traceback held, closed now while its
            # loop runs (at exit, Dask's __del__ times out and prints a traceback).
            gc.collect()
            with lock:
                made["error"] = failed
            return
        with lock:
            late = "abandoned" in made
            made["client"] = client
        if late:
            client.close()

    thread = threading.Thread(target=join, name="backprop-join-scheduler", daemon=True)
    thread.start()
    waited = 3 * CONNECT_TIMEOUT_S + 2
    thread.join(waited)
    with lock:
        if "client" in made:
            return made["client"]
        made["abandoned"] = True
        why = made.get("error", f"nothing answered as a scheduler within {waited} s")
    raise ConnectionError(f"scheduler={scheduler}: no Dask scheduler answered there ({why})")


def default_workers() -> int:
    """One worker per core this process may use."""
    cores = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    return len(cores) if cores else os.cpu_count() or 1


def trials_per_host(client: Client) -> dict[str, int]:
    """How many trials can run at once on each machine of the cluster (its workers' threads)."""
    counts: dict[str, int] = {}
    for worker in client.scheduler_info(n_workers=-1)["workers"].values():
        counts[worker["host"]] = counts.get(worker["host"], 0) + worker["nthreads"]
    return counts


def warm_up(client: Client) -> None:
    """Import the training code in every worker now, so that the trials' times are their
    training's, not the first one's imports (a second or more each)."""
    client.run(_import, ["backprop.sweeps.trial", "sklearn.model_selection", "sklearn.metrics"])


def _import(names: list[str]) -> None:
    for name in names:
        importlib.import_module(name)


def run_on_worker(
    trial: Trial,
    settings: Mapping[str, Any],
    folds: int | None,
    metric: str,
    folder: str,
    per_host: Mapping[str, int],
) -> TrialResult:
    """``run_trial`` on a Dask worker, its BLAS threads capped at its machine's share."""
    from distributed import get_worker

    host = get_worker().address.rsplit(":", 1)[0].split("://")[-1]
    sharing = per_host.get(host, 1)
    threads = max(1, default_workers() // max(1, sharing))
    return run_trial(trial, settings, folds, metric, folder, blas_threads=threads)
