"""The artefact of a run: a trained network with what it needs to read raw features (the
feature names and scaler) and to answer in the data's own labels."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from backprop.data.preprocessing import Scaler
from backprop.engine import metrics
from backprop.engine.network import Network
from backprop.run.reports import Report, classification, regression
from backprop.saving.checkpoint import Checkpoint, save_checkpoint
from backprop.saving.model_file import ModelFileError, SavedModel, load_model, save, to_bytes
from backprop.training.history import History


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
        """Per-class probabilities (classification only): a softmax output's, or [1-p, p] of
        one sigmoid output p. Outputs that are no distribution over the classes (identity,
        ReLU, several sigmoids) are refused rather than printed as probabilities."""
        output = self.network.layers[-1].activation.name
        n_outputs = self.network.sizes[-1]
        if not (output == "softmax" or (output == "sigmoid" and n_outputs == 1)):
            raise ValueError(
                f"this model's {n_outputs} {output} output(s) are not probabilities of its "
                "classes: they come from a softmax output layer (or one sigmoid output for two "
                "classes); train with --output softmax for them"
            )
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

    def report(self, X: Any, y: np.ndarray) -> Report:
        """Scores on (X, y): y holds class indices or target values."""
        # Outputs of a model that blew up overflow: the report says so (NumPy's warnings
        # would only repeat it, in the middle of the terminal's output).
        with np.errstate(over="ignore", invalid="ignore"):
            if self.task == "regression":
                return regression(y, self.outputs(X))
            assert self.classes is not None
            return classification(y, self.predict_indices(X), self.classes)

    def save(self, path: str | os.PathLike[str]) -> Path:
        return save(self.network, path, self._metadata(), self._arrays())

    def to_bytes(self) -> bytes:
        """The model file's bytes, made in memory (the playground's download)."""
        return to_bytes(self.network, self._metadata(), self._arrays())

    def save_checkpoint(
        self,
        path: str | os.PathLike[str],
        history: History | int,
        metadata: dict[str, Any] | None = None,
        arrays: dict[str, np.ndarray] | None = None,
        *,
        exclusive: bool = False,
    ) -> Path:
        """The model with its training state: the whole ``history``, or the number of epochs
        it holds (see :mod:`backprop.saving.checkpoint`, also for ``exclusive``)."""
        assert self.network.optimizer is not None
        return save_checkpoint(
            path,
            self.network,
            self.network.optimizer,
            history,
            {**self._metadata(), **(metadata or {})},
            {**self._arrays(), **(arrays or {})},
            exclusive=exclusive,
        )

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Model:
        return cls.from_saved(load_model(path), path)

    @classmethod
    def from_saved(cls, saved: SavedModel | Checkpoint, path: Any) -> Model:
        """The model in a file's network and metadata, once the metadata fits the network."""
        meta = saved.metadata
        try:
            model = cls(
                saved.network,
                meta["task"],
                meta["classes"],
                meta["feature_names"],
                _saved_scaler(saved.arrays, saved.network.sizes[0], path),
                meta.get("info", {}),
            )
        except KeyError as error:
            raise ModelFileError(
                f"{path} is a network file without the data description a run saves "
                f"(missing {error}); it was not written by `backprop train`"
            ) from None
        # The classes label the outputs (one sigmoid output answers between two classes) and
        # the names the inputs: a list that does not fit fails, or mislabels, only later.
        n_inputs, n_outputs = saved.network.sizes[0], saved.network.sizes[-1]
        n_classes = 2 if n_outputs == 1 else n_outputs
        classes, names = model.classes, model.feature_names
        problem = None
        if model.task not in ("classification", "regression"):
            problem = f"its task is {str(model.task)[:40]!r}, not 'classification' or 'regression'"
        elif model.task == "classification" and not (
            isinstance(classes, list) and len(classes) == n_classes
        ):
            found = f"{len(classes)} classes" if isinstance(classes, list) else "no class list"
            problem = f"it has {found} for {n_outputs} outputs (expected {n_classes} labels)"
        elif model.task == "classification" and not all(
            isinstance(label, (str, int, float)) for label in classes or []
        ):
            problem = "its class labels are not all strings or numbers"
        elif model.task == "classification" and len(set(map(repr, classes or []))) < n_classes:
            problem = f"its class labels {classes!r:.60} repeat"
        elif not (
            isinstance(names, list)
            and len(names) == n_inputs
            and all(isinstance(name, str) for name in names)
        ):
            found = f"{len(names)} feature names" if isinstance(names, list) else "no name list"
            problem = f"it has {found} for {n_inputs} inputs"
        elif not isinstance(model.info, dict):
            problem = "its info is not a JSON object"
        if problem is not None:
            raise ModelFileError(f"{path} holds a model whose metadata does not fit it: {problem}")
        return model

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


def _saved_scaler(arrays: dict[str, np.ndarray], n_inputs: int, path: Any) -> Scaler | None:
    """The run's scaler from a file's arrays (None when it has none), or a ModelFileError: a
    half of it, numbers that are not real, or another width than the inputs'."""
    parts = {key: arrays[f"scaler.{key}"] for key in ("mean", "scale") if f"scaler.{key}" in arrays}
    if not parts:
        return None
    problem = None
    if len(parts) < 2:
        problem = f"it has the scaler's {next(iter(parts))} alone"
    elif any(a.dtype.kind not in "fiu" or a.shape != (n_inputs,) for a in parts.values()):
        shapes = ", ".join(f"{k} {a.dtype} {a.shape}" for k, a in parts.items())
        problem = f"its scaler ({shapes}) is not two real vectors of its {n_inputs} inputs"
    else:
        try:
            return Scaler.from_arrays(parts)
        except ValueError as error:
            problem = f"its scaler is not one: {error}"
    raise ModelFileError(f"{path} holds a model whose metadata does not fit it: {problem}")
