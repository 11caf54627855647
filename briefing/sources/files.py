"""Read articles from files and folders: .txt, .md, .html, .json, .jsonl."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from briefing.clean import is_furniture, normalise
from briefing.config import InputConfig, SourceSpec
from briefing.errors import SourceError
from briefing.models import Article, Rejection
from briefing.sources.context import ReadContext
from briefing.sources.decode import decode_bytes

log = logging.getLogger(__name__)

TEXT_SUFFIXES = {".txt", ".md", ".markdown"}
HTML_SUFFIXES = {".html", ".htm"}
JSON_SUFFIXES = {".json", ".jsonl", ".ndjson"}
SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | JSON_SUFFIXES

_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.S)
_FRONT_KEYS = {
    "title": "title",
    "id": "id",
    "url": "url",
    "link": "url",
    "source": "source",
    "outlet": "source",
    "language": "language",
    "lang": "language",
    "published": "published",
    "date": "published",
}


def parse_date(value: object) -> datetime | None:
    """An ISO 8601 date or datetime (or epoch seconds) as an aware UTC datetime; None if unparseable."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(float(value), tz=UTC)
    text = str(value).strip().replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _str_or_none(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def article_from_mapping(
    record: Mapping[str, Any], default_id: str, fetched_from: str, limits: InputConfig
) -> Article | Rejection:
    """Build an article from a JSON-like record with the documented field names."""
    if not isinstance(record, Mapping):
        return Rejection(default_id, f"expected a JSON object, got {type(record).__name__}", fetched_from)
    art_id = _str_or_none(record.get("id")) or default_id
    text = record.get("text") if record.get("text") is not None else record.get("content")
    if not isinstance(text, str):
        return Rejection(art_id, "no 'text' field (a string) in the record", fetched_from)
    title = _str_or_none(record.get("title")) or ""
    raw_date = record.get("published", record.get("date"))
    published = parse_date(raw_date)
    article = Article(
        id=art_id,
        title=title,
        text=text,
        url=_str_or_none(record.get("url") or record.get("link")),
        source=_str_or_none(record.get("source") or record.get("outlet")),
        declared_language=_str_or_none(record.get("language") or record.get("lang")),
        published=published,
        fetched_from=fetched_from,
    )
    if raw_date not in (None, "") and published is None:
        article.flags.append(f"unparseable date {raw_date!r} ignored")
    return _check_size(article, limits)


def _check_size(article: Article, limits: InputConfig) -> Article | Rejection:
    body = article.text.strip()
    if len(body) < limits.min_chars:
        reason = "empty article" if not body else f"article too short ({len(body)} characters)"
        return Rejection(article.id, reason, article.fetched_from)
    if len(article.text) > limits.max_chars:
        article.flags.append(f"text cut from {len(article.text)} to {limits.max_chars} characters")
        article.text = article.text[: limits.max_chars]
    return article


def split_front_matter(text: str) -> tuple[dict[str, str], str]:
    """Split an optional ``---`` block of ``key: value`` lines off the top of a text article."""
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    meta: dict[str, str] = {}
    for line in match.group(1).splitlines():
        key, sep, value = line.partition(":")
        field = _FRONT_KEYS.get(key.strip().lower())
        if sep and field:
            meta[field] = value.strip().strip("\"'")
    return meta, text[match.end() :]


def parse_text_article(text: str, art_id: str, fetched_from: str, limits: InputConfig) -> Article | Rejection:
    """A text article: optional front matter, first real line is the title, the rest the body.

    Leading navigation lines are skipped; a short first line followed directly by navigation
    (a site name above "Back to Headlines") is taken as the outlet, not the title.
    """
    meta, body = split_front_matter(normalise(text))
    lines = body.split("\n")
    site: str | None = None
    index = 0
    while index < len(lines) and (not lines[index].strip() or is_furniture(lines[index])):
        index += 1
    if "title" not in meta and index + 1 < len(lines) and len(lines[index]) <= 40 and is_furniture(lines[index + 1]):
        site = lines[index].strip()
        index += 1
        while index < len(lines) and (not lines[index].strip() or is_furniture(lines[index])):
            index += 1
    if "title" in meta:
        title = meta["title"]
    else:
        title = lines[index].lstrip("#").strip() if index < len(lines) else ""
        index += 1
    record: dict[str, Any] = {**meta, "id": meta.get("id") or art_id, "title": title}
    record["text"] = "\n".join(lines[index:]).strip()
    record.setdefault("source", site)
    return article_from_mapping(record, art_id, fetched_from, limits)


def parse_html_article(html: str, art_id: str, fetched_from: str, limits: InputConfig) -> Article | Rejection:
    """An HTML page: main text by trafilatura, title and metadata from the page."""
    import trafilatura

    document = trafilatura.bare_extraction(html, with_metadata=True, include_comments=False)
    if document is None or not getattr(document, "text", None):
        return Rejection(art_id, "no article text found in the HTML page", fetched_from)
    text = str(getattr(document, "text", ""))
    title = str(getattr(document, "title", "") or "")
    if title and text.startswith(title):
        text = text[len(title) :].lstrip()
    record = {
        "id": art_id,
        "title": title,
        "text": text,
        "url": getattr(document, "url", None),
        "source": getattr(document, "sitename", None),
        "published": getattr(document, "date", None),
        "language": getattr(document, "language", None),
    }
    return article_from_mapping(record, art_id, fetched_from, limits)


class FileReader:
    """Reads files, and folders of files, in the supported formats."""

    def can_read(self, spec: SourceSpec) -> bool:
        """Existing paths only; anything else belongs to another reader."""
        return Path(spec.location).exists()

    def read(self, spec: SourceSpec, ctx: ReadContext) -> Iterator[Article | Rejection]:
        """Every article in a file, or in every supported file under a folder (feed files included)."""
        path = Path(spec.location)
        if not path.is_dir():
            yield from self.read_file(path, ctx.limits)
            return
        from briefing.sources.feeds import FEED_SUFFIXES, FeedReader

        for child in sorted(p for p in path.rglob("*") if p.is_file()):
            suffix = child.suffix.lower()
            if child.name.startswith("."):
                continue
            if suffix in FEED_SUFFIXES:
                yield from FeedReader().read(spec.model_copy(update={"location": str(child)}), ctx)
            elif suffix not in SUFFIXES:
                yield Rejection(str(child), f"unsupported file type '{child.suffix}'", str(child))
            else:
                yield from self.read_file(child, ctx.limits)

    def read_file(self, path: Path, limits: InputConfig) -> Iterator[Article | Rejection]:
        """Every article in one file; an unreadable file is one rejection with its reason."""
        where = str(path)
        suffix = path.suffix.lower()
        if suffix not in SUFFIXES:
            yield Rejection(
                path.stem,
                f"unsupported file type '{suffix}' (use {', '.join(sorted(SUFFIXES))})",
                where,
            )
            return
        try:
            size = path.stat().st_size
            if size > limits.max_file_bytes:
                raise SourceError(f"file too large ({size} bytes, limit {limits.max_file_bytes})")
            text, encoding = decode_bytes(path.read_bytes())
        except (OSError, SourceError) as exc:
            yield Rejection(path.stem, f"cannot read file: {exc}", where)
            return
        log.debug("%s decoded as %s", where, encoding)
        if suffix in TEXT_SUFFIXES:
            yield parse_text_article(text, path.stem, where, limits)
        elif suffix in HTML_SUFFIXES:
            yield parse_html_article(text, path.stem, where, limits)
        elif suffix == ".json":
            yield from self._read_json(text, path, limits)
        else:
            yield from self._read_jsonl(text, path, limits)

    def _read_json(self, text: str, path: Path, limits: InputConfig) -> Iterator[Article | Rejection]:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            yield Rejection(path.stem, f"invalid JSON: {exc}", str(path))
            return
        if isinstance(data, Mapping) and isinstance(data.get("articles"), list):
            data = data["articles"]
        if isinstance(data, Mapping):
            data = [data]
        if not isinstance(data, list):
            yield Rejection(path.stem, "JSON must be a list of article objects", str(path))
            return
        for number, record in enumerate(data, start=1):
            yield article_from_mapping(record, f"{path.stem}-{number}", f"{path}#{number}", limits)

    def _read_jsonl(self, text: str, path: Path, limits: InputConfig) -> Iterator[Article | Rejection]:
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            default_id = f"{path.stem}-{number}"
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                yield Rejection(default_id, f"line {number}: invalid JSON ({exc.msg})", f"{path}:{number}")
                continue
            yield article_from_mapping(record, default_id, f"{path}:{number}", limits)
