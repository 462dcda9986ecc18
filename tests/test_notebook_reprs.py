"""Jupyter shows the library's objects: a Network as an SVG diagram, a Trace as its HTML page,
a History as its plot. The methods are IPython's display protocol; nothing of Jupyter is needed."""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ElementTree

import numpy as np

import backprop as bp
from backprop.explain import render, worked_example


def test_a_network_shows_itself_as_an_svg_diagram_of_its_weights():
    net = bp.Network([2, 2, 2], seed=0)
    svg = net._repr_svg_()
    root = ElementTree.fromstring(svg)  # well-formed, so a notebook can draw it
    assert root.tag.endswith("svg")
    texts = [t.text for t in root.iter() if t.tag.endswith("text")]
    w1 = net.layers[0].weights[0, 0]
    assert f"w1 = {render.format_number(float(w1))}" in texts
    assert {"i1", "i2", "h1", "h2", "o1", "o2"} <= set(texts)
    assert f"b1 = {render.format_number(float(net.layers[0].bias[0]))}" in texts
    assert "<style>" in svg  # it stands alone: its labels carry their own look
    lines = [e for e in root.iter() if e.tag.endswith("line")]
    assert len(lines) == sum(n_in * n_out for n_in, n_out in net.shapes)


def test_a_network_too_wide_to_draw_falls_back_to_its_text():
    assert bp.Network([64, 10])._repr_svg_() is None


def test_a_trace_shows_itself_as_its_html_page_in_a_frame():
    net, x, y, lr = worked_example()
    trace = bp.explain(net, x, y, lr)
    shown = trace._repr_html_()
    page = re.fullmatch(r'<iframe srcdoc="(.*?)" .*</iframe>', shown, re.DOTALL)
    assert page is not None
    assert html.unescape(page.group(1)) == render.to_html(trace)


def test_a_history_shows_itself_as_its_plot():
    assert bp.History()._repr_png_() is None  # nothing to plot yet
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], float)
    history = bp.Network([2, 3, 1], seed=0).fit(X, [0, 1, 1, 0], epochs=3, lr=0.5)
    png = history._repr_png_()
    assert png is not None and png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 1000
