"""backprop on a GPU beside PyTorch, measured in the same run (issue 12).

    python benchmarks/gpu.py                          # on a CUDA GPU: everything
    python benchmarks/gpu.py --device cpu --quick     # anywhere: checks that it all runs

For three fp32 networks trained on 60,000 x 784 random inputs with random labels 0..9
(ReLU hidden layers, softmax and cross-entropy, plain SGD at lr 0.01), it prints the seconds
per epoch (the mean of --epochs epochs after a first one: backprop's first, which records its
CUDA graphs, is printed on its own) of

- backprop (``bp.Network(..., backend="torch", device=...)``, data given as tensors on the
  device, the loss and accuracy read back once per epoch): on CUDA its steps are recorded
  once per fit as CUDA graphs and replayed a chunk at a time (``training/graphs.py``),
- backprop eager: the same with ``BACKPROP_CUDA_GRAPHS=0``, a launch per kernel,
- PyTorch eager (``nn.Sequential``, autograd, ``torch.optim.SGD``, the loss summed on the
  device and read back once per epoch),
- PyTorch with the whole step (forward, backward, update) captured once as a CUDA graph and
  replayed per batch (CUDA only; it trains the full batches only, 468 of 469 for batch 128),
- backprop on ``backend="cupy"`` when CuPy is installed (CUDA only; an error is reported in
  its column, not raised),

and the time the matrix products alone need at the card's fp32 GEMM rate, measured in the
same run: 6 flops per weight and sample (2 forward, 2 for the weight gradient, 2 for the
error sent back: the issue's convention). Then real MNIST ([784, 128, 10], Adam at 1e-3,
batch 128) trained on backprop, in one ``fit``, until the test accuracy reaches 97%: the seconds
of training, recording included, evaluation after each epoch not. The results go to a JSON
file (--out).

``--quick`` shrinks everything (4,096 rows, narrower networks, one timed epoch) so that a CPU
can check the script in seconds: its figures say nothing about a GPU.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))  # run from a checkout without installing

import backprop as bp  # noqa: E402
from backprop.data import load as load_dataset  # noqa: E402
from backprop.engine.backend import get_backend  # noqa: E402
from backprop.training.graphs import ENVIRONMENT as GRAPHS_SWITCH  # noqa: E402

#: (sizes, batch) of the issue's three networks, and their --quick stand-ins.
NETWORKS = [
    ([784, 128, 10], 128),
    ([784, 1024, 1024, 10], 1024),
    ([784, 4096, 4096, 4096, 10], 4096),
]
QUICK_NETWORKS = [
    ([784, 128, 10], 128),
    ([784, 256, 256, 10], 256),
    ([784, 512, 512, 512, 10], 512),
]
LR = 0.01
SEED = 0
SHARED_MNIST = HERE.parent.parent / "shared" / "data" / "mnist"


def synchronize(torch: Any, device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def gemm_tflops(torch: Any, device: str, n: int) -> float:
    """The fp32 matrix-product rate of the device: n x n times n x n, best of 5."""
    a = torch.randn(n, n, device=device)
    b = torch.randn(n, n, device=device)
    out = torch.empty(n, n, device=device)
    for _ in range(3):
        torch.matmul(a, b, out=out)
    best = float("inf")
    for _ in range(5):
        synchronize(torch, device)
        start = time.perf_counter()
        for _ in range(10):
            torch.matmul(a, b, out=out)
        synchronize(torch, device)
        best = min(best, (time.perf_counter() - start) / 10)
    return 2 * n**3 / best / 1e12


def matmul_seconds(sizes: list[int], n_samples: int, tflops: float) -> float:
    """Seconds an epoch's matrix products take at ``tflops``: 6 flops per weight and sample."""
    weights = sum(a * b for a, b in itertools.pairwise(sizes))
    return 6 * weights * n_samples / (tflops * 1e12)


def time_epochs(train: Any, wait: Callable[[], None], epochs: int) -> float:
    """Seconds per epoch of a PyTorch trainer: ``train(1)`` as a warm-up, then
    ``train(epochs)`` timed, divided by ``epochs``; ``wait`` waits for the device to finish
    what was queued."""
    train(1)
    wait()
    start = time.perf_counter()
    train(epochs)
    wait()
    return (time.perf_counter() - start) / epochs


class EpochClock(bp.Callback):
    """The time at the start of training and at the end of each epoch, the device waited for."""

    def __init__(self, wait: Callable[[], None]) -> None:
        self.wait, self.times = wait, []

    def on_train_begin(self) -> None:
        self.wait()
        self.times.append(time.perf_counter())

    def on_epoch_end(self, epoch: int, logs: Any) -> None:
        self.wait()
        self.times.append(time.perf_counter())


def backprop_epochs(
    sizes: list[int],
    batch: int,
    X: Any,
    y: Any,
    backend: str,
    device: str,
    wait: Callable[[], None],
    epochs: int,
    graphs: bool = True,
) -> tuple[float, float]:
    """Seconds per epoch of one ``fit`` of 1 + ``epochs`` epochs, after its first, and the
    first's own seconds (which include the recording of the CUDA graphs)."""
    net = bp.Network(
        sizes,
        activation="relu",
        loss="cross_entropy",
        init="he",
        seed=SEED,
        dtype="float32",
        backend=backend,
        device=device,
    )
    clock = EpochClock(wait)
    os.environ[GRAPHS_SWITCH] = "1" if graphs else "0"
    try:
        net.fit(X, y, epochs=1 + epochs, batch_size=batch, lr=LR, callbacks=[clock])
    finally:
        os.environ.pop(GRAPHS_SWITCH)
    first, *_, last = clock.times
    return (last - clock.times[1]) / epochs, clock.times[1] - first


def torch_model(torch: Any, sizes: list[int], device: str) -> Any:
    layers: list[Any] = []
    for i, (n_in, n_out) in enumerate(itertools.pairwise(sizes)):
        layers.append(torch.nn.Linear(n_in, n_out))
        if i < len(sizes) - 2:
            layers.append(torch.nn.ReLU())
    return torch.nn.Sequential(*layers).to(device)


def eager_trainer(torch: Any, sizes: list[int], batch: int, X: Any, y: Any, device: str) -> Any:
    torch.manual_seed(SEED)
    model = torch_model(torch, sizes, device)
    optimizer = torch.optim.SGD(model.parameters(), lr=LR)
    loss_fn = torch.nn.CrossEntropyLoss()
    n = X.shape[0]

    def train(epochs: int) -> None:
        for _ in range(epochs):
            order = torch.randperm(n, device=device)
            total = torch.zeros((), device=device)
            for start in range(0, n, batch):
                rows = order[start : start + batch]
                optimizer.zero_grad(set_to_none=True)
                loss = loss_fn(model(X[rows]), y[rows])
                loss.backward()
                optimizer.step()
                total += loss.detach() * len(rows)
            float(total)  # the epoch's one read-back

    return train


def graph_trainer(torch: Any, sizes: list[int], batch: int, X: Any, y: Any, device: str) -> Any:
    """PyTorch's step captured as one CUDA graph (the recipe of torch.cuda.graphs' docs)."""
    torch.manual_seed(SEED)
    model = torch_model(torch, sizes, device)
    optimizer = torch.optim.SGD(model.parameters(), lr=LR)
    loss_fn = torch.nn.CrossEntropyLoss()
    static_x = X[:batch].clone()
    static_y = y[:batch].clone()
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):
        for _ in range(3):  # warm-up on a side stream before capture, as the docs ask
            optimizer.zero_grad(set_to_none=True)
            loss_fn(model(static_x), static_y).backward()
            optimizer.step()
    torch.cuda.current_stream().wait_stream(side)
    graph = torch.cuda.CUDAGraph()
    optimizer.zero_grad(set_to_none=True)
    with torch.cuda.graph(graph):
        static_loss = loss_fn(model(static_x), static_y)
        static_loss.backward()
        optimizer.step()
    n = X.shape[0] - X.shape[0] % batch  # full batches only: the graph's shapes are fixed

    def train(epochs: int) -> None:
        for _ in range(epochs):
            order = torch.randperm(X.shape[0], device=device)
            total = torch.zeros((), device=device)
            for start in range(0, n, batch):
                rows = order[start : start + batch]
                static_x.copy_(X[rows])
                static_y.copy_(y[rows])
                graph.replay()
                total += static_loss.detach()
            float(total)

    return train


def cupy_seconds(sizes: list[int], batch: int, X: Any, y: Any, epochs: int) -> float | str:
    """backprop on ``backend="cupy"`` (the same data as CuPy arrays): seconds per epoch, or
    why it could not run (no CuPy, or an error, reported rather than ending the run)."""
    try:
        import cupy

        X, y = cupy.asarray(X.cpu().numpy()), cupy.asarray(y.cpu().numpy())
        wait = cupy.cuda.Device().synchronize
        return backprop_epochs(sizes, batch, X, y, "cupy", "cuda", wait, epochs)[0]
    except Exception as error:  # reported in the results, the other columns still measured
        return f"{type(error).__name__}: {error}"


def mnist_to_97(torch: Any, device: str, mnist_dir: str | None, quick: bool) -> dict[str, Any]:
    """Seconds of backprop training until MNIST's test accuracy reaches 97%: one ``fit`` of
    at most 30 epochs (one in --quick mode), stopped by a callback that evaluates after each
    epoch, whose own time is taken out."""
    try:
        data = load_dataset("mnist", data_dir=mnist_dir)
    except Exception as error:  # no files and no network: say so, measure the rest
        return {"skipped": f"MNIST not found: {error}"}
    X = torch.asarray(data.X, device=device)
    y = torch.asarray(data.y, device=device)
    X_test = torch.asarray(data.X_test, device=device)
    y_test = torch.asarray(data.y_test, device=device)
    net = bp.Network(
        [784, 128, 10],
        activation="relu",
        loss="cross_entropy",
        init="he",
        seed=SEED,
        dtype="float32",
        backend="torch",
        device=device,
    )

    class StopAt97(bp.Callback):
        evaluating = 0.0
        accuracy = 0.0

        def on_epoch_end(self, epoch: int, logs: Any) -> None:
            synchronize(torch, device)
            start = time.perf_counter()
            self.accuracy = net.evaluate(X_test, y_test)["accuracy"]
            self.network.stop_training = self.accuracy >= 0.97
            self.evaluating += time.perf_counter() - start

    stop = StopAt97()
    synchronize(torch, device)
    start = time.perf_counter()
    history = net.fit(
        X, y, epochs=1 if quick else 30, batch_size=128, optimizer="adam", lr=1e-3,
        callbacks=[stop],
    )  # fmt: skip
    synchronize(torch, device)
    seconds = time.perf_counter() - start - stop.evaluating
    return {
        "seconds": seconds,
        "epochs": len(history.epoch),
        "test_accuracy": stop.accuracy,
        "reached_97": stop.accuracy >= 0.97,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="cuda", help="cuda (default), cuda:N or cpu")
    parser.add_argument("--quick", action="store_true", help="tiny sizes: checks that it runs")
    parser.add_argument("--epochs", type=int, default=3, help="timed epochs (mean taken)")
    parser.add_argument("--mnist-dir", default=str(SHARED_MNIST) if SHARED_MNIST.is_dir() else None)
    parser.add_argument("--out", type=Path, default=HERE / "gpu_results.json")
    args = parser.parse_args(argv)

    import torch

    device = get_backend("torch", args.device).device  # one clear error if it is not there
    cuda = device.startswith("cuda")
    n_samples = 4096 if args.quick else 60_000
    epochs = 1 if args.quick else args.epochs
    generator = np.random.default_rng(SEED)
    X = torch.asarray(generator.random((n_samples, 784), dtype=np.float32), device=device)
    y = torch.asarray(generator.integers(0, 10, n_samples), device=device)
    tflops = gemm_tflops(torch, device, 1024 if args.quick else 8192)
    print(
        f"device {torch.cuda.get_device_name(device) if cuda else platform.processor() or 'cpu'}"
        f"  fp32 GEMM {tflops:.1f} TFLOP/s  {n_samples} x 784 random, {epochs} timed epochs"
        + ("  (--quick: not a GPU measurement)" if args.quick else "")
    )
    print(
        f"{'network':<30} {'batch':>6} {'backprop':>9} {'bp eager':>9} {'torch':>9}"
        f" {'graph':>9} {'matmul':>9} {'cupy':>9}   s/epoch (backprop on torch, with and"
        " without CUDA graphs; torch eager and with a CUDA graph; cupy: backprop on CuPy)"
    )
    rows = []
    for sizes, batch in QUICK_NETWORKS if args.quick else NETWORKS:
        wait = partial(synchronize, torch, device)
        with torch.no_grad():  # backprop's own gradients: autograd is not used
            ours, first = backprop_epochs(sizes, batch, X, y, "torch", device, wait, epochs)
            ours_eager = backprop_epochs(
                sizes, batch, X, y, "torch", device, wait, epochs, graphs=False
            )[0]
        eager = time_epochs(eager_trainer(torch, sizes, batch, X, y, device), wait, epochs)
        graph: float | None = None
        on_cupy: float | str = "needs CUDA"
        if cuda:
            graph = time_epochs(graph_trainer(torch, sizes, batch, X, y, device), wait, epochs)
            on_cupy = cupy_seconds(sizes, batch, X, y, epochs)
        matmul = matmul_seconds(sizes, n_samples, tflops)
        rows.append(
            {
                "sizes": sizes,
                "batch": batch,
                "backprop": ours,
                "backprop_first_epoch": first,
                "backprop_eager": ours_eager,
                "torch_eager": eager,
                "torch_cuda_graph": graph,
                "matmul_only": matmul,
                "backprop_cupy": on_cupy,
            }
        )
        shown = "-" if graph is None else f"{graph:.4f}"
        cupy_shown = f"{on_cupy:.4f}" if isinstance(on_cupy, float) else "-"
        print(
            f"{sizes!s:<30} {batch:>6} {ours:>9.4f} {ours_eager:>9.4f} {eager:>9.4f} {shown:>9}"
            f" {matmul:>9.4f}"
            f" {cupy_shown:>9}"
        )
        print(f"  backprop's first epoch, recording included: {first:.4f} s")
        if isinstance(on_cupy, str) and cuda:
            print(f"  cupy: {on_cupy}")
    mnist = mnist_to_97(torch, device, args.mnist_dir, args.quick)
    if "seconds" in mnist:
        print(
            f"MNIST [784, 128, 10] adam b128: {mnist['test_accuracy']:.4f} test accuracy after "
            f"{mnist['epochs']} epochs, {mnist['seconds']:.2f} s of training"
        )
    else:
        print(mnist["skipped"])
    result = {
        "when": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "device": torch.cuda.get_device_name(device) if cuda else "cpu",
        "quick": args.quick,
        "torch": torch.__version__,
        "numpy": np.__version__,
        "n_samples": n_samples,
        "timed_epochs": epochs,
        "gemm_tflops_fp32": tflops,
        "networks": rows,
        "mnist_to_97": mnist,
    }
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"written {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
