"""The ledger of every input, and the application layer that owns a run's files."""

from __future__ import annotations

import io
import os
from pathlib import Path

from briefing.app import Send, daily_run, resend, show_clusters
from briefing.config import Config, load_config
from briefing.console import Console
from briefing.ledger import Ledger
from briefing.models import Article, Rejection
from briefing.paths import Paths
from tests.support.data import CORPUS
from tests.support.openai_server import ScriptedOpenAI
from tests.support.runs import DATE


def article(article_id: str, flags: list[str] | None = None) -> Article:
    return Article(id=article_id, title="t", text="x", fetched_from="f.jsonl", flags=flags or [])


def test_a_rejected_input_and_an_article_with_the_same_id_are_both_reported() -> None:
    ledger = Ledger()
    kept = article("a-1")
    ledger.receive(kept)
    ledger.reject_input(Rejection(id="a-1", reason="duplicate GUID in the feed", fetched_from="feed.xml"))
    ledger.use(kept, "story-1")
    records = ledger.records()
    assert [(r.id, r.status) for r in records] == [("a-1", "used"), ("a-1", "rejected")]
    assert records[1].reason == "duplicate GUID in the feed"


def test_an_article_no_stage_decided_shows_as_rejected_with_why() -> None:
    ledger = Ledger()
    ledger.receive(article("lost"))
    [record] = ledger.records()
    assert record.status == "rejected" and "no stage" in (record.reason or "")


def test_a_duplicate_keeps_its_status_when_its_story_is_known_and_flags_reach_the_record() -> None:
    ledger = Ledger()
    kept, copy = article("k"), article("c", flags=["id 'c' repeated; renamed"])
    for item in (kept, copy):
        ledger.receive(item)
    ledger.duplicate(copy, kept, 0.97)
    ledger.use(kept, "s-1")
    ledger.use(copy, "s-1")
    ledger.flag(kept, "language uncertain (en, 0.41)")
    by_id = {r.id: r for r in ledger.records()}
    assert (by_id["c"].status, by_id["c"].duplicate_of, by_id["c"].story_id) == ("duplicate", "k", "s-1")
    assert by_id["c"].flags == ["id 'c' repeated; renamed"]
    assert by_id["k"].flags == ["language uncertain (en, 0.41)"] and ledger.used() == 1
    ledger.reject(kept, "already reported")
    assert by_id["k"].status == "rejected" and by_id["k"].reason == "already reported"


def open_files(under: Path) -> list[str]:
    """Files under a folder this process holds open."""
    found = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith(str(under)):
            found.append(target)
    return found


def test_show_clusters_accounts_for_every_input_and_closes_its_caches(tmp_path: Path) -> None:
    config = Config.model_validate({"paths": {"cache_dir": tmp_path / "cache"}})
    clusters = show_clusters([str(CORPUS)], config)
    assert clusters.stories and set(clusters.timings) >= {"read", "clean", "cluster", "total"}
    assert Paths.of(config).embeddings.is_file()  # the embedding cache was used...
    assert open_files(tmp_path) == []  # ...and closed


def test_daily_run_returns_its_outcome_and_closes_state_and_caches(
    use_server: ScriptedOpenAI, isolated_env: Path
) -> None:
    config = load_config(None, {"digest": {"out_dir": isolated_env / "out"}})
    outcome = daily_run([str(CORPUS)], config, date=DATE)
    assert outcome.status == "ok" and outcome.delivery is None
    assert [p.name for p in outcome.written][-1] == "digest.json"
    assert outcome.used == sum(1 for r in outcome.digest.report.articles if r.status == "used") > 0
    assert outcome.digest.report.mode == "abstractive"  # an endpoint: the strategy chosen once, reported
    assert open_files(isolated_env) == []

    # The same digest re-sent in a dry run: the message is written, nothing is sent, files closed.
    mailed = load_config(None, {"email": {"to": ["reader@example.org"]}})
    delivery = resend(isolated_env / "out" / DATE, mailed, Send(dry_run=True))
    assert delivery.status == "written" and delivery.path is not None and delivery.path.is_file()
    assert open_files(isolated_env) == []


def test_progress_says_which_story_is_being_summarized_before_it_is_done() -> None:
    stream = io.StringIO()
    bar = Console(stream=stream).progress("summarizing stories", 2)
    bar.start("story 1 (2 articles, es, fr): Incendio en Valencia")
    assert (
        stream.getvalue()
        == "summarizing stories: 0/2 done, now story 1 (2 articles, es, fr): Incendio en Valencia (0s elapsed)\n"
    )
    bar.advance("ok")
    assert "summarizing stories: 1/2 (ok)" in stream.getvalue() and "left" in stream.getvalue()
    bar.start("story 2 (1 article, en): Strike ends")
    last = stream.getvalue().splitlines()[-1]
    assert last.startswith("summarizing stories: 1/2 done, now story 2") and last.endswith("s left)")  # an ETA


def test_a_capped_digest_still_reports_every_article(use_server: ScriptedOpenAI, isolated_env: Path) -> None:
    full = daily_run([str(CORPUS)], load_config(None, {"digest": {"out_dir": isolated_env / "all"}}), date=DATE)
    config = load_config(None, {"digest": {"out_dir": isolated_env / "out", "max_stories": 1}})
    capped = daily_run([str(CORPUS)], config, date=DATE)
    assert len(capped.digest.stories) == 1 < len(full.digest.stories)
    assert len(capped.digest.report.articles) == len(full.digest.report.articles)
    below = [r for r in capped.digest.report.articles if "below digest.max_stories=1" in (r.reason or "")]
    assert below and all(r.status == "rejected" for r in below)
