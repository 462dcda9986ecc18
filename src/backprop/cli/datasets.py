"""``backprop datasets``: what DATASET can be."""

from __future__ import annotations

import click


@click.command()
def datasets() -> None:
    """List the built-in data sets (a path to a CSV file works too)."""
    from backprop import data

    names = data.available()
    width = max(map(len, names))
    for name, description in names.items():
        click.echo(f"{name:<{width}}  {description}")
    click.echo(f"{'FILE.csv':<{width}}  your own data: the last column (or --target) is the target")
