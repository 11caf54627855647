"""Render a digest as Markdown, HTML (autoescaped), plain text and JSON. Pure functions.

digest.json is written (and read back) by briefing.digest_json, which also numbers each story's
sources and chooses its headline, so every format cites the same numbers as digest.json.
"""

from __future__ import annotations

import re
from typing import Any

import jinja2

from briefing.digest_json import Source, dumps, headline_of, story_sources
from briefing.models import Article, CheckTally, Digest, Sentence, StoryDigest

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#|!])")
# Languages written right to left: their originals get dir="rtl", not "auto", because "auto"
# guesses from the first strong character and an Arabic sentence may begin with a Latin name.
_RTL_LANGUAGES = frozenset({"ar", "arc", "ckb", "dv", "fa", "he", "iw", "ks", "ps", "sd", "ug", "ur", "yi"})


def markers(sentence: Sentence, numbers: dict[str, int]) -> list[int]:
    """The source numbers a sentence cites, in order."""
    return sorted({numbers[c] for c in sentence.citations if c in numbers})


def update_note(item: StoryDigest) -> str:
    """' (update: first reported DATE)' for a story an earlier digest reported, else ''."""
    return f" (update: first reported {item.update_of})" if item.update_of else ""


def safe_url(article: Article) -> str | None:
    """The article's link if it is http(s); every format renders links through this."""
    url = article.url
    return url if url and url.startswith(("http://", "https://")) else None


def plural(count: int, word: str) -> str:
    """'1 duplicate', '2 duplicates'."""
    return f"{count} {word}{'' if count == 1 else 's'}"


def shown_original(sentence: Sentence) -> str | None:
    """The source-language sentence worth showing beside a translation, or None (quoted English)."""
    original = (sentence.original or "").strip()
    return original if original and original != sentence.text.strip() else None


def text_direction(language: str | None) -> str:
    """The HTML dir value for text in a language: rtl when known to be, else auto."""
    base = (language or "").split("-")[0].split("_")[0].lower()
    return "rtl" if base in _RTL_LANGUAGES else "auto"


def story_number(digest: Digest) -> dict[str, int]:
    """Story id -> its position in the digest (1-based)."""
    return {item.story.id: item.rank for item in digest.stories}


def _md(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", text)


def _source_line(source: Source) -> str:
    a = source.article
    parts = [a.outlet]
    if a.original_source and a.original_source != a.outlet:
        parts.append(f"via {a.original_source}")
    parts.append(a.language or "und")
    if a.published:
        parts.append(a.published.date().isoformat())
    if source.duplicate_of:
        parts.append(f"copy of {source.duplicate_of}")
    return ", ".join(parts)


# Markdown and plain text show the English sentences only: an original after every translated
# sentence would double the text a reader scans. The originals are in digest.html (expandable),
# the HTML email (hover) and digest.json.


def to_markdown(digest: Digest) -> str:
    """The digest as Markdown; model text is escaped so it cannot add links or markup."""
    numbers = story_number(digest)
    lines = [f"# {_md(digest.title)} — {digest.date}", ""]
    overview = " ".join(_md(s.text) + "".join(f" [§{n}]" for n in markers(s, numbers)) for s in digest.overview)
    lines += [overview, ""]
    for item in digest.stories:
        sources = story_sources(item)
        by_id = {s.article.id: s.number for s in sources}
        lines += [f"## {item.rank}. {_md(headline_of(item))}{update_note(item)}", ""]
        if item.summary:
            text = " ".join(_md(s.text) + "".join(f"[{n}]" for n in markers(s, by_id)) for s in item.summary.sentences)
            lines += [text, ""]
        else:
            lines += [
                f"*Summary unavailable ({_md(item.error or 'unknown error')}); sources below.*",
                "",
            ]
        lines.append("Sources:")
        for s in sources:
            title = _md(s.article.title or s.article.id)
            url = safe_url(s.article)
            link = f"[{title}](<{url}>)" if url else title
            lines.append(f"{s.number}. {link} — {_md(_source_line(s))}")
        lines.append("")
    lines.append(report_line(digest))
    return "\n".join(lines).rstrip() + "\n"


def checks_line(checks: CheckTally) -> str:
    """'24 sentences checked: 20 passed, 2 repaired, 2 dropped. ', or '' when nothing was checked."""
    if not checks.checked:
        return ""
    return (
        f"{plural(checks.checked, 'sentence')} checked: {checks.passed} passed, "
        f"{checks.repaired} repaired, {checks.dropped} dropped. "
    )


def report_line(digest: Digest) -> str:
    """One line accounting for every input, the sentence checks and the LLM cost."""
    report = digest.report
    counts = {
        status: sum(1 for r in report.articles if r.status == status) for status in ("used", "duplicate", "rejected")
    }
    cost = f", ${report.cost_usd:.4f}" if report.cost_usd is not None else ""
    return (
        f"_{plural(len(report.articles), 'article')} read: {counts['used']} used, "
        f"{plural(counts['duplicate'], 'duplicate')}, {counts['rejected']} rejected. "
        f"{checks_line(report.checks)}"
        f"{plural(report.llm_calls, 'LLM call')}, {report.cache_hits} cached, "
        f"{report.usage.prompt_tokens + report.usage.completion_tokens} tokens{cost}._"
    )


def to_text(digest: Digest) -> str:
    """The digest as plain text (also the text part of the email)."""
    numbers = story_number(digest)
    title = f"{digest.title} — {digest.date}"
    lines = [title, "=" * len(title), ""]
    lines += [
        " ".join(s.text + "".join(f" [§{n}]" for n in markers(s, numbers)) for s in digest.overview),
        "",
    ]
    for item in digest.stories:
        sources = story_sources(item)
        by_id = {s.article.id: s.number for s in sources}
        heading = f"{item.rank}. {headline_of(item)}{update_note(item)}"
        lines += [heading, "-" * min(len(heading), 78), ""]
        if item.summary:
            lines += [
                " ".join(s.text + "".join(f"[{n}]" for n in markers(s, by_id)) for s in item.summary.sentences),
                "",
            ]
        else:
            lines += [f"Summary unavailable ({item.error or 'unknown error'}); sources below.", ""]
        for s in sources:
            lines.append(f"  [{s.number}] {s.article.title or s.article.id} — {_source_line(s)}")
            if url := safe_url(s.article):
                lines.append(f"      {url}")
        lines.append("")
    lines.append(report_line(digest).strip("_"))
    return "\n".join(lines).rstrip() + "\n"


_HTML = jinja2.Environment(
    loader=jinja2.PackageLoader("briefing", "templates"),
    autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def sentence_context(sentence: Sentence, cited: list[int]) -> dict[str, Any]:
    """A sentence for the HTML templates: its text, the numbers it cites, and its original if translated."""
    original = shown_original(sentence)
    language = (sentence.original_language or "").strip()
    prefix = f"Original ({language})" if language else "Original"
    return {
        "text": sentence.text,
        "markers": cited,
        "original": original or "",
        "language": language,
        "label": language or "original",  # the tag's text
        "dir": text_direction(language),
        "title": f"{prefix}: {original}" if original else "",
    }


def html_context(digest: Digest) -> dict[str, Any]:
    """What the HTML templates (page and email) render; links only from the sources, http(s) only."""
    numbers = story_number(digest)
    stories = []
    for item in digest.stories:
        sources = story_sources(item)
        by_id = {s.article.id: s.number for s in sources}
        stories.append(
            {
                "rank": item.rank,
                "id": item.story.id,
                "headline": headline_of(item),
                "update_of": item.update_of or "",
                "ok": item.summary is not None,
                "error": item.error or "",
                "sentences": [sentence_context(s, markers(s, by_id)) for s in item.summary.sentences]
                if item.summary
                else [],
                "sources": [
                    {
                        "number": s.number,
                        "title": s.article.title or s.article.id,
                        "url": safe_url(s.article) or "",
                        "detail": _source_line(s),
                    }
                    for s in sources
                ],
            }
        )
    overview = [sentence_context(s, markers(s, numbers)) for s in digest.overview]
    return {
        "title": digest.title,
        "date": digest.date,
        "overview": overview,
        "stories": stories,
        "report": report_line(digest).strip("_"),
    }


def to_html(digest: Digest) -> str:
    """The digest as a self-contained HTML page; everything is escaped."""
    return _HTML.get_template("digest.html.j2").render(**html_context(digest))


def to_email_html(digest: Digest, unsubscribe: str | None = None) -> str:
    """The digest as HTML made for mail clients: tables, inline CSS, no scripts or external assets."""
    return _HTML.get_template("email.html.j2").render(**html_context(digest), unsubscribe=unsubscribe or "")


RENDERERS = {"md": to_markdown, "txt": to_text, "html": to_html}


def render_all(digest: Digest, formats: list[str]) -> dict[str, str]:
    """Every requested format, as file name -> content."""
    files: dict[str, str] = {}
    for fmt in formats:
        if fmt == "json":
            files["digest.json"] = dumps(digest)
        else:
            files[f"digest.{fmt}"] = RENDERERS[fmt](digest)
    return files
