"""Checkpoints: a training run frozen at an epoch boundary, in a model file.

A checkpoint is a model file whose metadata holds a ``training`` entry (the optimizer's name,
settings and step count, the generator's state, the epochs and their history) and whose extra
arrays hold the optimizer's buffers: enough to continue training bit for bit.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from backprop.engine.network import Network
from backprop.saving.model_file import ModelFileError, load_model, save
from backprop.training.history import History
from backprop.training.optimizers import Optimizer, get_optimizer


@dataclass
class Checkpoint:
    """A training run frozen at an epoch boundary: enough to continue it bit for bit."""

    network: Network
    optimizer: Optimizer
    history: History
    metadata: dict[str, Any] = field(default_factory=dict)
    arrays: dict[str, np.ndarray] = field(default_factory=dict)


def save_checkpoint(
    path: str | os.PathLike[str],
    net: Network,
    optimizer: Optimizer,
    history: History,
    metadata: dict[str, Any] | None = None,
    arrays: dict[str, np.ndarray] | None = None,
) -> Path:
    """Save the network with its optimizer's buffers, its generator's state and the history."""
    state = optimizer.get_state()
    buffers = {k: v for k, v in state.items() if isinstance(v, list)}
    training = {
        "optimizer": optimizer.name,
        "optimizer_settings": {k: v for k, v in state.items() if k not in buffers},
        "optimizer_buffers": {k: len(v) for k, v in buffers.items()},
        "rng": net.rng.bit_generator.state,
        "epoch": history.epoch,
        "history": history.history,
    }
    extra = dict(arrays or {})
    extra.update({f"optimizer.{k}.{i}": b for k, v in buffers.items() for i, b in enumerate(v)})
    return save(net, path, {**(metadata or {}), "training": training}, extra)


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
            state[key] = [saved.arrays.pop(f"optimizer.{key}.{i}") for i in range(count)]
        optimizer.set_state(state)
        saved.network.rng.bit_generator.state = training["rng"]
        history = History()
        history.epoch = list(training["epoch"])
        history.history = {k: list(v) for k, v in training["history"].items()}
    except (KeyError, TypeError, ValueError) as error:
        raise ModelFileError(f"{path} holds an inconsistent checkpoint: {error!r}") from None
    return Checkpoint(saved.network, optimizer, history, saved.metadata, saved.arrays)
