"""``python -m backprop``: the same as the ``backprop`` command."""

from backprop.cli import entry_point

# Guarded: the worker processes of a sweep's local Dask cluster import this module again.
if __name__ == "__main__":
    entry_point()
