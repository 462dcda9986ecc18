"""A training run from data set to report: what ``backprop train`` does, callable from Python.

A run loads a data set, splits off a test part (and a validation part for early stopping),
fits a feature scaler on the training part, trains a network, and leaves a run folder::

    model.npz        the model (the best epoch's weights with early stopping)
    checkpoint.npz   the last completed epoch, with optimizer and generator state: --resume
    history.csv      loss and accuracy per epoch
    report.txt       the settings, the scores and the classification report
    *.png            plots

Settings left as None take the data set's recipe: ``RECIPES`` holds settings that work for
each built-in set (the digits recipe is the tutorials' [64, 32, 16, 10] network).
"""

from __future__ import annotations

import dataclasses
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from backprop.data import datasets
from backprop.data.preprocessing import Scaler, train_test_split
from backprop.engine import metrics
from backprop.engine.network import Network
from backprop.engine.validation import check_positive_int
from backprop.run import reports
from backprop.saving import model_file as io
from backprop.training.loop import Callback, EarlyStopping, History
from backprop.training.optimizers import get_optimizer

_TOY = {
    "hidden": [2],
    "activation": "sigmoid",
    "output": "sigmoid",
    "loss": "half_squared_error",
    "optimizer": "sgd",
    "lr": 0.2,
    "epochs": 10_000,
    "batch_size": 1,
    "test_size": 0.0,
}
_PLANE = {
    "hidden": [16, 16],
    "activation": "tanh",
    "init": "xavier",
    "optimizer": "adam",
    "lr": 0.01,
    "epochs": 300,
    "batch_size": 32,
}
#: Settings per built-in data set; "csv" is for the user's own files.
RECIPES: dict[str, dict[str, Any]] = {
    "xor": _TOY,
    "and": _TOY,
    "or": _TOY,
    "digits": {
        "hidden": [32, 16],
        "activation": "tanh",
        "init": "xavier",
        "optimizer": "adam",
        "lr": 0.002,
        "epochs": 80,
        "batch_size": 32,
        "l2": 1e-3,
    },
    "mnist": {
        "hidden": [128],
        "activation": "relu",
        "init": "he",
        "optimizer": "adam",
        "lr": 0.001,
        "epochs": 5,
        "batch_size": 128,
    },
    "moons": _PLANE,
    "circles": _PLANE,
    "spiral": {**_PLANE, "hidden": [32, 32], "epochs": 500},
    "blobs": _PLANE,
    "csv": {
        "hidden": [32],
        "activation": "relu",
        "init": "he",
        "optimizer": "adam",
        "lr": 0.003,
        "epochs": 200,
        "batch_size": 32,
        "scale": True,
    },
}
_GENERAL = {
    "activation": "relu",
    "init": "normal_scaled",
    "optimizer": "sgd",
    "l2": 0.0,
    "test_size": 0.25,
    "validation_split": 0.0,
    "scale": False,
}


@dataclass
class RunConfig:
    """The settings of a training run; None means the data set's recipe."""

    dataset: str
    layers: list[int] | None = None
    activation: str | None = None
    output: str | None = None
    loss: str | None = None
    init: str | None = None
    lr: float | None = None
    epochs: int | None = None
    batch_size: int | None = None  # 0 means the full batch
    optimizer: str | None = None
    l2: float | None = None
    seed: int = 0
    test_size: float | None = None
    validation_split: float | None = None
    patience: int | None = None
    scale: bool | None = None
    target: str | None = None
    data_dir: str | None = None
    checkpoint_every: int | None = None

    def resolved(self, data: datasets.Dataset) -> RunConfig:
        """Every setting filled in, from the recipe and the data's shape."""
        recipe = {**_GENERAL, **RECIPES.get(data.name, RECIPES["csv"])}
        values: dict[str, Any] = {
            k: recipe.get(k) if v is None else v for k, v in dataclasses.asdict(self).items()
        }
        n_out = data.n_outputs
        if data.task == "classification" and data.n_classes == 2 and values["output"] != "softmax":
            n_out = 1  # one sigmoid neuron answers a yes/no question
        if values["layers"] is None:
            values["layers"] = [data.n_features, *recipe["hidden"], n_out]
        if values["output"] is None:
            values["output"] = _default_output(data.task, values["layers"][-1])
        if values["loss"] is None:
            values["loss"] = recipe.get("loss") or _default_loss(data.task, values["output"])
        if self.patience is not None and self.validation_split is None:
            values["validation_split"] = 0.1
        values.pop("hidden", None)
        return RunConfig(**values)


def _default_output(task: str, n_out: int) -> str:
    if task == "regression":
        return "identity"
    return "sigmoid" if n_out == 1 else "softmax"


def _default_loss(task: str, output: str) -> str:
    if task == "regression":
        return "half_squared_error"
    return {"softmax": "cross_entropy", "sigmoid": "binary_cross_entropy"}.get(
        output, "half_squared_error"
    )


@dataclass
class Model:
    """A trained network with what it needs to read raw features and answer in the data's labels."""

    network: Network
    task: str
    classes: list[Any] | None
    feature_names: list[str]
    scaler: Scaler | None = None
    info: dict[str, Any] = field(default_factory=dict)

    def outputs(self, X: Any) -> np.ndarray:
        """The network's outputs for raw (unscaled) features."""
        X = np.asarray(X, dtype=float) if not isinstance(X, np.ndarray) else X
        if X.ndim == 2 and X.shape[1] != len(self.feature_names):
            raise ValueError(
                f"the input has {X.shape[1]} features but the model was trained on "
                f"{len(self.feature_names)} ({', '.join(self.feature_names[:8])}"
                f"{', ...' if len(self.feature_names) > 8 else ''})"
            )
        if self.scaler is not None:
            X = self.scaler.transform(X)
        return self.network.predict(X)

    def predict_indices(self, X: Any) -> np.ndarray:
        """Class indices 0..k-1 (classification only)."""
        return metrics.predicted_classes(self.outputs(X))

    def predict_proba(self, X: Any) -> np.ndarray:
        """Per-class probabilities (classification only); one sigmoid output p gives [1-p, p]."""
        out = self.outputs(X)
        if out.shape[1] == 1:
            return np.hstack([1.0 - out, out])
        return out

    def predict(self, X: Any) -> np.ndarray:
        """Class labels as the data named them, or predicted values for regression."""
        if self.task == "regression":
            out = self.outputs(X)
            return out.ravel() if out.shape[1] == 1 else out
        assert self.classes is not None
        return np.array(self.classes, dtype=object)[self.predict_indices(X)]

    def report(self, X: Any, y: np.ndarray) -> reports.Report:
        """Scores on (X, y): y holds class indices or target values."""
        if self.task == "regression":
            return reports.regression(y, self.outputs(X))
        assert self.classes is not None
        return reports.classification(y, self.predict_indices(X), self.classes)

    def save(self, path: str | os.PathLike[str]) -> Path:
        return io.save(self.network, path, self._metadata(), self._arrays())

    def save_checkpoint(
        self,
        path: str | os.PathLike[str],
        history: History,
        metadata: dict[str, Any] | None = None,
        arrays: dict[str, np.ndarray] | None = None,
    ) -> Path:
        """The model with its training state (see :func:`backprop.io.save_checkpoint`)."""
        assert self.network.optimizer is not None
        return io.save_checkpoint(
            path,
            self.network,
            self.network.optimizer,
            history,
            {**self._metadata(), **(metadata or {})},
            {**self._arrays(), **(arrays or {})},
        )

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Model:
        return cls.from_saved(io.load_model(path), path)

    @classmethod
    def from_saved(cls, saved: io.SavedModel | io.Checkpoint, path: Any) -> Model:
        meta = saved.metadata
        try:
            scaler = (
                Scaler.from_arrays(
                    {"mean": saved.arrays["scaler.mean"], "scale": saved.arrays["scaler.scale"]}
                )
                if "scaler.mean" in saved.arrays
                else None
            )
            return cls(
                saved.network,
                meta["task"],
                meta["classes"],
                meta["feature_names"],
                scaler,
                meta.get("info", {}),
            )
        except (KeyError, ValueError) as error:
            raise io.ModelFileError(
                f"{path} is a network file without the data description a run saves "
                f"(missing {error}); it was not written by `backprop train`"
            ) from None

    def _metadata(self) -> dict[str, Any]:
        return {
            "task": self.task,
            "classes": self.classes,
            "feature_names": self.feature_names,
            "info": self.info,
        }

    def _arrays(self) -> dict[str, np.ndarray]:
        if self.scaler is None:
            return {}
        return {f"scaler.{k}": v for k, v in self.scaler.to_arrays().items()}


@dataclass
class Split:
    """The parts of a data set a run uses; ``test`` and ``validation`` may be absent."""

    train: tuple[np.ndarray, np.ndarray]
    test: tuple[np.ndarray, np.ndarray] | None
    validation: tuple[np.ndarray, np.ndarray] | None


def split(data: datasets.Dataset, config: RunConfig) -> Split:
    """Test part (the data set's own, or ``test_size`` of it), then the validation part."""
    classify = data.task == "classification"
    assert config.test_size is not None and config.validation_split is not None
    X, y = data.X, data.y
    test = None
    if data.X_test is not None and data.y_test is not None:
        test = (data.X_test, data.y_test)
    elif config.test_size > 0:
        _check_fraction("test_size", config.test_size, len(X))
        X, X_test, y, y_test = train_test_split(X, y, config.test_size, config.seed, classify)
        test = (X_test, y_test)
    validation = None
    if config.validation_split > 0:
        _check_fraction("validation_split", config.validation_split, len(X))
        X, X_val, y, y_val = train_test_split(
            X, y, config.validation_split, config.seed + 1, classify
        )
        validation = (X_val, y_val)
    return Split((X, y), test, validation)


def _check_fraction(name: str, value: float, n: int) -> None:
    if not 0 <= value < 1 or round(value * n) >= n:
        raise ValueError(
            f"{name}={value} leaves no training data out of {n} samples: "
            "expected a fraction between 0 and 1 such as 0.25"
        )
    if round(value * n) < 1:
        raise ValueError(f"{name}={value} of {n} samples is less than one sample")


def build_network(config: RunConfig, data: datasets.Dataset) -> Network:
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


@dataclass
class RunResult:
    """What a run produced."""

    model: Model
    history: History
    train_report: reports.Report
    test_report: reports.Report | None
    directory: Path
    seconds: float
    interrupted: bool = False
    plots: list[Path] = field(default_factory=list)


class _Checkpointer(Callback):
    """Saves ``checkpoint.npz`` every ``every`` epochs and when training ends."""

    def __init__(
        self,
        model: Model,
        path: Path,
        every: int | None,
        history: History,
        stopper: EarlyStopping | None,
    ) -> None:
        self.model, self.path, self.every, self.stopper = model, path, every, stopper
        self.history = history  # the whole run's, including epochs before a resume

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> None:
        self.history.record(epoch, logs)
        if self.every and (epoch + 1) % self.every == 0:
            self.save()

    def on_train_end(self) -> None:
        # Runs before EarlyStopping puts back the best weights: this is the last epoch's state.
        self.save()

    def save(self) -> None:
        state: dict[str, Any] = {}
        arrays: dict[str, np.ndarray] = {}
        if self.stopper is not None:
            state = self.stopper.get_state()
            arrays = {f"stopper.{i}": w for i, w in enumerate(state.pop("best_weights"))}
        self.model.save_checkpoint(self.path, self.history, {"early_stopping": state}, arrays)


class _OneSample(Callback):
    """Training on one sample, as tutorial 004 does: its prediction and error every epoch."""

    def __init__(self, x: np.ndarray, y: np.ndarray) -> None:
        self.x, self.y = x, y

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> None:
        # Added to the epoch's logs before the checkpointer records them into the history.
        logs["prediction"] = float(self.network.predict(self.x)[0, 0])
        logs["error"] = self.network.evaluate(self.x, self.y)["loss"]


def _stopper_state(checkpoint: io.Checkpoint) -> dict[str, Any]:
    """The EarlyStopping state a checkpoint holds (see ``_Checkpointer.save``)."""
    state = dict(checkpoint.metadata.get("early_stopping") or {})
    count = sum(name.startswith("stopper.") for name in checkpoint.arrays)
    state["best_weights"] = [checkpoint.arrays[f"stopper.{i}"] for i in range(count)]
    return state


def train(
    config: RunConfig,
    directory: str | os.PathLike[str],
    *,
    verbose: int = 1,
    resume: io.Checkpoint | None = None,
) -> RunResult:
    """Run ``config`` and write the run folder ``directory`` (created; must not hold a run)."""
    started = time.perf_counter()
    directory = Path(directory)
    data = datasets.load(
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
            stopper.set_state(_stopper_state(resume))
    checkpoint_path = directory / "checkpoint.npz"
    checkpointer = _Checkpointer(model, checkpoint_path, config.checkpoint_every, history, stopper)
    # The checkpointer goes first, so that it saves the last epoch before the stopper
    # puts back the best one.
    callbacks: list[Callback] = [checkpointer] if stopper is None else [checkpointer, stopper]
    if len(X) == 1 and net.sizes[-1] == 1:
        callbacks.insert(0, _OneSample(scale(X), _targets(y, net, data.task)))
    epochs = check_positive_int("epochs", config.epochs)
    done = len(history.epoch)
    if done >= epochs:
        raise ValueError(f"the run in {directory} already trained {done} of {epochs} epochs")

    validation = parts.validation
    created = not directory.exists()
    directory.mkdir(parents=True, exist_ok=True)
    try:
        run = net.fit(
            scale(X),
            _targets(y, net, data.task),
            epochs=epochs,
            batch_size=config.batch_size or None,
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
        if created and not any(directory.iterdir()):
            directory.rmdir()  # leave no empty run folder behind a failed start
        raise
    history = checkpointer.history

    model.save(directory / "model.npz")
    reports.write_history(history, directory / "history.csv")
    train_report = model.report(X, y)
    test_report = None if parts.test is None else model.report(*parts.test)
    result = RunResult(
        model,
        history,
        train_report,
        test_report,
        directory,
        time.perf_counter() - started,
        interrupted=run.interrupted,
    )
    (directory / "report.txt").write_text(report_text(result))
    result.plots = draw_plots(model, history, parts, directory)
    return result


def _targets(y: np.ndarray, net: Network, task: str) -> np.ndarray:
    """Targets as the network's fit expects them: class indices, or a 0/1 column."""
    if task == "classification" and net.sizes[-1] == 1:
        return y.astype(float).reshape(-1, 1)
    return y


def report_text(result: RunResult) -> str:
    """The run's settings, scores and reports, as written to report.txt."""
    info = result.model.info
    config = info["config"]
    lines = [
        f"dataset     {info['dataset']}",
        f"network     {result.model.network}",
        "settings    "
        + ", ".join(f"{k}={config[k]}" for k in ("optimizer", "lr", "epochs", "batch_size", "l2")),
        f"epochs run  {len(result.history.epoch)}"
        + (" (interrupted)" if result.interrupted else ""),
        f"time        {result.seconds:.1f} s",
        "",
        "training set: " + _scores(result.train_report),
    ]
    if result.test_report is not None:
        lines += ["test set:     " + _scores(result.test_report), "", result.test_report.text]
    else:
        lines += ["", result.train_report.text]
    return "\n".join(lines)


def _scores(report: reports.Report) -> str:
    return "  ".join(f"{k} {v:.4f}" for k, v in report.scores.items())


def draw_plots(model: Model, history: History, parts: Split, directory: Path) -> list[Path]:
    """The run's plots: history, confusion matrix, decision boundary, single-sample curves."""
    from backprop.run import plots

    drawn = [plots.plot_history(history.history, directory / "history.png")]
    if "prediction" in history.history:
        drawn.append(
            plots.plot_single_sample(
                history["prediction"], history["error"], directory / "single_sample.png"
            )
        )
    X, y = parts.test if parts.test is not None else parts.train
    if model.task == "classification":
        assert model.classes is not None
        drawn.append(
            plots.plot_confusion_matrix(
                y,
                model.predict_indices(X),
                [str(c) for c in model.classes],
                directory / "confusion_matrix.png",
            )
        )
        if len(model.feature_names) == 2:
            Xtr, ytr = parts.train
            transform = model.scaler.transform if model.scaler is not None else None
            drawn.append(
                plots.plot_decision_boundary(
                    model.network,
                    Xtr,
                    ytr,
                    directory / "decision_boundary.png",
                    transform=transform,
                )
            )
    return drawn


SPLITS = ("auto", "test", "train", "all")


def evaluation_data(
    model: Model,
    dataset: str,
    part: str = "auto",
    *,
    data_dir: str | None = None,
    target: str | None = None,
) -> tuple[np.ndarray, np.ndarray, str]:
    """Features, targets in the model's class indices, and a description of the part used.

    ``part="auto"`` takes the test part when ``dataset`` is the one the model was trained on
    (the split is recreated from the run's seed), and all of it otherwise.
    """
    if part not in SPLITS:
        raise ValueError(f"split={part!r} is not supported: expected one of {', '.join(SPLITS)}")
    config = model.info.get("config")
    own = config is not None and model.info.get("dataset") == Path(dataset).stem
    data = datasets.load(
        dataset,
        data_dir=data_dir,
        target=target if target is not None else (config or {}).get("target") if own else None,
        seed=config["seed"] if own and config else 0,
    )
    if data.n_features != len(model.feature_names):
        raise ValueError(
            f"{dataset} has {data.n_features} features but the model was trained on "
            f"{len(model.feature_names)}"
        )
    if data.task != model.task:
        raise ValueError(f"{dataset} is a {data.task} data set but the model does {model.task}")
    if part == "auto":
        part = "test" if own or data.X_test is not None else "all"
    if part == "all":
        X, y = data.X, data.y
    else:
        parts = split(data, RunConfig(**config)) if own and config else split(data, _PLAIN)
        chosen = parts.test if part == "test" else parts.train
        if chosen is None:
            raise ValueError(f"{dataset} has no {part} part: use --split all")
        X, y = chosen
    if data.classes is not None:
        y = _to_model_classes(y, data.classes, model.classes or [])
    return X, y, f"{data.name} ({part}, {len(X)} samples)"


_PLAIN = RunConfig("", test_size=0.25, validation_split=0.0)


def _to_model_classes(y: np.ndarray, labels: list[Any], classes: list[Any]) -> np.ndarray:
    """Class indices of one data set re-expressed in the model's own class order."""
    index = {label: i for i, label in enumerate(classes)}
    unknown = [label for label in labels if label not in index]
    if unknown:
        raise ValueError(
            f"the data holds class labels {unknown[:5]} the model does not know "
            f"(it was trained on {classes[:10]})"
        )
    return np.array([index[label] for label in labels])[y]


def redraw(directory: str | os.PathLike[str]) -> list[Path]:
    """Draw a run folder's plots again from its model, history and data set."""
    directory = Path(directory)
    model = Model.load(directory / "model.npz")
    history = reports.read_history(directory / "history.csv")
    config = RunConfig(**model.info["config"])
    data = datasets.load(
        config.dataset, data_dir=config.data_dir, target=config.target, seed=config.seed
    )
    return draw_plots(model, history, split(data, config), directory)
