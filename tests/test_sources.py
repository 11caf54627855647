"""Reading: one data-driven case per file in tests/data/inputs (expectations in input_cases.json)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from briefing.config import FetchConfig, InputConfig, SourceSpec
from briefing.sources import read_sources
from tests.support.data import DATA, load_json
from tests.support.expect import check_articles, check_rejections
from tests.support.offline import OfflineContext

INPUTS = DATA / "inputs"
CASES = load_json("input_cases.json")


@pytest.mark.parametrize("name", sorted(CASES))
def test_input_file(name: str) -> None:
    expect = CASES[name]
    articles, rejections = read_sources([str(INPUTS / name)], OfflineContext(InputConfig()))
    check_articles(articles, expect.get("articles", []), key="id")
    check_rejections(rejections, expect.get("rejected", []), by_id=True)


def test_folder_reads_every_file_and_reports_the_rest() -> None:
    articles, rejections = read_sources([str(INPUTS)], OfflineContext(InputConfig()))
    expected_articles = sum(len(c.get("articles", [])) for c in CASES.values())
    expected_rejections = sum(len(c.get("rejected", [])) for c in CASES.values())
    assert len(articles) == expected_articles
    assert len(rejections) == expected_rejections


def test_missing_path_is_reported_not_fatal(tmp_path: Path) -> None:
    articles, rejections = read_sources([str(tmp_path / "nope.txt")], OfflineContext(InputConfig()))
    assert articles == [] and "no such file" in rejections[0].reason


def test_repeated_ids_are_made_unique(tmp_path: Path) -> None:
    line = json.dumps({"id": "same", "title": "T", "text": "x" * 100})
    (tmp_path / "a.jsonl").write_text(f"{line}\n{line}\n")
    articles, _ = read_sources([str(tmp_path / "a.jsonl")], OfflineContext(InputConfig()))
    assert [a.id for a in articles] == ["same", "same~2"]


def test_huge_article_is_cut_and_flagged(tmp_path: Path) -> None:
    (tmp_path / "big.txt").write_text("Title\n\n" + "word " * 5000)
    articles, _ = read_sources([str(tmp_path / "big.txt")], OfflineContext(InputConfig(max_chars=1000)))
    assert len(articles[0].text) == 1000 and "cut" in articles[0].flags[0]


def test_a_folder_reads_each_file_with_the_reader_for_its_suffix(tmp_path: Path) -> None:
    (tmp_path / "feed.xml").write_bytes((DATA / "feeds" / "rss2_en.xml").read_bytes())
    (tmp_path / "note.txt").write_text("A note\n\n" + "word " * 30)
    (tmp_path / "picture.png").write_bytes(b"\x89PNG")
    (tmp_path / ".hidden.txt").write_text("Hidden\n\n" + "word " * 30)
    spec = SourceSpec(location=str(tmp_path), name="My folder", language="en")
    articles, rejections = read_sources([spec], OfflineContext(InputConfig(), FetchConfig(full_text=False)))
    assert sorted(a.title for a in articles) == ["A note", "Lyon to plant 12,000 trees", "Second story"]
    assert {a.source for a in articles} == {"My folder"}  # a folder's name wins, feed files included
    assert [(r.id, r.reason) for r in rejections] == [(str(tmp_path / "picture.png"), "unsupported file type '.png'")]
