"""How a callback reads the metric it watches: one rule for early stopping and for reducing
the learning rate on a plateau."""

from __future__ import annotations

from collections.abc import Mapping

#: Words in a metric's name that say it improves upwards: ``accuracy`` and ``val_accuracy``
#: of ``fit``, and ``val_score`` (accuracy or R²) that the scikit-learn estimators log.
UPWARDS = ("acc", "score")


def sign(monitor: str) -> float:
    """+1 for a metric that improves downwards (a loss), -1 for one that improves upwards (an
    accuracy, a score): ``sign * value`` always improves downwards."""
    return -1.0 if any(word in monitor for word in UPWARDS) else 1.0


def monitored(watcher: str, monitor: str, logs: Mapping[str, float]) -> float:
    """``logs[monitor]``, or a ValueError saying what the logs hold (``watcher`` names the
    callback, as the user wrote it)."""
    if monitor not in logs:
        raise ValueError(
            f"{watcher}(monitor={monitor!r}): fit logs only {', '.join(logs)}; "
            "pass validation_data to monitor a validation metric"
        )
    return logs[monitor]
