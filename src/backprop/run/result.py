"""What a run produced, and the text of its report."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from backprop.run.model import Model
from backprop.run.reports import Report
from backprop.training.history import History

#: The settings report.txt names.
SETTINGS = ("optimizer", "lr", "epochs", "batch_size", "l2")


@dataclass
class RunResult:
    """What a run produced."""

    model: Model
    history: History
    train_report: Report
    test_report: Report | None
    directory: Path
    seconds: float
    interrupted: bool = False
    plots: list[Path] = field(default_factory=list)

    def report_text(self) -> str:
        """The run's settings, scores and reports, as written to report.txt."""
        info = self.model.info
        config = info["config"]
        lines = [
            f"dataset     {info['dataset']}",
            f"network     {self.model.network}",
            "settings    "
            + ", ".join(
                f"{k}={config[k]}" for k in ("optimizer", "lr", "epochs", "batch_size", "l2")
            ),
            f"epochs run  {len(self.history.epoch)}"
            + (" (interrupted)" if self.interrupted else ""),
            f"time        {self.seconds:.1f} s",
            "",
            "training set: " + _scores(self.train_report),
        ]
        if self.test_report is not None:
            lines += ["test set:     " + _scores(self.test_report), "", self.test_report.text]
        else:
            lines += ["", self.train_report.text]
        return "\n".join(lines)


def _setting(config: dict[str, Any], key: str) -> str:
    if key == "batch_size" and config[key] is None:
        return "full"
    return str(config[key])


def _scores(report: Report) -> str:
    return "  ".join(f"{k} {v:.4f}" for k, v in report.scores.items())
