"""Render a digest as Markdown, HTML (autoescaped), plain text and JSON. Pure functions.

digest.json is written (and read back) by briefing.digest_json, which also numbers each story's
sources and chooses its headline, so every format cites the same numbers as digest.json.

Everything shown passes through briefing.safety, whatever made it (a digest.json read back is
treated like fresh input): fields shown on one line are one line; headlines, sentences and errors
are model text (no URL, host names broken, no invisible characters); titles, outlets and ids link
nowhere (`no_links`); the only links are sources' URLs that pass `link_url`, and a source whose URL
does not is shown without a link, flagged.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import jinja2

from briefing.digest_json import Source, dumps, headline_of, story_sources
from briefing.models import Article, CheckTally, Digest, Sentence, StoryDigest
from briefing.safety import link_url, model_text, no_links, one_line

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#|!~&])")
# What makes a paragraph's first characters a list item or a heading underline.
_MD_BLOCK_START = re.compile(r"^(\d+)([.)])|^([-+=])")
WITHHELD = "link withheld: not a plain http or https address"
# Languages written right to left: their originals get dir="rtl", not "auto", because "auto"
# guesses from the first strong character and an Arabic sentence may begin with a Latin name.
_RTL_LANGUAGES = frozenset({"ar", "arc", "ckb", "dv", "fa", "he", "iw", "ks", "ps", "sd", "ug", "ur", "yi"})


def markers(sentence: Sentence, numbers: dict[str, int]) -> list[int]:
    """The source numbers a sentence cites, in order."""
    return sorted({numbers[c] for c in sentence.citations if c in numbers})


def update_note(item: StoryDigest, shown: Callable[[str], str] = one_line) -> str:
    """' (update: first reported DATE)' for a story an earlier digest reported, else ''; DATE as `shown` shows it."""
    return f" (update: first reported {shown(item.update_of)})" if item.update_of else ""


def safe_url(article: Article) -> str | None:
    """The article's link if it passes `link_url`; every format renders links through this."""
    return link_url(article.url)


def shown_headline(item: StoryDigest) -> str:
    """The story's headline as every format (and the email's subject) shows it."""
    return model_text(headline_of(item))


def plural(count: int, word: str) -> str:
    """'1 duplicate', '2 duplicates'."""
    return f"{count} {word}{'' if count == 1 else 's'}"


def shown_original(sentence: Sentence) -> str | None:
    """The source-language sentence worth showing beside a translation, or None (quoted English)."""
    original = one_line(sentence.original or "")
    return original if original and original != sentence.text.strip() else None


def text_direction(language: str | None) -> str:
    """The HTML dir value for text in a language: rtl when known to be, else auto."""
    base = (language or "").split("-")[0].split("_")[0].lower()
    return "rtl" if base in _RTL_LANGUAGES else "auto"


def story_number(digest: Digest) -> dict[str, int]:
    """Story id -> its position in the digest (1-based)."""
    return {item.story.id: item.rank for item in digest.stories}


def _md(text: str) -> str:
    """Text on one line, with every character that could start Markdown syntax escaped."""
    return _MD_SPECIAL.sub(r"\\\1", one_line(text))


def _md_paragraph(escaped: str) -> str:
    """An escaped paragraph whose first characters cannot start a list or underline a heading either."""
    return _MD_BLOCK_START.sub(lambda m: f"{m[1]}\\{m[2]}" if m[1] else f"\\{m[3]}", escaped)


def _md_destination(url: str) -> str:
    """A link destination in angle brackets; a URL passing `link_url` holds none of <, > or \\ anyway."""
    return "<" + re.sub(r"([<>\\])", r"\\\1", url) + ">"


def source_title(source: Source) -> str:
    """The source's title (its id when it has none), as text that links nowhere."""
    return no_links(source.article.title or source.article.id)


def _source_line(source: Source) -> str:
    a = source.article
    parts = [no_links(a.outlet)]
    if a.original_source and a.original_source != a.outlet:
        parts.append(f"via {no_links(a.original_source)}")
    parts.append(one_line(a.language or "und"))
    if a.published:
        parts.append(a.published.date().isoformat())
    if source.duplicate_of:
        parts.append(f"copy of {no_links(source.duplicate_of)}")
    if a.url and safe_url(a) is None:
        parts.append(WITHHELD)
    return ", ".join(parts)


# Markdown and plain text show the English sentences only: an original after every translated
# sentence would double the text a reader scans. The originals are in digest.html (expandable),
# the HTML email (hover) and digest.json.


def to_markdown(digest: Digest) -> str:
    """The digest as Markdown; all text is escaped so it cannot add links or markup."""
    numbers = story_number(digest)
    lines = [f"# {_md(digest.title)} — {_md(digest.date)}", ""]
    overview = " ".join(
        _md(model_text(s.text)) + "".join(f" [§{n}]" for n in markers(s, numbers)) for s in digest.overview
    )
    lines += [_md_paragraph(overview), ""]
    for item in digest.stories:
        sources = story_sources(item)
        by_id = {s.article.id: s.number for s in sources}
        lines += [f"## {item.rank}. {_md(shown_headline(item))}{update_note(item, _md)}", ""]
        if item.summary:
            text = " ".join(
                _md(model_text(s.text)) + "".join(f"[{n}]" for n in markers(s, by_id)) for s in item.summary.sentences
            )
            lines += [_md_paragraph(text), ""]
        else:
            lines += [
                f"*Summary unavailable ({_md(model_text(item.error or 'unknown error'))}); sources below.*",
                "",
            ]
        lines.append("Sources:")
        for s in sources:
            title = _md(source_title(s))
            url = safe_url(s.article)
            link = f"[{title}]({_md_destination(url)})" if url else title
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
    title = f"{one_line(digest.title)} — {one_line(digest.date)}"
    lines = [title, "=" * len(title), ""]
    lines += [
        " ".join(model_text(s.text) + "".join(f" [§{n}]" for n in markers(s, numbers)) for s in digest.overview),
        "",
    ]
    for item in digest.stories:
        sources = story_sources(item)
        by_id = {s.article.id: s.number for s in sources}
        heading = f"{item.rank}. {shown_headline(item)}{update_note(item)}"
        lines += [heading, "-" * min(len(heading), 78), ""]
        if item.summary:
            lines += [
                " ".join(
                    model_text(s.text) + "".join(f"[{n}]" for n in markers(s, by_id)) for s in item.summary.sentences
                ),
                "",
            ]
        else:
            lines += [f"Summary unavailable ({model_text(item.error or 'unknown error')}); sources below.", ""]
        for s in sources:
            lines.append(f"  [{s.number}] {source_title(s)} — {_source_line(s)}")
            if url := safe_url(s.article):  # on a line of its own: nothing else can join the link
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
    language = one_line(sentence.original_language or "")
    prefix = f"Original ({language})" if language else "Original"
    return {
        "text": model_text(sentence.text),
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
                "headline": shown_headline(item),
                "update_of": one_line(item.update_of or ""),
                "ok": item.summary is not None,
                "error": model_text(item.error or ""),
                "sentences": [sentence_context(s, markers(s, by_id)) for s in item.summary.sentences]
                if item.summary
                else [],
                "sources": [
                    {
                        "number": s.number,
                        "title": source_title(s),
                        "url": safe_url(s.article) or "",
                        "detail": _source_line(s),
                    }
                    for s in sources
                ],
            }
        )
    overview = [sentence_context(s, markers(s, numbers)) for s in digest.overview]
    return {
        "title": one_line(digest.title),
        "date": one_line(digest.date),
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
