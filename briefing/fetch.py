"""HTTP for sources, in one place: feeds and article pages.

A deadline for each request that bounds the whole exchange (connecting, headers and body: a
server that trickles one byte at a time is cut off when the time is up, not when it pauses), a
size limit, bounded redirects, http/https only (also for redirects and links found in feeds), a
clear User-Agent, conditional GET with stored validators, a concurrency limit per host, and
retries for transient failures. Failures raise SourceError with a reason a person can act on;
callers report it and go on.
"""

from __future__ import annotations

import http.client
import io
import logging
import math
import socket
import threading
import time
import urllib.error
import urllib.request
from collections import defaultdict
from dataclasses import dataclass
from email.message import Message
from functools import partial
from http.client import HTTPException
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential

from briefing.config import FetchConfig
from briefing.errors import SourceError
from briefing.store import CachedPage, HttpCache

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

log = logging.getLogger(__name__)

ALLOWED_SCHEMES = frozenset({"http", "https"})
RETRY_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
CHUNK = 64 * 1024


class TransientError(SourceError):
    """A failure worth retrying (5xx, 429, dropped connection)."""


@dataclass(frozen=True)
class Response:
    """What a fetch gave: the body, where it finally came from, and whether it was unchanged."""

    url: str
    body: bytes
    content_type: str
    charset: str | None
    not_modified: bool = False
    from_cache: bool = False


def check_url(url: str) -> str:
    """The URL, if it is http(s) with a host; else SourceError (no file:, ftp:, javascript: ...)."""
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ALLOWED_SCHEMES or not parts.netloc:
        raise SourceError(f"refusing URL {url!r}: only http and https URLs are fetched")
    return url.strip()


class _DeadlinePassed(TimeoutError):
    """A request's time ran out; `received` says whether the server had begun to answer."""

    def __init__(self, received: int) -> None:
        super().__init__("deadline passed")
        self.received = received


class _BoundedSocket:
    """A connected socket whose every read waits only for what is left of its request's time.

    http.client reads a response (status line, headers, body) through ``sock.makefile("rb")``;
    that file reads through `recv_into` here, so the whole answer ends at the deadline however
    slowly it trickles in. Everything else is the socket's own.
    """

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        self._sock = sock
        self._deadline = deadline
        self._files = 0
        self._closed = False
        self.received = 0

    def recv_into(self, buffer: WriteableBuffer, nbytes: int = 0) -> int:
        """Read what has arrived, waiting no longer than the deadline."""
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise _DeadlinePassed(self.received)
        self._sock.settimeout(left)
        try:
            count = self._sock.recv_into(buffer, nbytes)
        except TimeoutError:
            raise _DeadlinePassed(self.received) from None
        self.received += count
        return count

    def makefile(self, mode: str = "rb", *args: object, **kwargs: object) -> io.BufferedReader:
        """A buffered reader over `recv_into` (http.client asks for exactly this)."""
        self._files += 1
        return io.BufferedReader(_BoundedReader(self))

    def release(self) -> None:
        """A file made by `makefile` was closed."""
        self._files -= 1
        if self._closed and not self._files:
            self._sock.close()

    def close(self) -> None:
        """Close the socket once no file made from it is still open (like socket.socket)."""
        self._closed = True
        if not self._files:
            self._sock.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


class _BoundedReader(io.RawIOBase):
    """The raw file under a bounded socket's makefile."""

    def __init__(self, sock: _BoundedSocket) -> None:
        super().__init__()
        self._socket = sock

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        return self._socket.recv_into(buffer)

    def close(self) -> None:
        if not self.closed:
            super().close()
            self._socket.release()


class _BoundedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, *, deadline: float, **kwargs: Any) -> None:
        super().__init__(host, **kwargs)
        self.deadline = deadline

    def connect(self) -> None:
        super().connect()
        # Duck-typed: http.client only sends on, reads from (makefile) and closes its socket.
        self.sock = _BoundedSocket(self.sock, self.deadline)


class _BoundedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, *, deadline: float, **kwargs: Any) -> None:
        super().__init__(host, **kwargs)
        self.deadline = deadline

    def connect(self) -> None:
        super().connect()  # TCP, then TLS; the bound goes around the TLS socket
        self.sock = _BoundedSocket(self.sock, self.deadline)


class _TimedRequest(urllib.request.Request):
    """A request that carries its deadline (time.monotonic) to the connection that serves it."""

    def __init__(self, url: str, headers: dict[str, str], deadline: float) -> None:
        super().__init__(url, headers=headers)
        self.deadline = deadline


def _deadline(request: urllib.request.Request) -> float:
    return request.deadline if isinstance(request, _TimedRequest) else math.inf


class _BoundedHTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(partial(_BoundedHTTPConnection, deadline=_deadline(req)), req)


class _BoundedHTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(partial(_BoundedHTTPSConnection, deadline=_deadline(req)), req)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Redirects are followed by Fetcher itself, so that each hop is checked and counted."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


class Fetcher:
    """Fetches URLs politely; one per run, shared by all readers."""

    def __init__(self, config: FetchConfig, cache: HttpCache | None = None) -> None:
        self.config = config
        self.cache = cache
        self._opener = urllib.request.build_opener(_NoRedirect, _BoundedHTTPHandler, _BoundedHTTPSHandler)
        self._hosts: dict[str, threading.Semaphore] = defaultdict(lambda: threading.Semaphore(config.per_host))
        self._hosts_lock = threading.Lock()
        self.requests = 0
        self.not_modified = 0
        self.cache_hits = 0

    def _host_slot(self, url: str) -> threading.Semaphore:
        with self._hosts_lock:
            return self._hosts[urlsplit(url).netloc.lower()]

    def fetch(self, url: str, *, conditional: bool = True, reuse_hours: float = 0.0) -> Response:
        """GET a URL (following redirects), honouring the cache.

        Args:
            url: http(s) URL.
            conditional: send If-None-Match/If-Modified-Since from the last fetch (feeds).
            reuse_hours: a cached copy younger than this is used without any request (article pages).

        Raises:
            SourceError: with the reason (status, timeout, too large, too many redirects, bad scheme).
        """
        url = check_url(url)
        cached = self.cache.get(url) if self.cache else None
        if cached and reuse_hours and time.time() - cached.fetched_at < reuse_hours * 3600:
            self.cache_hits += 1
            return Response(cached.final_url, cached.body, cached.content_type, None, from_cache=True)
        headers = {"User-Agent": self.config.user_agent, "Accept": "*/*"}
        if cached and conditional:
            if cached.etag:
                headers["If-None-Match"] = cached.etag
            if cached.last_modified:
                headers["If-Modified-Since"] = cached.last_modified
        retrying = Retrying(
            retry=retry_if_exception(lambda e: isinstance(e, TransientError)),
            stop=stop_after_attempt(self.config.retries + 1),
            wait=wait_exponential(multiplier=0.3, max=5),
            reraise=True,
        )
        for attempt in retrying:
            with attempt:
                status, final_url, response_headers, body = self._follow(url, headers)
        if status == 304 and cached is not None:
            self.not_modified += 1
            log.debug("%s not modified since the last fetch", url)
            return Response(cached.final_url, cached.body, cached.content_type, None, not_modified=True)
        content_type = response_headers.get_content_type() if response_headers else ""
        charset = response_headers.get_content_charset() if response_headers else None
        if self.cache is not None:
            self.cache.put(
                CachedPage(
                    url,
                    final_url,
                    body,
                    content_type,
                    response_headers.get("ETag"),
                    response_headers.get("Last-Modified"),
                    time.time(),
                )
            )
        return Response(final_url, body, content_type, charset)

    def _follow(self, url: str, headers: dict[str, str]) -> tuple[int, str, Message, bytes]:
        current = url
        for _ in range(self.config.max_redirects + 1):
            status, response_headers, body = self._get(current, headers)
            if status in (301, 302, 303, 307, 308):
                location = response_headers.get("Location")
                if not location:
                    raise SourceError(f"HTTP {status} redirect without a Location from {current}")
                current = check_url(urljoin(current, location))
                continue
            return status, current, response_headers, body
        raise SourceError(f"too many redirects (more than {self.config.max_redirects}) starting at {url}")

    def _get(self, url: str, headers: dict[str, str]) -> tuple[int, Message, bytes]:
        """One request; its deadline, counted from when it gets its host slot, bounds the whole exchange."""
        limit = self.config.timeout_seconds
        with self._host_slot(url):
            self.requests += 1
            request = _TimedRequest(url, headers, time.monotonic() + limit)
            try:
                with self._opener.open(request, timeout=limit) as response:
                    return response.status, response.headers, self._read(response, url)
            except urllib.error.HTTPError as exc:
                if exc.code in (301, 302, 303, 307, 308, 304):
                    return exc.code, exc.headers, b""
                error = TransientError if exc.code in RETRY_STATUS else SourceError
                raise error(f"HTTP {exc.code} {exc.reason} from {url}") from None
            except _DeadlinePassed as exc:
                if exc.received:  # it answered, too slowly: asking again would only take as long
                    raise SourceError(f"{url} was too slow: not complete within {limit:g}s") from None
                raise TransientError(f"no answer from {url} within {limit:g}s") from None
            except TimeoutError:
                raise TransientError(f"no answer from {url} within {self.config.timeout_seconds:g}s") from None
            except urllib.error.URLError as exc:
                reason = exc.reason
                if isinstance(reason, TimeoutError):
                    raise TransientError(f"no answer from {url} within {self.config.timeout_seconds:g}s") from None
                raise TransientError(f"cannot connect to {url}: {reason}") from None
            except (HTTPException, ConnectionError) as exc:
                raise TransientError(f"connection to {url} failed: {type(exc).__name__}") from None

    def _read(self, response: object, url: str) -> bytes:
        length = getattr(response, "headers", {}).get("Content-Length")
        if length and length.isdigit() and int(length) > self.config.max_bytes:
            raise SourceError(f"{url} is {int(length)} bytes, over the limit of {self.config.max_bytes}")
        chunks: list[bytes] = []
        size = 0
        while True:
            chunk = response.read(CHUNK)  # type: ignore[attr-defined]
            if not chunk:
                return b"".join(chunks)
            size += len(chunk)
            if size > self.config.max_bytes:
                raise SourceError(f"{url} sent more than the limit of {self.config.max_bytes} bytes")
            chunks.append(chunk)
