"""Read articles from files: .txt, .md, .html, .json, .jsonl (folders: see sources.folders)."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from briefing.clean import is_furniture, normalise
from briefing.config import InputConfig, SourceSpec
from briefing.errors import SourceError
from briefing.models import Article, Rejection
from briefing.sources.articles import article_from_mapping, parse_html_article
from briefing.sources.base import failure, guarded
from briefing.sources.context import ReadContext
from briefing.sources.decode import decode_bytes

log = logging.getLogger(__name__)

TEXT_SUFFIXES = frozenset({".txt", ".md", ".markdown"})
HTML_SUFFIXES = frozenset({".html", ".htm"})
JSON_SUFFIXES = frozenset({".json", ".jsonl", ".ndjson"})
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


class FileReader:
    """Reads single files in the supported formats."""

    suffixes = SUFFIXES
    replaces_outlet = True  # a configured name wins over the outlet a file states

    def can_read(self, spec: SourceSpec) -> bool:
        """Existing paths other than folders; anything else belongs to another reader."""
        path = Path(spec.location)
        return path.exists() and not path.is_dir()

    def read(self, spec: SourceSpec, ctx: ReadContext) -> Iterator[Article | Rejection]:
        """Every article in the file (one, or one per record of a JSON file)."""
        yield from self.read_file(Path(spec.location), ctx.limits)

    def read_file(self, path: Path, limits: InputConfig) -> Iterator[Article | Rejection]:
        """Every article in one file; an unreadable file is one rejection with its reason.

        An encoding that had to be guessed is flagged on every article of the file.
        """
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
            decoded = decode_bytes(path.read_bytes())
        except (OSError, SourceError) as exc:
            yield Rejection(path.stem, f"cannot read file: {exc}", where)
            return
        log.debug("%s decoded as %s", where, decoded.encoding)
        for item in guarded(self._parse(decoded.text, path, limits), path.stem, where):
            if decoded.flag and isinstance(item, Article):
                item.flags.append(decoded.flag)
            yield item

    def _parse(self, text: str, path: Path, limits: InputConfig) -> Iterator[Article | Rejection]:
        where, suffix = str(path), path.suffix.lower()
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
        except Exception as exc:  # a RecursionError from deep nesting, say: this file's, not the run's
            yield Rejection(path.stem, f"unreadable JSON: {failure(exc)}", str(path))
            return
        if isinstance(data, Mapping) and isinstance(data.get("articles"), list):
            data = data["articles"]
        if isinstance(data, Mapping):
            data = [data]
        if not isinstance(data, list):
            yield Rejection(path.stem, "JSON must be a list of article objects", str(path))
            return
        for number, record in enumerate(data, start=1):
            yield _record(record, f"{path.stem}-{number}", f"{path}#{number}", limits)

    def _read_jsonl(self, text: str, path: Path, limits: InputConfig) -> Iterator[Article | Rejection]:
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            default_id, where = f"{path.stem}-{number}", f"{path}:{number}"
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                yield Rejection(default_id, f"line {number}: invalid JSON ({exc.msg})", where)
                continue
            except Exception as exc:  # a RecursionError from deep nesting, say: this line's alone
                yield Rejection(default_id, f"line {number}: unreadable JSON ({failure(exc)})", where)
                continue
            yield _record(record, default_id, where, limits)


def _record(record: Any, default_id: str, where: str, limits: InputConfig) -> Article | Rejection:
    """One JSON record's article; a record that breaks the builder is its own rejection."""
    try:
        return article_from_mapping(record, default_id, where, limits)
    except Exception as exc:
        return Rejection(default_id, f"unreadable record: {failure(exc)}", where)
