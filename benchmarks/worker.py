"""Time one (workload, library) configuration in a process of its own; print the result as JSON.

run.py starts this script once per configuration, so no configuration inherits another's
memory, imported modules, BLAS thread pools or allocator caches. One process does, in order:

1. import the library under test (and nothing heavier than it needs);
2. load the data and convert it to the library's own format, once, outside every timer;
3. reset the peak-memory counter and note the resident memory (VmRSS): the baseline for the
   memory growth, so that what loading the data briefly held does not count as training's;
4. warm up: a short training run on a slice of the data, untimed, so that lazy imports,
   thread-pool start-up and first-call costs do not land in the first timed run;
5. train ``repeat`` times from the same seed (the same work each time), timing each run from
   building the model to the end of the last epoch;
6. note the peak resident memory (VmHWM) and only then, untimed, the trained model's accuracy.

Usage: ``python benchmarks/worker.py W1 torch [--repeat 3] [--quick] [--mnist-dir DIR]`` or
``python benchmarks/worker.py matmul [--n 2048] [--repeat 5]``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import resource
import statistics
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from workloads import WORKLOADS, Workload  # benchmarks/ is on sys.path: this script's folder

import backprop
import backprop.data

SEED = 0
WARMUP_ROWS = 1024


@dataclass
class Data:
    X: np.ndarray
    y: np.ndarray  # integer class labels
    X_test: np.ndarray | None = None
    y_test: np.ndarray | None = None


def load_data(workload: Workload, mnist_dir: str | None) -> Data:
    """The workload's arrays, in the workload's dtype; the same for every library."""
    dtype = np.dtype(workload.dtype)
    if workload.data == "random":
        rng = np.random.default_rng(SEED)
        n, n_features = workload.n_samples or 0, workload.sizes[0]
        X = rng.random((n, n_features), dtype=np.float32).astype(dtype, copy=False)
        return Data(X, rng.integers(0, workload.sizes[-1], n))
    name = {"digits": "digits", "xor": "xor", "mnist": "mnist"}[workload.data]
    dataset = backprop.data.load(name, data_dir=mnist_dir)
    X_test = None if dataset.X_test is None else dataset.X_test.astype(dtype, copy=False)
    return Data(dataset.X.astype(dtype, copy=False), dataset.y, X_test, dataset.y_test)


# -- the three libraries ------------------------------------------------------------------------
#
# Each trainer has the same three methods: ``prepare`` turns the shared arrays into what the
# library trains on (untimed), ``train`` builds a model from the seed and trains it (timed), and
# ``accuracy`` scores a trained model (untimed). ``train`` returns the model and the number of
# epochs it ran, which is the workload's epochs unless it trains to a target accuracy.


class BackpropTrainer:
    """backprop's public API: ``Network(...)`` and ``fit(...)``, as a user would call them."""

    def __init__(self) -> None:
        self.version = backprop.__version__
        # backprop imports SciPy (for the sigmoid) when its first sigmoid is made; import it
        # with the library, before the memory baseline, as scikit-learn's import does.
        import scipy.special  # noqa: F401

    def prepare(self, data: Data, workload: Workload) -> Data:
        return data  # fit takes NumPy arrays and 1-D class labels as they are

    def train(self, workload: Workload, data: Data, epochs: int) -> tuple[Any, int]:
        net = backprop.Network(
            list(workload.sizes),
            activation=workload.hidden,
            output=workload.output,
            loss="cross_entropy" if workload.output == "softmax" else "half_squared_error",
            seed=SEED,
            dtype=workload.dtype,
        )
        target = workload.target_accuracy
        history = net.fit(
            data.X,
            data.y,
            epochs=epochs,
            lr=workload.lr,
            batch_size=workload.batch_size,
            optimizer=workload.optimizer,
            shuffle=workload.shuffle,
            validation_data=None if target is None else (data.X_test, data.y_test),
            callbacks=[] if target is None else [StopAtAccuracy(target)],
        )
        return net, len(history.epoch)

    def accuracy(self, net: Any, X: np.ndarray, y: np.ndarray) -> float:
        return float(net.evaluate(X, y)["accuracy"])


class StopAtAccuracy(backprop.Callback):
    """Ends backprop's ``fit`` once the validation accuracy reaches ``target``."""

    def __init__(self, target: float) -> None:
        self.target = target

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> None:
        if logs["val_accuracy"] >= self.target:
            self.network.stop_training = True


class SklearnTrainer:
    """scikit-learn's MLPClassifier, configured to do exactly the workload's updates.

    Plain SGD (no momentum, no Nesterov, constant learning rate), no L2 penalty, no early
    stopping, and ``tol=0`` with ``n_iter_no_change=max_iter`` so it never stops before the last
    epoch. For a target accuracy it trains one epoch per ``partial_fit`` call, which keeps the
    optimizer's state (Adam's moments) from call to call.
    """

    def __init__(self) -> None:
        import sklearn
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.neural_network import MLPClassifier

        warnings.filterwarnings("ignore", category=ConvergenceWarning)
        self.MLPClassifier = MLPClassifier
        self.version = sklearn.__version__

    def prepare(self, data: Data, workload: Workload) -> Data:
        return data

    def make(self, workload: Workload, n_samples: int, epochs: int) -> Any:
        return self.MLPClassifier(
            hidden_layer_sizes=workload.sizes[1:-1],
            activation={"relu": "relu", "sigmoid": "logistic"}[workload.hidden],
            solver=workload.optimizer,
            learning_rate="constant",
            learning_rate_init=workload.lr,
            momentum=0.0,
            nesterovs_momentum=False,
            alpha=0.0,
            batch_size=n_samples if workload.batch_size is None else workload.batch_size,
            max_iter=epochs,
            shuffle=workload.shuffle,
            tol=0.0,
            n_iter_no_change=epochs,
            early_stopping=False,
            # A generator rather than an int: partial_fit re-reads random_state on every call,
            # and an int would give every epoch the same shuffle.
            random_state=np.random.RandomState(SEED),
        )

    def train(self, workload: Workload, data: Data, epochs: int) -> tuple[Any, int]:
        clf = self.make(workload, len(data.X), epochs)
        if workload.target_accuracy is None:
            clf.fit(data.X, data.y)
            return clf, clf.n_iter_
        classes, epochs_run = np.unique(data.y), 0
        while epochs_run < epochs:
            clf.partial_fit(data.X, data.y, classes=classes)
            epochs_run += 1
            if clf.score(data.X_test, data.y_test) >= workload.target_accuracy:
                break
        return clf, epochs_run

    def accuracy(self, clf: Any, X: np.ndarray, y: np.ndarray) -> float:
        return float(clf.score(X, y))


class TorchTrainer:
    """PyTorch on the CPU, written as a plain training loop: no DataLoader, no compilation.

    nn.Linear layers with the workload's activations; a softmax output is folded into
    nn.CrossEntropyLoss on the logits (how PyTorch users write it), a sigmoid output is trained
    on the half squared error 0.5 * sum (a - y)^2 averaged over the batch, as backprop does.
    Every epoch draws a new permutation, and each batch gathers its rows, as backprop does.
    """

    def __init__(self) -> None:
        import torch

        self.torch = torch
        self.version = torch.__version__

    def prepare(self, data: Data, workload: Workload) -> Data:
        torch = self.torch

        def labels(y: np.ndarray) -> Any:
            if workload.output == "softmax":
                return torch.from_numpy(np.ascontiguousarray(y, dtype=np.int64))
            return torch.from_numpy(np.asarray(y, dtype=workload.dtype).reshape(-1, 1))

        # from_numpy shares the arrays' memory: no copy of X.
        return Data(
            torch.from_numpy(data.X),
            labels(data.y),
            None if data.X_test is None else torch.from_numpy(data.X_test),
            None if data.y_test is None else labels(data.y_test),
        )

    def build(self, workload: Workload) -> Any:
        nn = self.torch.nn
        self.torch.manual_seed(SEED)
        hidden = {"relu": nn.ReLU, "sigmoid": nn.Sigmoid}[workload.hidden]
        layers: list[Any] = []
        pairs = list(zip(workload.sizes[:-1], workload.sizes[1:], strict=True))
        for i, (n_in, n_out) in enumerate(pairs):
            layers.append(nn.Linear(n_in, n_out))
            if i < len(pairs) - 1:
                layers.append(hidden())
        if workload.output == "sigmoid":
            layers.append(nn.Sigmoid())
        return nn.Sequential(*layers).to(getattr(self.torch, workload.dtype))

    def train(self, workload: Workload, data: Data, epochs: int) -> tuple[Any, int]:
        torch = self.torch
        model = self.build(workload)
        optimizer_class = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam}[workload.optimizer]
        optimizer = optimizer_class(model.parameters(), lr=workload.lr)
        if workload.output == "softmax":
            loss_fn = torch.nn.CrossEntropyLoss()
        else:

            def loss_fn(output: Any, target: Any) -> Any:
                return 0.5 * ((output - target) ** 2).sum() / len(target)

        X, y = data.X, data.y
        n = len(X)
        batch = n if workload.batch_size is None else workload.batch_size
        generator = torch.Generator().manual_seed(SEED)
        epochs_run = 0
        while epochs_run < epochs:
            epochs_run += 1
            order = torch.randperm(n, generator=generator) if workload.shuffle else None
            for start in range(0, n, batch):
                if order is None:
                    xb, yb = X[start : start + batch], y[start : start + batch]
                else:
                    rows = order[start : start + batch]
                    xb, yb = X[rows], y[rows]
                optimizer.zero_grad(set_to_none=True)
                loss = loss_fn(model(xb), yb)
                loss.backward()
                optimizer.step()
            target = workload.target_accuracy
            if target is not None and self.accuracy(model, data.X_test, data.y_test) >= target:
                break
        return model, epochs_run

    def accuracy(self, model: Any, X: Any, y: Any) -> float:
        with self.torch.no_grad():
            out = model(X)
            predicted = out.argmax(dim=1) if out.shape[1] > 1 else (out[:, 0] >= 0.5).long()
            return float((predicted == y.reshape(-1).long()).float().mean())

    def threads(self) -> dict[str, Any]:
        return {"torch_num_threads": self.torch.get_num_threads()}


TRAINERS = {"backprop": BackpropTrainer, "sklearn": SklearnTrainer, "torch": TorchTrainer}


# -- measuring ----------------------------------------------------------------------------------


def memory_mb(field: str) -> float:
    """VmRSS (resident now) or VmHWM (peak resident so far) of this process, in MB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    if field == "VmHWM":  # not Linux: ru_maxrss is the peak too (kB on Linux, bytes on macOS)
        scale = 1 / 2**20 if sys.platform == "darwin" else 1 / 1024
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale
    return float("nan")


def reset_peak_memory() -> bool:
    """Set VmHWM back to VmRSS (Linux 4.0+); False where that is not possible.

    Without the reset, the peak would include whatever loading the data held for a moment
    (MNIST's uint8 images while they become float32, for instance) and count it as training's.
    """
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def blas_threads() -> list[dict[str, Any]]:
    """Every thread pool loaded in this process (OpenBLAS, OpenMP, MKL) and its size."""
    from threadpoolctl import threadpool_info

    keys = ("internal_api", "num_threads", "version", "threading_layer", "architecture")
    return [
        {k: pool.get(k) for k in keys} | {"library": Path(pool["filepath"]).name}
        for pool in threadpool_info()
    ]


def time_configuration(
    key: str, library: str, repeat: int, quick: bool, mnist_dir: str | None
) -> dict[str, Any]:
    workload = WORKLOADS[key].quick() if quick else WORKLOADS[key]
    repeat = workload.repeat or repeat
    trainer = TRAINERS[library]()  # imports the library before the memory baseline
    data = trainer.prepare(load_data(workload, mnist_dir), workload)
    peak_was_reset = reset_peak_memory()
    rss_loaded = memory_mb("VmRSS")

    # The warm-up trains on a slice of the data, without a target, for a sliver of the epochs.
    warm = Data(data.X[:WARMUP_ROWS], data.y[:WARMUP_ROWS], data.X_test, data.y_test)
    warm_workload = dataclasses.replace(workload, target_accuracy=None)
    start = time.perf_counter()
    trainer.train(warm_workload, warm, max(1, workload.epochs // 100))
    warmup_s = time.perf_counter() - start
    # Again after the warm-up, to also see the growth without one-time costs (PyTorch's first
    # backward pass alone takes some 80 MB, whatever the network).
    warmup_peak = memory_mb("VmHWM")
    reset_peak_memory()
    rss_warm = memory_mb("VmRSS")

    times, epochs_run, model = [], workload.epochs, None
    for _ in range(repeat):
        model = None  # free the previous run's model before building the next
        start = time.perf_counter()
        model, epochs_run = trainer.train(workload, data, workload.epochs)
        times.append(time.perf_counter() - start)
    peak = memory_mb("VmHWM")

    n = len(data.X)
    if workload.target_accuracy is not None:
        accuracy_on, accuracy = "test", trainer.accuracy(model, data.X_test, data.y_test)
    else:
        accuracy_on, accuracy = "train", trainer.accuracy(model, data.X, data.y)
    median = statistics.median(times)
    updates = workload.updates_per_epoch(n) * epochs_run
    samples = n * epochs_run
    threads = blas_threads()
    extra = trainer.threads() if hasattr(trainer, "threads") else {}
    return {
        "workload": key,
        "library": library,
        "version": trainer.version,
        "dtype": workload.dtype,
        "optimizer": workload.optimizer,
        "n_samples": n,
        "batch_size": workload.batch_size,
        "epochs": epochs_run,
        "epochs_max": workload.epochs,
        "updates": updates,
        "repeat": repeat,
        "times_s": times,
        "median_s": median,
        "per_epoch_s": median / epochs_run,
        "per_update_us": median / updates * 1e6,
        "gflops": workload.flops_per_sample * samples / median / 1e9,
        "gflops_needed": workload.flops_per_sample_needed * samples / median / 1e9,
        "warmup_s": warmup_s,
        "rss_loaded_mb": rss_loaded,
        "peak_rss_mb": max(peak, warmup_peak),
        "memory_growth_mb": max(peak, warmup_peak) - rss_loaded,
        "rss_after_warmup_mb": rss_warm,
        "memory_growth_after_warmup_mb": peak - rss_warm if peak_was_reset else None,
        "peak_was_reset": peak_was_reset,
        "accuracy": accuracy,
        "accuracy_on": accuracy_on,
        "target_accuracy": workload.target_accuracy,
        "reached_target": None
        if workload.target_accuracy is None
        else accuracy >= workload.target_accuracy,
        "threads": threads,
        **extra,
    }


def time_matmul(n: int, repeat: int) -> dict[str, Any]:
    """The float32 matrix-product rate NumPy's BLAS reaches here: the ceiling for W2b."""
    rng = np.random.default_rng(SEED)
    a, b = (rng.random((n, n), dtype=np.float32) for _ in range(2))
    out = np.empty((n, n), np.float32)
    np.matmul(a, b, out=out)  # warm-up
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        np.matmul(a, b, out=out)
        times.append(time.perf_counter() - start)
    rates = [2 * n**3 / t / 1e9 for t in times]
    return {
        "n": n,
        "dtype": "float32",
        "repeat": repeat,
        "times_s": times,
        "gflops": statistics.median(rates),
        "gflops_all": rates,
        "threads": blas_threads(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workload", choices=[*WORKLOADS, "matmul"])
    parser.add_argument("library", nargs="?", choices=list(TRAINERS))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--mnist-dir", default=None)
    parser.add_argument("--n", type=int, default=2048, help="matrix size for matmul")
    args = parser.parse_args()
    if args.workload == "matmul":
        result = time_matmul(args.n, args.repeat)
    else:
        if args.library is None:
            parser.error("a workload needs a library: backprop, sklearn or torch")
        result = time_configuration(
            args.workload, args.library, args.repeat, args.quick, args.mnist_dir
        )
    result["pid"] = os.getpid()
    print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
