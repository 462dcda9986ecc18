"""Tutorial 000: XOR learnt by a 2-2-1 sigmoid network, 10,000 epochs at learning rate 0.2.

Trained twice from the same starting weights: by the neuron-level model (Neuron objects, plain
Python loops, as the tutorial writes it) and by the matrix engine (bp.Network), both online,
one sample at a time in the same order. They end with the same weights.

    python examples/xor.py [--epochs 10000] [--seed 1] [--out DIR]

Saves the loss per epoch as xor_loss.png.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import backprop as bp
from backprop.explain.neuron import NeuronNetwork
from backprop.run.plots import plot_history

X = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
Y = [[0.0], [1.0], [1.0], [0.0]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10_000)
    parser.add_argument("--lr", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=1, help="seed of the starting weights")
    parser.add_argument("--out", type=Path, default=Path("."), help="folder for the plot")
    args = parser.parse_args()

    net = bp.Network([2, 2, 1], activation="sigmoid", loss="half_squared_error", seed=args.seed)
    neurons = NeuronNetwork.from_network(net)  # the same starting weights, one object per neuron

    neuron_losses = neurons.train(X, Y, epochs=args.epochs, lr=args.lr)
    net.fit(X, Y, epochs=args.epochs, lr=args.lr, batch_size=1, shuffle=False)

    for epoch in range(0, args.epochs, max(args.epochs // 10, 1)):
        print(f"epoch {epoch + 1:>6}  loss {neuron_losses[epoch]:.6f}")
    print("\ninput    target  neurons  matrices")
    for x, y, out in zip(X, Y, net.predict(X), strict=True):
        print(f"{x}  {y[0]:.0f}       {neurons.predict(x)[0]:.4f}   {out[0]:.4f}")
    gaps = [
        np.abs(a - b).max()
        for a, b in zip(neurons.to_network().parameters, net.parameters, strict=True)
    ]
    print(f"\nlargest weight difference between the two models: {max(gaps):.1e}")

    args.out.mkdir(parents=True, exist_ok=True)
    path = plot_history({"loss": neuron_losses}, args.out / "xor_loss.png")
    print(f"saved {path}")


if __name__ == "__main__":
    main()
