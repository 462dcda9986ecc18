"""``python -m backprop``: the same as the ``backprop`` command."""

from backprop.cli import entry_point

entry_point()
