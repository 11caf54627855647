"""digest.json keeps every field of the digest through write -> read -> write, and older files still load."""

from __future__ import annotations

import copy
import dataclasses
import json
import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from briefing import models
from briefing.digest_json import dumps, from_json, load_digest, to_json
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
from briefing.render import render_all

DATA = Path(__file__).parent / "data" / "digest_json"
HELSINKI = timezone(timedelta(hours=2))
NEW_YORK = timezone(timedelta(hours=-5))
FINNISH = 'Hallitus leikkaa 3 & 4 % "heti".'
ARABIC = "قالت الوزارة إن الأسعار ارتفعت 5 %."


def full_digest() -> Digest:
    """A digest with every field of every dataclass in it set to something other than its default."""
    fi = Article(
        id="fi-1",
        title="Hallitus leikkaa",
        text="Hallitus leikkaa menoja.",
        url="https://yle.example/1",
        source="Yle",
        original_source="STT",
        language="fi",
        declared_language="fi-FI",
        published=datetime(2026, 11, 23, 10, 0, tzinfo=HELSINKI),
        fetched_from="https://yle.example/rss.xml",
        flags=["body cut at 20000 characters"],
    )
    copy_of_fi = Article(
        id="fi-2",
        title="Hallitus leikkaa",
        text="Hallitus leikkaa menoja.",
        url="https://copy.example/1",
        source=None,  # no outlet named: shown as its original source
        original_source="STT",
        language="fi",
        published=datetime(2026, 11, 23, 11, 30, tzinfo=HELSINKI),
        fetched_from="fi.jsonl",
    )
    en = Article(
        id="en-1",
        title="Cuts",
        text="Unions called a strike.",
        url=None,
        source="Wire",
        language="en",
        declared_language="de",
        published=datetime(2026, 11, 23, 3, 15, tzinfo=NEW_YORK),
        fetched_from="en.jsonl",
        flags=["declared language 'de' overruled by detection 'en' (0.99)", "no date in the feed"],
    )
    ar = Article(id="ar-1", title="الأسعار", text="t", url="https://news.example/ar", source="Akhbar", language="ar")
    ar.published = datetime(2026, 11, 22, 21, 0, tzinfo=UTC)
    sentences = [
        Sentence(
            "The government cuts 3 & 4 % now.",
            ["fi-1", "fi-2"],
            original=FINNISH,
            original_language="fi",
            confidence=0.812,
        ),
        Sentence("Unions called a strike.", ["en-1"]),  # quoted from English: no original
    ]
    cuts = Story(id="s-1", articles=[fi, en], duplicates={"fi-1": [copy_of_fi]}, score=3.5, update_of="2026-11-22")
    prices = Story(id="s-2", articles=[ar], score=1.25)
    summary = StorySummary("Government cuts", sentences, key_facts=["3 & 4 %", "strike on Monday"])
    notes = ["dropped: the figure 7 is not in the source", "headline taken from the sources"]
    records = [
        ArticleRecord("fi-1", "used", story_id="s-1", fetched_from=fi.fetched_from, language="fi", flags=fi.flags),
        ArticleRecord("fi-2", "duplicate", "copy of fi-1 (similarity 0.93)", "s-1", "fi-1", "fi.jsonl", "fi"),
        ArticleRecord("en-1", "used", story_id="s-1", fetched_from="en.jsonl", language="en", flags=en.flags),
        ArticleRecord("ar-1", "used", story_id="s-2", fetched_from="ar.jsonl", language="ar"),
        ArticleRecord("x-1", "rejected", "no article text left", fetched_from="x.jsonl", flags=["id renamed"]),
    ]
    report = RunReport(
        articles=records,
        llm_calls=7,
        cache_hits=2,
        usage=Usage(1000, 200),
        cost_usd=0.0123,
        failures=[
            Failure("summarize", "s-2", "the model answered no valid JSON"),
            Failure("overview", None, "timed out"),
        ],
        timings={"read": 0.25, "summarize": 1.5, "total": 2.0},
        model="gpt-4o-mini",
        mode="abstractive",
        warnings=[Note("check", "s-1", notes[0]), Note("summarize", "s-1", notes[1]), Note("overview", None, "short")],
        retries=1,
        reasks=2,
        checks=CheckTally(checked=24, passed=20, repaired=2, dropped=2),
    )
    return Digest(
        date="2026-11-23",
        title="Morning briefing",
        overview=[
            Sentence("Budget cuts lead the day.", ["s-1"]),
            Sentence("Prices rose.", ["s-2"], original=ARABIC, original_language="ar"),
        ],
        stories=[
            StoryDigest(cuts, "ok", summary, 1, notes=notes, update_of="2026-11-22"),
            StoryDigest(prices, "unavailable", None, 2, error="the model answered no valid JSON"),
        ],
        report=report,
    )


def without_article_text(digest: Digest) -> Digest:
    """The digest as digest.json keeps it: every field but the articles' text (see briefing.digest_json)."""
    kept = copy.deepcopy(digest)
    for item in kept.stories:
        for article in item.story.members():
            article.text = ""
    return kept


def reread(digest: Digest) -> Digest:
    """Write digest.json as a file holds it, and read it back."""
    return from_json(json.loads(dumps(digest)))


def dataclass_instances(value: object) -> list[object]:
    """Every dataclass instance reachable from value."""
    found: list[object] = []
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        found.append(value)
        for f in dataclasses.fields(value):
            found += dataclass_instances(getattr(value, f.name))
    elif isinstance(value, list | tuple):
        for v in value:
            found += dataclass_instances(v)
    elif isinstance(value, dict):
        for v in value.values():
            found += dataclass_instances(v)
    return found


def is_default(value: object, f: dataclasses.Field[Any]) -> bool:
    if f.default is not dataclasses.MISSING:
        return bool(value == f.default)
    if f.default_factory is not dataclasses.MISSING:
        return bool(value == f.default_factory())
    return False  # a required field is always set


def test_the_full_digest_sets_every_field_of_every_dataclass_in_a_digest() -> None:
    # A field added to the model fails here until the full digest (and so the round trip) covers it.
    instances = dataclass_instances(full_digest())
    digest_classes = {c for c in vars(models).values() if isinstance(c, type) and dataclasses.is_dataclass(c)}
    assert {type(i) for i in instances} == digest_classes - {models.Rejection}  # rejections live in the report
    for cls in {type(i) for i in instances}:
        unset = [
            f.name
            for f in dataclasses.fields(cls)
            if all(is_default(getattr(i, f.name), f) for i in instances if type(i) is cls)
        ]
        assert not unset, f"{cls.__name__}: {unset}"


def test_write_read_write_gives_the_same_document() -> None:
    digest = full_digest()
    assert to_json(reread(digest)) == to_json(digest)
    assert dumps(reread(digest)) == dumps(digest)


def test_read_gives_back_the_digest_but_the_article_text() -> None:
    digest = full_digest()
    assert reread(digest) == without_article_text(digest)


def test_an_empty_digest_reads_back_empty() -> None:
    # A digest whose overview failed has no overview sentence, not one empty sentence.
    digest = Digest(date="2026-11-23", title="", overview=[], stories=[], report=RunReport())
    assert reread(digest) == digest


def test_dates_keep_their_utc_offset() -> None:
    after = reread(full_digest()).stories[0].story.articles
    assert [a.published.isoformat() if a.published else None for a in after] == [
        "2026-11-23T10:00:00+02:00",
        "2026-11-23T03:15:00-05:00",
    ]


def test_what_is_normalised_is_what_the_module_says() -> None:
    digest = full_digest()
    item = digest.stories[1]
    item.story.articles[0].language = None
    item.story.update_of = "2026-11-20"  # the story's and the digest entry's dates are one field
    item.update_of = "2026-11-20"
    digest.overview[0].original_language = "fi"  # a language without an original sentence
    digest.stories[0].summary.sentences[0].confidence = 0.81234  # type: ignore[union-attr]
    after = reread(digest)
    assert after.stories[0].summary.sentences[0].confidence == 0.812  # type: ignore[union-attr]
    digest.stories[0].summary.sentences[0].confidence = 0.812  # type: ignore[union-attr]
    assert after.stories[1].story.articles[0].language == "und"
    assert after.stories[1].story.update_of == after.stories[1].update_of == "2026-11-20"
    assert after.overview[0].original_language is None
    assert to_json(after) == to_json(digest)


def test_field_names_are_the_contract() -> None:
    # Add names here when digest.json gains fields; never remove or rename one.
    data = to_json(full_digest())
    assert list(data) == ["date", "title", "overview", "overview_sentences", "stories", "report"]
    story = data["stories"][0]
    assert list(story) == [
        "id", "rank", "score", "headline", "status", "error", "update_of", "languages", "sentences", "sources",
        "key_facts", "notes",
    ]  # fmt: skip
    assert list(story["sentences"][0]) == ["text", "citations", "original"]
    assert story["sentences"][0]["original"] == {"language": "fi", "text": FINNISH, "confidence": 0.812}
    assert story["sentences"][1]["original"] is None
    assert list(story["sources"][0]) == [
        "number", "article_id", "title", "outlet", "original_source", "language", "url", "published",
        "duplicate_of", "source", "declared_language", "fetched_from", "flags",
    ]  # fmt: skip
    assert [(s["number"], s["outlet"], s["duplicate_of"]) for s in story["sources"]] == [
        (1, "Yle", None),
        (2, "STT", "fi-1"),
        (3, "Wire", None),
    ]
    assert story["languages"] == ["fi", "en"]
    assert data["stories"][1]["headline"] == "الأسعار"  # unavailable: the lead article's title
    report = data["report"]
    assert list(report) == ["articles", "llm", "checks", "failures", "warnings", "timings"]
    assert list(report["articles"][0]) == [
        "id", "status", "reason", "story_id", "duplicate_of", "fetched_from", "language", "flags",
    ]  # fmt: skip
    assert list(report["llm"]) == [
        "model", "mode", "calls", "cache_hits", "prompt_tokens", "completion_tokens", "cost_usd", "retries", "reasks",
    ]  # fmt: skip
    assert report["checks"] == {"checked": 24, "passed": 20, "repaired": 2, "dropped": 2}
    assert report["failures"][1] == {"stage": "overview", "story_id": None, "error": "timed out"}
    assert report["warnings"][0] == {"stage": "check", "story_id": "s-1", "note": story["notes"][0]}


def contains(old: Any, new: Any) -> bool:
    """Whether every field of `old` is in `new` with the same value (new may add fields)."""
    if isinstance(old, dict):
        return isinstance(new, dict) and all(k in new and contains(v, new[k]) for k, v in old.items())
    if isinstance(old, list):
        return isinstance(new, list) and len(old) == len(new) and all(map(contains, old, new))
    return bool(old == new)


# Written by the code of those commits (the first digest.json, and the one that added
# update_of, mode and warnings), from the same digest.
@pytest.mark.parametrize("name", ["written_by_bf978f3.json", "written_by_11509e2.json"])
def test_a_digest_json_written_by_an_older_version_loads_and_keeps_its_fields(name: str) -> None:
    old = json.loads((DATA / name).read_text(encoding="utf-8"))
    digest = load_digest(DATA / name)
    assert contains(old, to_json(digest))  # nothing it wrote is lost or changed on writing it again
    item = digest.stories[0]
    assert item.summary is not None and item.summary.key_facts == [] and item.notes == []
    assert [a.declared_language for a in item.story.members()] == [None, None, None]
    assert item.story.duplicates["fi-1"][0].source == "STT"  # only the outlet shown was kept
    assert digest.report.checks == CheckTally()
    assert digest.stories[1].error == "the model answered no valid JSON"
    assert digest.report.failures == [Failure("summarize", "s-2", "the model answered no valid JSON")]
    files = render_all(digest, ["md", "txt", "html", "json"])  # it renders again, in every format
    assert "Government cuts" in files["digest.html"] and json.loads(files["digest.json"])["date"] == "2026-11-23"


# Every field added after the first digest.json, as (path to the object holding it, field name).
ADDED_LATER = [
    ("stories.*", "update_of"),
    ("stories.*", "key_facts"),
    ("stories.*", "notes"),
    ("stories.*.sentences.*", "original"),
    ("overview_sentences.*", "original"),
    ("stories.*.sources.*", "source"),
    ("stories.*.sources.*", "declared_language"),
    ("stories.*.sources.*", "fetched_from"),
    ("stories.*.sources.*", "flags"),
    ("report.articles.*", "flags"),
    ("report.llm", "mode"),
    ("report", "checks"),
    ("report", "warnings"),
]


def holders(data: Any, path: str) -> list[dict[str, Any]]:
    """The objects a dotted path ('*': every item of a list) leads to."""
    found = [data]
    for step in path.split("."):
        found = [x for f in found for x in f] if step == "*" else [f[step] for f in found]
    return found


def test_fields_added_after_the_first_version_are_optional() -> None:
    data = to_json(full_digest())
    for path, name in ADDED_LATER:
        for holder in holders(data, path):
            del holder[name]
    digest = from_json(data)
    item = digest.stories[0]
    assert item.summary is not None and item.summary.key_facts == [] and item.notes == []
    assert item.update_of is None and item.story.update_of is None
    assert all(s.original is None for s in item.summary.sentences + digest.overview)
    assert all(a.declared_language is None and a.fetched_from == "" and a.flags == [] for a in item.story.members())
    assert item.story.duplicates["fi-1"][0].source == "STT"  # the outlet shown stands in for the source
    assert all(r.flags == [] for r in digest.report.articles)
    assert digest.report.mode == "" and digest.report.warnings == [] and digest.report.checks == CheckTally()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no digest at"),
        ("{not json", "is not a digest.json briefing wrote"),
        ("[]", "is not a digest.json briefing wrote"),
        ('{"date": "2026-11-23"}', "is not a digest.json briefing wrote ('stories')"),
        ('{"date": "d", "stories": ["s"], "report": {}}', "is not a digest.json briefing wrote"),
        ('{"date": "d", "stories": [{"id": "s", "status": "done", "sources": []}], "report": {}}', "'done'"),
        ('{"date": "d", "stories": [], "report": {"articles": [{"id": "a", "status": "lost"}]}}', "'lost'"),
    ],
)
def test_an_unreadable_digest_is_a_briefing_error(tmp_path: Path, content: str | None, message: str) -> None:
    folder = tmp_path / "2026-11-23"
    folder.mkdir()
    if content is not None:
        (folder / "digest.json").write_text(content, encoding="utf-8")
    with pytest.raises(BriefingError, match=re.escape(message)):
        load_digest(folder)
