"""One training step, every number read off the engine: the forward pass, the loss, each
neuron's delta and the two factors it is the product of, the gradients and the update.

The numbers are the engine's. The forward pass is ``net.forward``, the loss ``net.batch_loss``,
the gradients ``net.backward`` and the update ``net.train_step``. The delta of every neuron is
read off the engine's backward pass too. Only the two factors the engine multiplies in one go,
dE/dout and dout/dnet, are computed here for display, from the loss and the activation's own
derivative; the tests check that their product is the engine's delta.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from backprop.engine.activations import Activation, Identity
from backprop.engine.losses import Loss
from backprop.engine.network import Network


@dataclass
class Step:
    """Every number of one training step on one sample; arrays are per layer, 1-D per neuron."""

    number: int
    net_inputs: list[np.ndarray]  # net of each layer's neurons
    outputs: list[np.ndarray]  # [x, out of layer 0, ..., out of the output layer]
    loss: float
    #: dE/dout per layer; None for the output layer when the loss fuses it into the delta.
    errors: list[np.ndarray | None]
    #: dout/dnet per layer; None where there is no element-wise derivative (softmax, fused).
    derivatives: list[np.ndarray | None]
    deltas: list[np.ndarray]  # dE/dnet per layer, the engine's
    weight_gradients: list[np.ndarray]
    bias_gradients: list[np.ndarray | None]
    weights_before: list[np.ndarray]
    biases_before: list[np.ndarray | None]
    weights_after: list[np.ndarray]
    biases_after: list[np.ndarray | None]
    outputs_after: list[np.ndarray]  # the forward pass again, with the new weights
    loss_after: float


def delta_rule(loss: Loss, output: Activation) -> str:
    """How the output layer's delta is formed: "chain", "fused" or "jacobian".

    * chain: dE/dout × dout/dnet, the tutorials' product;
    * fused: a cross-entropy gives dE/dnet outright (``loss.fused_delta``), because the
      derivative of its output activation cancels its own;
    * jacobian: an output that mixes its layer (softmax) has no dout/dnet of its own, so the
      deltas are dE/dout times its Jacobian.
    """
    if loss.fused_delta is not None:
        return "fused"
    return "chain" if output.elementwise else "jacobian"


def take_step(net: Network, X: np.ndarray, Y: np.ndarray, lr: float, number: int) -> Step:
    """One step on ``net`` (which it updates), every number read off the engine."""
    net_inputs, outputs = net.forward(X)
    loss = net.batch_loss(Y, net_inputs, outputs)
    grads = net.backward(Y, net_inputs, outputs)
    deltas = _engine_deltas(net, X, Y)
    errors, derivatives = _delta_factors(net, Y, net_inputs, outputs, deltas)
    weights_before = [layer.weights.copy() for layer in net.layers]
    biases_before = [None if layer.bias is None else layer.bias.copy() for layer in net.layers]

    net.train_step(X, Y, lr)  # the update, through the engine

    new_net_inputs, new_outputs = net.forward(X)
    return Step(
        number=number,
        net_inputs=[z[0] for z in net_inputs],
        outputs=[a[0] for a in outputs],
        loss=loss,
        errors=errors,
        derivatives=derivatives,
        deltas=deltas,
        weight_gradients=[g[0] for g in grads],
        bias_gradients=[g[1] if len(g) > 1 else None for g in grads],
        weights_before=weights_before,
        biases_before=biases_before,
        weights_after=[layer.weights.copy() for layer in net.layers],
        biases_after=[None if layer.bias is None else layer.bias.copy() for layer in net.layers],
        outputs_after=[a[0] for a in new_outputs],
        loss_after=net.batch_loss(Y, new_net_inputs, new_outputs),
    )


def _engine_deltas(net: Network, X: np.ndarray, Y: np.ndarray) -> list[np.ndarray]:
    """Every neuron's delta dE/dnet for the one sample, read off the engine's backward pass."""
    deltas: list[np.ndarray] = []
    net.backward(Y, *net.forward(X), deltas=deltas)
    return [delta[0] for delta in deltas]


def _delta_factors(
    net: Network,
    Y: np.ndarray,
    net_inputs: list[np.ndarray],
    outputs: list[np.ndarray],
    deltas: list[np.ndarray],
) -> tuple[list[np.ndarray | None], list[np.ndarray | None]]:
    """dE/dout and dout/dnet of every layer, the two factors the engine multiplies into delta.

    At the output layer dE/dout is the loss's delta through an identity activation (whose
    backward passes the error through unchanged); at a hidden layer it is the next layer's
    deltas sent back through the weights. dout/dnet is the activation's derivative.
    """
    errors: list[np.ndarray | None] = []
    derivatives: list[np.ndarray | None] = []
    last = len(net.layers) - 1
    for index, layer in enumerate(net.layers):
        a = outputs[index + 1]
        if index == last:
            fused = delta_rule(net.loss, layer.activation) == "fused"
            error = None if fused else net.loss.delta(Y, a, net_inputs[index], Identity())[0]
        else:
            error = deltas[index + 1] @ net.layers[index + 1].weights.T
        elementwise = layer.activation.elementwise and error is not None
        errors.append(error)
        derivatives.append(layer.activation.derivative(a)[0] if elementwise else None)
    return errors, derivatives
