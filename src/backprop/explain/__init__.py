"""Every number of a training step: traces, their renderers, and the neuron-level model."""

from backprop.explain.trace import (
    WORKED_EXAMPLE_WEIGHTS,
    Names,
    Row,
    Section,
    Step,
    Trace,
    explain,
    network_from_weights,
    read_weights,
    set_weights,
    tutorial_names,
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
