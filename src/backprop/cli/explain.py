"""``backprop explain``: training steps on one sample, every number shown.

backprop explain worked-example                       # tutorial 001's 2-2-1 example
backprop explain --sizes 2,3,1 --input 1,0 --target 1 --lr 0.5
backprop explain --weights net.json --input 2,3 --target 1 --format html --out step.html
backprop explain --model runs/iris-.../model.npz --input 5.1,3.5,1.4,0.2 --target setosa
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from backprop.cli.options import FILE_TO_WRITE, NamesItsOptions
from backprop.engine.network import Network
from backprop.explain.names import tutorial_names
from backprop.explain.trace import explain as explain_steps
from backprop.explain.weights import network_from_weights, worked_example
from backprop.saving.model_file import load_model

if TYPE_CHECKING:
    from backprop.run import Model

#: The formats --format takes. backprop.explain.render writes them; it needs rich, imported only
#: when the command runs, so that ``backprop --help`` answers at once.
FORMATS = ("text", "markdown", "html")
SUFFIXES = {".txt": "text", ".md": "markdown", ".markdown": "markdown", ".html": "html"}
#: The learning rate when neither --lr nor the worked example gives one.
DEFAULT_LR = 0.1


@click.command(cls=NamesItsOptions)
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
@click.option(
    "--out",
    type=FILE_TO_WRITE,
    help="Write to FILE (.txt, .md, .markdown or .html); a new file unless --force.",
)
@click.option("--force", is_flag=True, help="Let --out overwrite a file that exists.")
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
    force: bool,
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

    A model that `backprop train` saved is explained as it predicts: --input is the raw
    features, standardised with the run's scaler (the trace says so and shows both), and
    --target may be a class label of its data, e.g. setosa.
    """
    format_name = _output_format(out, format_name, force)  # before any work, as a usage error
    settings = {"--sizes": sizes, "--activation": activation, "--output": output, "--loss": loss}
    notes: list[str] = []  # what was done to the sample before the steps, for the reader
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
        net, model = _network(settings, no_bias, seed, weights_file, model_file)
        if not input_text or not target_text:
            raise click.UsageError(
                "give the sample to train on: --input (e.g. 2,3) and --target (e.g. 1)"
            )
        if model is None:
            x, y = _numbers("--input", input_text), _numbers("--target", target_text)
        else:
            x, y, notes = _model_sample(model, input_text, target_text, digits)
    trace = explain_steps(net, x, y, DEFAULT_LR if lr is None else lr, steps)

    from rich.console import Console

    from backprop.explain import render

    if out is None and format_name == "text":
        console = Console()
        for note in notes:
            console.print(note, markup=False, style="bold")
        render.print_trace(trace, console, digits)
        return
    write: dict[str, Callable[..., str]] = {
        "text": render.to_text,
        "markdown": render.to_markdown,
        "html": render.to_html,
    }
    text = _with_notes(write[format_name](trace, digits=digits), format_name, notes)
    if out is None:
        click.echo(text, nl=False)
        return
    out.write_text(text, encoding="utf-8")
    click.echo(f"wrote {out}", err=True)


def _output_format(out: Path | None, format_name: str | None, force: bool) -> str:
    """The format to write: --format, or the one --out's suffix names.

    --out writes a new file: a name whose suffix is none of the formats' (``--out data.csv``
    is a slip, not a request) is refused, and so is a file that exists, unless --force says
    to overwrite it. Nothing the user saved is lost to a mistyped name.
    """
    if out is None:
        if force:
            raise click.UsageError("--force lets --out overwrite a file: give it with --out FILE")
        return format_name or "text"
    suffix = out.suffix.lower()
    if suffix not in SUFFIXES:
        raise click.UsageError(
            f"--out {out}: explain writes {', '.join(SUFFIXES)} files, "
            f"not {suffix or 'a name without a suffix'}"
        )
    if format_name is not None and format_name != SUFFIXES[suffix]:
        wanted = next(s for s, name in SUFFIXES.items() if name == format_name)
        raise click.UsageError(
            f"--out {out} names a {SUFFIXES[suffix]} file but --format {format_name} was "
            f"given: name it {out.with_suffix(wanted).name}, or leave out --format"
        )
    if (out.exists() or out.is_symlink()) and not force:
        raise click.UsageError(
            f"--out {out} already exists: choose a new file name, or give --force to overwrite it"
        )
    if not out.parent.is_dir():
        raise click.UsageError(f"--out {out}: the folder {out.parent} does not exist")
    return SUFFIXES[suffix]


def _with_notes(text: str, format_name: str, notes: list[str]) -> str:
    """The rendered trace with the notes under its title (the trace knows nothing of them)."""
    if not notes:
        return text
    if format_name == "html":
        end = text.index("</h1>") + len("</h1>")
        shown = "".join(f'\n<p class="note">{html.escape(note)}</p>' for note in notes)
        return text[:end] + shown + text[end:]
    if format_name == "markdown":
        title, rest = text.split("\n", 1)
        return title + "\n\n" + "\n\n".join(f"> {note}" for note in notes) + "\n" + rest
    return "\n".join(notes) + "\n\n" + text


def _network(
    settings: dict[str, str | None],
    no_bias: bool,
    seed: int,
    weights_file: str | None,
    model_file: str | None,
) -> tuple[Network, Model | None]:
    """The network the options describe: a saved model, a weights file or random weights;
    with the run's Model when the model file is a run's."""
    if model_file:
        given = [name for name, value in settings.items() if value]
        given += ["--weights"] if weights_file else []
        given += ["--no-bias"] if no_bias else []
        if given:
            raise click.UsageError(
                f"--model brings its own network, so {', '.join(given)} cannot be given with it"
            )
        return _saved_model(model_file)
    sizes = _sizes(settings["--sizes"]) if settings["--sizes"] else None
    options: dict[str, Any] = {
        "activation": settings["--activation"],
        "output": settings["--output"],
        "loss": settings["--loss"],
    }
    if weights_file:
        if no_bias:
            raise click.UsageError("--no-bias cannot be given with --weights: leave out the bias")
        return network_from_weights(weights_file, sizes, **options), None
    if sizes is None:
        raise click.UsageError(
            "give a network: worked-example, --sizes 2,2,1, --weights FILE.json or --model FILE"
        )
    options["activation"] = options["activation"] or "sigmoid"
    return Network(sizes, bias=not no_bias, seed=seed, **options), None


def _saved_model(path: str) -> tuple[Network, Model | None]:
    """A model file's network, and the run's Model when ``backprop train`` wrote the file.

    A run's file also holds what its network was trained behind: the feature scaler and the
    class labels (its metadata names the task). A file of ``Network.save`` is a network alone.
    """
    saved = load_model(path)
    if "task" not in saved.metadata:
        return saved.network, None
    from backprop.run import Model  # imported here: the run modules load the data sets'

    model = Model.from_saved(saved, path)
    return model.network, model


def _model_sample(
    model: Model, input_text: str, target_text: str, digits: int
) -> tuple[list[float], list[float], list[str]]:
    """The sample as a run's network sees it, and notes that say how it was translated.

    The network was trained on standardised features and on class indices 0..k-1; predict
    standardises what it is given with the run's scaler, and so must explain, or it would
    explain a step on an input the network never sees.
    """
    from backprop.explain.render import format_number  # rich: imported when the command runs

    def shown(value: float) -> str:
        return format_number(value, digits)

    raw = _numbers("--input", input_text)
    features = model.feature_names
    if len(raw) != len(features):
        raise click.UsageError(
            f"--input has {len(raw)} value(s) but the model was trained on {len(features)} "
            f"features ({', '.join(features)}): give one value per feature, in that order"
        )
    names = tutorial_names(model.network.sizes, has_bias=False).neurons
    notes = []
    x = raw
    if model.scaler is not None:
        x = model.scaler.transform([raw])[0].tolist()
        pairs = ", ".join(
            f"{feature} = {shown(r)} -> {name} = {shown(s)}"
            for feature, name, r, s in zip(features, names[0], raw, x, strict=True)
        )
        notes.append(
            "The input was standardised with the model's scaler ((x - mean) / standard "
            f"deviation of the training data), as predict does: {pairs}. The steps start "
            "from the standardised values."
        )
    if model.task == "regression" or model.classes is None:
        return x, _numbers("--target", target_text), notes
    # A class label first (labels may hold commas, as "Iris, virginica"), else numbers.
    index = _class_index(target_text, model.classes)
    if index is None:
        if "," in target_text:
            return x, _numbers("--target", target_text), notes
        raise click.UsageError(
            f"--target {target_text!r} is not one of the model's classes "
            f"({', '.join(map(str, model.classes))}): give a class label, or one target per "
            "output such as 0,1,0"
        )
    label = model.classes[index]
    if len(names[-1]) == 1:  # one sigmoid output: the probability of the second class
        notes.append(
            f"The target is class {label}, class index {index}: the output "
            f"{names[-1][0]} is the probability of class {model.classes[-1]}."
        )
    else:
        notes.append(
            f"The target is class {label}, class index {index}: output {names[-1][index]} "
            "should be 1, the others 0."
        )
    return x, [float(index)], notes


def _class_index(text: str, classes: list[Any]) -> int | None:
    """The index of the class whose label ``text`` is: 'setosa', or 3 (or 3.0) for label 3;
    None when no class has that label."""
    try:
        number: float | None = float(text)
    except ValueError:
        number = None
    for index, label in enumerate(classes):
        if text == str(label) or (
            number is not None and not isinstance(label, str) and label == number
        ):
            return index
    return None


def _numbers(option: str, text: str) -> list[float]:
    """'2,3' -> [2.0, 3.0], or a usage error naming the option."""
    try:
        numbers = [float(part) for part in text.split(",")]
    except ValueError:
        numbers = []
    if not numbers or not all(math.isfinite(n) for n in numbers):
        raise click.UsageError(
            f"{option} must be numbers separated by commas, e.g. 2,3, none nan or inf; got {text!r}"
        )
    return numbers


def _sizes(text: str) -> list[int]:
    """'2,2,1' -> [2, 2, 1], or a usage error."""
    try:
        return [int(part) for part in text.split(",")]
    except ValueError:
        raise click.UsageError(
            f"--sizes must be whole numbers separated by commas, e.g. 2,2,1; got {text!r}"
        ) from None
