"""Tutorial 001, the worked example: one step of backpropagation on a linear 2-2-1 network.

Weights w1..w6 = 0.11, 0.21, 0.12, 0.08, 0.14, 0.15, no biases, identity activations, the
sample i1, i2 = 2, 3 with target 1, half squared error, learning rate 0.05. The prediction
0.191 (error 0.327) becomes 0.2557 after one step, "a little bit closer" to 1.

    python examples/worked_example.py [--steps 1] [--out DIR]

Prints every number of the step and saves the same as a self-contained HTML page to hand out.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from backprop.explain import explain, render, worked_example


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1, help="gradient-descent steps to show")
    parser.add_argument("--out", type=Path, default=Path("."), help="folder for the HTML page")
    args = parser.parse_args()

    net, x, y, lr = worked_example()
    trace = explain(net, x, y, lr, steps=args.steps)
    render.print_trace(trace)

    first, last = trace.steps[0], trace.steps[-1]
    print(f"prediction {first.outputs[-1][0]:.3f}, error {first.loss:.3f}")
    print(f"after {len(trace.steps)} step(s): prediction {last.outputs_after[-1][0]:.4f}")

    args.out.mkdir(parents=True, exist_ok=True)
    page = args.out / "worked_example.html"
    page.write_text(render.to_html(trace), encoding="utf-8")
    print(f"saved {page}")


if __name__ == "__main__":
    main()
