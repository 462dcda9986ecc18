"""scikit-learn's callbacks (``sklearn.callback``, experimental in 1.9): one sub-task per epoch.

``est.set_callbacks(ProgressBar())`` or a ``ScoringMonitor`` follow a fit as a tree of tasks:
the fit is the root task, and each epoch (each iteration, for L-BFGS) is one of its sub-tasks,
ended with the estimator as it stands after that epoch, so that a monitor can score it. Older
scikit-learn (1.6 to 1.8) has no ``sklearn.callback``: the stand-ins below keep the estimators
working there, without ``set_callbacks``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

try:  # scikit-learn >= 1.9
    from sklearn.callback import CallbackSupportMixin, with_callbacks

    #: Frames that ``with_callbacks`` puts between a user's call of ``fit`` and ``fit``: a
    #: warning's stacklevel counts them to point at the user's line.
    WRAPPER_FRAMES = 1
except ImportError:  # pragma: no cover - scikit-learn < 1.9 has no callbacks
    WRAPPER_FRAMES = 0

    class CallbackSupportMixin:  # type: ignore[no-redef]
        """Stand-in for scikit-learn's mixin where it has none: no ``set_callbacks``."""

    def with_callbacks(method: Callable[..., Any]) -> Callable[..., Any]:
        """Stand-in for scikit-learn's decorator: the method as it is."""
        return method


__all__ = ["WRAPPER_FRAMES", "CallbackSupportMixin", "FitTasks", "with_callbacks"]


class FitTasks:
    """The fit's task and its sub-tasks, as scikit-learn's callbacks see them.

    Without scikit-learn's callbacks (or with none set) every method does nothing, at no cost.
    """

    def __init__(self, estimator: Any, X: Any, y: Any, max_subtasks: int) -> None:
        self.estimator, self.X, self.y = estimator, X, y
        self.context = None
        # A fit inside a meta-estimator's task (a grid search's) joins its tree even with no
        # callback of its own, as scikit-learn's estimators do.
        watched = hasattr(estimator, "_skl_callbacks") or hasattr(estimator, "_parent_callback_ctx")
        if watched and hasattr(estimator, "_init_callback_context"):
            self.context = estimator._init_callback_context(max_subtasks=max_subtasks)
            self.context.call_on_fit_task_begin(estimator=estimator, X=X, y=y)

    def subtask_done(self, name: str) -> bool:
        """Report one sub-task (an epoch, an iteration) as begun and ended now; True when a
        callback asks to stop."""
        if self.context is None:
            return False
        task = self.context.subcontext(task_name=name)
        task.call_on_fit_task_begin(estimator=self.estimator, X=self.X, y=self.y)
        return bool(
            task.call_on_fit_task_end(
                estimator=self.estimator,
                X=self.X,
                y=self.y,
                # Made only if a callback asks for the fitted estimator: a copy of the network
                # as it is now, since training goes on changing this one.
                reconstruction_attributes=self._snapshot,
            )
        )

    def end(self) -> None:
        """Report the fit's task as ended."""
        if self.context is not None:
            self.context.call_on_fit_task_end(
                estimator=self.estimator, X=self.X, y=self.y, reconstruction_attributes={}
            )

    def _snapshot(self) -> dict[str, Any]:
        return {"network_": self.estimator.network_.copy()}
