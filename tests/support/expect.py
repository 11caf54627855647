"""Comparing what was read or written with the expectations kept as data in tests/data.

Reading cases (feed_cases.json, input_cases.json) state per file the articles expected, by id or
by title, with the fields to check, and the rejections expected. corpus_expected.json states how
the test corpus groups and which of its inputs are rejected.
"""

from __future__ import annotations

from typing import Any

from briefing.models import Article, Rejection
from tests.support.data import load_json

CORPUS_EXPECTED: dict[str, Any] = load_json("corpus_expected.json")
# Every input of the test corpus, by id: each must be accounted for in a digest's report.
CORPUS_INPUTS = {
    "strike-en",
    "strike-nl",
    "strike-de",
    "strike-en-copy",
    "rates-fi",
    "rates-en",
    "rover-ja",
    "articles-8",
    "empty-one",
}
# Fields an expectation may state, compared as they are.
EXACT_FIELDS = ("id", "title", "url", "source", "declared_language")


def check_articles(articles: list[Article], expected: list[dict[str, Any]], key: str) -> None:
    """The articles are the expected ones (matched by `key`: 'id' or 'title'), each as described.

    An expectation may state any of EXACT_FIELDS, `published` (ISO form), `published_present`,
    `text_contains` and `flag_contains`.
    """
    found = {getattr(a, key): a for a in articles}
    assert sorted(found) == sorted(e[key] for e in expected)
    for e in expected:
        article = found[e[key]]
        for name in EXACT_FIELDS:
            if name in e:
                assert getattr(article, name) == e[name], name
        if "published" in e:
            assert article.published is not None and article.published.isoformat() == e["published"]
        if e.get("published_present"):
            assert article.published is not None
        if "text_contains" in e:
            assert e["text_contains"] in article.text
        if "flag_contains" in e:
            assert any(e["flag_contains"] in f for f in article.flags), article.flags


def check_rejections(
    rejections: list[Rejection], expected: list[dict[str, Any]], *, by_id: bool = False, optional: bool = False
) -> None:
    """The inputs rejected are the expected ones, each for a reason containing `reason_contains`.

    by_id: expectations name the rejected ids (compared as a set); otherwise they are matched by
    reason alone, and their number must be the number of rejections unless `optional` (a
    truncated feed, say, whose readable entries are kept whether or not the break is reported).
    """
    reasons = [r.reason for r in rejections]
    if by_id:
        rejected = {r.id: r.reason for r in rejections}
        assert sorted(rejected) == sorted(e["id"] for e in expected)
        for e in expected:
            assert e["reason_contains"] in rejected[e["id"]]
        return
    if not optional:
        assert len(rejections) == len(expected), reasons
    for e in expected:
        assert any(e["reason_contains"] in reason for reason in reasons), reasons


def check_corpus_digest(digest: dict[str, Any]) -> None:
    """A digest of the test corpus accounts for every input: used in a story, a duplicate, or rejected."""
    records = {r["id"]: r for r in digest["report"]["articles"]}
    assert set(records) == CORPUS_INPUTS
    assert records["strike-en-copy"]["status"] == "duplicate"
    assert records["strike-en-copy"]["duplicate_of"] == "strike-en"
    for rejected in CORPUS_EXPECTED["rejected"]:
        assert records[rejected]["status"] == "rejected" and records[rejected]["reason"]
    story_ids = {s["id"] for s in digest["stories"]}
    for record in records.values():
        if record["status"] == "used":
            assert record["story_id"] in story_ids
