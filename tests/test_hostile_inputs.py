"""Hostile inputs: each bad input is one rejection with a reason, the rest are read, nothing is lost.

Deeply nested JSON, readers that fail part way, symlink loops and dangling links, special files,
out-of-range dates and invalid characters; sources that cannot exist stop the run before any work;
feeds over HTTP; and the near-copy search on thousands of look-alike texts.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from briefing import dedupe
from briefing.cli import EXIT_USAGE, main
from briefing.config import FetchConfig, InputConfig, SourceSpec
from briefing.dates import parse_date
from briefing.errors import ConfigError
from briefing.models import Article, Rejection
from briefing.sources import check_sources, read_sources
from briefing.sources import feeds as feeds_module
from briefing.sources import files as files_module
from briefing.sources.context import ReadContext
from tests.support.feed_server import FeedServer
from tests.support.offline import OfflineContext
from tests.support.servers import LocalServer, QuietHandler

BODY = "The harbour board of Northport met on Friday and agreed to dredge the eastern channel next spring. "


def article_line(article_id: str, extra: str = "") -> str:
    return json.dumps({"id": article_id, "title": f"Title {article_id}", "text": BODY + extra})


def read(*sources: str | SourceSpec, full_text: bool = False) -> tuple[dict[str, Article], dict[str, Rejection]]:
    articles, rejections = read_sources(list(sources), OfflineContext(InputConfig(), FetchConfig(full_text=full_text)))
    return {a.id: a for a in articles}, {r.id: r for r in rejections}


# 1. Any exception while reading one input is that input's rejection.


def test_deeply_nested_json_is_one_rejection_and_the_rest_is_read(tmp_path: Path) -> None:
    (tmp_path / "deep.json").write_text("[" * 100_000)
    lines = [article_line("before"), "[" * 100_000, article_line("after", "Later.")]
    (tmp_path / "lines.jsonl").write_text("\n".join(lines) + "\n")
    (tmp_path / "note.txt").write_text("A note\n\n" + BODY)
    articles, rejections = read(str(tmp_path))
    assert sorted(articles) == ["after", "before", "note"]
    assert "RecursionError" in rejections["deep"].reason
    assert "line 2" in rejections["lines-2"].reason and "RecursionError" in rejections["lines-2"].reason


def test_a_reader_failing_on_one_file_costs_only_that_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = files_module.parse_text_article

    def parse(text: str, art_id: str, fetched_from: str, limits: InputConfig) -> Article | Rejection:
        if art_id == "cursed":  # a reader's own bug, which no real input here can trigger on demand
            raise RuntimeError("the parser tripped over something it did not foresee")
        return real(text, art_id, fetched_from, limits)

    monkeypatch.setattr(files_module, "parse_text_article", parse)
    for name in ("alpha", "cursed", "omega"):
        (tmp_path / f"{name}.txt").write_text(f"{name}\n\n{BODY}")
    articles, rejections = read(str(tmp_path))
    assert sorted(articles) == ["alpha", "omega"]
    (rejected,) = rejections.values()
    assert rejected.fetched_from == str(tmp_path / "cursed.txt")
    assert "RuntimeError: the parser tripped" in rejected.reason


def test_running_out_of_memory_is_not_one_inputs_problem(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def parse(*args: object) -> Article:
        raise MemoryError

    monkeypatch.setattr(files_module, "parse_text_article", parse)
    (tmp_path / "a.txt").write_text("A\n\n" + BODY)
    with pytest.raises(MemoryError):
        read(str(tmp_path))


def test_a_feed_entry_that_breaks_the_reader_is_that_entrys_rejection(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = feeds_module._content

    def content(entry: object) -> str:
        if "Second" in str(getattr(entry, "get", dict().get)("title", "")):
            raise ValueError("an entry shaped like nothing seen before")
        return real(entry)

    monkeypatch.setattr(feeds_module, "_content", content)
    items = "".join(
        f"<item><title>{t}</title><guid>urn:{n}</guid><description>{BODY}</description></item>"
        for n, t in enumerate(["First", "Second", "Third"])
    )
    feed = tmp_path / "wire.xml"
    feed.write_text(
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>W</title>{items}</channel></rss>'
    )
    articles, rejections = read(str(feed))
    assert sorted(a.title for a in articles.values()) == ["First", "Third"]
    (rejected,) = rejections.values()
    assert "entry 2" in rejected.reason and "ValueError" in rejected.reason


@pytest.mark.parametrize("value", [1e20, -1e20, float("nan"), "9999-12-31T23:59:59-01:00", "0000-00-00", [2026]])
def test_a_date_out_of_range_is_ignored_and_flagged(value: object, tmp_path: Path) -> None:
    assert parse_date(value) is None
    (tmp_path / "a.jsonl").write_text(json.dumps({"id": "a", "title": "T", "text": BODY, "published": value}) + "\n")
    articles, rejections = read(str(tmp_path / "a.jsonl"))
    assert rejections == {} and articles["a"].published is None
    assert any("unparseable date" in f for f in articles["a"].flags)


def test_invalid_characters_are_replaced_and_flagged_and_the_run_goes_on(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_text(
        json.dumps({"id": "a", "title": "Bad \ud800 title", "text": BODY + "\udfff"}) + "\n"
    )
    articles, _ = read(str(tmp_path / "a.jsonl"))
    article = articles["a"]
    assert "\ud800" not in article.title and "\udfff" not in article.text and "\ufffd" in article.text
    assert any("surrogates" in f for f in article.flags)
    assert dedupe.dedupe([article]).kept == [article]  # hashing the text no longer raises


# 2. Links and special files inside a source folder are reported, never silently skipped.


def test_symlink_loops_self_links_and_dangling_links_are_each_reported(tmp_path: Path) -> None:
    folder = tmp_path / "news"
    (folder / "sub").mkdir(parents=True)
    (folder / "good.txt").write_text("Good\n\n" + BODY)
    (folder / "self.txt").symlink_to("self.txt")
    (folder / "ping.txt").symlink_to("pong.txt")
    (folder / "pong.txt").symlink_to("ping.txt")
    (folder / "gone.txt").symlink_to(tmp_path / "deleted.txt")
    (folder / "sub" / "up").symlink_to("..")
    (folder / "sub" / "linked.txt").symlink_to(folder / "good.txt")  # a link to a real file is read
    os.mkfifo(folder / "pipe.txt")  # reading it would wait forever
    articles, rejections = read(str(folder))
    assert sorted(articles) == ["good", "linked"]
    reasons = {Path(r.id).name: r.reason for r in rejections.values()}
    assert reasons["self.txt"].startswith("symlink loop")
    assert reasons["ping.txt"].startswith("symlink loop") and reasons["pong.txt"].startswith("symlink loop")
    assert reasons["gone.txt"] == f"dangling link to {tmp_path / 'deleted.txt'} (it does not exist)"
    assert reasons["up"].startswith("symlink loop: up links back to")
    assert reasons["pipe.txt"].startswith("not a regular file")
    assert len(rejections) == 6


def test_a_linked_folder_is_read_once(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "a.txt").write_text("A\n\n" + BODY)
    folder = tmp_path / "news"
    folder.mkdir()
    (folder / "one").symlink_to(tmp_path / "real")
    (folder / "two").symlink_to(tmp_path / "real")
    articles, rejections = read(str(folder))
    assert list(articles) == ["a"]
    assert [r.reason for r in rejections.values()] == [f"link to a folder already read ({tmp_path / 'real'})"]


# 3. A source that cannot exist is a usage error before any work; an empty folder says so.


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("artciles", ["'artciles' does not exist", "did you mean", "articles", "fix the path"]),
        ("no/such/folder", ["'no/such/folder' does not exist", "give an http(s) URL"]),
        ("news.example.org/rss.xml", ["did you mean 'https://news.example.org/rss.xml'"]),
        ("ftp://news.example.org/feed", ["not an http(s) URL"]),
        ("broken-link", ["dangling link to", "fix the link"]),
    ],
)
def test_a_source_that_cannot_exist_is_a_config_error_naming_it_and_the_fix(
    source: str, expected: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "articles").mkdir()
    (tmp_path / "broken-link").symlink_to(tmp_path / "moved-away")
    with pytest.raises(ConfigError) as error:
        check_sources(["articles", source, "https://news.example.org/feed.xml"])
    for text in expected:
        assert text in str(error.value)


def test_a_mistyped_source_exits_2_and_leaves_todays_digest_alone(
    isolated_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = isolated_env / "out"
    (out / "2026-11-23").mkdir(parents=True)
    earlier = out / "2026-11-23" / "digest.md"
    earlier.write_text("the digest written this morning")
    (isolated_env / "articles").mkdir()
    assert main(["run", "artciles", "--out", str(out), "--date", "2026-11-23", "-q"]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "'artciles' does not exist" in err and "did you mean 'articles'?" in err
    assert earlier.read_text() == "the digest written this morning"
    assert sorted(p.name for p in (out / "2026-11-23").iterdir()) == ["digest.md"]
    assert main(["cluster", "artciles", "-q"]) == EXIT_USAGE


def test_an_empty_folder_says_it_found_nothing_to_read_and_what_is_read(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "pictures").mkdir()
    (tmp_path / "pictures" / "photo.png").write_bytes(b"\x89PNG")
    _, rejections = read(str(tmp_path / "empty"), str(tmp_path / "pictures"))
    for folder in ("empty", "pictures"):
        reason = rejections[str(tmp_path / folder)].reason
        assert reason.startswith("no readable files in the folder") and ".txt" in reason and ".jsonl" in reason
    assert "unsupported file type '.png'" in rejections[str(tmp_path / "pictures" / "photo.png")].reason


# 5. Feeds over HTTP: not flagged malformed for want of a content type; a page's failure is kept.


class _Site(QuietHandler):
    """A feed served as text/html (a common misconfiguration) whose one entry links to a missing page."""

    def do_GET(self) -> None:
        if self.path == "/feed":
            item = "<item><title>Teaser</title><link>/gone.html</link><description>Short.</description></item>"
            body = (
                f'<?xml version="1.0"?><rss version="2.0"><channel><title>Site</title>{item}</channel></rss>'.encode()
            )
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
        else:
            body = b"not found"
            self.send_response(404)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def site() -> Iterator[LocalServer]:
    with LocalServer(_Site) as server:
        yield server


def test_a_feed_fetched_over_http_is_not_flagged_malformed(tmp_path: Path) -> None:
    with FeedServer() as server:
        limits = InputConfig(min_chars=5)  # the teasers, kept as they are
        ctx = ReadContext(limits, FetchConfig(full_text=False), cache_path=tmp_path / "fetch.sqlite")
        articles, rejections = read_sources([server.url("/feed.xml"), server.url("/atom.xml")], ctx)
        ctx.close()
    assert len(articles) == 4 and rejections == []
    assert not [f for a in articles for f in a.flags if "malformed" in f]


def test_a_teasers_missing_page_is_named_in_its_rejection(site: LocalServer) -> None:
    ctx = ReadContext(InputConfig(), FetchConfig(retries=0))
    articles, rejections = read_sources([site.url("/feed")], ctx)
    assert articles == []
    (rejected,) = rejections
    assert "too short" in rejected.reason and "HTTP 404" in rejected.reason and "/gone.html" in rejected.reason
    assert "malformed" not in rejected.reason  # served as text/html, yet a well-formed feed


# 7. The near-copy search does bounded work on thousands of look-alikes, with the same results.


def _count_work(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Counts exact comparisons and group look-ups (work, not time: this test does not time anything)."""
    work = {"jaccard": 0, "find": 0}
    jaccard, find = dedupe.jaccard, dedupe._Groups.find

    def counted_jaccard(a: set[int], b: set[int]) -> float:
        work["jaccard"] += 1
        return jaccard(a, b)

    def counted_find(self: dedupe._Groups, i: int) -> int:
        work["find"] += 1
        return find(self, i)

    monkeypatch.setattr(dedupe, "jaccard", counted_jaccard)
    monkeypatch.setattr(dedupe._Groups, "find", counted_find)
    return work


def _look_alike(number: int) -> str:
    """Briefs from one template: each pair shares most words but is not a copy (Jaccard about 0.5)."""
    return (
        f"The council of Place{number} voted on Monday to close the old bridge after a debate of twelve hours. "
        f"Mayor Person{number} said the plan would cost about {number * 37} euros and be finished by 2031. "
        "Opposition leader Tamsu Kalodor called the decision rushed and asked for a review by the regional court."
    )


def test_copies_of_one_text_are_folded_without_comparing_every_pair(monkeypatch: pytest.MonkeyPatch) -> None:
    articles = [Article(f"c{n}", "", f"{_look_alike(1)} {_look_alike(2)} Update {n}.") for n in range(800)]
    work = _count_work(monkeypatch)
    result = dedupe.dedupe(articles)
    assert len(result.kept) == 1 and len(result.duplicate_of) == 799
    assert work["jaccard"] + work["find"] < 40 * len(articles)  # every pair would be 16 x 320,000


def test_look_alikes_are_kept_apart_with_a_bounded_number_of_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    articles = [Article(f"t{n}", "", _look_alike(n)) for n in range(800)]
    work = _count_work(monkeypatch)
    result = dedupe.dedupe(articles)
    assert len(result.kept) == 800
    assert work["jaccard"] < 10 * len(articles)


def test_a_chain_of_near_copies_is_still_one_group() -> None:
    words = [f"w{n}" for n in range(100)]
    second = [*words[:20], "x1", "x2", *words[22:]]  # 0.88 with the first
    third = [*second[:70], "y1", "y2", *second[72:]]  # 0.88 with the second, 0.78 with the first
    texts = [" ".join(w) for w in (words, second, third)]
    sets = [dedupe.shingles(t) for t in texts]
    assert dedupe.jaccard(sets[0], sets[2]) < 0.8 <= dedupe.jaccard(sets[1], sets[2])
    result = dedupe.dedupe([Article(name, "", text) for name, text in zip("abc", texts, strict=True)])
    assert [a.id for a in result.kept] == ["a"] and result.duplicate_of == {"b": "a", "c": "a"}
