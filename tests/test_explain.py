"""bp.explain: every number of a trace is the engine's; the renderings; `backprop explain`."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

import backprop as bp
from backprop.cli import main
from backprop.explain import (
    Trace,
    explain,
    network_from_weights,
    render,
    tutorial_names,
    worked_example,
)

# Networks that exercise every delta rule: chain (element-wise output and squared error),
# fused (softmax + cross-entropy, sigmoid + binary cross-entropy) and the softmax Jacobian.
NETWORKS = {
    "sigmoid 2-2-1": dict(sizes=[2, 2, 1], activation="sigmoid"),
    "tanh/sigmoid mse 3-4-2": dict(
        sizes=[3, 4, 2], activation="tanh", output="sigmoid", loss="mse"
    ),
    "relu softmax cross-entropy 3-4-3": dict(sizes=[3, 4, 3], activation="relu", output="softmax"),
    "sigmoid bce 2-3-2": dict(sizes=[2, 3, 2], activation="sigmoid", loss="binary_cross_entropy"),
    "softmax squared error 2-3-3": dict(
        sizes=[2, 3, 3], activation="tanh", output="softmax", loss="half_squared_error"
    ),
    "leaky/identity no bias 2-3-3-2": dict(
        sizes=[2, 3, 3, 2], activation="leaky_relu", output="identity", bias=False
    ),
}


def make(name: str, seed: int = 3) -> tuple[bp.Network, np.ndarray, np.ndarray]:
    """A network of NETWORKS with one sample x and its target y (one-hot for softmax)."""
    spec = dict(NETWORKS[name])
    sizes = spec.pop("sizes")
    net = bp.Network(sizes, seed=seed, **spec)
    rng = np.random.default_rng(seed)
    x = rng.normal(size=sizes[0])
    y = np.eye(sizes[-1])[1] if sizes[-1] > 1 else np.array([0.8])
    return net, x, y


# -- every number is the engine's ---------------------------------------------------------------


@pytest.mark.parametrize("name", NETWORKS)
def test_trace_numbers_are_the_engines(name):
    net, x, y = make(name)
    lr, steps = 0.3, 3
    before = [p.copy() for p in net.parameters]
    trace = explain(net, x, y, lr, steps=steps)
    for p, q in zip(before, net.parameters, strict=True):
        np.testing.assert_array_equal(p, q)  # explain trains a copy

    replay = net.copy()
    X, Y = x[None, :], y[None, :]
    for step in trace.steps:
        z, a = replay.forward(X)
        grads = replay.gradients(X, Y)
        assert step.loss == replay.evaluate(X, Y)["loss"]
        for layer, (dW, db) in enumerate(grads):
            np.testing.assert_array_equal(step.net_inputs[layer], z[layer][0])
            np.testing.assert_array_equal(step.outputs[layer + 1], a[layer + 1][0])
            np.testing.assert_array_equal(step.weight_gradients[layer], dW)
            if db is None:
                assert step.bias_gradients[layer] is None
            else:
                np.testing.assert_array_equal(step.bias_gradients[layer], db)
                np.testing.assert_array_equal(step.deltas[layer], db)  # δ = dE/db
            # dE/dw = out of the input × δ of the neuron: the displayed deltas give the engine's dW
            np.testing.assert_allclose(
                np.outer(a[layer][0], step.deltas[layer]), dW, rtol=1e-12, atol=1e-15
            )
        assert replay.train_step(X, Y, lr) == step.loss
        for layer, dense in enumerate(replay.layers):
            np.testing.assert_array_equal(step.weights_after[layer], dense.weights)
            if dense.bias is not None:
                np.testing.assert_array_equal(step.biases_after[layer], dense.bias)
        np.testing.assert_array_equal(step.outputs_after[-1], replay.predict(X)[0])
    for p, q in zip(trace.network.parameters, replay.parameters, strict=True):
        np.testing.assert_array_equal(p, q)


@pytest.mark.parametrize("name", NETWORKS)
def test_displayed_delta_factors_multiply_to_the_engines_delta(name):
    net, x, y = make(name)
    trace = explain(net, x, y, 0.1)
    step = trace.steps[0]
    last = len(step.deltas) - 1
    for layer, delta in enumerate(step.deltas):
        error, slope = step.errors[layer], step.derivatives[layer]
        if layer == last and trace.delta_rule == "fused":
            assert error is None and slope is None
            np.testing.assert_allclose(delta, step.outputs[-1] - trace.y, rtol=1e-12)
        elif layer == last and trace.delta_rule == "jacobian":
            assert error is not None and slope is None
            a = step.outputs[-1]
            np.testing.assert_allclose(delta, a * (error - error @ a), rtol=1e-12, atol=1e-15)
        else:
            assert error is not None and slope is not None
            np.testing.assert_allclose(error * slope, delta, rtol=1e-12, atol=1e-15)


#: Where each displayed quantity sits in a trace's arrays, by the row's index.
ENGINE = {
    "input": lambda t, s, i: s.outputs[0][i[0]],
    "target": lambda t, s, i: t.y[i[0]],
    "net": lambda t, s, i: s.net_inputs[i[0]][i[1]],
    "out": lambda t, s, i: s.outputs[i[0] + 1][i[1]],
    "loss": lambda t, s, i: s.loss,
    "error": lambda t, s, i: s.errors[i[0]][i[1]],
    "derivative": lambda t, s, i: s.derivatives[i[0]][i[1]],
    "delta": lambda t, s, i: s.deltas[i[0]][i[1]],
    "dw": lambda t, s, i: s.weight_gradients[i[0]][i[1], i[2]],
    "db": lambda t, s, i: s.bias_gradients[i[0]][i[1]],
    "w": lambda t, s, i: s.weights_after[i[0]][i[1], i[2]],
    "b": lambda t, s, i: s.biases_after[i[0]][i[1]],
    "out_after": lambda t, s, i: s.outputs_after[i[0] + 1][i[1]],
    "loss_after": lambda t, s, i: s.loss_after,
}


@pytest.mark.parametrize("name", NETWORKS)
def test_every_row_holds_the_engines_number(name):
    """Each displayed value is the array entry its quantity and index name."""
    net, x, y = make(name)
    trace = explain(net, x, y, 0.2, steps=2)
    for step in trace.steps:
        seen = set()
        for section in trace.sections(step):
            for row in section.rows:
                seen.add(row.quantity)
                if row.quantity == "sum":
                    continue
                assert row.value == ENGINE[row.quantity](trace, step, row.index), row
        n_weights = sum(w.size for w in step.weights_before)
        sections = trace.sections(step)
        assert sum(r.quantity == "dw" for s in sections for r in s.rows) == n_weights
        assert sum(r.quantity == "w" for s in sections for r in s.rows) == n_weights
        assert {"input", "net", "out", "loss", "delta", "dw", "w", "out_after"} <= seen


def as_python(arithmetic: str) -> str:
    """The displayed arithmetic as a Python expression."""
    for shown, python in (
        ("×", "*"),
        ("½", "0.5"),
        ("²", "**2"),
        ("e^(", "exp("),
        ("Σ", ""),
    ):
        arithmetic = arithmetic.replace(shown, python)
    return arithmetic


@pytest.mark.parametrize("name", NETWORKS)
def test_displayed_arithmetic_evaluates_to_the_value(name):
    """The 'with numbers' column, at full precision, computes the row's value."""
    net, x, y = make(name)
    trace = explain(net, x, y, 0.2)
    env = {"exp": math.exp, "log": math.log, "tanh": math.tanh, "max": max}
    checked = 0
    for section in trace.sections(trace.steps[0]):
        for row in section.rows:
            if not row.arithmetic or "…" in row.arithmetic:
                continue
            result = eval(as_python(row.numbers(repr)), env)  # our own strings
            assert result == pytest.approx(row.value, rel=1e-9, abs=1e-12), row
            checked += 1
    assert checked > 20


# -- the worked example -------------------------------------------------------------------------


def test_worked_example_shows_the_tutorials_numbers():
    net, x, y, lr = worked_example()
    trace = explain(net, x, y, lr)
    step = trace.steps[0]
    assert round(step.outputs[-1][0], 3) == 0.191
    assert round(step.loss, 3) == 0.327
    new = {
        name: step.weights_after[layer][i, j]
        for layer, grid in enumerate(trace.names.weights)
        for i, row in enumerate(grid)
        for j, name in enumerate(row)
    }
    # w1, w2, w5, w6 as the tutorial prints them. w3 and w4 are what its own formulas give
    # (dE/dw3 = δ_o1 × w6 × i1): 0.12 + 0.05 × 0.809 × 0.15 × 2 = 0.1321, and 0.0982 for w4.
    expected = {"w1": 0.1213, "w2": 0.2270, "w3": 0.1321, "w4": 0.0982, "w5": 0.1744, "w6": 0.1694}
    assert {k: round(v, 4) for k, v in new.items()} == expected
    assert round(step.outputs_after[-1][0], 4) == 0.2557

    text = render.to_text(trace, width=200)
    for shown in ["0.191", "0.3272", "-0.809", "0.2557", "(-0.809) × 0.85", "-0.6876"]:
        assert shown in text, shown
    for name, value in expected.items():
        assert re.search(rf"{name} \(new\).*{value:.4f}", text), name
    assert "dE/dout_o1 × dout_o1/dnet_o1 × dnet_o1/dw5 = δ_o1 × out_h1" in text
    assert "0.14 - 0.05 × (-0.6876)" in text
    assert "(1, 0, 0)" in text  # w5 beside its matrix index


def test_tutorial_names_number_weights_neuron_by_neuron():
    names = tutorial_names([2, 2, 1], has_bias=True)
    assert names.neurons == [["i1", "i2"], ["h1", "h2"], ["o1"]]
    assert names.weights[0] == [["w1", "w3"], ["w2", "w4"]]  # [i][j]: w1 i1->h1, w2 i2->h1
    assert names.weights[1] == [["w5"], ["w6"]]
    assert names.biases == [["b1", "b2"], ["b3"]]
    deep = tutorial_names([3, 2, 2, 1], has_bias=False)
    assert deep.neurons[1:] == [["h1_1", "h1_2"], ["h2_1", "h2_2"], ["o1"]]
    assert deep.weights[1] == [["w7", "w9"], ["w8", "w10"]]
    assert deep.biases == [None, None, None]


def test_several_steps_continue_from_each_other():
    net, x, y, lr = worked_example()
    trace = explain(net, x, y, lr, steps=4)
    assert [s.number for s in trace.steps] == [1, 2, 3, 4]
    for previous, step in zip(trace.steps, trace.steps[1:], strict=False):
        for a, b in zip(previous.weights_after, step.weights_before, strict=True):
            np.testing.assert_array_equal(a, b)
        assert step.loss == previous.loss_after
    assert trace.steps[-1].loss_after < trace.steps[0].loss


def test_large_network_is_explained_with_shortened_sums():
    net = bp.Network([20, 8, 4], activation="relu", output="softmax", seed=0)
    trace = explain(net, np.linspace(0, 1, 20), 2, 0.1)
    forward = trace.sections(trace.steps[0])[0]
    assert any("…" in row.formula for row in forward.rows)
    assert "w160" in render.to_markdown(trace)  # 20*8 weights into the hidden layer
    assert "not drawn" in render.to_html(trace)


# -- bad input from Python ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("x", "y", "lr", "steps", "message"),
    [
        ([1.0, 2.0, 3.0], [1.0], 0.1, 1, r"x has 3 value\(s\) but the network has 2 input"),
        ([1.0, 2.0], [1.0, 0.0], 0.1, 1, r"y has 2 value\(s\) but the network has 1 output"),
        ([1.0, 2.0], [1.0], -0.1, 1, r"lr must be a positive"),
        ([1.0, 2.0], [1.0], 0.1, 0, r"steps must be an integer >= 1"),
        ([1.0, "a"], [1.0], 0.1, 1, r"X must hold numbers"),
    ],
)
def test_bad_input_raises_a_clear_error(x, y, lr, steps, message):
    net = bp.Network([2, 2, 1], seed=0)
    with pytest.raises((ValueError, TypeError), match=message):
        explain(net, x, y, lr, steps)


def test_weights_file_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        network_from_weights(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text('{"layers": [{"weights": [[1, 2, 3], [4, 5, 6]]}, {"weights": [[1], [2]]}]}')
    with pytest.raises(ValueError, match=r"holds a 2-3-1 network, but sizes \[2, 2, 1\]"):
        network_from_weights(bad, sizes=[2, 2, 1])
    with pytest.raises(ValueError, match=r"layers\[1\].weights has shape \(2, 1\)"):
        network_from_weights(bad)
    bad.write_text('{"sizes": [2, 2, 1], "w": [0.1, 0.2]}')
    with pytest.raises(ValueError, match=r"have 6 weights \(w1..w6\), got 2"):
        network_from_weights(bad)
    bad.write_text("{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        network_from_weights(bad)


def test_weights_file_forms_give_the_worked_example(tmp_path):
    numbered = tmp_path / "numbered.json"
    numbered.write_text(json.dumps({"sizes": [2, 2, 1], "w": [0.11, 0.21, 0.12, 0.08, 0.14, 0.15]}))
    matrices = tmp_path / "matrices.json"
    matrices.write_text(
        json.dumps(
            {"layers": [{"weights": [[0.11, 0.12], [0.21, 0.08]]}, {"weights": [[0.14], [0.15]]}]}
        )
    )
    reference, *_ = worked_example()
    for path in (numbered, matrices):
        net = network_from_weights(path, activation="identity")
        for a, b in zip(net.parameters, reference.parameters, strict=True):
            np.testing.assert_array_equal(a, b)


# -- renderings ---------------------------------------------------------------------------------


class Tags(HTMLParser):
    """Counts the tags and collects every attribute value of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: dict[str, int] = {}
        self.attributes: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag, attrs):
        self.tags[tag] = self.tags.get(tag, 0) + 1
        self.attributes += attrs


def test_html_page_is_self_contained_with_svg_and_tables():
    net, x, y = make("sigmoid bce 2-3-2")
    trace = explain(net, x, y, 0.5, steps=2)
    page = render.to_html(trace)
    parser = Tags()
    parser.feed(page)
    parser.close()
    assert parser.tags["svg"] == 4  # before and after each of the two steps
    assert parser.tags["table"] == 10  # five stages per step
    assert parser.tags["circle"] == 4 * sum(trace.sizes)
    for outside in ("http:", "https:", "//", "src=", "<script", "<link", "url("):
        assert outside not in page, outside
    assert not [name for name, _ in parser.attributes if name in ("src", "href")]
    for svg in re.findall(r"<svg.*?</svg>", page, re.S):
        ET.fromstring(svg)  # well-formed
    assert "w1 = " in page and "b1 = " in page  # weights on the edges, biases by the nodes


def test_markdown_has_a_table_per_stage():
    net, x, y, lr = worked_example()
    text = render.to_markdown(explain(net, x, y, lr))
    assert text.count("| name | index | formula | with numbers | value |") == 5
    assert (
        "`w5 (new)` | (1, 0, 0) | `w5 - lr × dE/dw5` | `0.14 - 0.05 × (-0.6876)` | 0.1744 |" in text
    )


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (0.191, "0.191"),
        (0.226989, "0.2270"),
        (2.0, "2"),
        (-0.809, "-0.809"),
        (1.5e-5, "1.5e-05"),
        (0.0, "0"),
        (-1e-20, "-1e-20"),
        (123.456789, "123.4568"),
    ],
)
def test_format_number(value, shown):
    assert render.format_number(value) == shown


# -- the command line ---------------------------------------------------------------------------


@pytest.fixture
def run(capsys):
    """Call backprop.cli.main and return (exit code, stdout, stderr)."""

    def call(*args: str) -> tuple[int, str, str]:
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return call


def test_cli_worked_example(run, tmp_path):
    code, out, err = run("explain", "worked-example")
    assert code == 0, err
    assert "0.191" in out and "0.2557" in out and "0.1744" in out
    for fmt, suffix in (("markdown", ".md"), ("html", ".html")):
        path = tmp_path / f"trace{suffix}"
        code, _, err = run("explain", "worked-example", "--steps", "2", "--out", str(path))
        assert code == 0, err
        text = path.read_text(encoding="utf-8")
        assert ("<svg" in text) == (fmt == "html")
        assert "Step 2 of 2" in text


def test_cli_other_networks(run, tmp_path):
    weights = tmp_path / "net.json"
    weights.write_text(json.dumps({"sizes": [2, 2, 1], "w": [0.11, 0.21, 0.12, 0.08, 0.14, 0.15]}))
    args = ["--input", "2,3", "--target", "1", "--lr", "0.05", "--format", "markdown"]
    code, out, err = run("explain", "--weights", str(weights), "--activation", "identity", *args)
    assert code == 0, err
    assert "0.2557" in out
    code, out, err = run(
        "explain", "--sizes", "3,4,3", "--activation", "relu", "--output", "softmax",
        "--input", "1,0,-1", "--target", "2", "--format", "markdown",
    )  # fmt: skip
    assert code == 0, err
    assert "cross_entropy" in out and "fused" in out
    model = tmp_path / "model.npz"
    bp.save(bp.Network([2, 3, 1], seed=0), model)
    code, out, err = run("explain", "--model", str(model), "--input", "1,2", "--target", "0")
    assert code == 0, err
    assert "Update" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--sizes", "2,2,1", "--weights", "WEIGHTS", "--input", "1,2", "--target", "1"],
         "holds a 3-2-1 network, but sizes [2, 2, 1]"),
        (["--weights", "missing.json", "--input", "1,2", "--target", "1"], "does not exist"),
        (["--model", "missing.npz", "--input", "1,2", "--target", "1"], "does not exist"),
        (["--sizes", "2,2,1", "--input", "1,2,3", "--target", "1"], "x has 3 value(s)"),
        (["--sizes", "2,2,1", "--input", "1,a", "--target", "1"], "--input must be numbers"),
        (["--sizes", "2,2,1", "--input", "1,2"], "--target"),
        (["--input", "1,2", "--target", "1"], "give a network"),
        (["worked-example", "--sizes", "2,2,1"], "worked-example fixes the network"),
        (["--sizes", "2,2,1", "--activation", "bogus", "--input", "1,2", "--target", "1"],
         "activation='bogus' is not supported"),
    ],
)  # fmt: skip
def test_cli_bad_input_is_one_line_and_exit_code_2(run, tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "WEIGHTS").write_text(
        json.dumps({"layers": [{"weights": [[1, 2]] * 3}, {"weights": [[1]] * 2}]})
    )
    code, out, err = run("explain", *args)
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("backprop: error: "), err
    assert message in err
    assert "Traceback" not in err + out


def test_console_script_reports_a_bad_weights_file(tmp_path):
    script = Path(sys.executable).with_name("backprop")
    result = subprocess.run(
        [str(script), "explain", "--weights", str(tmp_path / "none.json"), "--input", "1"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("backprop: error: weights file")
    assert result.stderr.count("\n") == 1 and result.stdout == ""


def test_trace_is_a_dataclass_of_the_given_settings():
    net, x, y, lr = worked_example()
    trace = explain(net, x, y, lr)
    assert isinstance(trace, Trace)
    assert trace.sizes == [2, 2, 1] and trace.lr == 0.05 and trace.loss_name == "half_squared_error"
    assert trace.describe() == (
        "network 2-2-1 (identity, no biases), loss half_squared_error, learning rate 0.05"
    )


def test_renderings_check_their_digits_and_explain_its_sample():
    """A bug hunt: digits=-1 failed in a format string; x=None read as 'x has 1 value(s)'."""
    from backprop.explain import render

    net = bp.Network([2, 2, 1], seed=0)
    trace = bp.explain(net, [0.05, 0.10], [0.01], lr=0.5)
    for write in (render.to_text, render.to_markdown, render.to_html):
        with pytest.raises(ValueError, match=r"digits must be an integer from 1 to 17, got -1"):
            write(trace, digits=-1)
    with pytest.raises(TypeError, match=r"x is None"):
        bp.explain(net, None, [0.01], lr=0.5)
