"""A training run: what ``backprop train`` does, callable from Python.

>>> from backprop import run
>>> result = run.train(run.RunConfig("digits"), "runs/digits")   # doctest: +SKIP
>>> result = run.resume("runs/digits", epochs=100)                # doctest: +SKIP

The modules, in the order a run needs them: ``config`` (settings and recipes), ``split``
(train, validation and test parts), ``model`` (the trained artefact), ``callbacks``
(checkpoint, one-sample curves), ``train`` (the run itself, and resuming it), ``folder`` (where
its files go), ``history_file`` (history.csv), ``result`` and ``reports`` (scores and report
text), ``plots`` and ``drawing`` (figures), ``evaluation`` (scoring a saved model on a data
set).
"""

from backprop.run.config import RECIPES, Recipe, RunConfig
from backprop.run.drawing import draw_plots, redraw
from backprop.run.evaluation import SPLITS, evaluation_data
from backprop.run.folder import RunFolder
from backprop.run.model import Model
from backprop.run.result import RunResult
from backprop.run.split import Split, split
from backprop.run.train import Resumption, build_network, resume, train

__all__ = [
    "RECIPES",
    "SPLITS",
    "Model",
    "Recipe",
    "Resumption",
    "RunConfig",
    "RunFolder",
    "RunResult",
    "Split",
    "build_network",
    "draw_plots",
    "evaluation_data",
    "redraw",
    "resume",
    "split",
    "train",
]
