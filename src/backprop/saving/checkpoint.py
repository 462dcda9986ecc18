"""Checkpoints: a training run frozen at an epoch boundary, in a model file.

A checkpoint is a model file whose metadata holds a ``training`` entry (the optimizer's name,
settings and step count, the generator's state, the number of epochs trained and, unless it
was kept elsewhere, their history) and whose extra arrays hold the optimizer's buffers: enough
to continue training bit for bit.

A run saves a checkpoint every ``--checkpoint-every`` epochs without the history, which it
keeps in its history.csv a row at a time: a checkpoint holding the whole history grows with
every epoch, and so would the time each save takes.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from backprop.engine.backend import to_numpy
from backprop.engine.network import Network
from backprop.saving.atomic import temporary_name
from backprop.saving.model_file import ModelFileError, load_model, save
from backprop.training.history import History
from backprop.training.optimizers import Optimizer, get_optimizer


@dataclass
class Checkpoint:
    """A training run frozen at an epoch boundary: enough to continue it bit for bit."""

    network: Network
    optimizer: Optimizer
    #: The history of the epochs trained; None when the checkpoint was saved without it.
    history: History | None
    metadata: dict[str, Any] = field(default_factory=dict)
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    #: The number of epochs trained (the history's length, when the checkpoint holds one).
    epochs: int = 0

    def __post_init__(self) -> None:
        if self.history is not None:
            self.epochs = len(self.history.epoch)


def save_checkpoint(
    path: str | os.PathLike[str],
    net: Network,
    optimizer: Optimizer,
    history: History | int,
    metadata: dict[str, Any] | None = None,
    arrays: dict[str, np.ndarray] | None = None,
    *,
    exclusive: bool = False,
) -> Path:
    """Save the network with its optimizer's buffers, its generator's state and the history.

    ``history`` is the History of the epochs trained, or only their number when the history
    is kept elsewhere. The file is replaced atomically, or with ``exclusive`` created only if
    there is none: FileExistsError then says another writer created it first.
    """
    if not isinstance(optimizer, Optimizer):
        raise TypeError(
            f"optimizer must be an Optimizer (the one training used: net.optimizer), got "
            f"{type(optimizer).__name__} {optimizer!r:.40}"
        )
    if not isinstance(history, History) and not (
        isinstance(history, int) and not isinstance(history, bool) and history >= 0
    ):
        raise TypeError(
            f"history must be a History or a number of epochs (an integer >= 0), got "
            f"{history!r:.40}"
        )
    optimizer.check_fits([net.parameter_vector])
    state = optimizer.get_state()
    buffers = {k: v for k, v in state.items() if isinstance(v, list)}
    training: dict[str, Any] = {
        "optimizer": optimizer.name,
        "optimizer_settings": {k: v for k, v in state.items() if k not in buffers},
        "optimizer_buffers": {k: len(v) for k, v in buffers.items()},
        "rng": net.rng.bit_generator.state,
    }
    if isinstance(history, History):
        training.update(epochs=len(history.epoch), epoch=history.epoch, history=history.history)
    else:
        training["epochs"] = history
    extra = dict(arrays or {})
    extra.update(  # in NumPy, whatever the backend (the next fit moves them to its device)
        {f"optimizer.{k}.{i}": to_numpy(b) for k, v in buffers.items() for i, b in enumerate(v)}
    )
    content = {**(metadata or {}), "training": training}
    if not exclusive:
        return save(net, path, content, extra)
    return _create(Path(path), lambda temporary: save(net, temporary, content, extra))


def load_checkpoint(path: str | os.PathLike[str]) -> Checkpoint:
    """Read a file written by :func:`save_checkpoint`."""
    saved = load_model(path)
    training = saved.metadata.pop("training", None)
    if not isinstance(training, dict):
        raise ModelFileError(f"{path} is a model file but not a checkpoint: it cannot be resumed")
    try:
        optimizer = get_optimizer(training["optimizer"])
        state: dict[str, Any] = dict(training["optimizer_settings"])
        for key, count in training["optimizer_buffers"].items():
            if isinstance(count, bool) or not isinstance(count, int) or count < 0:
                raise ValueError(f"optimizer_buffers {key!r}: {count!r} is not a count")
            state[key] = [saved.arrays.pop(f"optimizer.{key}.{i}") for i in range(count)]
            # (Adam's v may overflow to inf in float32 and still step: NaN it may not hold)
            if not all(b.dtype.kind == "f" and not np.isnan(b).any() for b in state[key]):
                raise ValueError(f"optimizer buffer {key!r} is not all real numbers")
        optimizer.set_state(state)  # which checks the settings: an edited lr of -1, say
        optimizer.check_fits([saved.network.parameter_vector])
        saved.network.rng.bit_generator.state = training["rng"]
        history = None
        if "history" in training:  # all but a run's checkpoints between epochs (backprop 0.1's too)
            history = _history(training["epoch"], training["history"])
        epochs = training["epochs"] if "epochs" in training else len(training["epoch"])
        if not (isinstance(epochs, int) and epochs >= 0):
            raise ValueError(f"epochs={epochs!r} is not a number of epochs")
        if history is not None and len(history.epoch) != epochs:
            raise ValueError(f"epochs={epochs} but a history of {len(history.epoch)} epochs")
    # (OverflowError: a generator state beyond 64 bits; AttributeError: a list where a JSON
    # object belongs)
    except (KeyError, TypeError, ValueError, OverflowError, AttributeError) as error:
        raise ModelFileError(f"{path} holds an inconsistent checkpoint: {error!r}") from None
    return Checkpoint(saved.network, optimizer, history, saved.metadata, saved.arrays, epochs)


def _history(epoch: Any, metrics: Any) -> History:
    """A History from a checkpoint's JSON: epoch numbers, and a list of numbers per metric,
    no longer than the epochs' (a metric that a later ``fit`` added covers its last epochs)."""
    history = History()
    history.epoch = list(epoch)
    history.history = {str(k): list(v) for k, v in dict(metrics).items()}
    columns: list[tuple[str, list[Any]]] = [("epoch", history.epoch), *history.history.items()]
    for name, values in columns:
        if len(values) > len(history.epoch) or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in values
        ):
            raise ValueError(
                f"history {name!r} is not numbers, at most one per epoch "
                f"({len(history.epoch)}): {values!r:.60}"
            )
    return history


def _create(path: Path, write: Callable[[Path], object]) -> Path:
    """Create the file ``path`` with ``write(temporary_path)``, atomically and only if there is
    none: it is written under a temporary name and then linked to its own, and a link, unlike a
    rename, fails when the name is taken. Of two writers, exactly one creates the file; the
    other gets FileExistsError."""
    temporary = temporary_name(path)
    try:
        write(temporary)
        try:
            os.link(temporary, path)
        except FileExistsError:
            raise
        except OSError:
            # A file system without hard links (FAT, some network shares): checked, then
            # renamed, which leaves a moment in which another writer could come first.
            if path.exists():
                raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(path)) from None
            os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return path
