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
from pathlib import Path
from typing import Any

import numpy as np

from backprop.data.dataset import Dataset
from backprop.data.preprocessing import Scaler
from backprop.data.registry import available
from backprop.data.registry import load as load_dataset
from backprop.engine.network import Network
from backprop.engine.validation import check_positive_int
from backprop.run.callbacks import Checkpointer, OneSample, schedule_state, stopper_state
from backprop.run.config import RunConfig
from backprop.run.drawing import draw_plots
from backprop.run.folder import TRIAL_RESULT, RunFolder, write_text
from backprop.run.history_file import read_history, write_history
from backprop.run.model import Model
from backprop.run.result import RunResult
from backprop.run.split import Split, split
from backprop.saving.checkpoint import Checkpoint, load_checkpoint
from backprop.saving.model_file import ModelFileError
from backprop.training import schedule_spec
from backprop.training.callbacks import Callback
from backprop.training.dropout import check_dropout
from backprop.training.early_stopping import EarlyStopping
from backprop.training.history import History
from backprop.training.loop import DivergenceError
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
        backend=config.backend,
        device=config.device,
    )


def train(
    config: RunConfig,
    directory: str | os.PathLike[str] | None = None,
    *,
    verbose: int = 1,
    resume: Checkpoint | None = None,
    plots: bool = True,
) -> RunResult:
    """Run ``config`` and write the run folder ``directory`` (created, or empty; by default a
    new runs/<data set>-<date>-<time>, made once the data is read and the settings checked),
    or continue in it the run it holds with ``resume``: see :func:`resume`.

    A new run claims its folder before it trains, by creating checkpoint.npz (epoch 0) where
    there is none: of two runs started into one folder, one trains and the other gets
    FileExistsError, and from then on the folder can be resumed whenever the run stops. A
    resumed run that trained all its epochs (or that early stopping ended) trains no more: it
    writes the results that a kill kept it from writing, or says that it is done.

    ``plots=False`` draws no plots (a sweep's trials: ``backprop plot`` draws them later).
    """
    started = time.perf_counter()
    given = None if directory is None else RunFolder(directory)
    config = _absolute_data_paths(config)
    data = load_dataset(
        config.dataset,
        data_dir=config.data_dir,
        target=config.target,
        seed=config.seed,
        task=config.task,
    )
    config = config.resolved(data)
    fingerprint = data.fingerprint()
    parts = split(data, config)
    X, y = parts.train
    # A spread needs two rows: scaling one sample would map all its features to 0.
    scaler = Scaler().fit(X) if config.scale and len(X) > 1 else None
    scale = scaler.transform if scaler is not None else (lambda a: a)

    if resume is None:
        if given is not None and given.holds_files():
            raise FileExistsError(
                f"{given} already holds files: choose a new folder, or continue the run "
                f"there with --resume {given}"
            )
        net = build_network(config, data)
        optimizer = get_optimizer(config.optimizer, config.lr)  # fails before any file exists
        check_dropout(config.dropout or 0.0, len(net.sizes) - 2)  # so does a wrong dropout
        history = History()
    else:
        _check_same_data(resume, fingerprint, config)
        assert resume.history is not None, "Resumption.read reads the history of the epochs"
        net, optimizer, history = resume.network, resume.optimizer, resume.history
        net.to(config.backend, config.device)  # checkpoints hold NumPy arrays
    info = {
        "dataset": data.name,
        "config": dataclasses.asdict(config),
        "data_fingerprint": fingerprint,
    }
    model = Model(net, data.task, data.classes, data.feature_names, scaler, info)

    stopper = None
    if config.patience is not None:
        stopper = EarlyStopping(patience=config.patience)
        state = None if resume is None else stopper_state(resume)
        if state is not None:
            stopper.set_state(state)
    schedule = _schedule(config, validated=parts.validation is not None)
    if schedule is not None and resume is not None:
        state = schedule_state(resume)
        if state is not None:
            schedule.set_state(state)
    epochs = check_positive_int("epochs", config.epochs)
    done = len(history.epoch)
    stopped = resume is not None and _stopped_early(resume)
    if resume is not None and (done >= epochs or stopped):
        assert given is not None, "a resumed run continues in its own folder"
        if _results_written(given, done):
            raise ValueError(
                f"the run in {given} already trained {done} of {epochs} epochs"
                + (" (early stopping ended it)" if stopped else "")
            )
        epochs = done  # it trained all it was to: what is left is to write its results

    # Everything is checked: the run's folder now, made (by default) and claimed.
    created = given is None or not given.path.exists()
    folder = given or RunFolder.new(Path(config.dataset).stem)
    checkpointer = Checkpointer(
        model, folder, config.checkpoint_every, history, stopper, stopped=stopped, schedule=schedule
    )
    callbacks: list[Callback] = [
        history,  # fit records into the run's History, resumed or new, and returns it
        checkpointer,
    ]
    if stopper is not None:
        callbacks.append(stopper)
    if schedule is not None:
        callbacks.append(schedule)
    if len(X) == 1 and net.sizes[-1] == 1:
        callbacks.append(OneSample(scale(X), _targets(y, net, data.task)))
    net.optimizer = optimizer  # the one fit trains with: each checkpoint saves its state
    if resume is None:
        _claim(folder, checkpointer, created)
    else:
        folder.remove_temporaries()
        checkpointer.rows.rewrite(history)  # the rows the checkpoint vouches for, no more
    validation = parts.validation
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
            dropout=config.dropout or 0.0,
            l1=config.l1 or 0.0,
            clip_norm=config.clip_norm,
        )
    except Exception as error:
        trained = len(history.epoch)
        if isinstance(error, DivergenceError) and trained > done:
            # The epochs before it are sound: the folder keeps them.
            # What fit's end would have done, diverging did not: the checkpoint of the state
            # after them, then the early stopper's best weights back, for the results.
            checkpointer.on_train_end()
            if stopper is not None:
                stopper.on_train_end()
            _write_results(model, history, parts, folder, started, stopper, plots)
            kept = "epoch 1" if trained == 1 else f"epochs 1 to {trained}"
            raise DivergenceError(
                f"{error} The run folder {folder} keeps {kept}: the model, history and report",
                history,
            ) from None
        if resume is None and not checkpointer.saved:
            _unclaim(folder, created)  # a new run that failed before saving an epoch
        raise
    finally:
        checkpointer.rows.close()
    if stopper is not None and stopped and done == len(history.epoch):
        stopper.stopped_epoch = done - 1  # it stopped the run before: at its last epoch
    return _write_results(model, history, parts, folder, started, stopper, plots)


def _write_results(
    model: Model,
    history: History,
    parts: Split,
    folder: RunFolder,
    started: float,
    stopper: EarlyStopping | None,
    plots: bool,
) -> RunResult:
    """Report on the model, and write the run's results into its folder, model.npz last: a
    model.npz that was saved after as many epochs as the checkpoint holds says that the
    others were written too (see _results_written)."""
    train_report = model.report(*parts.train)
    test_report = None if parts.test is None else model.report(*parts.test)
    result = RunResult(
        model,
        history,
        train_report,
        test_report,
        folder.path,
        time.perf_counter() - started,
        interrupted=history.interrupted,
        early_stopping=stopper,
    )
    write_history(history, folder.history)
    write_text(folder.report, result.report_text())
    if plots and history.epoch:  # a run stopped in its first epoch has no curves to draw
        result.plots = draw_plots(model, history, parts, folder)
    model.info["epochs_trained"] = len(history.epoch)
    model.save(folder.model)
    return result


def _schedule(config: RunConfig, *, validated: bool) -> Any:
    """The run's learning rate schedule callback, or None. Its curve starts from the run's
    learning rate (a resumed run's optimizer holds the rate of its last epoch), and a plateau
    watches ``val_loss`` when the run holds out a validation part, else ``loss``."""
    if config.schedule is None:
        return None
    return schedule_spec.from_text(
        config.schedule,
        initial_lr=get_optimizer(config.optimizer, config.lr).lr,
        monitor="val_loss" if validated else "loss",
    )


def _absolute_data_paths(config: RunConfig) -> RunConfig:
    """``config`` with its data file and folder as absolute paths, so that the run folder can
    be resumed and plotted from any working directory."""
    dataset, data_dir = config.dataset, config.data_dir
    if dataset not in available() and Path(dataset).expanduser().is_file():
        dataset = os.path.abspath(Path(dataset).expanduser())
    if data_dir is not None:
        data_dir = os.path.abspath(Path(data_dir).expanduser())
    return dataclasses.replace(config, dataset=dataset, data_dir=data_dir)


def _check_same_data(resume: Checkpoint, fingerprint: str, config: RunConfig) -> None:
    """Refuse to continue a run on data other than its own (runs of backprop 0.1 and before
    this check stored no fingerprint)."""
    stored = (resume.metadata.get("info") or {}).get("data_fingerprint")
    if stored is not None and stored != fingerprint:
        raise ValueError(
            f"{config.dataset} does not hold the data this run trained on (its contents "
            "differ): --resume continues a run on its own data only"
        )


def _stopped_early(checkpoint: Checkpoint) -> bool:
    """Whether early stopping ended the run the checkpoint holds (see Checkpointer)."""
    return bool((checkpoint.metadata.get("run") or {}).get("stopped"))


def _claim(folder: RunFolder, checkpointer: Checkpointer, created: bool) -> None:
    """Create the folder if need be and its first checkpoint, which only one run can create
    (``created``: this run made the folder, or is to)."""
    folder.path.mkdir(parents=True, exist_ok=True)
    try:
        checkpointer.save(with_history=True, exclusive=True)
    except BaseException as error:
        if isinstance(error, OSError) and folder.checkpoint.exists():
            # Another run created it first (and may have removed this run's temporary file,
            # taking it for what a stopped write left).
            raise FileExistsError(
                f"{folder} already holds a run: another training started into it first. "
                f"Choose a new folder, or continue that run with --resume {folder}"
            ) from None
        if created:
            folder.remove_if_empty()
        raise
    folder.remove_temporaries()  # what writes stopped midway left: the folder is ours now


def _unclaim(folder: RunFolder, created: bool) -> None:
    """Remove what a new run wrote before it failed, as if it had never started."""
    folder.checkpoint.unlink(missing_ok=True)
    folder.history.unlink(missing_ok=True)
    folder.remove_temporaries()
    if created:
        folder.remove_if_empty()


def _results_written(folder: RunFolder, epochs: int) -> bool:
    """Whether model.npz, the last of the results a run writes, was written after ``epochs``
    epochs: the report, history.csv and plots then were too."""
    try:
        saved = Model.load(folder.model)
    except (OSError, ValueError):  # none, or one cut short: the results are to be written
        return False
    return saved.info.get("epochs_trained") == epochs


@dataclass
class Resumption:
    """A stopped run read back to be continued: its folder, its checkpoint and its settings.

    ``epochs`` and ``checkpoint_every`` may be changed, and where the data is read from, when
    it moved (``dataset``, a CSV file's new path; ``data_dir``): it must be the same data,
    which the run checks. Nothing else may change.
    """

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
        dataset: str | None = None,
        data_dir: str | os.PathLike[str] | None = None,
        backend: str | None = None,
        device: str | None = None,
    ) -> Resumption:
        """The run whose folder (or checkpoint file) is ``path``; ``backend`` and ``device``
        continue it on another array library or device (a run trained on a GPU, resumed on
        a machine without one): the same numbers up to rounding, not bit for bit."""
        folder, checkpoint_file = RunFolder.of_checkpoint(path)
        if (folder.path / TRIAL_RESULT).is_file():
            raise ValueError(
                f"{folder} is a trial of a sweep, whose tables and best model hold its result: "
                f"training it on would leave them behind; copy the folder elsewhere (without "
                f"{TRIAL_RESULT}) to train it on"
            )
        checkpoint = load_checkpoint(checkpoint_file)
        config = _run_config(checkpoint, checkpoint_file)
        if checkpoint.history is None:
            checkpoint.history = _vouched_history(folder, checkpoint, checkpoint_file)
        epochs_logged = {len(values) for values in checkpoint.history.history.values()}
        if epochs_logged - {len(checkpoint.history.epoch)}:  # a run logs each metric each epoch
            raise ModelFileError(
                f"{checkpoint_file} is not the checkpoint of a run: its history's metrics are "
                f"not one per epoch ({len(checkpoint.history.epoch)} epochs)"
            )
        if epochs is not None:
            config.epochs = check_positive_int("epochs", epochs)
        if checkpoint_every is not None:
            config.checkpoint_every = check_positive_int("checkpoint_every", checkpoint_every)
        if dataset is not None:
            config.dataset = _moved_data(config.dataset, dataset)
        if data_dir is not None:
            config.data_dir = os.fspath(data_dir)
        if backend is not None:
            config.backend, config.device = backend, None  # the new library's default device
        if device is not None:
            config.device = device
        return cls(folder, checkpoint, config)

    @property
    def next_epoch(self) -> int:
        """The epoch training continues with, counted from 1."""
        return self.checkpoint.epochs + 1

    @property
    def finished(self) -> bool:
        """Whether the run trained all its epochs, or early stopping ended it: resuming it
        only writes the results it has not written."""
        assert self.config.epochs is not None
        return self.checkpoint.epochs >= self.config.epochs or _stopped_early(self.checkpoint)

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


def _run_config(checkpoint: Checkpoint, path: Path) -> RunConfig:
    """The settings of the run a checkpoint stopped, or a ModelFileError when its metadata
    is not a run's (a checkpoint of ``fit``, or an edited one)."""
    info = Model.from_saved(checkpoint, path).info
    progress = checkpoint.metadata.get("run", {})
    try:
        if not isinstance(progress, dict):
            raise TypeError(f"its 'run' is {progress!r:.40}, not a JSON object")
        settings = info.get("config")
        if not isinstance(settings, dict):
            raise TypeError("it has no run settings (info.config)")
        return RunConfig(**settings)
    except (TypeError, ValueError) as error:
        raise ModelFileError(f"{path} is not the checkpoint of a run: {error}") from None


def _vouched_history(folder: RunFolder, checkpoint: Checkpoint, path: Path) -> History:
    """The history a checkpoint saved without it vouches for: the first rows of history.csv,
    the last of which it names."""
    if checkpoint.epochs == 0:
        return History()
    if not folder.history.is_file():
        raise FileNotFoundError(
            f"{folder.history} is missing: {path} holds {checkpoint.epochs} epochs, and "
            "their history is kept there"
        )
    history = read_history(folder.history, epochs=checkpoint.epochs)
    named = (checkpoint.metadata.get("run") or {}).get("last_row") or {}
    found = {k: v[-1] for k, v in history.history.items()}
    if {k: repr(float(v)) for k, v in named.items()} != {k: repr(v) for k, v in found.items()}:
        raise ValueError(
            f"{folder.history} does not belong to {path}: its row of epoch "
            f"{checkpoint.epochs} is not the one the checkpoint names"
        )
    return history


def _moved_data(stored: str, given: str) -> str:
    """The data set a resumed run reads: ``given``, the new path of the CSV file it trained on
    (a built-in data set cannot move)."""
    if given != stored and (stored in available() or given in available()):
        raise ValueError(
            f"the run trained on {stored}: with --resume, DATASET can only say where its CSV "
            f"file is now, not name another data set ({given})"
        )
    return given


def _targets(y: np.ndarray, net: Network, task: str) -> np.ndarray:
    """Targets as the network's fit expects them: class indices, or a 0/1 column."""
    if task == "classification" and net.sizes[-1] == 1:
        return y.astype(float).reshape(-1, 1)
    return y
