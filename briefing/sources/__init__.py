"""Source readers: each turns one command-line or config source into articles or rejections.

Readers are pluggable: a reader says which specs it can read, then yields `Article` or
`Rejection` for everything it found, never raising for one bad item.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from typing import Protocol

from briefing.config import InputConfig
from briefing.models import Article, Rejection
from briefing.sources.files import FileReader

log = logging.getLogger(__name__)


class SourceReader(Protocol):
    """What every source reader provides."""

    def can_read(self, spec: str) -> bool:
        """True when this reader handles the spec (a path, URL, ...)."""
        ...

    def read(self, spec: str, limits: InputConfig) -> Iterator[Article | Rejection]:
        """Everything the spec holds, one article or rejection at a time."""
        ...


READERS: list[SourceReader] = [FileReader()]


def read_sources(specs: Iterable[str], limits: InputConfig) -> tuple[list[Article], list[Rejection]]:
    """Read every source; bad ones become rejections with a reason, never exceptions.

    Article ids are made unique: a repeated id gets a ``~2``, ``~3`` suffix and a flag.
    """
    articles: list[Article] = []
    rejections: list[Rejection] = []
    seen: dict[str, int] = {}
    for spec in specs:
        reader = next((r for r in READERS if r.can_read(spec)), None)
        if reader is None:
            reason = "not a readable source: no such file or folder (feeds and URLs are not supported yet)"
            log.warning("%s: %s", spec, reason)
            rejections.append(Rejection(id=spec, reason=reason, fetched_from=spec))
            continue
        for item in reader.read(spec, limits):
            if isinstance(item, Rejection):
                log.info("rejected %s: %s", item.id, item.reason)
                rejections.append(item)
                continue
            count = seen.get(item.id, 0) + 1
            seen[item.id] = count
            if count > 1:
                item.flags.append(f"id '{item.id}' repeated; renamed")
                item.id = f"{item.id}~{count}"
            articles.append(item)
    return articles, rejections
