"""Feeds as data: one case per file in tests/data/feeds, expectations in feed_cases.json."""

from __future__ import annotations

from pathlib import Path

import pytest

from briefing.config import FetchConfig, InputConfig
from briefing.sources import read_sources
from tests.support.data import DATA, load_json
from tests.support.expect import check_articles, check_rejections
from tests.support.offline import OfflineContext

FEEDS = DATA / "feeds"
CASES = load_json("feed_cases.json")
ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", sorted(CASES))
def test_feed_file(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # OPML lists name their feeds relative to the repository
    expect = CASES[name]
    ctx = OfflineContext(InputConfig(), FetchConfig(full_text=False))  # teasers are kept, nothing fetched
    articles, rejections = read_sources([str(FEEDS / name)], ctx)
    assert ctx.refused == []
    check_articles(articles, expect.get("articles", []), key="title")
    for article in articles:
        assert "<" not in article.title and "alert(" not in article.title  # markup and scripts stripped
    check_rejections(rejections, expect.get("rejected", []), optional=expect.get("rejected_optional", False))


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
