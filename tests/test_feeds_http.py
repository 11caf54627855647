"""Feeds, OPML and pages served by a real local HTTP server, read by whole daily runs and by the fetcher."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from briefing.config import FetchConfig, InputConfig
from briefing.errors import SourceError
from briefing.fetch import Fetcher, check_url
from briefing.sources import read_sources
from briefing.sources.context import ReadContext
from tests.support.data import read_digest
from tests.support.feed_server import FeedServer
from tests.support.openai_server import ScriptedOpenAI
from tests.support.runs import DATE, run_day


@pytest.fixture
def feeds() -> Iterator[FeedServer]:
    with FeedServer() as server:
        yield server


def test_feed_entries_become_articles_with_their_pages_and_urls(
    use_server: ScriptedOpenAI, feeds: FeedServer, isolated_env: Path
) -> None:
    out = isolated_env / "out"
    assert run_day([feeds.url("/feed.xml")], out).status == "ok"
    digest = read_digest(out, DATE)
    sources = [s for story in digest["stories"] for s in story["sources"]]
    assert {s["url"] for s in sources} == {feeds.url(f"/article/{n}.html") for n in (1, 2, 3)}
    assert {s["outlet"] for s in sources} == {"Harbour Wire"}
    assert {s["published"] for s in sources} >= {"2026-11-22T00:30:00+00:00"}  # +01:00 normalised to UTC
    # The teasers were completed from the article pages (main text, not navigation or footer).
    prompts = json.dumps(use_server.requests)
    assert "Hutchison Ports ECT" in prompts and "Teaser 1." not in prompts and "Privacy policy" not in prompts
    assert [sorted(s["article_id"].split("-")[0] for s in st["sources"]) for st in digest["stories"]]


def test_second_run_costs_a_304_and_no_page_fetch(
    use_server: ScriptedOpenAI, feeds: FeedServer, isolated_env: Path
) -> None:
    out = isolated_env / "out"
    assert run_day([feeds.url("/feed.xml")], out).status == "ok"
    pages = sum(v for k, v in feeds.hits.items() if k.startswith("/article/"))
    assert run_day([feeds.url("/feed.xml")], out).status == "ok"
    assert feeds.not_modified == 1
    assert sum(v for k, v in feeds.hits.items() if k.startswith("/article/")) == pages == 3
    assert len(read_digest(out, DATE)["stories"]) >= 1  # the unchanged feed still feeds the digest


def test_dead_slow_huge_and_looping_sources_are_reported_and_skipped(
    use_server: ScriptedOpenAI, feeds: FeedServer, isolated_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BRIEFING_FETCH_TIMEOUT_SECONDS", "1.5")
    monkeypatch.setenv("BRIEFING_FETCH_RETRIES", "1")
    bad = {
        "/missing": "HTTP 404",
        "/broken": "HTTP 500",
        "/slow": "too slow",
        "/huge": "over the limit",
        "/loop": "too many redirects",
    }
    out = isolated_env / "out"
    urls = [feeds.url("/moved"), *(feeds.url(p) for p in bad)]
    assert run_day(urls, out).status == "ok"
    records = {r["id"]: r for r in read_digest(out, DATE)["report"]["articles"]}
    for path, reason in bad.items():
        record = records[feeds.url(path)]
        assert record["status"] == "rejected" and reason in record["reason"], record
    assert feeds.hits["/broken"] == 2  # retried once, then given up
    assert feeds.hits["/loop"] == 6  # the first request and five redirects, then it ends
    assert sum(1 for r in records.values() if r["status"] == "used") == 3  # /moved reached the feed


def test_opml_list_over_http(use_server: ScriptedOpenAI, feeds: FeedServer, isolated_env: Path) -> None:
    out = isolated_env / "out"
    assert run_day([feeds.url("/subscriptions.opml")], out).status == "ok"
    outlets = {s["outlet"] for st in read_digest(out, DATE)["stories"] for s in st["sources"]}
    assert outlets == {"Harbour Wire", "Talous"}  # the subscription's own name wins over the feed's title


def test_configured_source_settings_apply(feeds: FeedServer, tmp_path: Path) -> None:
    ctx = ReadContext(InputConfig(min_chars=5), FetchConfig(full_text=False), cache_path=tmp_path / "fetch.sqlite")
    spec = {"location": feeds.url("/feed.xml"), "name": "My Port News", "language": "en", "full_text": False}
    config = InputConfig.model_validate({"sources": [spec]})
    articles, rejections = read_sources(config.sources, ctx)
    assert {a.source for a in articles} == {"My Port News"}
    assert {a.declared_language for a in articles} == {"en"}
    assert all(len(a.text) < 100 for a in articles)  # teasers kept: full text was switched off
    assert not any(k.startswith("/article/") for k in feeds.hits)
    assert rejections == []


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.org/feed", "javascript:alert(1)", "http:///x"])
def test_only_http_urls_are_fetched(url: str) -> None:
    with pytest.raises(SourceError, match="only http"):
        check_url(url)
    with pytest.raises(SourceError):
        Fetcher(FetchConfig()).fetch(url)


def test_a_redirect_to_a_file_url_is_refused(feeds: FeedServer) -> None:
    with pytest.raises(SourceError, match="only http"):
        Fetcher(FetchConfig()).fetch(feeds.url("/to-file"))
