"""fetch.timeout_seconds bounds a whole request (headers and body), however slowly a server trickles.

Real local servers that send one byte every half second: a body, the headers, and the same over
TLS. Before, each socket read had its own timeout, so a byte every half second never ended.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest

from briefing.config import FetchConfig, InputConfig
from briefing.errors import SourceError
from briefing.fetch import Fetcher, TransientError
from briefing.sources import read_sources
from briefing.sources.context import ReadContext
from tests.support.servers import LocalServer, QuietHandler
from tests.support.smtp import tls_context

TIMEOUT = 1.0
DRIP = 0.5  # seconds between two bytes
FEED = b'<?xml version="1.0"?><rss version="2.0"><channel><title>Slow</title></channel></rss>'


class _Trickle(QuietHandler):
    """/body: headers at once, then the body one byte every DRIP seconds; /headers: even the headers;
    /quick: at once."""

    def do_GET(self) -> None:
        head = f"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nContent-Length: {len(FEED)}\r\n\r\n"
        try:
            if self.path == "/quick":
                self.wfile.write(head.encode() + FEED)
            elif self.path == "/headers":
                self.drip(head.encode() + FEED)
            else:
                self.wfile.write(head.encode())
                self.drip(FEED)
        except OSError:
            pass  # the client gave up, as it should

    def drip(self, data: bytes) -> None:
        for byte in data:
            self.wfile.write(bytes([byte]))
            self.wfile.flush()
            time.sleep(DRIP)


@pytest.fixture
def trickle() -> Iterator[LocalServer]:
    with LocalServer(_Trickle) as server:
        yield server


def timed_fetch(url: str, retries: int = 0) -> tuple[Exception | None, float]:
    start = time.monotonic()
    try:
        Fetcher(FetchConfig(timeout_seconds=TIMEOUT, retries=retries)).fetch(url)
    except SourceError as exc:
        return exc, time.monotonic() - start
    return None, time.monotonic() - start


@pytest.mark.parametrize("path", ["/body", "/headers"])
def test_a_trickling_server_is_cut_off_at_the_timeout(trickle: LocalServer, path: str) -> None:
    error, seconds = timed_fetch(trickle.url(path), retries=2)
    assert error is not None and "too slow: not complete within 1s" in str(error)
    assert not isinstance(error, TransientError)  # it answered, slowly: asking again would take as long
    assert seconds < TIMEOUT + 1.5  # the whole body would take len(FEED) / 2 = 40 s


def test_a_quick_answer_is_unaffected(trickle: LocalServer) -> None:
    assert Fetcher(FetchConfig(timeout_seconds=TIMEOUT)).fetch(trickle.url("/quick")).body == FEED


def test_a_slow_feed_is_one_rejection_and_the_run_goes_on(trickle: LocalServer, tmp_path: Path) -> None:
    (tmp_path / "local.txt").write_text("A local note\n\n" + "The ferry to the islands runs again from Monday. " * 3)
    ctx = ReadContext(InputConfig(), FetchConfig(timeout_seconds=TIMEOUT, retries=1))
    articles, rejections = read_sources([trickle.url("/body"), str(tmp_path / "local.txt")], ctx)
    assert [a.title for a in articles] == ["A local note"]
    assert [r.id for r in rejections] == [trickle.url("/body")] and "too slow" in rejections[0].reason


@contextmanager
def silent_server() -> Iterator[str]:
    """Accepts connections and never answers: a server that hangs before its headers."""
    listener = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.05)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/feed"
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        listener.close()


def test_a_server_that_never_answers_is_retried_then_reported() -> None:
    with silent_server() as url:
        error, seconds = timed_fetch(url, retries=1)
    assert isinstance(error, TransientError) and "no answer" in str(error)
    assert seconds < 2 * TIMEOUT + 2


@contextmanager
def tls_trickle(cert: Path, key: Path) -> Iterator[str]:
    """The trickling server behind TLS; yields its https base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Trickle)
    server.daemon_threads = True
    server.socket = tls_context(cert, key).wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_the_deadline_holds_over_tls(certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))  # the client trusts the test certificate
    with tls_trickle(*certificate) as base:
        assert Fetcher(FetchConfig(timeout_seconds=5)).fetch(f"{base}/quick").body == FEED
        error, seconds = timed_fetch(f"{base}/body")
    assert error is not None and "too slow" in str(error) and seconds < TIMEOUT + 1.5
