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
from briefing.dates import parse_date
from briefing.errors import SourceError
from briefing.fetch import check_url
from briefing.models import Article, Rejection
from briefing.sources.articles import article_from_mapping, parse_html_article
from briefing.sources.base import failure, guarded
from briefing.sources.context import ReadContext
from briefing.sources.decode import Decoded, decode_bytes

log = logging.getLogger(__name__)

FEED_SUFFIXES = frozenset({".xml", ".rss", ".atom", ".rdf", ".opml"})
MAX_OPML_BYTES = 2_000_000
_FEED_ROOT = re.compile(rb"<(rss|feed|rdf:RDF|RDF)[\s>]", re.IGNORECASE)
_OPML_ROOT = re.compile(rb"<opml[\s>]", re.IGNORECASE)
_XML_ENCODING = re.compile(r"""\A(\s*<\?xml[^>]*?encoding\s*=\s*)["'][^"']*["']""")
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
            return parse_date(calendar.timegm(parsed))
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
    """One feed entry on its way to an article: its record (article_from_mapping's fields), flags, GUID."""

    record: dict[str, Any]
    flags: list[str]
    guid: str


def _entries(parsed: Any, outlet: str, language: str | None, where: str) -> tuple[list[_Entry], list[Rejection]]:
    """The feed's entries as records, and a rejection for each entry repeating an earlier GUID (or failing)."""
    fetched_at = datetime.now(UTC)
    entries: list[_Entry] = []
    repeated: list[Rejection] = []
    seen: set[str] = set()
    for number, entry in enumerate(parsed.entries, start=1):
        try:
            made = _entry(entry, number, outlet, language, fetched_at)
        except Exception as exc:  # an entry that breaks the reader is that entry's rejection
            log.debug("entry %d of %s failed", number, where, exc_info=True)
            repeated.append(Rejection(f"{slug(outlet)}-entry-{number}", f"entry {number}: {failure(exc)}", where))
            continue
        guid = made.guid
        if guid in seen:
            article_id = made.record["id"]
            repeated.append(Rejection(article_id, f"duplicate GUID {guid!r} in the feed (entry {number})", where))
            continue
        seen.add(guid)
        entries.append(made)
    return entries, repeated


def _entry(entry: Any, number: int, outlet: str, language: str | None, fetched_at: datetime) -> _Entry:
    """One feed entry as a record for article_from_mapping, with its flags."""
    link = _safe_link(entry.get("link"))
    guid = str(entry.get("id") or link or entry.get("title") or number)
    published = _when(entry)
    record: dict[str, Any] = {
        "id": f"{slug(outlet)}-{hashlib.sha1(guid.encode('utf-8')).hexdigest()[:10]}",
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
    return _Entry(record, flags, guid)


def _entry_article(entry: _Entry, where: str, damage: str, limits: InputConfig) -> Article | Rejection:
    """The article of one entry, flagged with the feed's damage; a rejection keeps every flag in its reason
    (a teaser left too short says why its page was not fetched)."""
    article_id = entry.record["id"]
    try:
        item = article_from_mapping(entry.record, article_id, f"{where}#{article_id}", limits)
    except Exception as exc:
        return Rejection(article_id, f"unreadable entry: {failure(exc)}", f"{where}#{article_id}")
    notes = entry.flags + ([damage] if damage else [])
    if isinstance(item, Article):
        item.flags.extend(notes)
    elif notes:
        item.reason = "; ".join([item.reason, *notes])
    return item


def as_utf8(body: bytes, charset: str | None = None) -> Decoded:
    """An XML document (feed, OPML) re-encoded as UTF-8, its XML declaration saying so.

    feedparser falls back to cp1252 in silence when an undeclared document is not UTF-8 (Polish
    text came out as "Mo¿e"); decode_bytes reads it better, and flags the guess.
    """
    decoded = decode_bytes(body, charset)
    text = _XML_ENCODING.sub(r'\1"utf-8"', decoded.text, count=1)
    return Decoded(text, decoded.encoding, decoded.flag)


def _xml_content_type(content_type: str) -> str:
    """The content type to give feedparser for a document sniffed as a feed, now in UTF-8.

    Without one, feedparser flags every feed fetched over HTTP as malformed ("no Content-type
    specified"); a server's text/html for a real feed would do the same.
    """
    kind = content_type if "xml" in content_type else "application/xml"
    return f"{kind}; charset=utf-8"


@dataclass
class _Document:
    """What a source's location gave: the bytes, their final URL ('' for a file), and what the server said."""

    body: bytes
    base: str = ""
    content_type: str = ""
    charset: str | None = None


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
                document = _Document(response.body, response.url, response.content_type, response.charset)
            else:
                document = _Document(Path(location).read_bytes())
        except (SourceError, OSError) as exc:
            yield Rejection(location, f"cannot fetch: {exc}", location)
            return
        kind = sniff(document.body, document.content_type)
        if kind == "opml":
            if depth > 0:
                yield Rejection(location, "an OPML list inside an OPML list is not followed", location)
                return
            for child in self.opml_sources(document, spec, location):
                if isinstance(child, Rejection):
                    yield child
                else:  # one subscription failing costs only that subscription
                    yield from guarded(self._read(child, ctx, depth + 1), child.location, child.location)
        elif kind == "feed":
            yield from self.feed_articles(document, spec, ctx)
        elif is_url(location):
            yield from self.page_article(document, spec, ctx)
        else:
            yield Rejection(location, "not an RSS, Atom or OPML document", location)

    def opml_sources(self, document: _Document, spec: SourceSpec, where: str) -> list[SourceSpec | Rejection]:
        """The feeds an OPML list subscribes to (entity expansion and huge files refused)."""
        body = document.body
        if len(body) > MAX_OPML_BYTES or b"<!ENTITY" in body[:4096]:
            return [Rejection(where, "OPML list too large or declares entities; refused", where)]
        try:
            root = ET.fromstring(as_utf8(body, document.charset).text.encode("utf-8"))
        except (ET.ParseError, SourceError) as exc:
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

    def feed_articles(self, document: _Document, spec: SourceSpec, ctx: ReadContext) -> Iterator[Article | Rejection]:
        """Articles from a feed's entries; teasers completed from their pages when allowed."""
        where, base = spec.location, document.base
        try:
            decoded = as_utf8(document.body, document.charset)
        except SourceError as exc:
            yield Rejection(where, f"cannot read the feed: {exc}", where)
            return
        headers = {"content-type": _xml_content_type(document.content_type)}
        if base:
            headers["content-location"] = base
        parsed = feedparser.parse(decoded.text.encode("utf-8"), response_headers=headers)
        if parsed.bozo and not parsed.entries:
            yield Rejection(where, f"malformed feed: {parsed.get('bozo_exception')}", where)
            return
        damage = "; ".join(d for d in (_damage(parsed), decoded.flag) if d)
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
            elif isinstance(text, str):
                entry.flags.append("article page fetched, but it held no longer text; the feed's teaser is used")
            else:
                entry.flags.append(f"article page not fetched ({text}); the feed's teaser is used")

    def _page_text(self, url: str, ctx: ReadContext) -> str | SourceError:
        """The main text of an article page, or the error that kept it away (never raises: it runs in a pool)."""
        import trafilatura  # deferred: heavy (lxml; ~0.3 s to import), and only HTML pages need it

        try:
            response = ctx.fetcher().fetch(url, conditional=False, reuse_hours=ctx.fetch.page_ttl_hours)
            html = decode_bytes(response.body, response.charset).text
            text = trafilatura.extract(html, include_comments=False, include_tables=False)
        except SourceError as exc:
            return exc
        except Exception as exc:
            log.debug("article page %s failed", url, exc_info=True)
            return SourceError(failure(exc))
        return str(text or "")

    def page_article(self, document: _Document, spec: SourceSpec, ctx: ReadContext) -> Iterator[Article | Rejection]:
        """A single article page given by URL."""
        url = document.base
        try:
            decoded = decode_bytes(document.body, document.charset)
        except SourceError as exc:
            yield Rejection(spec.location, f"cannot read the page: {exc}", spec.location)
            return
        article_id = f"{slug(urlsplit(url).netloc)}-{hashlib.sha1(url.encode('utf-8')).hexdigest()[:10]}"
        item = parse_html_article(decoded.text, article_id, spec.location, ctx.limits)
        if isinstance(item, Article):
            item.url = url
            item.source = spec.name or item.source or urlsplit(url).netloc
            item.declared_language = spec.language or item.declared_language
            item.flags.extend([decoded.flag] if decoded.flag else [])
        yield item
