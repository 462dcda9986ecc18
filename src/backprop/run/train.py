"""A training run from data set to report: what ``backprop train`` does, callable from Python.

A run loads a data set, splits off a test part (and a validation part for early stopping),
fits a feature scaler on the training part, trains a network, and leaves a run folder
(``folder.py`` lists its files). ``resume`` continues a stopped run bit for bit.
"""

from __future__ import annotations

import dataclasses
import os
import time
from dataclasses import dataclass

import numpy as np

from backprop.data.dataset import Dataset
from backprop.data.preprocessing import Scaler
from backprop.data.registry import load as load_dataset
from backprop.engine.network import Network
from backprop.engine.validation import check_positive_int
from backprop.run.callbacks import Checkpointer, OneSample, stopper_state
from backprop.run.config import RunConfig
from backprop.run.drawing import draw_plots
from backprop.run.folder import RunFolder
from backprop.run.history_file import write_history
from backprop.run.model import Model
from backprop.run.result import RunResult
from backprop.run.split import split
from backprop.saving.checkpoint import Checkpoint, load_checkpoint
from backprop.training.callbacks import Callback
from backprop.training.early_stopping import EarlyStopping
from backprop.training.history import History
from backprop.training.optimizers import get_optimizer


def build_network(config: RunConfig, data: Dataset) -> Network:
    """The network the config describes, checked against the data's shape."""
    assert config.layers is not None
    layers = list(config.layers)
    if len(layers) < 2:
        raise ValueError(f"layers={layers}: expected at least an input and an output size")
    if layers[0] != data.n_features:
        raise ValueError(
            f"layers={','.join(map(str, layers))} starts with {layers[0]} inputs but "
            f"{data.name} has {data.n_features} features: the first size must be "
            f"{data.n_features}"
        )
    allowed = {data.n_outputs} | ({1} if data.n_classes == 2 else set())
    if layers[-1] not in allowed:
        raise ValueError(
            f"layers={','.join(map(str, layers))} ends with {layers[-1]} outputs but "
            f"{data.name} needs {' or '.join(map(str, sorted(allowed)))}"
        )
    return Network(
        layers,
        activation=config.activation or "relu",
        output=config.output,
        loss=config.loss,
        init=config.init or "normal_scaled",
        seed=config.seed,
    )


def train(
    config: RunConfig,
    directory: str | os.PathLike[str],
    *,
    verbose: int = 1,
    resume: Checkpoint | None = None,
) -> RunResult:
    """Run ``config`` and write the run folder ``directory`` (created; must not hold a run,
    unless ``resume`` continues the run it holds: see :func:`resume`)."""
    started = time.perf_counter()
    folder = RunFolder(directory)
    data = load_dataset(
        config.dataset, data_dir=config.data_dir, target=config.target, seed=config.seed
    )
    config = config.resolved(data)
    parts = split(data, config)
    X, y = parts.train
    # A spread needs two rows: scaling one sample would map all its features to 0.
    scaler = Scaler().fit(X) if config.scale and len(X) > 1 else None
    scale = scaler.transform if scaler is not None else (lambda a: a)

    if resume is None:
        net = build_network(config, data)
        optimizer = get_optimizer(config.optimizer, config.lr)  # fails before any file exists
        history = History()
    else:
        net, optimizer, history = resume.network, resume.optimizer, resume.history
    info = {"dataset": data.name, "config": dataclasses.asdict(config)}
    model = Model(net, data.task, data.classes, data.feature_names, scaler, info)

    stopper = None
    if config.patience is not None:
        stopper = EarlyStopping(patience=config.patience)
        if resume is not None:
            stopper.set_state(stopper_state(resume))
    callbacks: list[Callback] = [
        history,  # fit records into the run's History, resumed or new, and returns it
        Checkpointer(model, folder.checkpoint, config.checkpoint_every, history, stopper),
    ]
    if stopper is not None:
        callbacks.append(stopper)
    if len(X) == 1 and net.sizes[-1] == 1:
        callbacks.append(OneSample(scale(X), _targets(y, net, data.task)))
    epochs = check_positive_int("epochs", config.epochs)
    done = len(history.epoch)
    if done >= epochs:
        raise ValueError(f"the run in {folder} already trained {done} of {epochs} epochs")

    validation = parts.validation
    created = not folder.path.exists()
    folder.path.mkdir(parents=True, exist_ok=True)
    try:
        history = net.fit(
            scale(X),
            _targets(y, net, data.task),
            epochs=epochs,
            batch_size=config.batch_size,  # type: ignore[arg-type]  # resolved: int or None
            optimizer=optimizer,
            validation_data=None
            if validation is None
            else (scale(validation[0]), _targets(validation[1], net, data.task)),
            weight_decay=config.l2 or 0.0,
            callbacks=callbacks,
            verbose=verbose,
            initial_epoch=done,
        )
    except BaseException:
        if created and not any(folder.path.iterdir()):
            folder.path.rmdir()  # leave no empty run folder behind a failed start
        raise

    model.save(folder.model)
    write_history(history, folder.history)
    train_report = model.report(X, y)
    test_report = None if parts.test is None else model.report(*parts.test)
    result = RunResult(
        model,
        history,
        train_report,
        test_report,
        folder.path,
        time.perf_counter() - started,
        interrupted=history.interrupted,
    )
    folder.report.write_text(result.report_text())
    result.plots = draw_plots(model, history, parts, folder)
    return result


@dataclass
class Resumption:
    """A stopped run read back to be continued: its folder, its checkpoint and its settings
    (``epochs`` and ``checkpoint_every`` may be changed; nothing else may)."""

    folder: RunFolder
    checkpoint: Checkpoint
    config: RunConfig

    @classmethod
    def read(
        cls,
        path: str | os.PathLike[str],
        *,
        epochs: int | None = None,
        checkpoint_every: int | None = None,
    ) -> Resumption:
        """The run whose folder (or checkpoint file) is ``path``."""
        folder, checkpoint_file = RunFolder.of_checkpoint(path)
        checkpoint = load_checkpoint(checkpoint_file)
        config = RunConfig(**Model.from_saved(checkpoint, checkpoint_file).info["config"])
        config.epochs = epochs or config.epochs
        config.checkpoint_every = checkpoint_every or config.checkpoint_every
        return cls(folder, checkpoint, config)

    @property
    def next_epoch(self) -> int:
        """The epoch training continues with, counted from 1."""
        return len(self.checkpoint.history.epoch) + 1

    def run(self, verbose: int = 1) -> RunResult:
        """Continue the run bit for bit, as if it had never stopped."""
        return train(self.config, self.folder.path, verbose=verbose, resume=self.checkpoint)


def resume(
    path: str | os.PathLike[str],
    *,
    epochs: int | None = None,
    checkpoint_every: int | None = None,
    verbose: int = 1,
) -> RunResult:
    """Continue the run whose folder (or checkpoint file) is ``path``; see :class:`Resumption`."""
    return Resumption.read(path, epochs=epochs, checkpoint_every=checkpoint_every).run(verbose)


def _targets(y: np.ndarray, net: Network, task: str) -> np.ndarray:
    """Targets as the network's fit expects them: class indices, or a 0/1 column."""
    if task == "classification" and net.sizes[-1] == 1:
        return y.astype(float).reshape(-1, 1)
    return y
