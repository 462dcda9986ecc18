"""Tutorial 004: a network with two hidden layers of 6 and 4 sigmoid neurons, one sample.

A 3-6-4-1 network learns to map one sample to its target, one step per epoch; the prediction
and the error are recorded every epoch and plotted, as the tutorial plots them.

    python examples/two_hidden_layers.py [--epochs 1000] [--lr 0.1] [--out DIR]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import backprop as bp
from backprop.run.plots import plot_single_sample

X, TARGET = [0.1, 0.4, 4.1], [0.2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=1000)
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("."), help="folder for the plot")
    args = parser.parse_args()

    net = bp.Network([len(X), 6, 4, 1], activation="sigmoid", seed=args.seed)
    predictions, errors = [], []
    for epoch in range(args.epochs):
        predictions.append(float(net.predict([X])[0, 0]))
        errors.append(net.train_step([X], [TARGET], args.lr))  # the error before the step
        if epoch % max(args.epochs // 10, 1) == 0:
            print(f"epoch {epoch + 1:>5}  prediction {predictions[-1]:.6f}  error {errors[-1]:.8f}")
    print(f"target {TARGET[0]}, final prediction {net.predict([X])[0, 0]:.6f}")

    args.out.mkdir(parents=True, exist_ok=True)
    path = plot_single_sample(predictions, errors, args.out / "two_hidden_layers.png")
    print(f"saved {path}")


if __name__ == "__main__":
    main()
