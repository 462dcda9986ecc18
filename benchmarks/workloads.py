"""The benchmark workloads: what is trained, on what data, for how long.

Every library trains the same network shape, on the same arrays, in the same dtype, with the
same batch size, number of epochs and learning rate, so each performs the same number of
weight updates. Only the library differs. ``quick()`` shrinks a workload so that a smoke test
of the whole harness takes seconds; quick numbers say nothing about speed.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

LIBRARIES = ("backprop", "sklearn", "torch")


@dataclass(frozen=True)
class Workload:
    key: str
    title: str
    data: str  # "digits", "random", "xor" or "mnist"
    sizes: tuple[int, ...]
    hidden: str  # the hidden layers' activation: "relu" or "sigmoid"
    output: str  # "softmax" (cross-entropy) or "sigmoid" (half squared error)
    batch_size: int | None  # None: the full batch, one update per epoch
    epochs: int  # the number of epochs; for a target accuracy, the most epochs allowed
    lr: float
    optimizer: str = "sgd"  # "sgd" or "adam"
    dtype: str = "float64"
    n_samples: int | None = None  # rows of random data (W2 only)
    shuffle: bool = True
    target_accuracy: float | None = None  # train until the test accuracy reaches this (W4)
    repeat: int | None = None  # timed runs; None: the --repeat option
    note: str = ""

    @property
    def parameters(self) -> int:
        """Weights plus biases."""
        return sum(a * b + b for a, b in zip(self.sizes[:-1], self.sizes[1:], strict=False))

    @property
    def flops_per_sample(self) -> int:
        """Floating-point operations one sample costs in a training step, by the 6N convention.

        2 per weight forward, 2 for the weight's gradient and 2 for the gradient sent back to
        the layer below; this is the count the GFLOP/s column uses.
        """
        return 6 * self.parameters

    @property
    def flops_per_sample_needed(self) -> int:
        """The same without the first layer's input gradient, which no library computes."""
        return self.flops_per_sample - 2 * self.sizes[0] * self.sizes[1]

    def updates_per_epoch(self, n_samples: int) -> int:
        return 1 if self.batch_size is None else math.ceil(n_samples / self.batch_size)

    def quick(self) -> Workload:
        """A tiny version of this workload that only checks that everything runs."""
        changes: dict[str, object] = {"epochs": QUICK_EPOCHS[self.key], "repeat": 1}
        if self.n_samples is not None:
            changes["n_samples"] = 6_000
        return dataclasses.replace(self, **changes)


QUICK_EPOCHS = {"W1": 2, "W2a": 1, "W2b": 1, "W3": 200, "W4": 1}

WORKLOADS: dict[str, Workload] = {
    w.key: w
    for w in (
        Workload(
            key="W1",
            title="digits [64, 32, 16, 10], relu + softmax, batch 32, 100 epochs",
            data="digits",
            sizes=(64, 32, 16, 10),
            hidden="relu",
            output="softmax",
            batch_size=32,
            epochs=100,
            lr=0.1,
            note="scikit-learn's 8x8 digits, 1797 x 64, pixels / 16; small batches: "
            "per-update overhead dominates",
        ),
        Workload(
            key="W2a",
            title="random 60000 x 784 [784, 128, 10], batch 128, 3 epochs",
            data="random",
            sizes=(784, 128, 10),
            hidden="relu",
            output="softmax",
            batch_size=128,
            epochs=3,
            lr=0.01,
            dtype="float32",
            n_samples=60_000,
            note="uniform [0, 1) float32 inputs and random labels 0..9, seed 0: "
            "MNIST-shaped, matrix products of moderate size",
        ),
        Workload(
            key="W2b",
            title="random 60000 x 784 [784, 512, 512, 10], batch 128, 3 epochs",
            data="random",
            sizes=(784, 512, 512, 10),
            hidden="relu",
            output="softmax",
            batch_size=128,
            epochs=3,
            lr=0.01,
            dtype="float32",
            n_samples=60_000,
            note="the same data, a wider network: the time should be almost all matrix "
            "products, so it is compared with the machine's matmul peak",
        ),
        Workload(
            key="W3",
            title="XOR [2, 2, 1], sigmoid, full batch, 10000 epochs",
            data="xor",
            sizes=(2, 2, 1),
            hidden="sigmoid",
            output="sigmoid",
            batch_size=None,
            epochs=10_000,
            lr=2.0,  # all three libraries solve XOR from seed 0 with it (0.5 leaves some stuck)
            shuffle=False,
            note="4 samples, one update per epoch: pure per-update overhead. scikit-learn "
            "has no squared-error classifier, so it trains a sigmoid output on log-loss",
        ),
        Workload(
            key="W4",
            title="MNIST [784, 128, 10], relu + softmax, adam, batch 128, to 97% test accuracy",
            data="mnist",
            sizes=(784, 128, 10),
            hidden="relu",
            output="softmax",
            batch_size=128,
            epochs=30,
            lr=1e-3,
            optimizer="adam",
            dtype="float32",
            target_accuracy=0.97,
            repeat=1,
            note="real MNIST, 60000 train / 10000 test; the test accuracy is checked after "
            "every epoch (timed: each library pays for its own evaluation)",
        ),
    )
}
