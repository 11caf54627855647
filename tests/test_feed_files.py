"""Feeds as data: one case per file in tests/data/feeds, expectations in feed_cases.json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from briefing.config import FetchConfig, InputConfig
from briefing.sources import read_sources
from tests.conftest import DATA
from tests.offline import OfflineContext

FEEDS = DATA / "feeds"
CASES = json.loads((DATA / "feed_cases.json").read_text(encoding="utf-8"))
ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", sorted(CASES))
def test_feed_file(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # OPML lists name their feeds relative to the repository
    expect = CASES[name]
    ctx = OfflineContext(InputConfig(), FetchConfig(full_text=False))  # teasers are kept, nothing fetched
    articles, rejections = read_sources([str(FEEDS / name)], ctx)
    assert ctx.refused == []
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


def test_feed_ids_are_stable_across_reads() -> None:
    ctx = OfflineContext(InputConfig())  # full text on: the teasers' pages are asked for, and refused
    first, _ = read_sources([str(FEEDS / "rss2_en.xml")], ctx)
    second, _ = read_sources([str(FEEDS / "rss2_en.xml")], ctx)
    assert [a.id for a in first] == [a.id for a in second]
    assert all(a.id.startswith("lyon-daily-") for a in first)
    assert sorted(ctx.refused) == sorted(2 * ["https://lyon.example/trees", "https://lyon.example/second"])
    assert all(any("article page not fetched" in f for f in a.flags) for a in first)


def test_a_rejected_entry_sharing_the_kept_articles_id_is_still_reported(isolated_env: Path) -> None:
    from briefing.app import show_clusters
    from briefing.config import Config
    from briefing.digest_json import load_digest
    from briefing.models import Digest, RunReport
    from briefing.render import render_all

    config = Config.model_validate({"fetch": {"full_text": False}})
    prepared = show_clusters([str(FEEDS / "duplicate_guids.xml")], config)
    records = prepared.records
    rejected = [r for r in records if r.status == "rejected"]
    assert len(rejected) == 1 and "duplicate GUID" in (rejected[0].reason or "")
    kept = [r for r in records if r.status != "rejected"]
    assert len(kept) == 2 and rejected[0].id in {r.id for r in kept}  # same id, both reported
    assert len(records) == 3  # every entry of the feed accounted for

    # Flags reach the report and survive digest.json.
    kept[0].flags.append("no date in the feed; the fetch time is used")
    digest = Digest(date="2026-11-24", title="t", stories=[], overview=[], report=RunReport(articles=records))
    path = isolated_env / "digest.json"
    path.write_text(render_all(digest, ["json"])["digest.json"], encoding="utf-8")
    again = load_digest(path)
    assert [r.flags for r in again.report.articles] == [r.flags for r in records]
