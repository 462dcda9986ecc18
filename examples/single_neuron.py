"""Tutorial 003: one sigmoid neuron with two inputs and a bias, trained on one sample.

The neuron computes net = w1 x1 + w2 x2 + b and y = sigmoid(net); the error is the half squared
error E = ½ (t - y)². The chain rule gives each gradient as three factors,

    dE/dw1 = dE/dy × dy/dnet × dnet/dw1 = (y - t) × y (1 - y) × x1,

and likewise for w2 (× x2) and b (× 1). The script prints them with numbers for the first
step, trains, and plots the loss and the prediction per epoch.

    python examples/single_neuron.py [--epochs 500] [--lr 0.5] [--out DIR]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import backprop as bp
from backprop.explain import explain, render
from backprop.run.plots import plot_single_sample

X, TARGET = [0.1, 0.4], [0.7]
W1, W2, B = 0.5, 0.2, 1.83


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=500)
    parser.add_argument("--lr", type=float, default=0.5)
    parser.add_argument("--out", type=Path, default=Path("."), help="folder for the plot")
    args = parser.parse_args()

    net = bp.Network([2, 1], activation="sigmoid", loss="half_squared_error")
    net.layers[0].weights = [[W1], [W2]]
    net.layers[0].bias = [B]

    # The first step, every number: the gradient rows are the chain rule with values.
    trace = explain(net, X, TARGET, args.lr)
    step = trace.steps[0]
    print(f"x1 = {X[0]}, x2 = {X[1]}, target t = {TARGET[0]}; w1 = {W1}, w2 = {W2}, b = {B}")
    print(f"prediction y = {step.outputs[-1][0]:.4f}, error E = {step.loss:.4f}")
    gradients = next(s for s in trace.sections(step) if s.title == "Backward pass: gradients")
    for row in gradients.rows:
        numbers = row.numbers(render.format_number)
        print(f"{row.symbol} = {row.formula} = {numbers} = {render.format_number(row.value)}")

    predictions, errors = [], []
    for _ in range(args.epochs):
        predictions.append(float(net.predict([X])[0, 0]))
        errors.append(net.train_step([X], [TARGET], args.lr))  # the loss before the step
    print(
        f"after {args.epochs} epochs: prediction {net.predict([X])[0, 0]:.4f}, "
        f"error {errors[-1]:.6f}"
    )

    args.out.mkdir(parents=True, exist_ok=True)
    path = plot_single_sample(predictions, errors, args.out / "single_neuron.png")
    print(f"saved {path}")


if __name__ == "__main__":
    main()
