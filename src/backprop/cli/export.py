"""``backprop export MODEL --format onnx``: a saved model as a file other runtimes can run.

backprop export runs/iris-.../model.npz                  # writes runs/iris-.../model.onnx
backprop export net.npz --format onnx --out net.onnx
"""

from __future__ import annotations

from pathlib import Path

import click

from backprop.cli.explain import _saved_model
from backprop.cli.options import FILE_TO_WRITE

#: The formats --format takes, and the suffix of the file each writes.
FORMATS = {"onnx": ".onnx"}


@click.command()
@click.argument("model", type=click.Path(path_type=Path))
@click.option(
    "--format",
    "format_name",
    type=click.Choice(list(FORMATS)),
    default="onnx",
    show_default=True,
    help="The format to write.",
)
@click.option(
    "--out",
    type=FILE_TO_WRITE,
    help="The file to write [default: MODEL with the format's suffix, e.g. model.onnx].",
)
@click.option("--force", is_flag=True, help="Let the export overwrite a file that exists.")
def export(model: Path, format_name: str, out: Path | None, force: bool) -> None:
    """Export the model file MODEL to ONNX, for ONNX Runtime and the other inference engines.

    The graph takes the input rows as `backprop predict` does (a run's scaler is part of the
    graph, so it reads raw features) and returns "output", the network's output activations,
    and for a run's classifier "label", each row's class label. See docs/export.md.
    """
    network, trained = _saved_model(str(model))  # first: MODEL may be no file at all
    out = out if out is not None else model.with_suffix(FORMATS[format_name])
    if out.exists() and model.exists() and out.resolve() == model.resolve():
        raise click.UsageError(
            f"--out {out} is the model file being exported: give the export another name "
            "(--force overwrites other files only)"
        )
    if (out.exists() or out.is_symlink()) and not force:
        raise click.UsageError(
            f"{out} already exists: give --out a new file name, or --force to overwrite it"
        )

    from backprop.saving.onnx import export_onnx

    try:
        export_onnx(trained if trained is not None else network, out)
    except ImportError as error:  # the optional extra is not installed
        raise click.ClickException(str(error)) from None
    scaled = trained is not None and trained.scaler is not None
    described = "raw features, standardised in the graph" if scaled else "inputs"
    click.echo(f"wrote {out}: {network.sizes[0]} {described} -> {network.sizes[-1]} outputs")
