"""Rendering escapes what the model wrote; the CLI's machine-readable output keeps its contract."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import pytest

from briefing.cli import EXIT_USAGE, main
from briefing.models import Article, Digest, RunReport, Sentence, Story, StoryDigest, StorySummary
from briefing.render import render_all
from tests.support.data import CORPUS
from tests.support.expect import CORPUS_EXPECTED

EVIL = "<script>alert(1)</script> & <img src=x onerror=alert(2)> [x](http://evil.example)"


def digest() -> Digest:
    article = Article(
        id="a-1",
        title=f"Title {EVIL}",
        text="t",
        url="https://news.example/a?x=1&y=2",
        source="Outlet <b>",
        language="en",
    )
    copy = Article(id="a-2", title="Copy", text="t", url="javascript:alert(3)", source="Wire", language="en")
    story = Story(id="s-1", articles=[article], duplicates={"a-1": [copy]})
    summary = StorySummary(headline=EVIL, sentences=[Sentence(text=EVIL, citations=["a-1", "a-2"])])
    return Digest(
        date="2026-11-23",
        title="Daily briefing",
        overview=[Sentence(text="Overview.", citations=["s-1"])],
        stories=[StoryDigest(story, "ok", summary, 1)],
        report=RunReport(),
    )


class Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.hrefs += [v or "" for k, v in attrs if k == "href"]


def test_html_escapes_everything_and_links_only_sources() -> None:
    html = render_all(digest(), ["html"])["digest.html"]
    parser = Collector()
    parser.feed(html)
    assert "script" not in parser.tags and "img" not in parser.tags
    external = [h for h in parser.hrefs if not h.startswith("#")]
    assert external == ["https://news.example/a?x=1&y=2"]  # the javascript: link is not rendered


def test_markdown_cannot_gain_links_from_model_text() -> None:
    markdown = render_all(digest(), ["md"])["digest.md"]
    assert "](http://evil.example)" not in markdown
    assert "[1][2]" in markdown and "(<https://news.example/a?x=1&y=2>)" in markdown
    for text in (markdown, render_all(digest(), ["txt"])["digest.txt"]):
        assert "javascript:" not in text  # a source's non-http link is never rendered as a link


def test_cluster_json_contract(isolated_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cluster", str(CORPUS), "--json", "--quiet"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert all(set(c) >= {"id", "article_ids", "languages"} for c in data["clusters"])
    assert data["clusters"][0]["languages"] == ["en", "nl", "de"]
    # Folded copies are listed as {duplicate_id: kept_id}, each under the story of its kept article.
    expected = CORPUS_EXPECTED["duplicates"]
    folded = {dup: kept for c in data["clusters"] for dup, kept in c["duplicates"].items()}
    assert folded == expected
    for cluster in data["clusters"]:
        assert set(cluster["duplicates"].values()) <= set(cluster["article_ids"])


def test_prompts_command_lists_templates(isolated_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["prompts"]) == 0
    assert "story.j2" in capsys.readouterr().out


def test_bad_config_exits_2_with_the_key(isolated_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (isolated_env / "briefing.toml").write_text("[cluster]\nthreshold = 7\n")
    assert main(["cluster", str(CORPUS)]) == EXIT_USAGE
    assert "cluster.threshold" in capsys.readouterr().err


def test_bad_date_is_a_usage_error(isolated_env: Path) -> None:
    with pytest.raises(SystemExit) as info:
        main(["run", str(CORPUS), "--date", "2026-13-45"])
    assert info.value.code == EXIT_USAGE
