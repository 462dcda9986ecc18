"""``backprop playground``: the browser playground on the real engine (see backprop.playground)."""

from __future__ import annotations

import importlib.util

import click

#: What the playground needs beyond the library's own dependencies (the "playground" extra).
NEEDS = ("starlette", "uvicorn", "websockets")


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to serve on.")
@click.option("--port", type=click.IntRange(0, 65535), help="Port (default: a free one).")
@click.option("--no-browser", is_flag=True, help="Do not open the page in a browser.")
def playground(host: str, port: int | None, no_browser: bool) -> None:
    """Watch backpropagation learn in your browser: a local page on the real engine.

    Serves on 127.0.0.1 only, unless --host says otherwise; Ctrl-C stops it.
    """
    missing = [name for name in NEEDS if importlib.util.find_spec(name) is None]
    if missing:
        raise click.UsageError(
            f"the playground needs {', '.join(missing)}: pip install 'backprop[playground]'"
        )
    from backprop.playground import serve  # the server's modules only when it runs

    serve(host=host, port=port or None, open_browser=not no_browser)
