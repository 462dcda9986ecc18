"""``backprop explain``: training steps on one sample, every number shown.

backprop explain worked-example                       # tutorial 001's 2-2-1 example
backprop explain --sizes 2,3,1 --input 1,0 --target 1 --lr 0.5
backprop explain --weights net.json --input 2,3 --target 1 --format html --out step.html
backprop explain --model model.npz --input 0.1,0.2,... --target 3
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from backprop.engine.network import Network
from backprop.explain.trace import explain as explain_steps
from backprop.explain.weights import network_from_weights, worked_example
from backprop.saving.model_file import load

#: The formats --format takes. backprop.explain.render writes them; it needs rich, imported only
#: when the command runs, so that ``backprop --help`` answers at once.
FORMATS = ("text", "markdown", "html")
SUFFIXES = {".txt": "text", ".md": "markdown", ".markdown": "markdown", ".html": "html"}
#: The learning rate when neither --lr nor the worked example gives one.
DEFAULT_LR = 0.1


@click.command()
@click.argument("example", required=False, type=click.Choice(["worked-example"]))
@click.option("--sizes", help="Layer sizes, input layer first, e.g. 2,2,1.")
@click.option("--activation", help="Hidden layers' activation (default sigmoid).")
@click.option("--output", help="Output layer's activation (default: as --activation).")
@click.option("--loss", help="Loss (default half_squared_error; cross_entropy for softmax).")
@click.option("--no-bias", is_flag=True, help="Neurons without biases (with --sizes).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of random weights.")
@click.option("--weights", "weights_file", help="JSON file of weights and biases (format above).")
@click.option("--model", "model_file", help="A saved model (.npz) to explain.")
@click.option("--input", "input_text", help="The sample's inputs, e.g. 2,3.")
@click.option("--target", "target_text", help="Its targets, e.g. 1 or 0,1,0, or a class label.")
@click.option("--lr", type=float, help=f"Learning rate (default {DEFAULT_LR}).")
@click.option(
    "--steps", type=click.IntRange(min=1), default=1, show_default=True, help="Steps to show."
)
@click.option(
    "--format",
    "format_name",
    type=click.Choice(list(FORMATS)),
    help="text (the default), markdown or html; taken from --out's suffix when not given.",
)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write to FILE.")
@click.option(
    "--digits", type=click.IntRange(1, 12), default=4, show_default=True, help="Decimals shown."
)
def explain(
    example: str | None,
    sizes: str | None,
    activation: str | None,
    output: str | None,
    loss: str | None,
    no_bias: bool,
    seed: int,
    weights_file: str | None,
    model_file: str | None,
    input_text: str | None,
    target_text: str | None,
    lr: float | None,
    steps: int,
    format_name: str | None,
    out: Path | None,
    digits: int,
) -> None:
    """Train on one sample for --steps steps and show every number: forward pass, error,
    deltas, gradients (as chain-rule products) and updated weights.

    The network is the worked example, or --sizes (random weights from --seed), or a
    --weights file, or a saved --model. A weights file is JSON, either one entry per layer,
    weights[i][j] joining input i to neuron j:

    \b
        {"layers": [{"weights": [[0.11, 0.12], [0.21, 0.08]], "bias": [0, 0]},
                    {"weights": [[0.14], [0.15]], "bias": [0]}]}

    or the tutorials' numbering (w1: i1->h1, w2: i2->h1, ...; "b" optional):

        {"sizes": [2, 2, 1], "w": [0.11, 0.21, 0.12, 0.08, 0.14, 0.15]}

    Either may also name "activation", "output" and "loss"; options given here win.
    """
    settings = {"--sizes": sizes, "--activation": activation, "--output": output, "--loss": loss}
    if example:
        given = [name for name, value in settings.items() if value] + [
            name
            for name, value in (
                ("--weights", weights_file),
                ("--model", model_file),
                ("--no-bias", no_bias),
            )
            if value
        ]
        if given:
            raise click.UsageError(
                f"worked-example fixes the network, so {', '.join(given)} cannot be given with it"
            )
        net, x, y, example_lr = worked_example()
        x = _numbers("--input", input_text) if input_text else x
        y = _numbers("--target", target_text) if target_text else y
        lr = example_lr if lr is None else lr
    else:
        net = _network(settings, no_bias, seed, weights_file, model_file)
        if not input_text or not target_text:
            raise click.UsageError(
                "give the sample to train on: --input (e.g. 2,3) and --target (e.g. 1)"
            )
        x, y = _numbers("--input", input_text), _numbers("--target", target_text)
    trace = explain_steps(net, x, y, DEFAULT_LR if lr is None else lr, steps)

    from rich.console import Console

    from backprop.explain import render

    format_name = format_name or SUFFIXES.get(out.suffix.lower() if out else "", "text")
    if out is None and format_name == "text":
        render.print_trace(trace, Console(), digits)
        return
    write: dict[str, Callable[..., str]] = {
        "text": render.to_text,
        "markdown": render.to_markdown,
        "html": render.to_html,
    }
    text = write[format_name](trace, digits=digits)
    if out is None:
        click.echo(text, nl=False)
        return
    out.write_text(text, encoding="utf-8")
    click.echo(f"wrote {out}", err=True)


def _network(
    settings: dict[str, str | None],
    no_bias: bool,
    seed: int,
    weights_file: str | None,
    model_file: str | None,
) -> Network:
    """The network the options describe: a saved model, a weights file or random weights."""
    if model_file:
        given = [name for name, value in settings.items() if value]
        given += ["--weights"] if weights_file else []
        given += ["--no-bias"] if no_bias else []
        if given:
            raise click.UsageError(
                f"--model brings its own network, so {', '.join(given)} cannot be given with it"
            )
        return load(model_file)
    sizes = _sizes(settings["--sizes"]) if settings["--sizes"] else None
    options: dict[str, Any] = {
        "activation": settings["--activation"],
        "output": settings["--output"],
        "loss": settings["--loss"],
    }
    if weights_file:
        if no_bias:
            raise click.UsageError("--no-bias cannot be given with --weights: leave out the bias")
        return network_from_weights(weights_file, sizes, **options)
    if sizes is None:
        raise click.UsageError(
            "give a network: worked-example, --sizes 2,2,1, --weights FILE.json or --model FILE"
        )
    options["activation"] = options["activation"] or "sigmoid"
    return Network(sizes, bias=not no_bias, seed=seed, **options)


def _numbers(option: str, text: str) -> list[float]:
    """'2,3' -> [2.0, 3.0], or a usage error naming the option."""
    try:
        return [float(part) for part in text.split(",")]
    except ValueError:
        raise click.UsageError(
            f"{option} must be numbers separated by commas, e.g. 2,3; got {text!r}"
        ) from None


def _sizes(text: str) -> list[int]:
    """'2,2,1' -> [2, 2, 1], or a usage error."""
    try:
        return [int(part) for part in text.split(",")]
    except ValueError:
        raise click.UsageError(
            f"--sizes must be whole numbers separated by commas, e.g. 2,2,1; got {text!r}"
        ) from None
