"""The playground in a real headless browser: Debian's chromium driven by Playwright, against a
real uvicorn server on a free port of 127.0.0.1.

One server, one browser and one page for the module; the tests run in order on that page, as a
learner would: pick a data set, play, add a layer, explain a step, edit a weight, export.
Every wait is on the page's state, never a sleep. With ``BACKPROP_SCREENSHOT=PATH`` set, the
page is also photographed to PATH (the README's docs/playground.png).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    # CI installs it (.ci/run) and must run these tests: there, its absence is a failure.
    if os.environ.get("CI"):
        pytest.fail(f"CI: no Chromium at {CHROMIUM}: .ci/run should install it", pytrace=False)
    pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)", allow_module_level=True)
pytest.importorskip("playwright", reason="Playwright for Python is not installed")
pytest.importorskip("uvicorn", reason="the playground extra is not installed")

import uvicorn  # noqa: E402
from playwright.sync_api import Page, sync_playwright  # noqa: E402

import backprop as bp  # noqa: E402
from backprop.playground.server import create_app  # noqa: E402
from backprop.playground.serving import free_port, host_names  # noqa: E402

pytestmark = pytest.mark.xdist_group("browser")

#: Longest wait on the page's state, in milliseconds.
WAIT = 20_000
#: The page's errors: its script's, and files it asked for that were not there (none, we hope).
FAILED: list[str] = []


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[Any, str]]:
    """A uvicorn server in a thread: (the app, its URL)."""
    port = free_port()
    app = create_app(host_names("127.0.0.1", port))
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not running.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert running.started, "uvicorn did not start"
    yield app, f"http://127.0.0.1:{port}/"
    running.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def page(server: tuple[Any, str]) -> Iterator[Page]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        context = browser.new_context(
            viewport={"width": 1280, "height": 940}, accept_downloads=True
        )
        page = context.new_page()
        page.on("console", lambda m: FAILED.extend([m.text] if m.type == "error" else []))
        page.on("pageerror", lambda error: FAILED.append(str(error)))
        page.goto(server[1])
        page.wait_for_function("window.playground.frame !== null", timeout=WAIT)
        yield page
        browser.close()


def session(server: tuple[Any, str]) -> Any:
    """The page's session on the server (the page is the only tab)."""
    (tab,) = server[0].state.tabs.values()
    return tab.session


def settle(page: Page) -> None:
    """Wait until every request the page sent is answered."""
    page.wait_for_function("window.playground.waiting === 0", timeout=WAIT)


def test_pick_a_data_set_and_play_the_loss_falls_as_the_history_says(page, server):
    page.click("button[data-dataset=moons]")
    page.wait_for_function("window.playground.config.dataset === 'moons'", timeout=WAIT)
    settle(page)
    page.click("#play")
    page.wait_for_function("window.playground.history.epochs.length >= 15", timeout=WAIT)
    page.click("#play")  # pause
    settle(page)
    shown = page.evaluate("window.playground.history.metrics")
    history = session(server).history
    assert shown["loss"] == history["loss"] and shown["val_loss"] == history["val_loss"]
    assert history["loss"][-1] < history["loss"][0]
    assert float(page.get_attribute("#train-loss", "data-value")) == history["loss"][-1]
    assert page.text_content("#train-loss") == f"{history['loss'][-1]:.4f}"
    assert page.text_content("#epoch") == str(len(history["loss"]))
    # Hovering the curves' right end shows the last epoch's exact numbers.
    box = page.locator("#curves").bounding_box()
    assert box is not None
    at = {"clientX": box["x"] + box["width"] - 1, "clientY": box["y"] + 10}
    page.dispatch_event("#curves", "mousemove", at)
    tip = page.text_content("#curve-tip") or ""
    assert f"training loss {history['loss'][-1]!r}" in tip
    assert f"test loss {history['val_loss'][-1]!r}" in tip


def test_add_a_layer(page, server):
    before = session(server).net.sizes
    page.click("#add-layer")
    page.wait_for_function(
        f"window.playground.network.sizes.length === {len(before) + 1}", timeout=WAIT
    )
    settle(page)
    assert session(server).net.sizes == [*before[:-1], 4, before[-1]]
    assert page.locator(".neuron:not(.input)").count() == sum(session(server).net.sizes[1:])
    # The epoch hovered before belongs to the old network's history: its numbers are gone.
    assert "training loss" not in (page.text_content("#curve-tip") or "")


def test_click_a_point_and_the_trace_shows_bp_explains_numbers(page, server):
    page.click("#epoch-button")
    settle(page)
    # The pixel of training point 0, in the page's own coordinates.
    x, y = page.evaluate(
        """() => {
            const canvas = document.getElementById('plane');
            const [px, py] = toPixel(window.playground.data.train.x[0], canvas);
            const rect = canvas.getBoundingClientRect();
            return [rect.left + px * rect.width / canvas.width,
                    rect.top + py * rect.height / canvas.height];
        }"""
    )
    page.mouse.click(x, y)
    page.wait_for_function("window.playground.trace !== null", timeout=WAIT)
    assert page.is_visible("#trace-panel")
    part, index = page.evaluate("[window.playground.trace.part, window.playground.trace.index]")
    s = session(server)
    X, Y = (s.X_train, s.Y_train) if part == "train" else (s.X_test, s.Y_test)
    trace = bp.explain(s.net, X[index], Y[index], lr=s.config.lr)
    expected = [(r.symbol, r.value) for sec in trace.sections(trace.steps[0]) for r in sec.rows]
    rows = page.locator("#trace-tables tr[data-symbol]")
    shown = rows.evaluate_all("rows => rows.map(r => [r.dataset.symbol, Number(r.dataset.value)])")
    assert [tuple(row) for row in shown] == expected
    estimates = page.locator("#trace-tables tr[data-estimate]").count()
    assert estimates == s.net.n_parameters  # a finite difference beside every gradient


def test_edit_a_weight(page, server):
    edge = page.locator('.edge-hit[data-layer="1"][data-i="0"][data-j="1"]')
    edge.dispatch_event("click", {"clientX": 300, "clientY": 300})
    page.wait_for_selector("#editor:not([hidden])", timeout=WAIT)
    page.fill("#editor-value", "1.25")
    page.press("#editor-value", "Enter")
    settle(page)
    assert session(server).net.layers[1].weights[0, 1] == 1.25
    assert page.evaluate("window.playground.frame.weights[1][0][1]") == 1.25


def test_export_the_model_and_load_it(page, server, tmp_path: Path):
    with page.expect_download() as download:
        page.click("#download-model")
    path = tmp_path / "model.npz"
    download.value.save_as(path)
    loaded = bp.load(path)
    np.testing.assert_array_equal(loaded.parameter_vector, session(server).net.parameter_vector)
    assert "%22dataset%22" in page.url  # the settings are in the link
    assert FAILED == []  # no script error, no file missing (the browser's icon included)


def test_a_link_restores_the_settings_in_a_tab_of_its_own(page, server):
    settings = page.evaluate("window.playground.config")
    other = page.context.new_page()
    other.goto(page.url)  # the settings are in the link's hash
    other.wait_for_function(
        f"window.playground.config && window.playground.config.hidden.length === "
        f"{len(settings['hidden'])}",
        timeout=WAIT,
    )
    settle(other)
    token = other.evaluate("window.playground.token")
    assert token != page.evaluate("window.playground.token")
    assert server[0].state.tabs[token].session.config.to_json() == settings
    assert server[0].state.tabs[token].session.epoch == 0  # a session of its own
    other.close()


def test_screenshot_for_the_readme(page, server):
    """With BACKPROP_SCREENSHOT=PATH, a picture of the page learning moons."""
    path = os.environ.get("BACKPROP_SCREENSHOT")
    if not path:
        pytest.skip("set BACKPROP_SCREENSHOT=docs/playground.png to take the README's picture")
    page.click("#close-trace")
    page.evaluate('configure({"dataset": "moons", "hidden": [6, 6], "lr": 0.03, "seed": 0})')
    page.wait_for_function("window.playground.network.sizes.join() === '2,6,6,1'", timeout=WAIT)
    page.check("#show-test")
    for _ in range(80):  # 80 epochs exactly, one at a time: the same picture every time
        page.click("#epoch-button")
        settle(page)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=path, full_page=False)
