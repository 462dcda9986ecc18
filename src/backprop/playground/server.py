"""The playground's web server: the page, one WebSocket per browser tab, uploads and downloads.

Routes (a Starlette app, served by uvicorn):

* ``GET /`` and ``GET /static/NAME``: the page, its CSS and JavaScript, shipped in the package
  and read once when the app is made;
* ``WS /ws``: a tab's session. The server says ``hello`` (with the session's token) and sends
  the state; then each JSON message of the page gets one reply (see :mod:`.session`), or an
  ``error`` that says what was wrong: the session and every other tab go on;
* ``POST /upload/TOKEN``: a CSV file for the session, at most ``limits.MAX_UPLOAD_BYTES``;
* ``GET /download/TOKEN/model.npz`` and ``.../train_playground.py``: made in memory.

Safe by default. Requests whose ``Host`` header is not one of the server's own names are
refused (a page elsewhere that rebinds its DNS name to 127.0.0.1 still sends its own name), and
so are WebSocket connections and uploads whose ``Origin`` is another site's. Each tab's session
is reached only through its own socket and its unguessable token. The server writes no file
but a tab's upload (in a temporary folder removed when the tab closes).
"""

from __future__ import annotations

import json
import logging
import math
import secrets
import tempfile
import threading
from collections.abc import Awaitable, Callable, Iterable, Mapping, MutableMapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from backprop.playground import limits
from backprop.playground.config import DATASETS, HIDDEN_ACTIVATIONS, LOSSES
from backprop.playground.datasets import FEATURES
from backprop.playground.export import model_file, script
from backprop.playground.session import Session
from backprop.training.loop import DivergenceError

log = logging.getLogger("backprop.playground")

#: The files of the page, by the name the page asks for, with their media types.
STATIC = {
    "index.html": "text/html; charset=utf-8",
    "playground.css": "text/css; charset=utf-8",
    "playground.js": "text/javascript; charset=utf-8",
}

Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]], Any]


@dataclass
class Tab:
    """A browser tab's session, the lock that lets one thread at a time use it, and the
    temporary folder of its upload (made when it uploads)."""

    session: Session
    lock: threading.Lock = field(default_factory=threading.Lock)
    folder: tempfile.TemporaryDirectory[str] | None = None

    def close(self) -> None:
        if self.folder is not None:
            self.folder.cleanup()


def create_app(hosts: Iterable[str]) -> Starlette:
    """The playground app, answering requests whose ``Host`` header is one of ``hosts``
    (``"127.0.0.1:8765"``, ``"localhost:8765"``, ...)."""
    allowed = frozenset(h.lower() for h in hosts)
    origins = frozenset(f"http://{host}" for host in allowed)
    pages = {name: _read_static(name) for name in STATIC}
    tabs: dict[str, Tab] = {}

    async def index(request: Request) -> Response:
        return Response(pages["index.html"], media_type=STATIC["index.html"], headers=_NO_CACHE)

    async def static(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in pages:
            return PlainTextResponse(f"no such file: {name[:80]}", status_code=404)
        return Response(pages[name], media_type=STATIC[name], headers=_NO_CACHE)

    def tab_of(request: Request) -> Tab | None:
        return tabs.get(request.path_params["token"])

    async def upload(request: Request) -> Response:
        origin = request.headers.get("origin")
        if origin is not None and origin.lower() not in origins:
            return _error(f"uploads from {origin[:80]} are refused: not this server's page", 403)
        tab = tab_of(request)
        if tab is None:
            return _error("unknown session: reload the page", 404)
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limits.MAX_UPLOAD_BYTES:
            return _too_large(int(declared))
        content = bytearray()
        async for chunk in request.stream():
            content += chunk
            if len(content) > limits.MAX_UPLOAD_BYTES:
                return _too_large(len(content))
        if tab.folder is None:
            tab.folder = tempfile.TemporaryDirectory(prefix="backprop-playground-")
            tab.session.csv_folder = Path(tab.folder.name)
        try:
            reply = await run_in_threadpool(_locked, tab, tab.session.upload, bytes(content))
        except (ValueError, TypeError, OSError) as error:
            return _error(str(error), 400)
        return Response(_dumps(reply), media_type="application/json")

    async def download(request: Request) -> Response:
        tab, name = tab_of(request), request.path_params["name"]
        if tab is None:
            return _error("unknown session: reload the page", 404)
        makers = {"model.npz": model_file, "train_playground.py": script}
        if name not in makers:
            return _error(f"no such download: {name[:80]}", 404)
        content = await run_in_threadpool(_locked, tab, makers[name], tab.session)
        media = "application/octet-stream" if name.endswith(".npz") else "text/x-python"
        disposition = {"Content-Disposition": f'attachment; filename="{name}"'}
        return Response(content, media_type=media, headers=disposition)

    opening = 0  # tabs being opened: accepted, their session not yet made

    async def socket(websocket: WebSocket) -> None:
        nonlocal opening
        origin = websocket.headers.get("origin", "")
        if origin.lower() not in origins:
            log.warning("refused a WebSocket from origin %r", origin[:80])
            await websocket.close(code=1008)  # policy violation: before accept, an HTTP 403
            return
        # The slot is taken before the first await: tabs opening at once each count the
        # others (counting only the tabs made would let them all in while theirs are made).
        if len(tabs) + opening >= limits.MAX_SESSIONS:
            await websocket.close(code=1013)  # try again later
            return
        opening += 1
        try:
            await websocket.accept()
            token = secrets.token_urlsafe(18)
            tab = Tab(await run_in_threadpool(Session))
            tabs[token] = tab
        finally:
            opening -= 1
        try:
            await websocket.send_text(_dumps({"type": "hello", "token": token, **options()}))
            await websocket.send_text(
                _dumps(await run_in_threadpool(_locked, tab, tab.session.state))
            )
            while True:
                reply = await _answer(tab, await websocket.receive())
                if reply is None:
                    break
                await websocket.send_text(_dumps(reply))
        except WebSocketDisconnect:
            pass
        finally:
            del tabs[token]
            tab.close()

    routes = [
        Route("/", index),
        Route("/static/{name}", static),
        Route("/upload/{token}", upload, methods=["POST"]),
        Route("/download/{token}/{name}", download),
        WebSocketRoute("/ws", socket),
    ]
    app = Starlette(routes=routes)
    app.state.tabs = tabs  # for tests and the benchmark: the sessions being served
    app.add_middleware(HostCheck, hosts=allowed)
    return app


def options() -> dict[str, Any]:
    """The choices the page offers, from the library's own lists."""
    from backprop.engine.initializers import INITIALIZERS
    from backprop.training.optimizers import OPTIMIZERS

    return {
        "limits": limits.as_dict(),
        "options": {
            "datasets": list(DATASETS),
            "features": list(FEATURES),
            "activations": list(HIDDEN_ACTIVATIONS),
            "losses": list(LOSSES),
            "inits": list(INITIALIZERS),
            "optimizers": list(OPTIMIZERS),
        },
    }


async def _answer(tab: Tab, event: Mapping[str, Any]) -> dict[str, Any] | None:
    """The reply to one WebSocket event, None when the tab went away."""
    if event["type"] == "websocket.disconnect":
        return None
    text = event.get("text")
    if text is None:
        return {"type": "error", "message": "messages must be JSON text, not binary frames"}
    if len(text) > limits.MAX_MESSAGE_BYTES:
        return {
            "type": "error",
            "message": f"a message of {len(text)} characters is too long: "
            f"at most {limits.MAX_MESSAGE_BYTES} (limits.MAX_MESSAGE_BYTES)",
        }
    try:
        message = json.loads(text)
    except ValueError as error:
        return {"type": "error", "message": f"a message must be JSON: {error}"}
    except RecursionError:  # "[[[[...": nested deeper than the parser goes
        return {"type": "error", "message": "a message must be JSON nested a few levels deep"}
    request = message.get("type") if isinstance(message, dict) else None
    ident = message.get("id") if isinstance(message, dict) else None
    try:
        reply = await run_in_threadpool(_locked, tab, tab.session.handle, message)
    except (ValueError, TypeError, DivergenceError) as error:
        reply = {"type": "error", "message": str(error)}
    except OverflowError:  # JSON's integers have no bound; a float does
        reply = {"type": "error", "message": "a number in the message is too large"}
    except Exception as error:  # a bug must not take the server down: say so, and go on
        log.exception("playground: %s failed", request)
        reply = {"type": "error", "message": f"internal error in {request!r:.40}: {error!r:.200}"}
    if isinstance(request, str):
        reply["request"] = request[:40]
    if isinstance(ident, (int, str)) and not isinstance(ident, bool):
        reply["id"] = ident if isinstance(ident, int) else ident[:40]
    return reply


def _locked(tab: Tab, function: Callable[..., Any], *args: Any) -> Any:
    """``function(*args)`` while holding the tab's lock: one thread at a time per session."""
    with tab.lock:
        return function(*args)


class HostCheck:
    """Refuses HTTP requests and WebSockets whose ``Host`` header is not one of ``hosts``:
    DNS rebinding points another name at 127.0.0.1, but the browser still sends that name."""

    def __init__(self, app: ASGIApp, hosts: frozenset[str]) -> None:
        self.app, self.hosts = app, hosts

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] in ("http", "websocket"):
            host = dict(scope["headers"]).get(b"host", b"").decode("latin-1").lower()
            if host not in self.hosts:
                log.warning("refused a request for host %r", host[:80])
                if scope["type"] == "websocket":
                    await send({"type": "websocket.close", "code": 1008})
                else:
                    response = PlainTextResponse(
                        f"refused: this server does not answer for host {host[:80]!r}", 400
                    )
                    await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


_NO_CACHE = {"Cache-Control": "no-store"}


def _read_static(name: str) -> bytes:
    return resources.files("backprop.playground").joinpath("static").joinpath(name).read_bytes()


def _error(message: str, status: int) -> JSONResponse:
    return JSONResponse({"type": "error", "message": message}, status_code=status)


def _too_large(size: int) -> JSONResponse:
    return _error(
        f"the file is too large ({size} bytes or more): the playground takes CSV files of "
        f"at most {limits.MAX_UPLOAD_BYTES} bytes (20 MB)",
        413,
    )


def _dumps(reply: dict[str, Any]) -> str:
    """JSON for the page; NaN and infinities, which JSON lacks, become null."""
    try:
        return json.dumps(reply, allow_nan=False)
    except ValueError:
        return json.dumps(_finite(reply), allow_nan=False)


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value
