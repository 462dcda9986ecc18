"""The output layer and loss a network gets when they are not given: one rule for everyone.

``bp.Network``, ``backprop train`` and both scikit-learn estimators ask these functions, so a
network built any of those ways from the same settings gets the same output and loss.

- Regression answers with real values: an identity output.
- Classification answers with probabilities: one sigmoid neuron for a yes/no question (two
  classes), a softmax over one neuron per class otherwise.
- A loss that needs a particular output (the two cross-entropies) implies that output.
- The loss of a softmax output is the cross-entropy; of a sigmoid output that predicts classes,
  the binary cross-entropy (the pairs whose delta is simply a - y). Everything else, and every
  output whose task is not known, gets the tutorials' half squared error: ``Network([2, 2, 1])``
  is the tutorials' sigmoid network with their error.
"""

from __future__ import annotations

from backprop.engine.losses import Loss, get_loss

TASKS = ("classification", "regression")


def default_output(task: str, n_outputs: int, loss: str | None = None) -> str:
    """The output activation for a ``task`` with ``n_outputs`` output neurons, trained on
    ``loss`` (when it is known)."""
    required = output_for_loss(loss)
    if required is not None:
        return required
    if task == "regression":
        return "identity"
    return "sigmoid" if n_outputs == 1 else "softmax"


def output_for_loss(loss: str | Loss | None) -> str | None:
    """The output activation ``loss`` needs (softmax for cross_entropy, sigmoid for
    binary_cross_entropy), or None when any output will do or the loss is not known."""
    return None if loss is None else get_loss(loss).requires_output


def default_loss(output: str, task: str | None = None) -> str:
    """The loss for an ``output`` activation; ``task`` is None when the caller does not know it."""
    if output == "softmax":
        return "cross_entropy"
    if output == "sigmoid" and task == "classification":
        return "binary_cross_entropy"
    return "half_squared_error"


def n_outputs(n_classes: int, output: str | None = None) -> int:
    """Output neurons for ``n_classes`` classes: one sigmoid neuron answers a yes/no question;
    a softmax needs one neuron per class."""
    return 1 if n_classes == 2 and output != "softmax" else n_classes
