"""The playground's server in process (Starlette's TestClient): the protocol, its refusals, and
that every number the page is sent is the engine's."""

from __future__ import annotations

import base64
import json
import re
import signal
import socket
import subprocess
import sys
import time
import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("starlette", reason="the playground extra is not installed")
pytest.importorskip("httpx", reason="Starlette's TestClient needs httpx")

with warnings.catch_warnings():  # Starlette 1.x prefers the httpx2 fork; httpx works the same
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

import backprop as bp
from backprop.cli import main
from backprop.playground import limits, serving
from backprop.playground.config import Config
from backprop.playground.export import script
from backprop.playground.server import create_app
from backprop.playground.session import Session
from backprop.playground.views import grid_points
from backprop.run.reports import regression

ORIGIN = {"origin": "http://testserver"}


@pytest.fixture(scope="module")
def app() -> Any:
    return create_app(["testserver"])


@pytest.fixture(scope="module")
def client(app: Any) -> TestClient:
    return TestClient(app)


@contextmanager
def tab(client: TestClient, **config: Any):
    """A connected tab: (socket, token, first state), with ``config`` applied."""
    with client.websocket_connect("/ws", headers=ORIGIN) as ws:
        hello = ws.receive_json()
        state = ws.receive_json()
        assert (hello["type"], state["type"]) == ("hello", "state")
        if config:
            state = ask(ws, "config", config=config)
            assert state["type"] == "state", state
        yield ws, hello["token"], state


def ask(ws: Any, kind: str, **fields: Any) -> dict[str, Any]:
    ws.send_json({"type": kind, **fields})
    return ws.receive_json()


def session_of(app: Any, token: str) -> Session:
    return app.state.tabs[token].session


def floats(text: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(text), dtype="<f8")


# -- the page ----------------------------------------------------------------------------------


def test_the_page_and_its_files_are_served_and_load_nothing_from_outside(client: TestClient):
    page = client.get("/")
    assert page.status_code == 200 and "backprop playground" in page.text
    for name in ("playground.js", "playground.css"):
        response = client.get(f"/static/{name}")
        assert response.status_code == 200 and response.text
        text = response.text.replace("http://www.w3.org/2000/svg", "")  # a name, not a fetch
        assert not re.search(r"https?://|@import|url\(", text), name
    assert not re.search(r"(src|href)=\"(https?:)?//", page.text)
    assert client.get("/static/../server.py").status_code == 404
    assert client.get("/static/nosuch.js").status_code == 404


# -- refusals ------------------------------------------------------------------------------------


def test_a_request_for_another_host_is_refused(client: TestClient):
    response = client.get("/", headers={"host": "attacker.example"})
    assert response.status_code == 400 and "attacker.example" in response.text
    headers = {**ORIGIN, "host": "attacker.example"}
    with (
        pytest.raises(WebSocketDisconnect) as refused,
        client.websocket_connect("/ws", headers=headers),
    ):
        pass
    assert refused.value.code == 1008


@pytest.mark.parametrize("origin", [None, "http://attacker.example", "null", "https://testserver"])
def test_a_websocket_from_another_origin_is_refused(client: TestClient, origin: str | None):
    headers = {} if origin is None else {"origin": origin}
    with (
        pytest.raises(WebSocketDisconnect) as refused,
        client.websocket_connect("/ws", headers=headers),
    ):
        pass
    assert refused.value.code == 1008


def test_an_upload_over_the_limit_gets_a_clear_message(client: TestClient):
    with tab(client) as (ws, token, _):
        big = b"x,y,label\n" + b"1,2,0\n" * (limits.MAX_UPLOAD_BYTES // 6 + 1)
        response = client.post(f"/upload/{token}", content=big, headers=ORIGIN)
        assert response.status_code == 413
        assert "20 MB" in response.json()["message"]
        assert ask(ws, "epoch")["type"] == "frame"  # the tab goes on


def test_uploads_from_another_origin_or_session_are_refused(client: TestClient):
    with tab(client) as (_, token, _):
        csv = b"a,b,c\n1,2,0\n3,4,1\n"
        other = client.post(f"/upload/{token}", content=csv, headers={"origin": "http://evil.x"})
        assert other.status_code == 403
        unknown = client.post("/upload/not-a-token", content=csv, headers=ORIGIN)
        assert unknown.status_code == 404


def test_a_bad_csv_upload_gets_a_message_and_leaves_the_session_as_it_was(client, app):
    with tab(client) as (ws, token, _):
        response = client.post(f"/upload/{token}", content=b"a,b,c\n1,2\n", headers=ORIGIN)
        assert response.status_code == 400 and response.json()["message"]
        assert session_of(app, token).config.dataset == "circles"
        one_column = client.post(f"/upload/{token}", content=b"a,c\n1,0\n2,1\n", headers=ORIGIN)
        assert one_column.status_code == 400 and "two columns" in one_column.json()["message"]
        assert ask(ws, "epoch")["type"] == "frame"


def test_a_csv_of_too_many_classes_is_refused(client: TestClient):
    """A bug hunt: 1,500 text classes in a 45 KB file made every frame 160 MB (a surface per
    output neuron) and an explained step seconds long."""
    with tab(client) as (ws, token, _):
        rows = b"".join(b"%d,%d,c%d\n" % (i, i * 7 % 13, i % 25) for i in range(100))
        reply = client.post(f"/upload/{token}", content=b"a,b,y\n" + rows, headers=ORIGIN)
        assert reply.status_code == 400, reply.text
        assert (
            "has 25 classes" in reply.json()["message"] and "MAX_CLASSES" in reply.json()["message"]
        )
        assert ask(ws, "epoch")["type"] == "frame"


def test_a_number_too_large_for_a_float_is_a_plain_error(client: TestClient):
    """JSON's integers have no bound: 10**400 raised OverflowError, an 'internal error'."""
    with tab(client) as (ws, _, _):
        reply = ask(ws, "set_weight", layer=0, i=0, j=0, value=10**400)
        assert reply["type"] == "error" and "too large" in reply["message"]
        assert "internal" not in reply["message"]


def test_a_csv_with_too_many_rows_is_refused_after_reading_it_once(client, monkeypatch):
    from backprop.data import load_csv
    from backprop.playground import datasets, session

    reads: list[Any] = []

    def counted(*args: Any, **kwargs: Any) -> Any:
        reads.append(args)
        return load_csv(*args, **kwargs)

    monkeypatch.setattr(limits, "MAX_ROWS", 5)
    monkeypatch.setattr(session, "load_csv", counted)
    monkeypatch.setattr(datasets, "load_csv", counted)
    with tab(client) as (ws, token, _):
        csv = b"a,b,c\n" + b"1,2,0\n2,1,1\n" * 3
        reply = client.post(f"/upload/{token}", content=csv, headers=ORIGIN)
        assert reply.status_code == 400 and "6 rows" in reply.json()["message"]
        assert len(reads) == 1  # a file of a million rows is parsed once, not twice
        assert ask(ws, "epoch")["type"] == "frame"


def test_an_upload_error_names_the_file_not_the_servers_temporary_folder(client, app):
    with tab(client) as (_, token, _):
        for content in (b"a,b,c\n\xff\xfe,1,2\n", b"a,b,c\n1,x,0\n2,3,1\n"):
            reply = client.post(f"/upload/{token}", content=content, headers=ORIGIN)
            message = reply.json()["message"]
            assert reply.status_code == 400 and "'upload.csv'" in message
            assert str(app.state.tabs[token].folder.name) not in message, message


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"hidden": [4] * (limits.MAX_HIDDEN_LAYERS + 1)}, "at most 8"),
        ({"hidden": [limits.MAX_NEURONS + 1]}, "from 1 to 32"),
        ({"grid": limits.MAX_GRID + 1}, "grid=101"),
        ({"lr": -1}, "lr=-1"),
        ({"batch_size": 0}, "batch_size=0"),
        ({"dataset": "mnist"}, "dataset='mnist'"),
        ({"activations": ["softmax"]}, "activations[0]='softmax'"),
        ({"loss": "binary_cross_entropy", "dataset": "spiral"}, "two classes"),
        ({"loss": "cross_entropy", "dataset": "ripple"}, "regression"),
        ({"features": []}, "at least one"),
        ({"nosuch": 1}, "unknown setting 'nosuch'"),
        ({"dataset": "csv"}, "upload one first"),
    ],
)
def test_settings_beyond_the_limits_get_an_error_and_change_nothing(client, changes, expected):
    with tab(client) as (ws, _, state):
        reply = ask(ws, "config", config=changes)
        assert reply["type"] == "error" and expected in reply["message"], reply
        again = ask(ws, "state")
        assert again["config"] == state["config"]


def test_the_largest_network_allowed_trains(client: TestClient):
    hidden = [limits.MAX_NEURONS] * limits.MAX_HIDDEN_LAYERS
    with tab(client, hidden=hidden, activations=["relu"] * len(hidden)) as (ws, _, state):
        assert state["network"]["sizes"] == [2, *hidden, 1]
        assert ask(ws, "epoch")["type"] == "frame"


MALFORMED = [
    "not json",
    "[1, 2]",
    "null",
    '"epoch"',
    "{}",
    '{"type": 7}',
    '{"type": "nosuch"}',
    '{"type": "config"}',
    '{"type": "config", "config": [1]}',
    '{"type": "config", "config": {"lr": "fast"}}',
    '{"type": "config", "config": {"hidden": "8,8"}}',
    '{"type": "config", "config": {"seed": true}}',
    '{"type": "config", "config": {"lr": 1e400}}',
    '{"type": "explain"}',
    '{"type": "explain", "part": "train", "index": -1}',
    '{"type": "explain", "part": "train", "index": 100000}',
    '{"type": "explain", "part": ["x"], "index": 0}',
    '{"type": "apply_step"}',
    '{"type": "set_weight", "layer": 9, "i": 0, "j": 0, "value": 1}',
    '{"type": "set_weight", "layer": 0, "i": 0, "j": 0, "value": "1"}',
    '{"type": "set_weight", "layer": 0, "i": 0, "j": 0, "value": 1e300}',
    '{"type": "set_weight", "layer": 0, "i": 5, "j": 0, "value": 1}',
    '{"type": "set_weight", "layer": 0, "j": 0, "value": 1}',
    "[" * 50_000,  # nested deeper than Python's JSON parser goes
    '{"type": "config", "config": {"hidden": ' + "[" * 30_000 + "]" * 30_000 + "}}",
]


@pytest.mark.parametrize("text", MALFORMED)
def test_a_malformed_message_gets_an_error_and_the_tab_goes_on(client: TestClient, text: str):
    with tab(client) as (ws, _, _):
        ws.send_text(text)
        reply = ws.receive_json()
        assert reply["type"] == "error" and reply["message"], reply
        assert ask(ws, "epoch")["epoch"] == 1


def test_binary_and_oversized_messages_get_an_error(client: TestClient):
    with tab(client) as (ws, _, _):
        ws.send_bytes(b"\x00\x01")
        assert "binary" in ws.receive_json()["message"]
        ws.send_text(json.dumps({"type": "state", "pad": "x" * limits.MAX_MESSAGE_BYTES}))
        assert "too long" in ws.receive_json()["message"]
        assert ask(ws, "epoch")["type"] == "frame"


def test_a_fuzz_of_messages_gets_one_reply_each_and_the_server_keeps_serving(client, app):
    """Random messages of every type with random fields: each answered (a reply or an error),
    none crashing the session, which still trains afterwards."""
    generator = np.random.default_rng(7)
    kinds = ["config", "epoch", "step", "explain", "apply_step", "set_weight", "state", "x", ""]
    values: list[Any] = [None, True, -1, 0, 1, 3, 2.5, 1e308, "", "relu", [], [1, 2], {"a": 1}]
    keys = ["config", "part", "index", "layer", "i", "j", "value", "id"]
    settings = ["lr", "hidden", "features", "activations", "dataset", "grid", "seed", "loss"]
    with tab(client, dataset="xor") as (ws, token, _):
        for _ in range(150):
            message: dict[str, Any] = {"type": str(generator.choice(kinds))}
            for key in generator.choice(keys, size=generator.integers(0, 4), replace=False):
                message[str(key)] = values[generator.integers(len(values))]
            if message["type"] == "config" and generator.random() < 0.5:
                setting = str(generator.choice(settings))
                message["config"] = {setting: values[generator.integers(len(values))]}
            ws.send_text(json.dumps(message))
            reply = ws.receive_json()
            assert reply["type"] in ("error", "state", "frame", "trace"), reply
            assert "internal error" not in reply.get("message", ""), (message, reply)
        assert ask(ws, "config", config={"dataset": "moons"})["type"] == "state"
        assert ask(ws, "epoch")["type"] == "frame"
        assert session_of(app, token).config.dataset == "moons"


def test_a_diverging_epoch_is_an_error_and_leaves_the_weights_as_they_were(client, app):
    with tab(client, dataset="ripple", hidden=[8], activations=["relu"], lr=10.0) as (ws, t, _):
        before = session_of(app, t).net.parameter_vector.copy()
        reply = ask(ws, "epoch")
        assert reply["type"] == "error" and "diverged" in reply["message"]
        np.testing.assert_array_equal(session_of(app, t).net.parameter_vector, before)
        ask(ws, "config", config={"lr": 0.01})
        assert ask(ws, "epoch")["epoch"] == 1


def test_tabs_beyond_the_limit_are_refused(client: TestClient, monkeypatch):
    monkeypatch.setattr(limits, "MAX_SESSIONS", 1)
    with tab(client):
        connect = client.websocket_connect("/ws", headers=ORIGIN)
        with pytest.raises(WebSocketDisconnect) as refused, connect as ws:
            ws.receive_json()
        assert refused.value.code == 1013


def test_applying_a_step_out_of_order_is_refused(client: TestClient):
    with tab(client, dataset="moons") as (ws, _, _):
        assert "explain" in ask(ws, "apply_step")["message"]
        assert ask(ws, "explain", part="train", index=0)["type"] == "trace"
        ask(ws, "epoch")  # the weights change: the explained step no longer applies
        assert ask(ws, "apply_step")["type"] == "error"


def test_each_tab_has_its_own_session(client: TestClient, app: Any):
    with tab(client, dataset="moons") as (one, token_one, _):
        with tab(client, dataset="spiral", hidden=[3]) as (_, token_two, _):
            assert token_one != token_two
            ask(one, "epoch")
            ask(one, "epoch")
            a, b = session_of(app, token_one), session_of(app, token_two)
            assert (a.epoch, b.epoch) == (2, 0)
            assert (a.config.dataset, b.config.dataset) == ("moons", "spiral")
            assert a.net is not b.net and b.net.sizes == [2, 3, 3]
        assert token_two not in app.state.tabs  # a closed tab's session is dropped
    assert token_one not in app.state.tabs


# -- the numbers are the engine's -------------------------------------------------------------


def test_the_boundary_grid_sent_is_net_predict_on_the_grid(client: TestClient, app: Any):
    with tab(client, dataset="spiral", hidden=[6, 5], grid=30) as (ws, token, _):
        frame = ask(ws, "epoch")
        session = session_of(app, token)
        grid = frame["grid"]
        points = grid_points(tuple(grid["box"]), grid["n"])
        expected = session.net.predict(session.plane.inputs(session.config.features, points))
        assert expected.shape == (30 * 30, 3)
        np.testing.assert_array_equal(floats(grid["outputs"]).reshape(expected.shape), expected)
        assert len(grid["maps"]) == 2 + 6 + 5  # a heat map per input and hidden neuron


def test_the_frame_history_is_the_sessions_history(client: TestClient, app: Any):
    with tab(client, dataset="moons", hidden=[8, 8]) as (ws, token, _):
        losses: list[float] = []
        for _ in range(4):
            losses += ask(ws, "epoch")["history"]["metrics"]["loss"]
        history = session_of(app, token).history
        assert losses == history["loss"] and len(history["val_loss"]) == 4
        assert losses[-1] < losses[0]


def test_explain_a_step_shows_bp_explains_numbers_with_finite_differences(client, app):
    with tab(client, dataset="moons", hidden=[3], activations=["sigmoid"]) as (ws, token, _):
        ask(ws, "epoch")
        trace = ask(ws, "explain", part="test", index=5)
        session = session_of(app, token)
        x, y = session.X_test[5], session.Y_test[5]
        expected = bp.explain(session.net, x, y, lr=session.config.lr)
        sections = expected.sections(expected.steps[0])
        assert [s["title"] for s in trace["sections"]] == [s.title for s in sections]
        for shown, section in zip(trace["sections"], sections, strict=True):
            assert [r["symbol"] for r in shown["rows"]] == [r.symbol for r in section.rows]
            assert [r["value"] for r in shown["rows"]] == [r.value for r in section.rows]
        gradients = [
            r for s in trace["sections"] for r in s["rows"] if r["quantity"] in ("dw", "db")
        ]
        assert len(gradients) == session.net.n_parameters
        for row in gradients:
            assert row["smooth"]
            assert row["estimate"] == pytest.approx(row["value"], rel=1e-6, abs=1e-9)


def test_an_explained_step_says_when_training_steps_otherwise(client: TestClient):
    with tab(client, dataset="xor", hidden=[2]) as (ws, _, _):
        assert ask(ws, "explain", index=0)["caveat"] == ""  # SGD without L2: the same step
        ask(ws, "config", config={"optimizer": "adam", "l2": 0.01})
        caveat = ask(ws, "explain", index=0)["caveat"]
        assert "plain gradient descent" in caveat and "adam" in caveat and "L2 0.01" in caveat


def test_applying_the_explained_step_sets_the_traces_new_weights(client, app):
    with tab(client, dataset="xor", hidden=[2]) as (ws, token, _):
        trace = ask(ws, "explain", part="train", index=0)
        after = {r["symbol"]: r["value"] for s in trace["sections"] for r in s["rows"]}
        frame = ask(ws, "apply_step")
        assert frame["type"] == "frame" and frame["steps"] == 1 and frame["edited"]
        net = session_of(app, token).net
        w = net.layers[0].weights[0, 0]
        assert w == after["w1 (new)"] and frame["weights"][0][0][0] == w


def test_single_steps_walk_through_passes_also_after_an_applied_step(client, app):
    """ "+1 step" after "apply" failed (an internal error), and steps took their batches at
    step count x batch size, reusing rows within a pass once it wrapped around."""
    with tab(client, dataset="moons", batch_size=30, test_ratio=0.5) as (ws, token, _):
        ask(ws, "explain", part="train", index=0)
        assert ask(ws, "apply_step")["type"] == "frame"
        session = session_of(app, token)
        fit, batches = session.net.fit, []

        def watched(X, *args, **kwargs):  # the real fit, with the rows it was given noted
            batches.append(X.copy())
            return fit(X, *args, **kwargs)

        session.net.fit = watched  # type: ignore[method-assign]
        n = len(session.X_train)
        for _ in range(2 * (n // 30)):  # two passes
            frame = ask(ws, "step")
            assert frame["type"] == "frame", frame
        for a_pass in (batches[: n // 30], batches[n // 30 :]):
            rows = np.concatenate(a_pass)
            assert len(np.unique(rows, axis=0)) == len(rows) == 30 * (n // 30)


def test_an_explained_step_that_overflows_is_not_applied(client: TestClient, app: Any):
    with tab(client, dataset="ripple", hidden=[4], activations=["relu"]) as (ws, token, _):
        net = session_of(app, token).net
        net.parameter_vector[...] = 1e160  # weights that blew up (by hand: set_weight caps them)
        before = net.parameter_vector.copy()
        ask(ws, "explain", part="train", index=0)
        reply = ask(ws, "apply_step")
        assert reply["type"] == "error" and "not finite" in reply["message"], reply
        np.testing.assert_array_equal(net.parameter_vector, before)


def test_saturated_and_dead_neurons_are_flagged(client: TestClient, app: Any):
    with tab(client, dataset="moons", hidden=[2], activations=["relu"]) as (ws, token, _):
        # Neuron h1 gets a large negative bias: its ReLU is off on every sample.
        ask(ws, "set_weight", layer=0, i=None, j=0, value=-1000.0)
        ask(ws, "set_weight", layer=1, i=0, j=0, value=50.0)
        ask(ws, "set_weight", layer=1, i=1, j=0, value=50.0)
        trace = ask(ws, "explain", part="train", index=1)
        kinds = {(f["layer"], f["j"], f["flag"]) for f in trace["flags"]}
        assert (0, 0, "dead") in kinds
        session = session_of(app, token)
        out = session.net.predict(session.X_train[1:2])[0, 0]
        assert ((1, 0, "saturated") in kinds) == (min(out, 1 - out) < 0.01)


def test_editing_a_weight_or_bias_changes_the_network(client: TestClient, app: Any):
    with tab(client, dataset="moons") as (ws, token, _):
        frame = ask(ws, "set_weight", layer=1, i=1, j=0, value=0.5)
        net = session_of(app, token).net
        assert net.layers[1].weights[1, 0] == 0.5 == frame["weights"][1][1][0]
        frame = ask(ws, "set_weight", layer=0, i=None, j=2, value=-0.25)
        assert net.layers[0].bias[2] == -0.25 == frame["biases"][0][2]


def test_rewind_restores_the_initial_weights_and_reset_draws_new_ones(client, app):
    with tab(client, dataset="moons", batch_size=25) as (ws, token, _):
        net = session_of(app, token).net
        initial = net.parameter_vector.copy()
        first = [ask(ws, "epoch")["history"]["metrics"]["loss"][0] for _ in range(3)]
        state = ask(ws, "rewind")
        assert state["frame"]["epoch"] == 0 and state["frame"]["history"]["epochs"] == []
        np.testing.assert_array_equal(net.parameter_vector, initial)
        again = [ask(ws, "epoch")["history"]["metrics"]["loss"][0] for _ in range(3)]
        assert again == first  # the same weights and shuffles: the same numbers
        state = ask(ws, "reset")
        assert state["config"]["seed"] == 1
        new = session_of(app, token).net.parameter_vector
        assert new.shape == initial.shape and not np.array_equal(new, initial)


def test_steps_regression_and_features(client: TestClient, app: Any):
    with tab(client, dataset="ripple", features=["x1", "x2", "x1^2", "sin(x2)"]) as (ws, token, s):
        assert s["network"]["sizes"][0] == 4 and s["network"]["loss"] == "half_squared_error"
        frame = ask(ws, "step")
        assert frame["steps"] == 1 and frame["epoch"] == 0
        # The R² at the weights shown, as the page shows it after a step (it showed a dash).
        session = session_of(app, token)
        r2 = regression(session.Y_train, session.net.predict(session.X_train)).scores["r2"]
        assert frame["now"]["train"]["r2"] == r2
        frame = ask(ws, "epoch")
        metrics = frame["history"]["metrics"]
        assert set(metrics) == {"loss", "val_loss", "r2", "val_r2"}
        session = session_of(app, token)
        predicted = session.net.predict(session.X_test)
        residual = ((session.Y_test - predicted) ** 2).sum()
        total = ((session.Y_test - session.Y_test.mean()) ** 2).sum()
        assert metrics["val_r2"][0] == pytest.approx(1 - residual / total)


def test_a_csv_upload_trains_on_the_columns_chosen(client: TestClient, app: Any):
    rows = ["height,width,depth,kind"] + [
        f"{i % 7},{(i * 3) % 5},{i % 4},{'ab'[(i % 7) > 3]}" for i in range(60)
    ]
    with tab(client) as (ws, token, _):
        reply = client.post(f"/upload/{token}", content="\n".join(rows).encode(), headers=ORIGIN)
        state = reply.json()
        assert reply.status_code == 200 and state["type"] == "state", state
        assert state["config"]["columns"] == ["height", "width", "kind"]
        assert state["csv_columns"] == ["height", "width", "depth", "kind"]
        assert state["data"]["classes"] == ["a", "b"]
        state = ask(ws, "config", config={"columns": ["depth", "height", "kind"]})
        assert state["data"]["axes"] == ["depth", "height"]
        assert ask(ws, "epoch")["type"] == "frame"
        bad = ask(ws, "config", config={"columns": ["depth", "nosuch", "kind"]})
        assert "nosuch" in bad["message"]
        # Another file with the same columns replaces the data.
        rows = rows[:1] + [f"{i},{i % 3},{i % 2},{'ab'[i % 2]}" for i in range(40)]
        state = client.post(f"/upload/{token}", content="\n".join(rows).encode(), headers=ORIGIN)
        assert (
            len(state.json()["data"]["train"]["x"]) + len(state.json()["data"]["test"]["x"]) == 40
        )


# -- export -----------------------------------------------------------------------------------


def test_the_model_file_loads_and_evaluates(client: TestClient, app: Any, tmp_path: Path, capsys):
    with tab(client, dataset="moons", hidden=[5]) as (ws, token, _):
        ask(ws, "epoch")
        response = client.get(f"/download/{token}/model.npz")
        assert response.status_code == 200
        assert 'filename="model.npz"' in response.headers["content-disposition"]
        path = tmp_path / "model.npz"
        path.write_bytes(response.content)
        session = session_of(app, token)
        loaded = bp.load(path)
        np.testing.assert_array_equal(loaded.parameter_vector, session.net.parameter_vector)
        assert main(["evaluate", str(path), "moons"]) == 0
        assert "accuracy" in capsys.readouterr().out
        assert client.get(f"/download/{token}/nosuch").status_code == 404
    assert client.get(f"/download/{token}/model.npz").status_code == 404  # the tab closed


@pytest.mark.parametrize("epochs", [3, 0])
def test_the_script_rebuilds_and_trains_the_same_network(
    app: Any, tmp_path: Path, monkeypatch, epochs: int
):
    """Before the first epoch the script trained one (a bug hunt): it keeps the page's
    initial weights now, as the page shows them."""
    session = Session(Config(dataset="moons", hidden=(5, 3), optimizer="adam", lr=0.01, l2=0.001))
    for _ in range(epochs):
        session.train_epoch()
    text = script(session)
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, Any] = {}
    exec(compile(text, "train_playground.py", "exec"), namespace)  # the script, as a user runs it
    np.testing.assert_array_equal(namespace["net"].parameter_vector, session.net.parameter_vector)
    if epochs:
        assert namespace["history"]["loss"] == session.history["loss"]
    assert (tmp_path / "playground_model.npz").is_file()


def test_tabs_opened_at_once_are_counted_before_they_are_made(monkeypatch):
    """All of 120 tabs opened at once were let in past the 64-tab bound (a bug hunt): each
    was counted only once its session was made, after two awaits."""
    import asyncio
    import socket as sockets

    import uvicorn
    import websockets

    from backprop.playground import limits

    monkeypatch.setattr(limits, "MAX_SESSIONS", 3)
    with sockets.socket() as probe:  # a free port
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    origin = f"http://127.0.0.1:{port}"

    async def scenario() -> list[bool]:
        app = create_app([f"127.0.0.1:{port}"])
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
        serving = asyncio.create_task(server.serve())
        while not server.started:
            await asyncio.sleep(0.01)

        async def one() -> Any:
            try:  # a tab beyond the bound is closed before it is accepted: an HTTP 403
                tab = await websockets.connect(f"ws://127.0.0.1:{port}/ws", origin=origin)
            except websockets.exceptions.InvalidStatus:
                return False, None
            return json.loads(await tab.recv())["type"] == "hello", tab

        opened = await asyncio.gather(*(one() for _ in range(8)))
        for _, tab in opened:
            if tab is not None:
                await tab.close()
        server.should_exit = True
        await serving
        return [ok for ok, _ in opened]

    assert sum(asyncio.run(scenario())) == 3


def test_the_settings_round_trip_through_json():
    config = Config().updated({"hidden": [3, 3, 3], "features": ["x1^2", "x1"], "lr": 0.1})
    assert config.activations == ("tanh", "tanh", "tanh")
    assert config.features == ("x1", "x1^2")  # the page's order
    assert Config().updated(config.to_json()) == config


# -- the command and the server process ----------------------------------------------------------


def test_serving_names_and_addresses():
    assert serving.is_loopback("127.0.0.1") and serving.is_loopback("localhost")
    assert not serving.is_loopback("0.0.0.0") and not serving.is_loopback("example.org")
    assert serving.host_names("127.0.0.1", 8765) == ["127.0.0.1:8765", "localhost:8765"]
    assert "[::1]:8765" in serving.host_names("::1", 8765)
    assert "10.1.2.3:80" in serving.host_names("10.1.2.3", 80)


def test_serving_every_address_answers_for_the_machines_network_address(monkeypatch):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # sends nothing: which address would it send from
        except OSError:
            pytest.skip("this machine has no route to a network")
        address = probe.getsockname()[0]
    if address.startswith("127."):
        pytest.skip("this machine reaches the network only through its loopback address")
    assert f"{address}:8000" in serving.host_names("0.0.0.0", 8000)
    # The page opened here is one the server answers for, not http://0.0.0.0:8000/.
    import uvicorn

    opened: list[str] = []
    monkeypatch.setattr(uvicorn.Server, "run", lambda self, sockets=None: None)
    monkeypatch.setattr(serving, "_open_when_started", lambda server, url: opened.append(url))
    port = serving.free_port("0.0.0.0")
    serving.serve(host="0.0.0.0", port=port, open_browser=True, quiet=True)
    deadline = time.monotonic() + 5  # the page is opened from a thread of its own
    while not opened and time.monotonic() < deadline:
        time.sleep(0.01)
    assert opened == [f"http://127.0.0.1:{port}/"]


def test_another_host_is_served_with_a_warning(monkeypatch, capsys):
    import uvicorn

    ran: list[Any] = []
    monkeypatch.setattr(uvicorn.Server, "run", lambda self, sockets=None: ran.append(self.config))
    port = serving.free_port("0.0.0.0")
    serving.serve(host="0.0.0.0", port=port, open_browser=False)
    assert ran and ran[0].host == "0.0.0.0" and ran[0].port == port
    assert "warning: serving on 0.0.0.0" in capsys.readouterr().err


def test_a_port_in_use_or_an_unknown_host_is_one_line_before_serving(cli, capsys):
    """A new user's walk through the docs: a port in use printed "backprop playground at ..."
    and then uvicorn's error, exit status 3; no IPv6 address answers a server on 0.0.0.0."""
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        result = cli("playground", "--port", str(port), "--no-browser")
    result.assert_usage_error(f"cannot serve on 127.0.0.1:{port}", "in use")
    assert "playground at" not in result.stderr
    cli("playground", "--host", "nosuchhost.invalid", "--no-browser").assert_usage_error(
        "host 'nosuchhost.invalid' is no address of this machine"
    )
    assert not [name for name in serving.host_names("0.0.0.0", 80) if name.startswith("[")]
    with pytest.raises(OSError, match=r"cannot serve on 192\.0\.2\.9 \(on any free port\)"):
        serving.listen("192.0.2.9", None)  # an address of no interface here (RFC 5737)


def test_the_command_line_imports_the_server_only_when_it_runs():
    server = ("starlette", "uvicorn", "backprop.playground")
    code = f"import sys, backprop.cli; print(sorted(m for m in {server} if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.strip() == "[]", result.stderr


def test_without_the_extra_the_command_says_how_to_install_it(monkeypatch, capsys):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "uvicorn" else real(name, *a)
    )
    assert main(["playground", "--no-browser"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "pip install 'backprop[playground]'" in err


def test_ctrl_c_stops_the_server_cleanly_with_a_tab_open():
    from websockets.sync.client import connect

    port = serving.free_port()
    command = [sys.executable, "-m", "backprop", "playground", "--no-browser", "--port", str(port)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("the server did not start listening")
        url, origin = f"ws://127.0.0.1:{port}/ws", f"http://127.0.0.1:{port}"
        with connect(url, origin=origin) as ws:
            assert json.loads(ws.recv())["type"] == "hello"
            ws.recv()
            ws.send(json.dumps({"type": "epoch"}))
            assert json.loads(ws.recv())["epoch"] == 1
            process.send_signal(signal.SIGINT)
            _, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 0, (process.returncode, err)
    assert "Traceback" not in err and "stopped" in err
