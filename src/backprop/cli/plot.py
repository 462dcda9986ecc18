"""``backprop plot RUN_DIR``: draw a run folder's plots again."""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.argument("run_dir", type=click.Path(path_type=Path))
def plot(run_dir: Path) -> None:
    """Redraw the plots of the run folder RUN_DIR (history, confusion matrix, boundary)."""
    from backprop import run

    for path in run.redraw(run_dir):
        click.echo(str(path))
