"""Whole daily runs through briefing.app against a real local server speaking the OpenAI API.

The faults themselves (retries, Retry-After, re-asks, JSON mode) are tested call by call in
test_llm_calls.py; here, what a run makes of them: the report's tally, the cache across runs,
and model text kept out of the digest's links. test_cli.py runs the command line itself.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.data import CORPUS, read_digest
from tests.support.expect import check_corpus_digest
from tests.support.openai_server import Reply, ScriptedOpenAI
from tests.support.runs import DATE, run_day


def test_second_identical_run_makes_no_llm_call(use_server: ScriptedOpenAI, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run_day([CORPUS], out).status == "ok"
    first = use_server.chat_calls
    assert run_day([CORPUS], out).status == "ok"
    assert use_server.chat_calls == first
    llm = read_digest(out, DATE)["report"]["llm"]
    assert llm["calls"] == 0 and llm["cache_hits"] == 4


def test_retries_and_reasks_are_tallied_in_the_report(use_server: ScriptedOpenAI, tmp_path: Path) -> None:
    bad = json.dumps({"headline": "Strike", "sentences": [{"text": "Ports closed.", "citations": ["A9"]}]})
    use_server.script(Reply(status=429, headers={"retry-after-ms": "50"}), Reply(drop=True), Reply(content=bad))
    out = tmp_path / "out"
    assert run_day([CORPUS], out, digest={"formats": ["json"]}).status == "ok"
    digest = read_digest(out, DATE)
    llm = digest["report"]["llm"]
    assert (llm["retries"], llm["reasks"], llm["calls"]) == (2, 1, 5)  # three stories, a re-ask, the overview
    assert all(s["status"] == "ok" for s in digest["stories"])
    check_corpus_digest(digest)


def test_model_links_never_reach_the_digest(use_server: ScriptedOpenAI, tmp_path: Path) -> None:
    use_server.transform = lambda content: content.replace(
        "Reports cover", "See https://evil.example/x and [click](http://evil.example) on"
    )
    out = tmp_path / "out"
    assert run_day([CORPUS], out).status == "ok"
    for name in ("digest.md", "digest.html", "digest.txt", "digest.json"):
        assert "evil.example" not in (out / DATE / name).read_text()
