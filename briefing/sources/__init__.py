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

import difflib
import logging
import re
from collections.abc import Iterable
from pathlib import Path

from briefing.config import SourceSpec
from briefing.errors import ConfigError, SourceError
from briefing.fetch import check_url
from briefing.models import Article, Rejection
from briefing.sources.base import SourceReader, guarded
from briefing.sources.context import ReadContext
from briefing.sources.feeds import FeedReader, is_url
from briefing.sources.files import FileReader
from briefing.sources.folders import FolderReader, link_problem

__all__ = ["READERS", "ReadContext", "SourceReader", "as_spec", "check_sources", "read_sources"]

log = logging.getLogger(__name__)

_FEEDS, _FILES = FeedReader(), FileReader()
# First match wins: feed suffixes and URLs, then folders (each file by suffix), then other files.
READERS: list[SourceReader] = [_FEEDS, FolderReader([_FEEDS, _FILES]), _FILES]


def as_spec(source: str | SourceSpec) -> SourceSpec:
    """A command-line string or a configured source, as a SourceSpec."""
    return source if isinstance(source, SourceSpec) else SourceSpec(location=source)


def check_sources(sources: Iterable[str | SourceSpec]) -> None:
    """Refuse, before any work, sources that cannot be anything: neither an existing file or folder
    nor an http(s) URL (a mistyped path, a dangling link, a URL of another scheme).

    Raises:
        ConfigError: naming every such source, why, and what to do.
    """
    problems = [problem for source in sources if (problem := source_problem(as_spec(source).location))]
    if problems:
        raise ConfigError("; ".join(problems))


def source_problem(location: str) -> str | None:
    """What is wrong with a source that cannot be read at all, with the fix; None when it can be read."""
    if is_url(location):
        try:
            check_url(location)
        except SourceError:
            return f"source {location!r} is not an http(s) URL: only http:// and https:// addresses are fetched"
        return None
    path = Path(location)
    try:
        if path.exists():
            return None
    except (OSError, ValueError) as exc:  # a name too long, a NUL byte in it...
        return f"source {location!r} is not a usable path ({exc}); fix the path or give an http(s) URL"
    if path.is_symlink():
        why = link_problem(path) or "a link to something that does not exist"
        return f"source {location!r} cannot be read: {why}; fix the link or give the file or folder itself"
    hint = _near_miss(path)
    if hint is None and re.match(r"^[\w-]+(\.[\w-]+)+/", location):
        hint = f"https://{location}"
    fix = f"did you mean {hint!r}? " if hint else ""
    return (
        f"source {location!r} does not exist (no such file or folder, and not an http(s) URL); {fix}"
        f"fix the path (relative paths start from {Path.cwd()}) or give an http(s) URL"
    )


def _near_miss(path: Path) -> str | None:
    """An existing sibling whose name is close to the missing one (a typo), as the path to suggest."""
    parent = path.parent
    try:
        names = [p.name for p in parent.iterdir() if not p.name.startswith(".")] if parent.is_dir() else []
    except OSError:
        return None
    close = difflib.get_close_matches(path.name, names, n=1, cutoff=0.75)
    return str(parent / close[0]) if close else None


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
        try:
            reader = next((r for r in READERS if r.can_read(spec)), None)
        except (OSError, ValueError) as exc:  # a path the system refuses to look at
            rejections.append(Rejection(spec.location, f"not a usable path: {exc}", spec.location))
            continue
        if reader is None:
            reason = "not a readable source: no such file or folder, and not an http(s) URL"
            log.warning("%s: %s", spec.location, reason)
            rejections.append(Rejection(id=spec.location, reason=reason, fetched_from=spec.location))
            continue
        for item in guarded(reader.read(spec, ctx), spec.location, spec.location):
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
