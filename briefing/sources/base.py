"""The reader protocol, and how an exception a reader did not foresee becomes one input's rejection.

Every reader says what it can read, so that the registry (and the folder reader) can pick one.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Protocol

from briefing.config import SourceSpec
from briefing.models import Article, Rejection
from briefing.sources.context import ReadContext

log = logging.getLogger(__name__)

MAX_REASON_CHARS = 200  # an exception's message is cut to this in a rejection reason


class SourceReader(Protocol):
    """A reader of one kind of source; it yields articles and rejections, never raising for one bad item."""

    @property
    def suffixes(self) -> frozenset[str]:
        """File suffixes (lower case, with the dot) this reader takes when found inside a folder."""
        ...

    @property
    def replaces_outlet(self) -> bool:
        """True when a configured source name replaces the outlet an article states, not only a missing one."""
        ...

    def can_read(self, spec: SourceSpec) -> bool:
        """True when this reader handles the source."""
        ...

    def read(self, spec: SourceSpec, ctx: ReadContext) -> Iterator[Article | Rejection]:
        """Everything the source holds, one article or rejection at a time."""
        ...


def failure(exc: Exception) -> str:
    """An unexpected exception while reading one input, as that input's rejection reason.

    Any exception a reader did not foresee (a RecursionError from a deeply nested document, a
    parser's own bug) costs only the input it happened in. MemoryError is raised again: the
    run itself is in trouble, not one input.
    """
    if isinstance(exc, MemoryError):
        raise exc
    message = " ".join(str(exc).split())
    if len(message) > MAX_REASON_CHARS:
        message = message[: MAX_REASON_CHARS - 3] + "..."
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def guarded(items: Iterator[Article | Rejection], item_id: str, where: str) -> Iterator[Article | Rejection]:
    """The items of one input; if reading fails part way, what was read is kept and the failure is a rejection."""
    count = 0
    try:
        for item in items:
            count += 1
            yield item
    except Exception as exc:
        log.debug("reading %s failed after %d item(s)", where, count, exc_info=True)
        after = f" after {count} item(s)" if count else ""
        yield Rejection(item_id, f"reading stopped{after}: {failure(exc)}", where)
