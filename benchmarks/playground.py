"""How live the playground feels: screen updates per second while playing, and a step's round trip.

The network is issue 11's: [2, 8, 8, 1] (tanh) on moons, each update one epoch of ``fit``
(batch 10) followed by the boundary on a 50 x 50 grid and the heat maps of the two inputs and
every hidden neuron.

1. In process, through the WebSocket (Starlette's TestClient): the server's side alone,
   "epoch" messages answered back to back, and "step" messages one at a time.
2. In the browser (Debian's chromium, headless, driven by Playwright), against a real
   uvicorn server: what the user sees. Playing for a few seconds counts the epochs drawn; a
   click on "+1 step" is timed from the click until the page has drawn the new frame.

    .venv/bin/python benchmarks/playground.py               # both (chromium if installed)
    .venv/bin/python benchmarks/playground.py --no-browser
"""

from __future__ import annotations

import argparse
import os
import statistics
import threading
import time
import warnings
from pathlib import Path
from typing import Any

CONFIG = {"dataset": "moons", "hidden": [8, 8], "activations": ["tanh", "tanh"], "grid": 50}
CHROMIUM = Path("/usr/bin/chromium")


def in_process(updates: int, steps: int) -> dict[str, float]:
    """Updates per second and step round trips of the server alone, through the WebSocket."""
    with warnings.catch_warnings():  # Starlette 1.x prefers the httpx2 fork; httpx works
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient

    from backprop.playground.server import create_app

    client = TestClient(create_app(["testserver"]))
    with client.websocket_connect("/ws", headers={"origin": "http://testserver"}) as ws:
        ws.receive_json()
        ws.receive_json()
        ws.send_json({"type": "config", "config": CONFIG})
        state = ws.receive_json()
        assert state["network"]["sizes"] == [2, 8, 8, 1], state
        assert len(state["frame"]["grid"]["maps"]) == 2 + 16  # inputs and hidden neurons
        for _ in range(5):  # warm up
            ws.send_json({"type": "epoch"})
            ws.receive_json()
        start = time.perf_counter()
        for _ in range(updates):
            ws.send_json({"type": "epoch"})
            ws.receive_json()
        per_second = updates / (time.perf_counter() - start)
        times = []
        for _ in range(steps):
            start = time.perf_counter()
            ws.send_json({"type": "step"})
            ws.receive_json()
            times.append((time.perf_counter() - start) * 1000)
    return {
        "updates_per_second": per_second,
        "step_ms_median": statistics.median(times),
        "step_ms_p95": sorted(times)[int(0.95 * len(times)) - 1],
    }


def in_browser(seconds: float, steps: int) -> dict[str, float]:
    """Epochs drawn per second while playing, and a step's click-to-drawn time, in chromium."""
    import uvicorn
    from playwright.sync_api import sync_playwright

    from backprop.playground.server import create_app
    from backprop.playground.serving import free_port, host_names

    port = free_port()
    app = create_app(host_names("127.0.0.1", port))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(f"http://127.0.0.1:{port}/")
            page.wait_for_function("window.playground.frame !== null")
            page.evaluate(f"configure({CONFIG!r})".replace("'", '"'))
            page.wait_for_function("window.playground.network.sizes.join() === '2,8,8,1'")
            page.wait_for_function("window.playground.waiting === 0")
            page.click("#play")
            page.wait_for_function("window.playground.history.epochs.length >= 5")
            first = page.evaluate("window.playground.history.epochs.length")
            start = time.perf_counter()
            time.sleep(seconds)
            last = page.evaluate("window.playground.history.epochs.length")
            elapsed = time.perf_counter() - start
            page.click("#play")
            page.wait_for_function("window.playground.waiting === 0")
            # From the click to the frame drawn: the reply handled, then the next paint.
            times = page.evaluate(
                """async (n) => {
                    const times = [];
                    for (let k = 0; k < n; k++) {
                        const seen = window.playground.replies;
                        const start = performance.now();
                        document.getElementById('step-button').click();
                        while (window.playground.replies === seen) {
                            await new Promise((done) => setTimeout(done, 0));
                        }
                        await new Promise((done) => requestAnimationFrame(() => done()));
                        times.push(performance.now() - start);
                    }
                    return times;
                }""",
                steps,
            )
            browser.close()
    finally:
        server.should_exit = True
        thread.join(10)
    return {
        "updates_per_second": (last - first) / elapsed,
        "step_ms_median": statistics.median(times),
        "step_ms_p95": sorted(times)[int(0.95 * len(times)) - 1],
    }


def report(where: str, figures: dict[str, Any]) -> None:
    print(
        f"{where}: {figures['updates_per_second']:.1f} updates/s while playing; "
        f"step {figures['step_ms_median']:.1f} ms median, {figures['step_ms_p95']:.1f} ms p95"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-browser", action="store_true", help="the in-process figures only")
    parser.add_argument("--updates", type=int, default=200, help="epochs timed in process")
    parser.add_argument("--steps", type=int, default=50, help="steps timed")
    parser.add_argument("--seconds", type=float, default=5.0, help="seconds of play in chromium")
    args = parser.parse_args()
    print(
        "[2, 8, 8, 1] tanh on moons, batch 10, 50 x 50 grid + 18 heat maps; "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}"
    )
    report("server, through the WebSocket", in_process(args.updates, args.steps))
    if args.no_browser:
        return
    if not CHROMIUM.exists():
        print(f"browser: skipped, no Chromium at {CHROMIUM}")
        return
    report("chromium, drawn on the page", in_browser(args.seconds, args.steps))


if __name__ == "__main__":
    main()
