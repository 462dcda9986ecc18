"""One training step with every number shown: what the engine computes, named as the tutorials do.

>>> trace = bp.explain(net, x=[2, 3], y=[1], lr=0.05)   # a Trace of one step on one sample
>>> print(render.to_text(trace))                          # or to_markdown, to_html

:func:`explain` takes the steps on a copy of the network and records each one as a
:class:`~backprop.explain.step.Step`, every number read off the engine. The :class:`Trace`
holds them with what was explained (the network, the sample, the learning rate and the
tutorials' names of every neuron, weight and bias, see :mod:`backprop.explain.names`), and
lays each step out as five tables (:mod:`backprop.explain.sections`), which
:mod:`backprop.explain.render` draws.

Each name is shown beside its place in the matrices: weight ``(layer, i, j)`` is
``net.layers[layer].weights[i, j]``, bias ``(layer, j)`` is ``net.layers[layer].bias[j]`` and
neuron ``(layer, j)`` is column j of that layer's net input and output.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from backprop.engine.backend import host
from backprop.engine.losses import Loss
from backprop.engine.network import Network
from backprop.engine.validation import check_positive_float, check_positive_int
from backprop.explain.names import Names, tutorial_names
from backprop.explain.sections import (
    Section,
    delta_section,
    error_section,
    forward_section,
    gradient_section,
    update_section,
)
from backprop.explain.step import Step, delta_rule, take_step


@dataclass
class Trace:
    """Training steps on one sample, every number recorded; see :func:`explain`."""

    sizes: list[int]
    activations: list[str]  # one per layer
    loss_name: str
    lr: float
    x: np.ndarray
    y: np.ndarray
    names: Names
    steps: list[Step]
    #: The network after the steps (a copy: the network given to explain is left as it was).
    network: Network = field(repr=False)

    @property
    def loss(self) -> Loss:
        """The network's loss: it writes its own formulas."""
        return self.network.loss

    @property
    def delta_rule(self) -> str:
        """How the output delta is formed: "chain", "fused" or "jacobian" (see ``step.py``)."""
        return delta_rule(self.loss, self.network.layers[-1].activation)

    @property
    def has_bias(self) -> bool:
        return self.names.biases[0] is not None

    def sections(self, step: Step) -> list[Section]:
        """The step as five tables: forward, error, backward (deltas, gradients), update."""
        # The activation objects and the loss write their own formulas.
        activations = [layer.activation for layer in self.network.layers]
        return [
            forward_section(step, self.names, activations),
            error_section(step, self.names, self.loss, self.y),
            delta_section(step, self.names, activations, self.loss, self.y),
            gradient_section(step, self.names),
            update_section(step, self.names, self.lr),
        ]

    def _repr_html_(self) -> str:
        """Jupyter shows a trace as its HTML page, in a frame so that its styles stay in it."""
        import html

        from backprop.explain.render import to_html

        page = html.escape(to_html(self), quote=True)
        return (
            f'<iframe srcdoc="{page}" title="Backpropagation, step by step" '
            'style="width: 100%; height: 640px; border: 1px solid #d1d5db;"></iframe>'
        )

    def describe(self) -> str:
        """One line naming the network, the loss and the learning rate."""
        acts = self.activations
        shown = acts[0] if len(set(acts)) == 1 else "/".join(acts)
        bias = "with biases" if self.has_bias else "no biases"
        sizes = "-".join(map(str, self.sizes))
        return (
            f"network {sizes} ({shown}, {bias}), loss {self.loss_name}, learning rate {self.lr:g}"
        )


# -- explain -------------------------------------------------------------------------------------


def explain(net: Network, x: Any, y: Any, lr: float, steps: int = 1) -> Trace:
    """Take ``steps`` gradient-descent steps on the one sample (x, y) and record every number.

    ``x`` holds one value per input; ``y`` one target per output (or, for several outputs, a
    class label). ``net`` is left unchanged: the steps are taken on a copy, ``trace.network``.

    The explanation computes in NumPy whatever the network's backend: a network on another
    (``backend="torch"``, say) is explained from a NumPy copy of its parameters, and x and y
    may be arrays of any library.
    """
    if not isinstance(net, Network):
        raise TypeError(f"net must be a backprop Network, got {type(net).__name__} {net!r:.40}")
    lr = check_positive_float("lr", lr)
    steps = check_positive_int("steps", steps)
    if not net.backend.is_numpy:
        net = net.copy().to("numpy")
    x, y = host(x), host(y)
    X, Y = _one_sample(net, x, y)
    work = net.copy()
    trace = Trace(
        sizes=list(net.sizes),
        activations=[layer.activation.name for layer in net.layers],
        loss_name=net.loss.name,
        lr=lr,
        x=X[0].astype(np.float64),
        y=Y[0].astype(np.float64),
        names=tutorial_names(net.sizes, net.layers[0].bias is not None),
        steps=[],
        network=work,
    )
    for number in range(1, steps + 1):
        trace.steps.append(take_step(work, X, Y, lr, number))
    return trace


def _one_sample(net: Network, x: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    """x and y as one-row arrays the engine accepts, or a ValueError saying what was expected."""
    n_in, n_out = net.sizes[0], net.sizes[-1]
    for name, value in (("x", x), ("y", y)):
        if value is None:
            raise TypeError(f"{name} is None: give one sample's inputs (x) and target (y)")
    x_flat = np.asarray(x, dtype=object).ravel()
    if x_flat.size != n_in:
        raise ValueError(
            f"x has {x_flat.size} value(s) but the network has {n_in} input(s) "
            f"(sizes[0]={n_in}): give one value per input"
        )
    y_flat = np.asarray(y, dtype=object).ravel()
    if y_flat.size == 1 and n_out > 1:
        Y: Any = y_flat  # a class label, one-hot encoded by the engine
    elif y_flat.size == n_out:
        Y = y_flat.reshape(1, n_out)
    else:
        raise ValueError(
            f"y has {y_flat.size} value(s) but the network has {n_out} output(s) "
            f"(sizes[-1]={n_out}): give one target per output"
            + (", or one class label" if n_out > 1 else "")
        )
    return net.check_data(x_flat.reshape(1, n_in).tolist(), np.asarray(Y).tolist())


__all__ = ["Trace", "explain"]
