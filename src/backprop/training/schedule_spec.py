"""Learning rate schedules written as text, as ``backprop train --schedule`` takes them:

- ``step[:EVERY[:FACTOR]]``: StepDecay, the rate times FACTOR every EVERY epochs [10, 0.5]
- ``exponential[:RATE]``: ExponentialDecay, the rate times RATE every epoch [0.95]
- ``cosine[:MIN_LR]``: CosineDecay, half a cosine down to MIN_LR over the run's epochs [0]
- ``plateau[:PATIENCE[:FACTOR[:MIN_LR]]]``: ReduceLROnPlateau, the rate times FACTOR after
  PATIENCE epochs without improvement, down to MIN_LR [10, 0.1, 0]

For example ``step:20:0.5`` halves the rate every 20 epochs.
"""

from __future__ import annotations

from typing import Any

from backprop.training.callbacks import Callback
from backprop.training.plateau import ReduceLROnPlateau
from backprop.training.schedules import CosineDecay, ExponentialDecay, StepDecay

#: Each kind's settings after the colons: (name, type), in order.
SETTINGS: dict[str, list[tuple[str, type]]] = {
    "step": [("every", int), ("factor", float)],
    "exponential": [("rate", float)],
    "cosine": [("min_lr", float)],
    "plateau": [("patience", int), ("factor", float), ("min_lr", float)],
}
FORMS = (
    "step[:EVERY[:FACTOR]], exponential[:RATE], cosine[:MIN_LR] or "
    "plateau[:PATIENCE[:FACTOR[:MIN_LR]]]"
)


def parse(spec: str) -> tuple[str, dict[str, Any]]:
    """The kind of schedule and its settings, from text such as ``step:10:0.5``."""
    kind, *values = str(spec).strip().lower().split(":")
    if kind not in SETTINGS:
        raise ValueError(f"schedule={spec!r}: unknown schedule {kind!r}; expected {FORMS}")
    names = SETTINGS[kind]
    if len(values) > len(names):
        raise ValueError(
            f"schedule={spec!r}: {kind} takes at most {len(names)} setting(s) "
            f"({', '.join(n.upper() for n, _ in names)}), got {len(values)}"
        )
    settings: dict[str, Any] = {}
    for (name, kind_of), value in zip(names, values, strict=False):
        try:
            settings[name] = kind_of(value)
        except ValueError:
            raise ValueError(
                f"schedule={spec!r}: {name.upper()}={value!r} is not "
                f"{'an integer' if kind_of is int else 'a number'}; expected {FORMS}"
            ) from None
    try:
        build(kind, settings, initial_lr=None, monitor="loss")  # checks the values' ranges
    except (TypeError, ValueError) as error:
        raise ValueError(f"schedule={spec!r}: {error}") from None
    return kind, settings


def build(
    kind: str, settings: dict[str, Any], *, initial_lr: float | None, monitor: str
) -> Callback:
    """The schedule callback of a ``parse``d text (``monitor``: what a plateau watches)."""
    if kind == "step":
        return StepDecay(**settings, initial_lr=initial_lr)
    if kind == "exponential":
        return ExponentialDecay(**settings, initial_lr=initial_lr)
    if kind == "cosine":
        return CosineDecay(**settings, initial_lr=initial_lr)
    return ReduceLROnPlateau(monitor=monitor, **settings)


def from_text(spec: str, *, initial_lr: float | None = None, monitor: str = "val_loss") -> Callback:
    """The schedule callback that ``spec`` describes."""
    kind, settings = parse(spec)
    return build(kind, settings, initial_lr=initial_lr, monitor=monitor)
