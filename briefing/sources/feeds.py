"""Read RSS 0.9x/1.0/2.0 and Atom feeds, OPML subscription lists, and single article URLs.

Feeds are parsed by feedparser, which never raises on a broken feed: it flags it (bozo) and
returns what it could read. Teaser-only entries get their article page fetched and its main text
extracted (trafilatura), keeping the feed's metadata.
"""

from __future__ import annotations

import calendar
import hashlib
import logging
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import feedparser

from briefing.config import InputConfig, SourceSpec
from briefing.errors import SourceError
from briefing.fetch import check_url
from briefing.models import Article, Rejection
from briefing.sources.articles import article_from_mapping, parse_html_article
from briefing.sources.context import ReadContext
from briefing.sources.decode import decode_bytes

log = logging.getLogger(__name__)

FEED_SUFFIXES = frozenset({".xml", ".rss", ".atom", ".rdf", ".opml"})
MAX_OPML_BYTES = 2_000_000
_FEED_ROOT = re.compile(rb"<(rss|feed|rdf:RDF|RDF)[\s>]", re.IGNORECASE)
_OPML_ROOT = re.compile(rb"<opml[\s>]", re.IGNORECASE)
_BLOCK = {"p", "br", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "tr", "section", "article"}
_SKIP = {"script", "style", "noscript"}


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skipping += 1
        elif tag in _BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skipping = max(self.skipping - 1, 0)
        elif tag in _BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Text of an HTML fragment (feed titles and summaries), paragraphs kept, tags and scripts dropped."""
    if "<" not in html and "&" not in html:
        return html.strip()
    parser = _Text()
    parser.feed(html)
    parser.close()
    text = "".join(parser.parts)
    lines = [" ".join(line.split()) for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def slug(text: str) -> str:
    """'Le Monde — International' -> 'le-monde-international'."""
    return re.sub(r"[^\w]+", "-", text.casefold()).strip("-")[:40] or "feed"


def is_url(location: str) -> bool:
    """True for http(s) URLs (other schemes are refused later, with a reason)."""
    return bool(re.match(r"^[a-z][a-z0-9+.-]*://", location, re.IGNORECASE))


def sniff(body: bytes, content_type: str) -> str:
    """'opml', 'feed' or 'html', from the document's first bytes (content types lie)."""
    head = body[:4096].lstrip()
    if _OPML_ROOT.search(head):
        return "opml"
    if _FEED_ROOT.search(head) or any(t in content_type for t in ("rss", "atom")):
        return "feed"
    return "html"


def _when(entry: Any) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        parsed = entry.get(key)
        if parsed:
            return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)
    return None


def _content(entry: Any) -> str:
    values = [c.get("value", "") for c in entry.get("content", []) or []]
    values.append(entry.get("summary", "") or "")
    return html_to_text(max(values, key=len))


def _safe_link(link: str | None) -> str | None:
    if not link:
        return None
    try:
        return check_url(link)
    except SourceError:
        return None


def _damage(parsed: Any) -> str:
    """What is wrong with a feed that parsed with errors; '' for a clean one (or a mere charset fix)."""
    problem = parsed.get("bozo_exception")
    if not parsed.bozo or isinstance(problem, feedparser.CharacterEncodingOverride):
        return ""
    return f"malformed feed ({problem}); {len(parsed.entries)} entries read"


@dataclass
class _Entry:
    """One feed entry on its way to an article: its record (article_from_mapping's fields), its flags."""

    record: dict[str, Any]
    flags: list[str]


def _entries(parsed: Any, outlet: str, language: str | None, where: str) -> tuple[list[_Entry], list[Rejection]]:
    """The feed's entries as records, and a rejection for each entry repeating an earlier GUID."""
    fetched_at = datetime.now(UTC)
    entries: list[_Entry] = []
    repeated: list[Rejection] = []
    seen: set[str] = set()
    for number, entry in enumerate(parsed.entries, start=1):
        link = _safe_link(entry.get("link"))
        guid = str(entry.get("id") or link or entry.get("title") or number)
        article_id = f"{slug(outlet)}-{hashlib.sha1(guid.encode('utf-8')).hexdigest()[:10]}"
        if guid in seen:
            repeated.append(Rejection(article_id, f"duplicate GUID {guid!r} in the feed (entry {number})", where))
            continue
        seen.add(guid)
        published = _when(entry)
        record: dict[str, Any] = {
            "id": article_id,
            "title": html_to_text(entry.get("title", "") or ""),
            "text": _content(entry),
            "url": link,
            "source": outlet,
            "language": language,
            "published": published.isoformat() if published else fetched_at.isoformat(),
        }
        flags = [] if published else ["no date in the feed; the fetch time is used"]
        if entry.get("link") and not link:
            flags.append(f"link {entry.get('link')!r} dropped: not http(s)")
        entries.append(_Entry(record, flags))
    return entries, repeated


def _entry_article(entry: _Entry, where: str, damage: str, limits: InputConfig) -> Article | Rejection:
    """The article of one entry, flagged with the feed's damage (or rejected, the damage in the reason)."""
    article_id = entry.record["id"]
    item = article_from_mapping(entry.record, article_id, f"{where}#{article_id}", limits)
    if isinstance(item, Article):
        item.flags.extend(entry.flags + ([damage] if damage else []))
    elif damage:
        item.reason = f"{item.reason}; {damage}"
    return item


class FeedReader:
    """Feeds, OPML lists and article pages, from URLs or local feed files."""

    suffixes = FEED_SUFFIXES
    replaces_outlet = False  # a feed names its own outlet; a configured name only fills a missing one

    def can_read(self, spec: SourceSpec) -> bool:
        """URLs, and local files that look like feeds or OPML."""
        return is_url(spec.location) or Path(spec.location).suffix.lower() in FEED_SUFFIXES

    def read(self, spec: SourceSpec, ctx: ReadContext) -> Iterator[Article | Rejection]:
        """Every article the source leads to; a failing source is one rejection with its reason."""
        yield from self._read(spec, ctx, depth=0)

    def _read(self, spec: SourceSpec, ctx: ReadContext, depth: int) -> Iterator[Article | Rejection]:
        location = spec.location
        try:
            if is_url(location):
                response = ctx.fetcher().fetch(location, conditional=True)
                body, base, content_type = response.body, response.url, response.content_type
            else:
                path = Path(location)
                body, base, content_type = path.read_bytes(), "", ""
        except (SourceError, OSError) as exc:
            yield Rejection(location, f"cannot fetch: {exc}", location)
            return
        kind = sniff(body, content_type)
        if kind == "opml":
            if depth > 0:
                yield Rejection(location, "an OPML list inside an OPML list is not followed", location)
                return
            for child in self.opml_sources(body, spec, location):
                if isinstance(child, Rejection):
                    yield child
                else:
                    yield from self._read(child, ctx, depth + 1)
        elif kind == "feed":
            yield from self.feed_articles(body, base, spec, ctx)
        elif is_url(location):
            yield from self.page_article(body, base, spec, ctx)
        else:
            yield Rejection(location, "not an RSS, Atom or OPML document", location)

    def opml_sources(self, body: bytes, spec: SourceSpec, where: str) -> list[SourceSpec | Rejection]:
        """The feeds an OPML list subscribes to (entity expansion and huge files refused)."""
        if len(body) > MAX_OPML_BYTES or b"<!ENTITY" in body[:4096]:
            return [Rejection(where, "OPML list too large or declares entities; refused", where)]
        try:
            root = ET.fromstring(body)
        except ET.ParseError as exc:
            return [Rejection(where, f"malformed OPML: {exc}", where)]
        found: list[SourceSpec | Rejection] = []
        for outline in root.iter("outline"):
            url = outline.get("xmlUrl") or outline.get("xmlurl")
            if not url:
                continue
            name = outline.get("title") or outline.get("text") or None
            found.append(SourceSpec(location=url, name=name, language=spec.language, full_text=spec.full_text))
        if not found:
            found.append(Rejection(where, "the OPML list names no feed (no outline with xmlUrl)", where))
        return found

    def feed_articles(
        self, body: bytes, base: str, spec: SourceSpec, ctx: ReadContext
    ) -> Iterator[Article | Rejection]:
        """Articles from a feed's entries; teasers completed from their pages when allowed."""
        where = spec.location
        parsed = feedparser.parse(body, response_headers={"content-location": base} if base else {})
        if parsed.bozo and not parsed.entries:
            yield Rejection(where, f"malformed feed: {parsed.get('bozo_exception')}", where)
            return
        damage = _damage(parsed)
        if damage:
            log.info("%s: %s", where, damage)
        feed_title = html_to_text(parsed.feed.get("title", "") or "")
        outlet = spec.name or feed_title or urlsplit(base or where).netloc or Path(where).stem
        entries, repeated = _entries(parsed, outlet, spec.language or parsed.feed.get("language"), where)
        yield from repeated
        full_text = ctx.fetch.full_text if spec.full_text is None else spec.full_text
        if full_text:
            self._complete_teasers(entries, ctx)
        for entry in entries:
            yield _entry_article(entry, where, damage, ctx.limits)

    def _complete_teasers(self, entries: list[_Entry], ctx: ReadContext) -> None:
        """Give teasers the main text of their article pages (fetched in parallel); flag pages not fetched."""
        teasers = [e for e in entries if e.record["url"] and len(e.record["text"]) < ctx.fetch.teaser_chars]
        if not teasers:
            return
        with ThreadPoolExecutor(max_workers=ctx.fetch.workers) as pool:
            texts = list(pool.map(lambda e: self._page_text(e.record["url"], ctx), teasers))
        for entry, text in zip(teasers, texts, strict=True):
            if isinstance(text, str) and len(text) > len(entry.record["text"]):
                entry.record["text"] = text
            elif isinstance(text, SourceError):
                entry.flags.append(f"article page not fetched ({text}); the feed's teaser is used")

    def _page_text(self, url: str, ctx: ReadContext) -> str | SourceError:
        """The main text of an article page, or the error that kept it away."""
        import trafilatura  # deferred: heavy (lxml; ~0.3 s to import), and only HTML pages need it

        try:
            response = ctx.fetcher().fetch(url, conditional=False, reuse_hours=ctx.fetch.page_ttl_hours)
            html, _ = decode_bytes(response.body)
        except SourceError as exc:
            return exc
        text = trafilatura.extract(html, include_comments=False, include_tables=False)
        return str(text or "")

    def page_article(self, body: bytes, url: str, spec: SourceSpec, ctx: ReadContext) -> Iterator[Article | Rejection]:
        """A single article page given by URL."""
        try:
            html, _ = decode_bytes(body)
        except SourceError as exc:
            yield Rejection(spec.location, f"cannot read the page: {exc}", spec.location)
            return
        article_id = f"{slug(urlsplit(url).netloc)}-{hashlib.sha1(url.encode('utf-8')).hexdigest()[:10]}"
        item = parse_html_article(html, article_id, spec.location, ctx.limits)
        if isinstance(item, Article):
            item.url = url
            item.source = spec.name or item.source or urlsplit(url).netloc
            item.declared_language = spec.language or item.declared_language
        yield item
