"""What a run produced, and the text of its report."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from backprop.run.model import Model
from backprop.run.reports import Report
from backprop.training.early_stopping import EarlyStopping
from backprop.training.history import History

#: Lines of a report the terminal shows, from its beginning and from its end (the totals): a
#: report of a line per class would scroll the run's summary away. report.txt has them all.
SHORT_REPORT_HEAD, SHORT_REPORT_TAIL = 24, 4

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
    #: The run's early stopper, when it had one (``--patience``).
    early_stopping: EarlyStopping | None = None

    def early_stopping_note(self) -> str | None:
        """When early stopping fired and whose weights model.npz holds; None without it."""
        stopper = self.early_stopping
        if stopper is None or stopper.best_epoch < 0:
            return None
        when = (
            f"at epoch {stopper.stopped_epoch + 1}"
            if stopper.stopped_epoch is not None
            else f"did not fire (patience {stopper.patience})"
        )
        if not stopper.restore_best_weights:
            return f"{when}: model.npz holds the last epoch's weights"
        return (
            f"{when}: model.npz holds epoch {stopper.best_epoch + 1}'s weights "
            f"(best {stopper.monitor} {stopper.best_value:.4f})"
        )

    def short_report(self) -> str:
        """The test report (the training one without a test part), shortened for a terminal:
        its first and last lines when it has a line per class of many."""
        return _shortened((self.test_report or self.train_report).text)

    def report_text(self) -> str:
        """The run's settings, scores and reports, as written to report.txt."""
        info = self.model.info
        config = info["config"]
        stopping = self.early_stopping_note()
        lines = [
            f"dataset     {info['dataset']}",
            f"task        {self.model.task}",
            f"network     {self.model.network}",
            "settings    "
            + ", ".join(
                f"{k}={config[k]}" for k in ("optimizer", "lr", "epochs", "batch_size", "l2")
            ),
            f"epochs run  {len(self.history.epoch)}"
            + (" (interrupted)" if self.interrupted else ""),
            *([f"early stop  {stopping}"] if stopping else []),
            f"time        {self.seconds:.1f} s",
            "",
            "training set: " + _scores(self.train_report),
        ]
        if self.test_report is not None:
            lines += ["test set:     " + _scores(self.test_report), "", self.test_report.text]
        else:
            lines += ["", self.train_report.text]
        return "\n".join(lines)


def _shortened(report: str) -> str:
    """The report's first and last lines, and a line that says how many were left out."""
    lines = report.rstrip("\n").splitlines()
    left_out = len(lines) - SHORT_REPORT_HEAD - SHORT_REPORT_TAIL
    if left_out <= 1:
        return report
    return "\n".join(
        [
            *lines[:SHORT_REPORT_HEAD],
            f"  ... {left_out} more lines in report.txt",
            *lines[-SHORT_REPORT_TAIL:],
        ]
    )


def _setting(config: dict[str, Any], key: str) -> str:
    if key == "batch_size" and config[key] is None:
        return "full"
    return str(config[key])


def _scores(report: Report) -> str:
    return "  ".join(f"{k} {v:.4f}" for k, v in report.scores.items())
