"""``serve``: the playground on a local port, opened in the user's browser, until Ctrl-C.

It binds 127.0.0.1 unless told otherwise; any other address is announced with a warning, as
anyone who can reach it can then use the server. The ``Host`` names it answers to are its own
(``127.0.0.1:PORT`` and ``localhost:PORT``, plus the address given and this machine's names
when serving beyond it, and for 0.0.0.0 the address it has on its network), so that a page
elsewhere cannot reach it by DNS rebinding.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import socket
import sys
import threading
import time
import webbrowser

#: The address served unless ``host`` says otherwise.
LOCALHOST = "127.0.0.1"


def free_port(host: str = LOCALHOST) -> int:
    """A port no one listens on now, chosen by the operating system."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def listen(host: str, port: int | None) -> socket.socket:
    """A socket bound to ``host:port`` (a free port when None) for the server to listen on:
    bound before anything is announced, so that a port in use or an unknown host is one
    error, not a "serving at" line followed by the server's failure."""
    try:
        # A name's IPv4 address when it has one (as a browser on this machine tries first).
        found = socket.getaddrinfo(host, port or 0, type=socket.SOCK_STREAM)
        family, _, _, _, address = min(found, key=lambda f: f[0] != socket.AF_INET)
    except socket.gaierror as error:
        raise OSError(f"host {host!r} is no address of this machine ({error.strerror})") from None
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        if os.name != "nt":  # as asyncio binds; on Windows it would let two servers share a port
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError as error:
        sock.close()
        where = f"{host}:{port}" if port else f"{host} (on any free port)"
        raise OSError(f"cannot serve on {where}: {error.strerror or error}") from None
    return sock


def is_loopback(host: str) -> bool:
    """Whether ``host`` is reached from this machine only (127.0.0.1, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


#: The addresses that mean "every address of this machine".
EVERY_ADDRESS = ("0.0.0.0", "::")


def host_names(host: str, port: int) -> list[str]:
    """The ``Host`` headers the server answers: its own names, with the port."""
    names = {LOCALHOST, "localhost"} | ({"[::1]"} if ":" in host else set())
    if not is_loopback(host):
        names |= {socket.gethostname(), socket.getfqdn()}
        if host not in EVERY_ADDRESS:
            names.add(f"[{host}]" if ":" in host else host)
        else:
            # The addresses others reach it by: its name's (often only 127.0.1.1 on Debian)
            # and the one it reaches the network from, the address a classroom types.
            with contextlib.suppress(OSError):  # a machine without a resolvable name
                names |= set(socket.gethostbyname_ex(socket.gethostname())[2])
            names |= {f"[{a}]" if ":" in a else a for a in outward_addresses()}
    if ":" not in host:  # served on IPv4 alone: no IPv6 address answers
        names = {name for name in names if not name.startswith("[")}
    return sorted(f"{name}:{port}".lower() for name in names)


def outward_addresses() -> set[str]:
    """This machine's addresses on its networks (IPv4 and IPv6), as far as it has routes.

    Connecting a UDP socket sends nothing: it only asks the system which local address it
    would send from, towards addresses of the documentation ranges (RFC 5737, RFC 3849).
    """
    addresses = set()
    for family, far in ((socket.AF_INET, "192.0.2.1"), (socket.AF_INET6, "2001:db8::1")):
        with contextlib.suppress(OSError), socket.socket(family, socket.SOCK_DGRAM) as probe:
            probe.connect((far, 9))
            address = str(probe.getsockname()[0])
            if not is_loopback(address):
                addresses.add(address)
    return addresses


def page_url(host: str, port: int) -> str:
    """The page's address for a browser on this machine: a wildcard address (0.0.0.0, ::)
    is not one a browser can name, so it opens the loopback address instead."""
    if host in EVERY_ADDRESS:
        host = LOCALHOST if host == "0.0.0.0" else "::1"
    return f"http://{f'[{host}]' if ':' in host else host}:{port}/"


def serve(
    host: str = LOCALHOST, port: int | None = None, open_browser: bool = True, quiet: bool = False
) -> None:
    """Serve the playground on ``host:port`` (a free port by default) until Ctrl-C."""
    import uvicorn

    from backprop.playground import limits
    from backprop.playground.server import create_app

    listening = listen(host, port)
    port = int(listening.getsockname()[1])
    hosts = host_names(host, port)
    url = page_url(host, port)
    if not is_loopback(host):
        print(
            f"warning: serving on {host}, not only this machine: anyone who can reach it can "
            f"use the playground. It answers for {', '.join(hosts)}.",
            file=sys.stderr,
        )
    app = create_app(hosts)
    # A message may be a little longer than the bound the session checks, so that it is
    # answered with an error rather than a closed socket.
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        ws_max_size=2 * limits.MAX_MESSAGE_BYTES,
    )
    server = uvicorn.Server(config)
    if not quiet:
        print(f"backprop playground at {url} (Ctrl-C stops it)", file=sys.stderr)
    if open_browser:
        threading.Thread(target=_open_when_started, args=(server, url), daemon=True).start()
    # On Ctrl-C uvicorn closes the sockets, then raises KeyboardInterrupt: the way a server
    # is meant to stop, not an error.
    with contextlib.suppress(KeyboardInterrupt), contextlib.closing(listening):
        server.run(sockets=[listening])
    if not quiet:
        print("backprop playground stopped", file=sys.stderr)


def _open_when_started(server: object, url: str) -> None:
    """Open the page once the server listens (at most ten seconds later)."""
    for _ in range(100):
        if getattr(server, "started", False):
            webbrowser.open(url)
            return
        time.sleep(0.1)
