"""Read a written digest back from its digest.json (to re-send or re-render it without the LLM)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from briefing.errors import BriefingError
from briefing.models import (
    Article,
    ArticleRecord,
    CheckTally,
    Digest,
    Failure,
    Note,
    RunReport,
    Sentence,
    Story,
    StoryDigest,
    StorySummary,
    Usage,
)
from briefing.sources.files import parse_date


def _article(source: dict[str, Any]) -> Article:
    return Article(
        id=str(source["article_id"]),
        title=str(source.get("title") or ""),
        text="",
        url=source.get("url"),
        source=source.get("outlet"),
        original_source=source.get("original_source"),
        language=source.get("language"),
        published=parse_date(source.get("published")),
    )


def _sentence(item: dict[str, Any]) -> Sentence:
    # "original" is absent in digests written before it existed, and null for sentences quoted from English.
    original = item.get("original") or {}
    if not isinstance(original, dict):
        raise TypeError(f"a sentence's original is {type(original).__name__}, not an object")
    text, language = original.get("text"), original.get("language")
    return Sentence(
        text=str(item["text"]),
        citations=[str(c) for c in item.get("citations", [])],
        original=None if text is None else str(text),
        original_language=None if language is None else str(language),
    )


def _sentences(items: list[dict[str, Any]]) -> list[Sentence]:
    return [_sentence(s) for s in items]


def _checks(data: dict[str, Any]) -> CheckTally:
    return CheckTally(**{name: int(data.get(name) or 0) for name in ("checked", "passed", "repaired", "dropped")})


def digest_from_json(data: dict[str, Any]) -> Digest:
    """The inverse of render.to_json, for everything rendering needs."""
    stories = []
    for number, item in enumerate(data["stories"], start=1):
        kept: list[Article] = []
        copies: dict[str, list[Article]] = {}
        for source in item["sources"]:
            if source.get("duplicate_of"):
                copies.setdefault(str(source["duplicate_of"]), []).append(_article(source))
            else:
                kept.append(_article(source))
        story = Story(id=str(item["id"]), articles=kept, duplicates=copies, score=float(item.get("score") or 0))
        summary = None
        if item["status"] == "ok":
            summary = StorySummary(headline=str(item["headline"]), sentences=_sentences(item["sentences"]))
        stories.append(
            StoryDigest(
                story,
                item["status"],
                summary,
                int(item.get("rank") or number),
                error=item.get("error"),
                update_of=item.get("update_of"),
            )
        )
    written = data["report"]
    llm = written.get("llm", {})
    report = RunReport(
        llm_calls=int(llm.get("calls", 0)),
        cache_hits=int(llm.get("cache_hits", 0)),
        usage=Usage(int(llm.get("prompt_tokens", 0)), int(llm.get("completion_tokens", 0))),
        cost_usd=llm.get("cost_usd"),
        failures=[Failure(str(f["stage"]), f.get("story_id"), str(f["error"])) for f in written.get("failures", [])],
        timings=dict(written.get("timings", {})),
        model=str(llm.get("model", "")),
        mode=str(llm.get("mode") or ""),
        warnings=[Note(str(n["stage"]), n.get("story_id"), str(n["note"])) for n in written.get("warnings", [])],
        retries=int(llm.get("retries") or 0),
        reasks=int(llm.get("reasks") or 0),
        checks=_checks(written.get("checks") or {}),
    )
    report.articles = [
        ArticleRecord(
            id=str(r["id"]), status=r["status"], reason=r.get("reason"), story_id=r.get("story_id"),
            duplicate_of=r.get("duplicate_of"), fetched_from=str(r.get("fetched_from") or ""),
            language=r.get("language"), flags=[str(f) for f in r.get("flags") or []],
        )
        for r in written.get("articles", [])
    ]  # fmt: skip
    overview = _sentences(data.get("overview_sentences") or [{"text": data.get("overview", ""), "citations": []}])
    return Digest(
        date=str(data["date"]),
        title=str(data.get("title") or "Daily briefing"),
        overview=overview,
        stories=stories,
        report=report,
    )


def load_digest(folder: Path) -> Digest:
    """The digest written in a folder such as output/2026-11-23.

    Raises:
        BriefingError: when there is no readable digest.json there.
    """
    path = folder / "digest.json" if folder.is_dir() else folder
    try:
        return digest_from_json(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        raise BriefingError(f"no digest at {path}: run `briefing run` first, or give the folder of a digest") from None
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise BriefingError(f"{path} is not a digest.json briefing wrote ({exc})") from None
