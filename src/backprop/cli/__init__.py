"""The ``backprop`` command line: a thin layer of commands over the library.

Each command lives in its own module and is a few library calls. Every mistake the user can
make is answered with one line on stderr and exit code 2, never a traceback.

``backprop --help`` answers at once: importing the commands imports the engine and click, no
more. scikit-learn, Matplotlib, rich and the run and data set modules are imported inside the
command that needs them (tests/test_cli_startup.py checks it).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import click

from backprop import __version__
from backprop.cli.datasets import datasets
from backprop.cli.evaluate import evaluate
from backprop.cli.explain import explain
from backprop.cli.export import export
from backprop.cli.playground import playground
from backprop.cli.plot import plot
from backprop.cli.predict import predict
from backprop.cli.sweep import sweep
from backprop.cli.train import train
from backprop.training.loop import DivergenceError

#: Exit code for a usage or input error, as argparse and click use it.
USAGE_ERROR = 2


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="backprop")
def cli() -> None:
    """Train feedforward neural networks with backpropagation, and see every number."""


for command in (train, evaluate, predict, explain, export, plot, sweep, datasets, playground):
    cli.add_command(command)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code instead of raising."""
    try:
        # Without standalone mode click returns what ctx.exit(code) asked for.
        code = cli.main(
            args=list(argv) if argv is not None else None,
            prog_name="backprop",
            standalone_mode=False,
        )
    except click.exceptions.Exit as done:
        return done.exit_code
    except click.Abort:
        click.echo("backprop: interrupted", err=True)
        return 130
    except click.ClickException as error:
        click.echo(f"backprop: error: {one_line(error.format_message())}", err=True)
        return USAGE_ERROR
    except (ValueError, TypeError, OSError, KeyError, DivergenceError) as error:
        click.echo(f"backprop: error: {one_line(str(error))}", err=True)
        return USAGE_ERROR
    return code if isinstance(code, int) else 0


def one_line(message: str) -> str:
    """The message on a single line, as a one-line error must be."""
    return " ".join(message.split())


def entry_point() -> None:
    """The console script."""
    sys.exit(main())
