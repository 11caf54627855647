"""Real servers on 127.0.0.1 for tests: a free port, and threaded HTTP servers that stop quickly.

`with LocalServer(handler) as server:` serves until the block ends. The serving loop checks for
shutdown every POLL_SECONDS: http.server's default (0.5 s) made every test that used a server
wait up to half a second in its teardown.
"""

from __future__ import annotations

import functools
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Self

POLL_SECONDS = 0.05


def free_port() -> int:
    """A loopback port nothing listens on (at the time of asking)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class QuietHandler(BaseHTTPRequestHandler):
    """HTTP/1.1 keep-alive, and no access log on the test output."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass


class LocalServer:
    """Serves a handler class on a free loopback port in a background thread."""

    def __init__(self, handler: Callable[..., BaseHTTPRequestHandler]) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(POLL_SECONDS,), daemon=True)

    def url(self, path: str) -> str:
        """Absolute URL of a path on this server."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}{path}"

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


class QuietFileHandler(SimpleHTTPRequestHandler):
    """Serves a folder's files, without an access log."""

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def serve_folder(folder: Path) -> Iterator[str]:
    """The files of a folder over HTTP on 127.0.0.1; yields the base URL (no trailing slash)."""
    with LocalServer(functools.partial(QuietFileHandler, directory=str(folder))) as server:
        yield server.url("")
