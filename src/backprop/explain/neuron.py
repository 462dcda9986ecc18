"""The neuron-level model of tutorial 000: Neuron objects and plain Python loops, no matrices.

Each :class:`Neuron` keeps its incoming ``weights`` and ``bias`` and, after a pass, its
``output``, ``error`` and ``delta``. A :class:`NeuronNetwork` trains them exactly as the
tutorial's steps read:

1. forward propagation: every neuron stores its output, layer by layer;
2. errors: an output neuron's error is dE/dout = output - target; a hidden neuron's is the sum
   of the deltas of the neurons it feeds, each times the weight that joins them;
3. deltas: error times the derivative of the activation at the neuron's output, computed from
   the output layer back to the first (each layer's errors need the next layer's deltas);
4. updates: every weight moves by -lr × delta × (the input it carries), every bias by -lr × delta.

(The tutorial writes error = target - output and adds lr × delta × input: the same step with
both signs flipped. Here the error is dE/dout, as in the matrix engine and in ``explain``.)

This is the readable twin of :class:`backprop.Network`: ``NeuronNetwork.from_network(net)`` and
``.to_network()`` carry the same weights both ways, and both train to the same weights.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from backprop.engine.activations import ACTIVATIONS, Activation
from backprop.engine.network import Network


def neuron_activation(activation: str | Activation) -> Activation:
    """The activation a neuron computes: any element-wise one, by name or as an object.

    The neuron asks it for its scalar forms: ``scalar(net)`` for the output and
    ``scalar_slope(out)`` for the derivative written with the output (as sigmoid's
    out × (1 - out) is), so that the backward pass needs only what the forward pass stored.
    Softmax mixes a whole layer, so no single neuron can compute it.
    """
    chosen = activation
    if isinstance(activation, str) and activation in ACTIVATIONS:
        chosen = ACTIVATIONS[activation]()
    if not (isinstance(chosen, Activation) and chosen.elementwise):
        supported = [name for name, kind in ACTIVATIONS.items() if kind.elementwise]
        raise ValueError(
            f"activation={activation!r} is not supported by Neuron: expected one of "
            f"{', '.join(supported)}"
        )
    return chosen


class Neuron:
    """One neuron: its incoming weights and bias, and what the last pass left in it."""

    def __init__(
        self,
        weights: Sequence[float],
        bias: float | None = 0.0,
        activation: str | Activation = "sigmoid",
    ) -> None:
        self.weights = [float(w) for w in weights]
        self.bias = None if bias is None else float(bias)  # None: a neuron without a bias
        self.activation = neuron_activation(activation)
        self.inputs: list[float] = []
        self.net = 0.0
        self.output = 0.0
        self.error = 0.0  # dE/dout
        self.delta = 0.0  # dE/dnet = error × dout/dnet

    def activate(self, inputs: Sequence[float]) -> float:
        """Forward: net = Σ w_i × x_i + b, output = f(net). Both are kept for the backward pass."""
        self.inputs = list(inputs)
        self.net = sum(w * x for w, x in zip(self.weights, self.inputs, strict=True))
        if self.bias is not None:
            self.net += self.bias
        self.output = self.activation.scalar(self.net)
        return self.output

    def slope(self) -> float:
        """dout/dnet, the derivative of the activation at this neuron's output."""
        return self.activation.scalar_slope(self.output)

    def update(self, lr: float) -> None:
        """Gradient descent: w_i <- w_i - lr × dE/dw_i, where dE/dw_i = delta × x_i; b likewise."""
        gradients = [self.delta * x for x in self.inputs]
        self.weights = [w - lr * g for w, g in zip(self.weights, gradients, strict=True)]
        if self.bias is not None:
            self.bias -= lr * self.delta

    def __repr__(self) -> str:
        weights = ", ".join(f"{w:.4g}" for w in self.weights)
        name = self.activation.name
        return f"Neuron(weights=[{weights}], bias={self.bias}, activation={name!r})"


class NeuronLayer:
    """A layer: neurons that all read the same inputs."""

    def __init__(self, neurons: Sequence[Neuron]) -> None:
        self.neurons = list(neurons)

    def forward(self, inputs: Sequence[float]) -> list[float]:
        """Every neuron's output for these inputs."""
        return [neuron.activate(inputs) for neuron in self.neurons]

    def __repr__(self) -> str:
        return f"NeuronLayer({len(self.neurons)} neurons)"


class NeuronNetwork:
    """Layers of neurons trained one sample at a time, with E = ½ Σ (target - output)²."""

    def __init__(self, layers: Sequence[NeuronLayer]) -> None:
        self.layers = list(layers)

    # -- the four steps of backpropagation --------------------------------------------------------

    def forward(self, inputs: Sequence[float]) -> list[float]:
        """Step 1: pass the inputs through, layer by layer; every neuron keeps its output."""
        outputs = list(inputs)
        for layer in self.layers:
            outputs = layer.forward(outputs)
        return outputs

    def backward(self, targets: Sequence[float]) -> None:
        """Steps 2 and 3: each neuron's error and delta, from the output layer back."""
        for index in range(len(self.layers) - 1, -1, -1):
            layer = self.layers[index]
            for j, neuron in enumerate(layer.neurons):
                if index == len(self.layers) - 1:
                    neuron.error = neuron.output - targets[j]
                else:
                    following = self.layers[index + 1].neurons
                    neuron.error = sum(n.weights[j] * n.delta for n in following)
                neuron.delta = neuron.error * neuron.slope()

    def update(self, lr: float) -> None:
        """Step 4: every neuron takes its gradient-descent step."""
        for layer in self.layers:
            for neuron in layer.neurons:
                neuron.update(lr)

    # -- training ---------------------------------------------------------------------------------

    def loss(self, targets: Sequence[float]) -> float:
        """E = ½ Σ (target - output)² for the outputs of the last forward pass."""
        outputs = [neuron.output for neuron in self.layers[-1].neurons]
        return 0.5 * sum((t - o) ** 2 for t, o in zip(targets, outputs, strict=True))

    def train_step(self, inputs: Sequence[float], targets: Sequence[float], lr: float) -> float:
        """Forward, errors and deltas, update: one step on one sample. Returns E before it."""
        self.forward(inputs)
        loss = self.loss(targets)
        self.backward(targets)
        self.update(lr)
        return loss

    def train(
        self,
        inputs: Sequence[Sequence[float]],
        targets: Sequence[Sequence[float]],
        epochs: int,
        lr: float,
    ) -> list[float]:
        """Online training, the samples in order every epoch; the mean E of each epoch."""
        losses = []
        for _ in range(epochs):
            total = sum(self.train_step(x, y, lr) for x, y in zip(inputs, targets, strict=True))
            losses.append(total / len(inputs))
        return losses

    def predict(self, inputs: Sequence[float]) -> list[float]:
        """The outputs for one sample."""
        return self.forward(inputs)

    # -- the same weights as the matrix engine ----------------------------------------------------

    @classmethod
    def from_network(cls, net: Network) -> NeuronNetwork:
        """The network's neurons, one object each: neuron j of a layer gets column j of its
        weight matrix (weights[i, j] joins input i to neuron j) and bias j."""
        if net.loss.name != "half_squared_error":
            raise ValueError(
                f"NeuronNetwork trains with half_squared_error, but the network's loss is "
                f"{net.loss.name!r}"
            )
        layers = []
        for layer in net.layers:
            neurons = [
                Neuron(
                    layer.weights[:, j].tolist(),
                    None if layer.bias is None else float(layer.bias[j]),
                    layer.activation,
                )
                for j in range(layer.n_out)
            ]
            layers.append(NeuronLayer(neurons))
        return cls(layers)

    def to_network(self) -> Network:
        """A matrix-engine Network (float64) with these neurons' weights and biases."""
        first = self.layers[0].neurons[0]
        sizes = [len(first.weights)] + [len(layer.neurons) for layer in self.layers]
        # The neurons' own activation objects, so that a leaky ReLU keeps its slope.
        activations = [layer.neurons[0].activation for layer in self.layers]
        net = Network(sizes, activation=activations, bias=first.bias is not None)
        for dense, layer in zip(net.layers, self.layers, strict=True):
            dense.weights = np.array([n.weights for n in layer.neurons]).T
            if dense.bias is not None:
                dense.bias = [n.bias for n in layer.neurons]
        return net

    def __repr__(self) -> str:
        first = self.layers[0].neurons[0]
        sizes = [len(first.weights)] + [len(layer.neurons) for layer in self.layers]
        return f"NeuronNetwork({sizes})"
