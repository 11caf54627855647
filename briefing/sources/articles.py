"""From what a reader found to a checked `Article`: a JSON-like record, or an HTML page.

Shared by every reader; builds articles and rejections, reads and fetches nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from briefing.config import InputConfig
from briefing.dates import parse_date
from briefing.models import Article, Rejection

_SURROGATE = re.compile(r"[\ud800-\udfff]")  # JSON's "\ud800" escapes: not text, and not encodable


def _str_or_none(value: object) -> str | None:
    if value is None:
        return None
    text = _SURROGATE.sub("\ufffd", str(value)).strip()
    return text or None


def article_from_mapping(
    record: Mapping[str, Any], default_id: str, fetched_from: str, limits: InputConfig
) -> Article | Rejection:
    """Build an article from a JSON-like record with the documented field names.

    Args:
        record: the fields (``id``, ``title``, ``text`` or ``content``, ``url`` or ``link``,
            ``source`` or ``outlet``, ``language`` or ``lang``, ``published`` or ``date``).
        default_id: the id when the record has none.
        fetched_from: where the record was read, for the report.
        limits: the size limits an article must meet.

    Returns:
        The article (cut and flagged when too long), or a rejection with its reason.
    """
    if not isinstance(record, Mapping):
        return Rejection(default_id, f"expected a JSON object, got {type(record).__name__}", fetched_from)
    art_id = _str_or_none(record.get("id")) or default_id
    text = record.get("text") if record.get("text") is not None else record.get("content")
    if not isinstance(text, str):
        return Rejection(art_id, "no 'text' field (a string) in the record", fetched_from)
    broken = _SURROGATE.search(text) or _SURROGATE.search(str(record.get("title") or ""))
    text = _SURROGATE.sub("\ufffd", text)
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
    if broken:
        article.flags.append("invalid characters (lone UTF-16 surrogates) replaced with U+FFFD")
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


def parse_html_article(html: str, art_id: str, fetched_from: str, limits: InputConfig) -> Article | Rejection:
    """An HTML page: main text by trafilatura, title and metadata from the page."""
    import trafilatura  # deferred: heavy (lxml; ~0.3 s to import), and only HTML pages need it

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
