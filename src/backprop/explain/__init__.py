"""Every number of a training step: traces, their renderers, and the neuron-level model.

* :mod:`.trace` takes the steps and records every number (``explain``, ``Trace``, ``Step``);
* :mod:`.sections` lays a step out as tables, stage by stage (``Section``, ``Row``);
* :mod:`.names` names neurons, weights and biases as the tutorials do (i1, h1, o1, w1, b1);
* :mod:`.weights` builds the networks to explain: the worked example, weights files;
* :mod:`.render` shows a trace in the terminal, as Markdown or as one HTML page;
* :mod:`.neuron` is the neuron-level model: Neuron objects and plain Python loops.
"""

from backprop.explain.names import Names, tutorial_names
from backprop.explain.sections import Row, Section
from backprop.explain.step import Step
from backprop.explain.trace import Trace, explain
from backprop.explain.weights import (
    WORKED_EXAMPLE_WEIGHTS,
    network_from_weights,
    read_weights,
    set_weights,
    weights_from_numbering,
    worked_example,
)

__all__ = [
    "WORKED_EXAMPLE_WEIGHTS",
    "Names",
    "Row",
    "Section",
    "Step",
    "Trace",
    "explain",
    "network_from_weights",
    "read_weights",
    "set_weights",
    "tutorial_names",
    "weights_from_numbering",
    "worked_example",
]
