"""Three renderings of a :class:`~backprop.explain.Trace`: terminal, Markdown and one HTML page.

Each shows the same tables, one per stage of each step (forward, error, backward, update), with
the columns name | index | formula | with numbers | value. The HTML page also draws the network
before and after each step, and needs nothing outside itself: a teacher can hand it out.
"""

from __future__ import annotations

import html
import io
import math
from typing import Any

import numpy as np
from rich.console import Console
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from backprop.engine.backend import to_numpy
from backprop.engine.network import Network
from backprop.explain.names import Names, tutorial_names
from backprop.explain.sections import Row, Section
from backprop.explain.step import Step
from backprop.explain.trace import Trace

COLUMNS = ("name", "index", "formula", "with numbers", "value")
#: Layers wider than this are not drawn (the tables still list every number).
MAX_DRAWN = 12
#: Networks with a layer wider than this are drawn without a label on each edge (too crowded).
MAX_LABELLED = 3

LEGEND = (
    "Names follow the tutorials: inputs i1.., hidden neurons h1.. (h1_1, h2_1, .. with several "
    "hidden layers), outputs o1..; weights w1.. numbered layer by layer, neuron by neuron, each "
    "neuron's incoming weights in input order; biases b1... The index is the place in the "
    "matrices: weight (layer, i, j) is net.layers[layer].weights[i, j], bias and neuron "
    "(layer, j) are net.layers[layer].bias[j] and column j of that layer's net input and output."
)


def check_digits(digits: Any) -> int:
    """Decimals to show: an integer from 1 to 17 (a float64 holds 17 significant digits)."""
    if isinstance(digits, bool) or not isinstance(digits, int) or not 1 <= digits <= 17:
        raise ValueError(f"digits must be an integer from 1 to 17, got {digits!r:.40}")
    return digits


def format_number(value: float, digits: int = 4) -> str:
    """``value`` to ``digits`` decimals: 0.191 stays 0.191, 0.226989 becomes 0.2270.

    A number that needs no rounding is written as short as it is; a rounded one keeps all its
    decimals, so the reader can tell the two apart. Tiny and huge numbers get an exponent.
    """
    if not math.isfinite(value):
        return str(value)
    if value != 0 and not 10 ** -(digits - 1) <= abs(value) < 1e6:
        return f"{value:.{digits}g}"
    rounded = round(value, digits)
    if math.isclose(rounded, value, rel_tol=1e-9, abs_tol=1e-12):
        text = f"{rounded:.{digits}f}".rstrip("0").rstrip(".")
    else:
        text = f"{value:.{digits}f}"
    return "0" if text in ("-0", "") else text


def _cells(row: Row, digits: int) -> tuple[str, str, str, str, str]:
    """The five table cells of a row."""

    def fmt(v: float) -> str:
        return format_number(v, digits)

    return (row.symbol, row.where, row.formula, row.numbers(fmt), fmt(row.value))


def _inputs_line(trace: Trace, digits: int) -> str:
    """'i1 = 2, i2 = 3; target_o1 = 1'."""
    names = trace.names.neurons
    inputs = ", ".join(
        f"{n} = {format_number(v, digits)}" for n, v in zip(names[0], trace.x, strict=True)
    )
    targets = ", ".join(
        f"target_{n} = {format_number(v, digits)}" for n, v in zip(names[-1], trace.y, strict=True)
    )
    return f"input {inputs}; {targets}"


# -- terminal ------------------------------------------------------------------------------------


def print_trace(trace: Trace, console: Console | None = None, digits: int = 4) -> None:
    """Print the trace to the terminal as Rich tables, one per stage of each step."""
    digits = check_digits(digits)
    console = console or Console()
    console.print(Text("Backpropagation, step by step: ", style="bold") + trace.describe())
    console.print(_inputs_line(trace, digits), markup=False)
    console.print(LEGEND, style="dim", markup=False)
    for step in trace.steps:
        console.print(Rule(f"Step {step.number} of {len(trace.steps)}"))
        for number, section in enumerate(trace.sections(step), start=1):
            console.print(_rich_table(section, number, digits))
        console.print(_summary(trace, step, digits), style="bold", markup=False)


def _rich_table(section: Section, number: int, digits: int) -> Table:
    """One stage as a Rich table, its note as the caption."""
    table = Table(
        title=f"{number}. {section.title}",
        title_justify="left",
        caption=Text(section.note),
        caption_justify="left",
    )
    for column in COLUMNS:
        table.add_column(column, justify="right" if column == "value" else "left")
    for row in section.rows:
        table.add_row(*(Text(cell) for cell in _cells(row, digits)))
    return table


def to_text(trace: Trace, width: int = 140, digits: int = 4) -> str:
    """The terminal view as plain text (no colours), e.g. to save to a file."""
    buffer = io.StringIO()
    print_trace(trace, Console(file=buffer, width=width, color_system=None), digits)
    return buffer.getvalue()


def _summary(trace: Trace, step: Step, digits: int) -> str:
    """'After step 1: out_o1 0.191 -> 0.2557, E 0.3272 -> 0.2770.'"""
    outputs = ", ".join(
        f"out_{n} {format_number(before, digits)} -> {format_number(after, digits)}"
        for n, before, after in zip(
            trace.names.neurons[-1], step.outputs[-1], step.outputs_after[-1], strict=True
        )
    )
    loss = f"E {format_number(step.loss, digits)} -> {format_number(step.loss_after, digits)}"
    return f"After step {step.number}: {outputs}; {loss}."


# -- Markdown ------------------------------------------------------------------------------------


def to_markdown(trace: Trace, digits: int = 4) -> str:
    """The trace as Markdown: a heading per step and per stage, a pipe table for each stage."""
    digits = check_digits(digits)
    lines = [
        "# Backpropagation, step by step",
        "",
        f"{trace.describe()}; {_inputs_line(trace, digits)}.",
        "",
        f"_{LEGEND}_",
    ]
    for step in trace.steps:
        lines += ["", f"## Step {step.number} of {len(trace.steps)}"]
        for number, section in enumerate(trace.sections(step), start=1):
            lines += ["", f"### {number}. {section.title}", "", section.note, ""]
            lines.append("| " + " | ".join(COLUMNS) + " |")
            lines.append("|---|---|---|---|---:|")
            for row in section.rows:
                name, where, formula, numbers, value = _cells(row, digits)
                cells = [f"`{name}`", where, _code(formula), _code(numbers), value]
                lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
        lines += ["", f"**{_summary(trace, step, digits)}**"]
    return "\n".join(lines) + "\n"


def _code(text: str) -> str:
    """Inline code, or nothing for an empty cell."""
    return f"`{text}`" if text else ""


# -- HTML ----------------------------------------------------------------------------------------

CSS = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 72rem; color: #1f2937;
       padding: 0 1rem; line-height: 1.45; }
h1 { font-size: 1.6rem; } h2 { border-bottom: 2px solid #d1d5db; margin-top: 2.5rem; }
h3 { margin-bottom: 0.2rem; } .note { color: #4b5563; margin-top: 0.2rem; }
.legend { color: #6b7280; font-size: 0.9rem; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; font-size: 0.9rem; }
th, td { border: 1px solid #d1d5db; padding: 0.2rem 0.5rem; text-align: left; }
th { background: #f3f4f6; } td.value { text-align: right; font-weight: 600; }
td.code { font-family: ui-monospace, monospace; } tr:nth-child(even) td { background: #fafafa; }
.drawings { display: flex; flex-wrap: wrap; gap: 1rem; }
figure { margin: 0; } figcaption { font-weight: 600; text-align: center; }
svg text { font-family: system-ui, sans-serif; }
svg .label { font-size: 11px; paint-order: stroke; stroke: #fff; stroke-width: 3px; }
.summary { font-weight: 600; }
@media print { section.step + section.step { page-break-before: always; } }
"""


def to_html(trace: Trace, digits: int = 4) -> str:
    """One self-contained page: per step, the network drawn before and after, then the tables."""
    digits = check_digits(digits)
    title = "Backpropagation, step by step"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        f'<head><meta charset="utf-8"><title>{title}</title><style>{CSS}</style></head>',
        "<body>",
        f"<h1>{title}</h1>",
        f"<p>{_e(trace.describe())}; {_e(_inputs_line(trace, digits))}.</p>",
        f'<p class="legend">{_e(LEGEND)}</p>',
    ]
    for step in trace.steps:
        parts.append('<section class="step">')
        parts.append(f"<h2>Step {step.number} of {len(trace.steps)}</h2>")
        parts.append(_drawings(trace, step, digits))
        for number, section in enumerate(trace.sections(step), start=1):
            parts.append(f"<h3>{number}. {_e(section.title)}</h3>")
            parts.append(f'<p class="note">{_e(section.note)}</p>')
            parts.append(_html_table(section, digits))
        parts.append(f'<p class="summary">{_e(_summary(trace, step, digits))}</p>')
        parts.append("</section>")
    parts += ["</body>", "</html>"]
    return "\n".join(parts) + "\n"


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _html_table(section: Section, digits: int) -> str:
    """One stage as an HTML table."""
    head = "".join(f"<th>{c}</th>" for c in COLUMNS)
    classes = ("", "", "code", "code", "value")
    body = []
    for row in section.rows:
        cells = "".join(
            f'<td class="{k}">{_e(c)}</td>' if k else f"<td>{_e(c)}</td>"
            for k, c in zip(classes, _cells(row, digits), strict=True)
        )
        body.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _drawings(trace: Trace, step: Step, digits: int) -> str:
    """The network before and after the step, side by side (or a note for a large network)."""
    widest = max(trace.sizes)
    if widest > MAX_DRAWN:
        return (
            f'<p class="note">The network is not drawn: a layer of {widest} neurons is too '
            "many for one picture. The tables below list every number.</p>"
        )
    before = _svg(trace, step.outputs, step.weights_before, step.biases_before, digits)
    after = _svg(trace, step.outputs_after, step.weights_after, step.biases_after, digits)
    return (
        '<div class="drawings">'
        f"<figure>{before}<figcaption>Before step {step.number}: "
        f"E = {format_number(step.loss, digits)}</figcaption></figure>"
        f"<figure>{after}<figcaption>After step {step.number}: "
        f"E = {format_number(step.loss_after, digits)}</figcaption></figure>"
        "</div>"
    )


def _svg(
    trace: Trace,
    outputs: list[np.ndarray],
    weights: list[np.ndarray],
    biases: list[np.ndarray | None],
    digits: int,
) -> str:
    """An SVG of the network: outputs in the nodes, weights on the edges, biases under nodes."""
    return network_svg(trace.sizes, trace.names, weights, biases, outputs, trace.y, digits)


def network_diagram(net: Network, digits: int = 4) -> str | None:
    """An SVG of ``net``: its neurons named as the tutorials do, each weight's sign and size on
    its edge (labelled for small networks) and its biases; None when a layer is too wide to
    draw. ``Network._repr_svg_`` shows it in Jupyter."""
    if max(net.sizes) > MAX_DRAWN:
        return None
    names = tutorial_names(net.sizes, net.has_bias)
    # In NumPy whatever the network's backend (a GPU's read back: a small network's few).
    weights = [to_numpy(layer.weights) for layer in net.layers]
    biases = [None if layer.bias is None else to_numpy(layer.bias) for layer in net.layers]
    return network_svg(net.sizes, names, weights, biases, digits=digits, style=SVG_STYLE)


#: The look of a diagram that stands alone (the HTML page styles its own through CSS).
SVG_STYLE = (
    "text { font-family: system-ui, sans-serif; } "
    ".label { font-size: 11px; paint-order: stroke; stroke: #fff; stroke-width: 3px; }"
)


def network_svg(
    sizes: list[int],
    names: Names,
    weights: list[np.ndarray],
    biases: list[np.ndarray | None],
    outputs: list[np.ndarray] | None = None,
    targets: np.ndarray | None = None,
    digits: int = 4,
    style: str = "",
) -> str:
    """An SVG of a network: weights on the edges, biases under the nodes, and when given, the
    outputs in the nodes, the targets beside the output layer and a stylesheet."""
    dx, dy, r, margin = 260, 86, 29, 40
    tallest = max(sizes)
    room = 90 if targets is not None else 2 * r  # the targets on the right, or the nodes
    width = margin * 2 + dx * (len(sizes) - 1) + room
    height = margin * 2 + dy * (tallest - 1) + 24

    def position(layer: int, j: int) -> tuple[float, float]:
        offset = (tallest - sizes[layer]) * dy / 2
        return margin + r + layer * dx, margin + offset + j * dy

    labelled = tallest <= MAX_LABELLED
    largest = max(float(abs(w).max()) for w in weights) or 1.0
    edges, labels, nodes = [], [], []
    for layer, W in enumerate(weights):
        for i in range(W.shape[0]):
            for j in range(W.shape[1]):
                (x1, y1), (x2, y2) = position(layer, i), position(layer + 1, j)
                w = float(W[i, j])
                colour = "#2563eb" if w >= 0 else "#dc2626"
                stroke = 0.8 + 3.2 * abs(w) / largest
                edges.append(
                    f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
                    f'stroke="{colour}" stroke-width="{stroke:.2f}" stroke-opacity="0.75"/>'
                )
                if labelled:
                    # At 1/(n_out + 1) of the way, no two labels of a layer share a height.
                    t = 1 / (W.shape[1] + 1)
                    lx, ly = x1 + t * (x2 - x1), y1 + t * (y2 - y1) - 3
                    text = f"{names.weights[layer][i][j]} = {format_number(w, digits)}"
                    labels.append(
                        f'<text class="label" x="{lx:.1f}" y="{ly:.1f}" fill="{colour}">'
                        f"{_e(text)}</text>"
                    )
    for layer, size in enumerate(sizes):
        fill = "#e5e7eb" if layer == 0 else "#dcfce7" if layer == len(sizes) - 1 else "#dbeafe"
        for j in range(size):
            cx, cy = position(layer, j)
            name = names.neurons[layer][j]
            nodes.append(
                f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{r}" fill="{fill}" stroke="#374151"/>'
                f'<text x="{cx:.1f}" y="{cy - (4 if outputs is not None else -4):.1f}" '
                f'text-anchor="middle" font-size="12" font-weight="700">{_e(name)}</text>'
            )
            if outputs is not None:
                value = format_number(float(outputs[layer][j]), digits)
                nodes.append(
                    f'<text x="{cx:.1f}" y="{cy + 11:.1f}" text-anchor="middle" '
                    f'font-size="11">{_e(value)}</text>'
                )
            bias = biases[layer - 1] if layer > 0 else None
            bias_names = names.biases[layer - 1] if layer > 0 else None
            if bias is not None and bias_names is not None:
                text = f"{bias_names[j]} = {format_number(float(bias[j]), digits)}"
                nodes.append(
                    f'<text class="label" x="{cx:.1f}" y="{cy + r + 13:.1f}" '
                    f'text-anchor="middle">{_e(text)}</text>'
                )
            if layer == len(sizes) - 1 and targets is not None:
                target = f"target {format_number(float(targets[j]), digits)}"
                nodes.append(
                    f'<text x="{cx + r + 8:.1f}" y="{cy + 4:.1f}" font-size="11">'
                    f"{_e(target)}</text>"
                )
    shown = "outputs in the nodes, weights" if outputs is not None else "weights"
    title = f"The {'-'.join(map(str, sizes))} network: {shown} on the edges"
    return (
        f'<svg width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img">'
        f"<title>{_e(title)}</title>"
        + (f"<style>{style}</style>" if style else "")
        + "".join(edges + labels + nodes)
        + "</svg>"
    )
