"""digest.json: the one module that writes a digest as JSON and reads it back (to re-send or re-render it).

Field names are a contract: add fields, never rename or remove one. A field added later is optional
when reading, so a digest.json written by an older version still loads.

Reading gives back the digest that was written, and writing it again gives the same document, except
for what digest.json deliberately does not store:

* `Article.text`, the body of each source: the digest is not a copy of the articles (they are the
  outlets' text, and long); each source keeps its title, outlet and link instead. It reads back as
  "", so an article without a URL reads back with another `Article.key` (the key hashes the text).
* `Article.language` None: written as "und" (undetermined), as every format shows it.
* `Sentence.original_language` without an `original`: a language with no sentence says nothing.
* `Sentence.confidence`: kept with the original (`original.confidence`), rounded to 3 decimals.
* Copies in `Story.duplicates` under an id that is not one of the story's articles: sources list each
  copy after the article it copies, so such a copy has no place (the pipeline never makes one).
* `Story.update_of` and `StoryDigest.update_of` are one field, "update_of" (the pipeline sets both to
  the same date); it reads back into both.
* A summary of a story whose status is not "ok" (the pipeline never keeps one).

Some fields are derived, written for readers and ignored when reading: "overview" (the overview's
sentences as one string), a story's "languages", an unavailable story's "headline" (its lead article's
title), and each source's "number" and "outlet".
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, cast, get_args

from briefing.errors import BriefingError
from briefing.models import (
    Article,
    ArticleRecord,
    ArticleStatus,
    CheckTally,
    Digest,
    Failure,
    Note,
    RunReport,
    Sentence,
    Story,
    StoryDigest,
    StoryStatus,
    StorySummary,
    Usage,
)

DEFAULT_TITLE = "Daily briefing"  # for a digest.json that has no title


@dataclass(frozen=True)
class Source:
    """One numbered source of a story; every format and digest.json cite sources by this number."""

    number: int
    article: Article
    duplicate_of: str | None


def story_sources(item: StoryDigest) -> list[Source]:
    """The story's articles, each followed by its duplicates, numbered from 1."""
    sources: list[Source] = []
    for article in item.story.articles:
        sources.append(Source(len(sources) + 1, article, None))
        for copy in item.story.duplicates.get(article.id, []):
            sources.append(Source(len(sources) + 1, copy, article.id))
    return sources


def fallback_headline(item: StoryDigest) -> str:
    """A headline when the summary is unavailable: the lead article's own title."""
    lead = item.story.articles[0]
    return lead.title or lead.id


def headline_of(item: StoryDigest) -> str:
    """The story's headline: the summary's, or the lead article's title when unavailable."""
    return item.summary.headline if item.summary else fallback_headline(item)


# Writing.


def sentence_dict(sentence: Sentence) -> dict[str, Any]:
    """A sentence as it appears in digest.json; `original` is null unless it was translated."""
    original: dict[str, Any] | None = None
    if sentence.original is not None:
        original = {"language": sentence.original_language, "text": sentence.original}
        if sentence.confidence is not None:
            original["confidence"] = round(sentence.confidence, 3)
    return {"text": sentence.text, "citations": sentence.citations, "original": original}


def checks_dict(checks: CheckTally) -> dict[str, int]:
    """The sentence-check tally as it appears in digest.json."""
    return {"checked": checks.checked, "passed": checks.passed, "repaired": checks.repaired, "dropped": checks.dropped}


def source_dict(source: Source) -> dict[str, Any]:
    """A source as it appears in digest.json."""
    a = source.article
    return {
        "number": source.number,
        "article_id": a.id,
        "title": a.title,
        "outlet": a.outlet,
        "original_source": a.original_source,
        "language": a.language or "und",
        "url": a.url,
        "published": a.published.isoformat() if a.published else None,
        "duplicate_of": source.duplicate_of,
        # Added later. "outlet" is what is shown; "source" is the outlet the input named, if any.
        "source": a.source,
        "declared_language": a.declared_language,
        "fetched_from": a.fetched_from,
        "flags": a.flags,
    }


def story_dict(item: StoryDigest) -> dict[str, Any]:
    """A story as it appears in digest.json."""
    summary = item.summary
    return {
        "id": item.story.id,
        "rank": item.rank,
        "score": item.story.score,
        "headline": headline_of(item),
        "status": item.status,
        "error": item.error,
        "update_of": item.update_of,
        "languages": item.story.languages,
        "sentences": [sentence_dict(s) for s in summary.sentences] if summary else [],
        "sources": [source_dict(s) for s in story_sources(item)],
        "key_facts": summary.key_facts if summary else [],
        "notes": item.notes,
    }


def report_dict(report: RunReport) -> dict[str, Any]:
    """The run report as it appears in digest.json."""
    return {
        "articles": [
            {
                "id": r.id,
                "status": r.status,
                "reason": r.reason,
                "story_id": r.story_id,
                "duplicate_of": r.duplicate_of,
                "fetched_from": r.fetched_from,
                "language": r.language,
                "flags": r.flags,
            }
            for r in report.articles
        ],
        "llm": {
            "model": report.model,
            "mode": report.mode,
            "calls": report.llm_calls,
            "cache_hits": report.cache_hits,
            "prompt_tokens": report.usage.prompt_tokens,
            "completion_tokens": report.usage.completion_tokens,
            "cost_usd": report.cost_usd,
            "retries": report.retries,
            "reasks": report.reasks,
        },
        "checks": checks_dict(report.checks),
        "failures": [{"stage": f.stage, "story_id": f.story_id, "error": f.error} for f in report.failures],
        "warnings": [{"stage": n.stage, "story_id": n.story_id, "note": n.note} for n in report.warnings],
        "timings": report.timings,
    }


def to_json(digest: Digest) -> dict[str, Any]:
    """The digest.json document.

    Args:
        digest: the digest to write.

    Returns:
        A JSON-ready dict; `from_json` reads it back.
    """
    return {
        "date": digest.date,
        "title": digest.title,
        "overview": " ".join(s.text for s in digest.overview),
        "overview_sentences": [sentence_dict(s) for s in digest.overview],
        "stories": [story_dict(item) for item in digest.stories],
        "report": report_dict(digest.report),
    }


def dumps(digest: Digest) -> str:
    """The text of digest.json: indented UTF-8 (non-ASCII kept as is), ending in a newline."""
    return json.dumps(to_json(digest), ensure_ascii=False, indent=2) + "\n"


# Reading. Fields added after the first version are read with .get and a default.


def _optional_str(value: Any) -> str | None:
    return None if value is None else str(value)


def _optional_float(value: Any) -> float | None:
    return None if value is None else float(value)


def _strings(value: Any) -> list[str]:
    return [str(v) for v in value or []]


def _published(value: Any) -> datetime | None:
    # fromisoformat keeps the written UTC offset, so writing the date again gives the same text.
    return datetime.fromisoformat(str(value)) if value else None


def _story_status(value: Any) -> StoryStatus:
    if value not in get_args(StoryStatus):
        raise ValueError(f"unknown story status {value!r}")
    return cast(StoryStatus, value)


def _article_status(value: Any) -> ArticleStatus:
    if value not in get_args(ArticleStatus):
        raise ValueError(f"unknown article status {value!r}")
    return cast(ArticleStatus, value)


def _article(source: dict[str, Any]) -> Article:
    return Article(
        id=str(source["article_id"]),
        title=str(source.get("title") or ""),
        text="",  # not stored: see the module docstring
        url=_optional_str(source.get("url")),
        # Before "source" was written, "outlet" was the only name kept.
        source=_optional_str(source["source"] if "source" in source else source.get("outlet")),
        original_source=_optional_str(source.get("original_source")),
        language=_optional_str(source.get("language")),
        declared_language=_optional_str(source.get("declared_language")),
        published=_published(source.get("published")),
        fetched_from=str(source.get("fetched_from") or ""),
        flags=_strings(source.get("flags")),
    )


def _sentence(item: dict[str, Any]) -> Sentence:
    # "original" is absent in digests written before it existed, and null for sentences quoted from English.
    original = item.get("original") or {}
    if not isinstance(original, dict):
        raise TypeError(f"a sentence's original is {type(original).__name__}, not an object")
    return Sentence(
        text=str(item["text"]),
        citations=_strings(item.get("citations")),
        original=_optional_str(original.get("text")),
        original_language=_optional_str(original.get("language")),
        confidence=_optional_float(original.get("confidence")),
    )


def _story(item: dict[str, Any], number: int) -> StoryDigest:
    kept: list[Article] = []
    copies: dict[str, list[Article]] = {}
    for source in item["sources"]:
        if source.get("duplicate_of"):
            copies.setdefault(str(source["duplicate_of"]), []).append(_article(source))
        else:
            kept.append(_article(source))
    update_of = _optional_str(item.get("update_of"))
    story = Story(
        id=str(item["id"]), articles=kept, duplicates=copies, score=float(item.get("score") or 0), update_of=update_of
    )
    status = _story_status(item["status"])
    summary = None
    if status == "ok":
        summary = StorySummary(
            headline=str(item["headline"]),
            sentences=[_sentence(s) for s in item["sentences"]],
            key_facts=_strings(item.get("key_facts")),
        )
    return StoryDigest(
        story,
        status,
        summary,
        int(item.get("rank") or number),
        error=_optional_str(item.get("error")),
        notes=_strings(item.get("notes")),
        update_of=update_of,
    )


def _record(item: dict[str, Any]) -> ArticleRecord:
    return ArticleRecord(
        id=str(item["id"]),
        status=_article_status(item["status"]),
        reason=_optional_str(item.get("reason")),
        story_id=_optional_str(item.get("story_id")),
        duplicate_of=_optional_str(item.get("duplicate_of")),
        fetched_from=str(item.get("fetched_from") or ""),
        language=_optional_str(item.get("language")),
        flags=_strings(item.get("flags")),
    )


def _report(written: dict[str, Any]) -> RunReport:
    llm = written.get("llm") or {}
    checks = written.get("checks") or {}
    cost = llm.get("cost_usd")
    return RunReport(
        articles=[_record(r) for r in written.get("articles") or []],
        llm_calls=int(llm.get("calls") or 0),
        cache_hits=int(llm.get("cache_hits") or 0),
        usage=Usage(int(llm.get("prompt_tokens") or 0), int(llm.get("completion_tokens") or 0)),
        cost_usd=None if cost is None else float(cost),
        failures=[
            Failure(str(f["stage"]), _optional_str(f.get("story_id")), str(f["error"]))
            for f in written.get("failures") or []
        ],
        timings={str(k): float(v) for k, v in (written.get("timings") or {}).items()},
        model=str(llm.get("model") or ""),
        mode=str(llm.get("mode") or ""),
        warnings=[
            Note(str(n["stage"]), _optional_str(n.get("story_id")), str(n["note"]))
            for n in written.get("warnings") or []
        ],
        retries=int(llm.get("retries") or 0),
        reasks=int(llm.get("reasks") or 0),
        checks=CheckTally(
            **{name: int(checks.get(name) or 0) for name in ("checked", "passed", "repaired", "dropped")}
        ),
    )


def from_json(data: dict[str, Any]) -> Digest:
    """The digest a digest.json document describes: the inverse of `to_json`.

    Args:
        data: the parsed document, from this version or an older one.

    Returns:
        The digest, without what digest.json does not store (see the module docstring).

    Raises:
        KeyError, TypeError, ValueError, AttributeError: when the document is not one briefing wrote.
    """
    title = data.get("title")
    overview = data.get("overview_sentences")
    if overview is None:  # written before the overview kept its sentences
        text = str(data.get("overview") or "")
        overview = [{"text": text, "citations": []}] if text else []
    return Digest(
        date=str(data["date"]),
        title=DEFAULT_TITLE if title is None else str(title),
        overview=[_sentence(s) for s in overview],
        stories=[_story(item, number) for number, item in enumerate(data["stories"], start=1)],
        report=_report(data["report"]),
    )


def load_digest(folder: Path) -> Digest:
    """The digest written in a folder such as output/2026-11-23 (or in a digest.json file).

    Raises:
        BriefingError: when there is no readable digest.json there.
    """
    path = folder / "digest.json" if folder.is_dir() else folder
    try:
        return from_json(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        raise BriefingError(f"no digest at {path}: run `briefing run` first, or give the folder of a digest") from None
    except (json.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError) as exc:
        raise BriefingError(f"{path} is not a digest.json briefing wrote ({exc})") from None
