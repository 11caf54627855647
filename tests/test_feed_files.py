"""Feeds as data: one case per file in tests/data/feeds, expectations in feed_cases.json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from briefing.config import FetchConfig, InputConfig
from briefing.sources import read_sources
from briefing.sources.context import ReadContext
from tests.conftest import DATA

FEEDS = DATA / "feeds"
CASES = json.loads((DATA / "feed_cases.json").read_text(encoding="utf-8"))
ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", sorted(CASES))
def test_feed_file(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # OPML lists name their feeds relative to the repository
    expect = CASES[name]
    ctx = ReadContext(InputConfig(), FetchConfig(full_text=False))  # no network: teasers are kept
    articles, rejections = read_sources([str(FEEDS / name)], ctx)
    by_title = {a.title: a for a in articles}
    assert sorted(by_title) == sorted(e["title"] for e in expect.get("articles", []))
    for e in expect.get("articles", []):
        article = by_title[e["title"]]
        for key in ("url", "source", "declared_language"):
            if key in e:
                assert getattr(article, key) == e[key], key
        if "published" in e:
            assert article.published is not None and article.published.isoformat() == e["published"]
        if e.get("published_present"):
            assert article.published is not None
        if "text_contains" in e:
            assert e["text_contains"] in article.text
        if "flag_contains" in e:
            assert any(e["flag_contains"] in f for f in article.flags), article.flags
        assert "<" not in article.title and "alert(" not in article.title  # markup and scripts stripped
    expected = expect.get("rejected", [])
    if not expect.get("rejected_optional"):
        assert len(rejections) == len(expected), [r.reason for r in rejections]
    for e in expected:
        assert any(e["reason_contains"] in r.reason for r in rejections), [r.reason for r in rejections]


def test_feed_ids_are_stable_across_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    first, _ = read_sources([str(FEEDS / "rss2_en.xml")], InputConfig())
    second, _ = read_sources([str(FEEDS / "rss2_en.xml")], InputConfig())
    assert [a.id for a in first] == [a.id for a in second]
    assert all(a.id.startswith("lyon-daily-") for a in first)
