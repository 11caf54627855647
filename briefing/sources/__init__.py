"""Source readers: each turns one source (file, folder, feed, OPML list, URL) into articles.

Readers are pluggable: a reader says which sources it can read, then yields `Article` or
`Rejection` for everything it found, never raising for one bad item.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from typing import Protocol

from briefing.config import InputConfig, SourceSpec
from briefing.models import Article, Rejection
from briefing.sources.context import ReadContext
from briefing.sources.feeds import FeedReader
from briefing.sources.files import FileReader

log = logging.getLogger(__name__)


class SourceReader(Protocol):
    """What every source reader provides."""

    def can_read(self, spec: SourceSpec) -> bool:
        """True when this reader handles the source."""
        ...

    def read(self, spec: SourceSpec, ctx: ReadContext) -> Iterator[Article | Rejection]:
        """Everything the source holds, one article or rejection at a time."""
        ...


READERS: list[SourceReader] = [FeedReader(), FileReader()]


def as_spec(source: str | SourceSpec) -> SourceSpec:
    """A command-line string or a configured source, as a SourceSpec."""
    return source if isinstance(source, SourceSpec) else SourceSpec(location=source)


def read_sources(
    sources: Iterable[str | SourceSpec], limits: InputConfig | ReadContext
) -> tuple[list[Article], list[Rejection]]:
    """Read every source; bad ones become rejections with a reason, never exceptions.

    Per-source settings apply: `name` becomes the outlet, `language` the declared language.
    Article ids are made unique: a repeated id gets a ``~2``, ``~3`` suffix and a flag.
    """
    ctx = limits if isinstance(limits, ReadContext) else ReadContext(limits)
    articles: list[Article] = []
    rejections: list[Rejection] = []
    seen: dict[str, int] = {}
    for source in sources:
        spec = as_spec(source)
        reader = next((r for r in READERS if r.can_read(spec)), None)
        if reader is None:
            reason = "not a readable source: no such file or folder, and not an http(s) URL"
            log.warning("%s: %s", spec.location, reason)
            rejections.append(Rejection(id=spec.location, reason=reason, fetched_from=spec.location))
            continue
        for item in reader.read(spec, ctx):
            if isinstance(item, Rejection):
                log.info("rejected %s: %s", item.id, item.reason)
                rejections.append(item)
                continue
            if spec.name and (not item.source or isinstance(reader, FileReader)):
                item.source = spec.name
            if spec.language and not item.declared_language:
                item.declared_language = spec.language
            count = seen.get(item.id, 0) + 1
            seen[item.id] = count
            if count > 1:
                item.flags.append(f"id '{item.id}' repeated; renamed")
                item.id = f"{item.id}~{count}"
            articles.append(item)
    return articles, rejections
