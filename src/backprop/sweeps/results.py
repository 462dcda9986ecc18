"""What a sweep found: its trials gathered by candidate, ranked by the metric, as tables.

A candidate is one combination of the swept settings; its trials are its seeds (and folds).
Its score is the mean of its trials' metric, with their standard deviation as the spread; a
candidate with a failed trial is ranked after every candidate whose trials all succeeded.
"""

from __future__ import annotations

import csv
import io
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from backprop.sweeps.trial import TrialResult
from backprop.training.monitoring import sign


def better(score: float, than: float, metric: str) -> bool:
    """Whether ``score`` beats ``than`` by ``metric``: losses improve downwards, accuracies
    upwards (the rule early stopping follows: ``sign``)."""
    return sign(metric) * score < sign(metric) * than


@dataclass
class Candidate:
    """One combination of the swept settings, and its trials' results."""

    index: int
    params: dict[str, Any]
    results: list[TrialResult] = field(default_factory=list)

    @property
    def scores(self) -> list[float]:
        return [r.metric for r in self.results if r.status == "ok" and r.metric is not None]

    @property
    def failed(self) -> int:
        return sum(r.status == "failed" for r in self.results)

    @property
    def mean(self) -> float:
        return statistics.fmean(self.scores) if self.scores else math.nan

    @property
    def spread(self) -> float:
        """The standard deviation of the trials' metric (0 for a single trial)."""
        return statistics.stdev(self.scores) if len(self.scores) > 1 else 0.0

    @property
    def seconds(self) -> float:
        """Mean time of its trials."""
        return statistics.fmean(r.seconds for r in self.results) if self.results else 0.0

    def best_trial(self, metric: str) -> TrialResult | None:
        ok = [r for r in self.results if r.status == "ok" and r.metric is not None]
        if not ok:
            return None
        return min(ok, key=lambda r: sign(metric) * r.metric)  # type: ignore[operator]


def rank(
    candidates: Sequence[dict[str, Any]], results: Sequence[TrialResult], metric: str
) -> list[Candidate]:
    """The candidates that have finished trials, best first."""
    gathered = [Candidate(i, dict(params)) for i, params in enumerate(candidates)]
    for result in results:
        gathered[result.trial.candidate].results.append(result)
    downwards = sign(metric)

    def key(c: Candidate) -> tuple[bool, bool, float, int]:
        return (c.failed > 0, not c.scores, downwards * c.mean if c.scores else 0.0, c.index)

    return sorted((c for c in gathered if c.results), key=key)


def shown(value: Any, digits: int | None = 4) -> str:
    """A setting's value as tables show it: layers as 64,32,10, the full batch as full, a
    real number to ``digits`` significant digits (None: all of them, as the CSV files keep
    it, so that a trial can be trained again from its row)."""
    if isinstance(value, list):
        return ",".join(map(str, value))
    if value is None:
        return "full"
    if isinstance(value, float):
        return repr(value) if digits is None else f"{value:.{digits}g}"
    return str(value)


def trials_csv(results: Sequence[TrialResult], swept: Sequence[str]) -> str:
    """One row per finished trial, in the order of their ids."""
    test_keys = sorted({k for r in results for k in r.test_scores})
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(
        ["trial", "candidate", *swept, "seed", "fold", "status", "metric", "epochs_run",
         "seconds", *(f"test_{k}" for k in test_keys), "error"]
    )  # fmt: skip
    for r in sorted(results, key=lambda r: r.trial.id):
        writer.writerow(
            [r.trial.id, r.trial.candidate, *(shown(r.trial.params.get(k), None) for k in swept),
             r.trial.seed, "" if r.trial.fold is None else r.trial.fold, r.status,
             "" if r.metric is None else repr(r.metric), r.epochs, f"{r.seconds:.3f}",
             *(repr(r.test_scores[k]) if k in r.test_scores else "" for k in test_keys),
             r.error or ""]
        )  # fmt: skip
    return text.getvalue()


def candidates_csv(ranked: Sequence[Candidate], swept: Sequence[str], metric: str) -> str:
    """One row per candidate, best first."""
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(
        ["rank", "candidate", *swept, f"{metric}_mean", f"{metric}_std", "trials", "failed",
         "seconds"]
    )  # fmt: skip
    for place, c in enumerate(ranked, 1):
        writer.writerow(
            [place, c.index, *(shown(c.params.get(k), None) for k in swept),
             "" if not c.scores else repr(c.mean), "" if not c.scores else repr(c.spread),
             len(c.results), c.failed, f"{c.seconds:.3f}"]
        )  # fmt: skip
    return text.getvalue()


def table_text(ranked: Sequence[Candidate], swept: Sequence[str], metric: str, top: int) -> str:
    """The ``top`` best candidates as a plain-text table (report.txt, and the terminal)."""
    header = ["rank", *swept, metric, "± std", "trials", "time"]
    rows = [header]
    for place, c in enumerate(ranked[:top], 1):
        score = f"{c.mean:.4f}" if c.scores else "failed"
        spread = f"{c.spread:.4f}" if c.scores else ""
        runs = f"{len(c.results)}" + (f" ({c.failed} failed)" if c.failed else "")
        rows.append(
            [str(place), *(shown(c.params.get(k)) for k in swept), score, spread, runs,
             f"{c.seconds:.1f} s"]
        )  # fmt: skip
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    if len(ranked) > top:
        lines.append(f"... {len(ranked) - top} more in candidates.csv")
    return "\n".join(line.rstrip() for line in lines) + "\n"
