"""Old module paths, kept importable for one release after the package moved into layers.

``import backprop.network`` still works and gives the module that now lives at
``backprop.engine.network`` (the same module object, so a monkeypatch on either name is seen
by both), with a DeprecationWarning that names the new path. The table is the one home of
what moved where; it goes away in the next release.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import sys
import warnings
from types import ModuleType
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from importlib.abc import Loader

MOVED = {
    "backprop._arrays": "backprop.engine.arrays",
    "backprop._validation": "backprop.engine.validation",
    "backprop.activations": "backprop.engine.activations",
    "backprop.losses": "backprop.engine.losses",
    "backprop.initializers": "backprop.engine.initializers",
    "backprop.layers": "backprop.engine.layers",
    "backprop.network": "backprop.engine.network",
    "backprop.metrics": "backprop.engine.metrics",
    "backprop.gradcheck": "backprop.engine.gradcheck",
    "backprop.optimizers": "backprop.training.optimizers",
    "backprop.progress": "backprop.training.progress",
    "backprop.io": "backprop.saving.model_file",
    "backprop.datasets": "backprop.data",
    "backprop.preprocessing": "backprop.data.preprocessing",
    "backprop.render": "backprop.explain.render",
    "backprop.neuron": "backprop.explain.neuron",
    "backprop.experiment": "backprop.run",
    "backprop.reports": "backprop.run.reports",
    "backprop.plots": "backprop.run.plots",
}


class _Alias:
    """Finds an old name and loads it as the module at its new path (a finder and loader of
    the import system; not derived from ``importlib.abc``, whose import costs every start of
    the command line 30 ms)."""

    def find_spec(
        self, name: str, path: object = None, target: object = None
    ) -> importlib.machinery.ModuleSpec | None:
        if name not in MOVED:
            return None
        return importlib.machinery.ModuleSpec(name, cast("Loader", self))

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        new = MOVED[spec.name]
        warnings.warn(
            f"{spec.name} moved to {new}; the old name goes away in the next release",
            DeprecationWarning,
            stacklevel=2,
        )
        return importlib.import_module(new)

    def exec_module(self, module: ModuleType) -> None:
        """The module at the new path is already executed."""


def install() -> None:
    if not any(isinstance(finder, _Alias) for finder in sys.meta_path):
        sys.meta_path.append(_Alias())


def attribute(name: str) -> ModuleType:
    """``backprop.<name>`` for a module that moved, as the package's ``__getattr__``."""
    if f"backprop.{name}" not in MOVED:
        raise AttributeError(f"module 'backprop' has no attribute {name!r}")
    return importlib.import_module(f"backprop.{name}")
