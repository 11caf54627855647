"""Source readers: each turns one source (file, folder, feed, OPML list, URL) into articles.

Readers are pluggable: a reader says which sources it can read (and which file suffixes it takes
inside a folder), then yields `Article` or `Rejection` for everything it found, never raising for
one bad item. The registry below picks the reader; readers get everything they use, the fetcher
included, from the `ReadContext` they are given.

Layout: `base` (the reader protocol), `context` (what readers get), `feeds` (feeds, OPML, pages),
`files` (single files), `folders` (folders, by suffix), `articles` (record or HTML page to
article), `decode` (bytes to text).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from briefing.config import SourceSpec
from briefing.models import Article, Rejection
from briefing.sources.base import SourceReader
from briefing.sources.context import ReadContext
from briefing.sources.feeds import FeedReader
from briefing.sources.files import FileReader
from briefing.sources.folders import FolderReader

__all__ = ["READERS", "ReadContext", "SourceReader", "as_spec", "read_sources"]

log = logging.getLogger(__name__)

_FEEDS, _FILES = FeedReader(), FileReader()
# First match wins: feed suffixes and URLs, then folders (each file by suffix), then other files.
READERS: list[SourceReader] = [_FEEDS, FolderReader([_FEEDS, _FILES]), _FILES]


def as_spec(source: str | SourceSpec) -> SourceSpec:
    """A command-line string or a configured source, as a SourceSpec."""
    return source if isinstance(source, SourceSpec) else SourceSpec(location=source)


def read_sources(sources: Iterable[str | SourceSpec], ctx: ReadContext) -> tuple[list[Article], list[Rejection]]:
    """Read every source; bad ones become rejections with a reason, never exceptions.

    Per-source settings apply: `name` becomes the outlet, `language` the declared language.
    Article ids are made unique: a repeated id gets a ``~2``, ``~3`` suffix and a flag.

    Args:
        sources: paths, URLs or configured sources.
        ctx: the run's limits and fetch settings, and the one fetcher every reader uses.

    Returns:
        The articles read, and a rejection for each source or item that could not be read.
    """
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
            _apply_settings(item, spec, reader)
            count = seen.get(item.id, 0) + 1
            seen[item.id] = count
            if count > 1:
                item.flags.append(f"id '{item.id}' repeated; renamed")
                item.id = f"{item.id}~{count}"
            articles.append(item)
    return articles, rejections


def _apply_settings(article: Article, spec: SourceSpec, reader: SourceReader) -> None:
    """The source's configured name and language, where the reader's rule lets them apply."""
    if spec.name and (not article.source or reader.replaces_outlet):
        article.source = spec.name
    if spec.language and not article.declared_language:
        article.declared_language = spec.language
