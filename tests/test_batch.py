"""Batch mode against the scripted endpoint's real /v1/files and /v1/batches.

Each test runs the day through briefing.app (the command line where the exit code matters) and
checks what the endpoint saw: one batch per day's requests, never a second one for the same
requests, and direct chat calls only for what a batch did not answer well.
"""

from __future__ import annotations

import io
import json
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import openai
import pytest

from briefing.app import RunOutcome, daily_run
from briefing.cli import EXIT_BATCH_PENDING, EXIT_OK, main
from briefing.config import Config, load_config
from briefing.console import Console
from briefing.errors import BatchPending, BriefingError, ConfigError
from briefing.llm.batch import Answer, read_results, request_line
from briefing.llm.cost import CostCapped
from briefing.models import Usage
from briefing.paths import Paths
from briefing.store import State
from tests.support.data import CORPUS, read_digest
from tests.support.openai_server import BatchScript, ScriptedOpenAI
from tests.support.runs import DATE

BATCH = {"batch": True, "batch_poll_seconds": 0.01, "batch_max_wait_seconds": 10}
BAD_ANSWER = "Sure! Here is the summary: it was a strike."


def config_for(out: Path, **llm: Any) -> Config:
    """The configuration `briefing run CORPUS --batch` would use, with quick polling."""
    return load_config(None, {"digest": {"out_dir": out}, "llm": BATCH | llm})


def batch_run(out: Path, console: Console | None = None, **llm: Any) -> RunOutcome:
    """A batch-mode run of the test corpus for DATE."""
    return daily_run([str(CORPUS)], config_for(out, **llm), date=DATE, console=console)


def recorded(out: Path) -> list[tuple[str, str, str]]:
    """(batch id, status, collected?) of the batches in the state file."""
    with closing(State(Paths.of(config_for(out)).state)) as state:
        return [(b.id, b.status, "collected" if b.collected else "") for b in state.batches(DATE, "scripted-model")]


def run_statuses(out: Path) -> list[str]:
    """How each run recorded in the state file ended, oldest first."""
    with closing(sqlite3.connect(Paths.of(config_for(out)).state)) as db:
        return [str(row[0]) for row in db.execute("SELECT status FROM runs ORDER BY id")]


def cached_keys(out: Path) -> set[str]:
    """The cache keys of every answer in the response cache."""
    with closing(sqlite3.connect(Paths.of(config_for(out)).responses)) as db:
        return {str(row[0]) for row in db.execute("SELECT key FROM llm_cache")}


def batch_notes(outcome: RunOutcome) -> list[str]:
    return [n.note for n in outcome.digest.report.warnings if n.stage == "batch"]


def assert_every_story_summarized(outcome: RunOutcome) -> None:
    assert outcome.status == "ok", outcome.digest.report.failures
    assert all(item.status == "ok" for item in outcome.digest.stories)


# The lifecycle: submit, wait, collect; exit with the pending code, and resume without resubmitting.


def test_every_story_request_goes_as_one_batch_and_its_answers_are_validated_and_cached(
    use_server: ScriptedOpenAI, tmp_path: Path
) -> None:
    outcome = batch_run(tmp_path)
    assert_every_story_summarized(outcome)
    stories = len(outcome.digest.stories)
    assert use_server.batch_creates == 1 and len(use_server.batch_inputs["batch_1"]) == stories >= 3
    assert use_server.chat_calls == 1  # the overview, written after the stories, is asked directly
    lines = use_server.batch_inputs["batch_1"]
    assert {line["url"] for line in lines} == {"/v1/chat/completions"}
    # custom_id is the request's cache key: the valid answers are cached under it
    assert {line["custom_id"] for line in lines} < cached_keys(tmp_path)
    report = outcome.digest.report
    assert (report.llm_calls, report.cache_hits) == (stories + 1, 0) and report.usage.prompt_tokens > 0
    assert recorded(tmp_path) == [("batch_1", "completed", "collected")]
    assert batch_notes(outcome) == []


def test_a_waiting_run_shows_how_the_batch_is_doing(use_server: ScriptedOpenAI, tmp_path: Path) -> None:
    use_server.script_batch(BatchScript(polls=3))
    stream = io.StringIO()
    assert_every_story_summarized(batch_run(tmp_path, Console(stream=stream)))
    shown = stream.getvalue()
    assert "batch batch_1 submitted" in shown
    assert "batch batch_1: in_progress, 0/" in shown  # said once, not at every check
    assert shown.count("in_progress") == 1 and "batch batch_1: completed" in shown
    assert use_server.batch_log.count("retrieve") == 4


def test_a_run_that_stops_waiting_exits_pending_and_the_next_run_collects_the_same_batch(
    use_server: ScriptedOpenAI, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    use_server.script_batch(BatchScript(polls=1))
    out = tmp_path / "out"
    command = ["run", str(CORPUS), "--out", str(out), "--date", DATE]
    assert main([*command, "--no-wait"]) == EXIT_BATCH_PENDING
    said = capsys.readouterr().err
    assert "batch_1" in said and "in_progress" in said and f"--date {DATE}" in said
    assert "nothing is submitted twice" in said
    assert not (out / DATE).exists()  # no digest yet
    assert run_statuses(out) == ["pending"] and recorded(out) == [("batch_1", "in_progress", "")]
    assert main([*command, "--batch"]) == EXIT_OK
    assert "collecting them, not submitting again" in capsys.readouterr().err
    assert use_server.batch_creates == 1 and use_server.chat_calls == 1
    assert read_digest(out, DATE)["report"]["llm"]["calls"] == len(use_server.batch_inputs["batch_1"]) + 1
    assert run_statuses(out) == ["pending", "ok"]


def test_a_run_that_crashes_after_recording_its_batch_is_collected_by_the_next_run(
    use_server: ScriptedOpenAI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    record_batch = State.record_batch

    def record_then_crash(self: State, *args: Any, **kwargs: Any) -> Any:
        record_batch(self, *args, **kwargs)
        raise RuntimeError("power cut")

    monkeypatch.setattr(State, "record_batch", record_then_crash)
    with pytest.raises(RuntimeError, match="power cut"):
        batch_run(tmp_path)
    monkeypatch.setattr(State, "record_batch", record_batch)
    assert recorded(tmp_path) == [("batch_1", "validating", "")] and run_statuses(tmp_path) == ["failed"]
    assert_every_story_summarized(batch_run(tmp_path))
    assert use_server.batch_creates == 1 and use_server.chat_calls == 1


def test_a_resumed_run_asks_what_is_new_since_directly_so_it_ends_with_a_digest(
    use_server: ScriptedOpenAI, tmp_path: Path
) -> None:
    corpus = (CORPUS / "articles.jsonl").read_text(encoding="utf-8")
    feed = tmp_path / "feed" / "articles.jsonl"
    feed.parent.mkdir()
    feed.write_text("".join(line for line in corpus.splitlines(True) if '"rover-ja"' not in line), encoding="utf-8")
    use_server.script_batch(BatchScript(polls=1))
    with pytest.raises(BatchPending):
        daily_run([str(feed)], config_for(tmp_path, batch_max_wait_seconds=0), date=DATE)
    feed.write_text(corpus, encoding="utf-8")  # the rover story arrived meanwhile
    outcome = daily_run([str(feed)], config_for(tmp_path, batch_max_wait_seconds=0), date=DATE)
    assert_every_story_summarized(outcome)
    assert use_server.batch_creates == 1 and len(use_server.batch_inputs["batch_1"]) == 2
    assert use_server.chat_calls == 2  # the rover story and the overview


def test_a_batch_whose_record_was_lost_is_found_on_the_endpoint_not_submitted_again(
    use_server: ScriptedOpenAI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    record_batch = State.record_batch

    def disk_full(self: State, *args: Any, **kwargs: Any) -> Any:
        raise BriefingError(f"the disk holding {self.path} is full")

    monkeypatch.setattr(State, "record_batch", disk_full)
    with pytest.raises(BriefingError, match="disk"):
        batch_run(tmp_path)
    monkeypatch.setattr(State, "record_batch", record_batch)
    assert recorded(tmp_path) == [] and use_server.batch_creates == 1
    stream = io.StringIO()
    assert_every_story_summarized(batch_run(tmp_path, Console(stream=stream)))
    assert "batch batch_1 already holds these requests" in stream.getvalue()
    assert use_server.batch_creates == 1 and use_server.chat_calls == 1
    assert recorded(tmp_path) == [("batch_1", "completed", "collected")]


def test_with_a_cost_cap_only_what_fits_it_is_batched(
    use_server: ScriptedOpenAI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(CostCapped, "estimate", lambda self, request: 1.0)  # USD, whatever the request
    prices = {"price_prompt_per_mtok": 0.01, "price_completion_per_mtok": 0.01}
    outcome = batch_run(tmp_path, max_cost_usd=2.5, batch_price_share=1.0, **prices)
    assert len(use_server.batch_inputs["batch_1"]) == 2  # a batch is paid when submitted: $2 of $2.50
    [said] = batch_notes(outcome)
    assert "1 of 3 request(s) were not batched" in said and "llm.max_cost_usd=$2.5" in said
    # The third story and the overview are asked directly, the cap deciding call by call (the
    # batch's real cost, at these prices, left room for both).
    assert use_server.chat_calls == 2
    assert_every_story_summarized(outcome)


def test_batch_answers_count_at_the_batch_share_of_the_price(
    use_server: ScriptedOpenAI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    prices = {"price_prompt_per_mtok": 1000.0, "price_completion_per_mtok": 1000.0}
    cost: dict[float, float | None] = {}
    for share in (0.0, 0.5, 1.0):
        monkeypatch.setenv("BRIEFING_CACHE_DIR", str(tmp_path / f"cache-{share}"))  # nothing answered from cache
        cost[share] = batch_run(tmp_path / str(share), batch_price_share=share, **prices).digest.report.cost_usd
    assert cost[0.0] is not None and cost[0.5] is not None and cost[1.0] is not None
    assert 0 < cost[0.0] < cost[0.5] < cost[1.0]  # share 0: only the overview, asked directly, is paid
    assert cost[0.5] == pytest.approx((cost[0.0] + cost[1.0]) / 2, abs=1e-6)
    # With a cap, the batch is sized by the share: at half price all three stories fit $2.50.
    monkeypatch.setattr(CostCapped, "estimate", lambda self, request: 1.0)  # USD, whatever the request
    monkeypatch.setenv("BRIEFING_CACHE_DIR", str(tmp_path / "cache-capped"))
    calls = use_server.chat_calls
    outcome = batch_run(tmp_path / "capped", max_cost_usd=2.5, **prices)
    assert batch_notes(outcome) == [] and use_server.chat_calls == calls + 1  # only the overview asked directly
    assert_every_story_summarized(outcome)


# What a batch did not answer is asked directly.


@pytest.mark.parametrize(
    ("script", "direct", "note"),
    [
        (BatchScript(polls=1, end="expired", answered=1), "all but one", "expired"),
        (BatchScript(end="cancelled", answered=2), "all but two", "cancelled"),
        (BatchScript(end="failed"), "all", "scripted failure"),
        (BatchScript(failed_lines=(0,)), "one", "HTTP 500"),
    ],
    ids=["expired", "cancelled", "failed", "partial-failure"],
)
def test_what_a_batch_left_unanswered_is_asked_directly(
    use_server: ScriptedOpenAI, tmp_path: Path, script: BatchScript, direct: str, note: str
) -> None:
    use_server.script_batch(script)
    outcome = batch_run(tmp_path)
    assert_every_story_summarized(outcome)
    stories = len(outcome.digest.stories)
    expected = {"all": stories, "all but one": stories - 1, "all but two": stories - 2, "one": 1}[direct]
    assert use_server.batch_creates == 1 and use_server.chat_calls == expected + 1  # + the overview
    [said] = batch_notes(outcome)
    assert note in said and f"{expected} of {stories} request(s) unanswered" in said and "asked directly" in said


def test_a_batch_the_endpoint_no_longer_knows_is_asked_directly(use_server: ScriptedOpenAI, tmp_path: Path) -> None:
    use_server.script_batch(BatchScript(polls=5))
    with pytest.raises(BatchPending, match="not finished"):
        batch_run(tmp_path, batch_max_wait_seconds=0)
    use_server.batches.clear()  # deleted, or another account's endpoint: retrieving it is HTTP 404
    outcome = batch_run(tmp_path)
    assert_every_story_summarized(outcome)
    assert use_server.batch_creates == 1 and use_server.chat_calls == len(outcome.digest.stories) + 1
    assert "does not know the batch" in batch_notes(outcome)[0]
    assert recorded(tmp_path)[0][1] == "unknown"


def test_a_batch_cancelled_on_the_endpoint_gives_what_it_answered_and_the_rest_is_asked_directly(
    use_server: ScriptedOpenAI, tmp_path: Path
) -> None:
    use_server.script_batch(BatchScript(polls=5, answered=1))
    with pytest.raises(BatchPending):
        batch_run(tmp_path, batch_max_wait_seconds=0)
    # Someone gives up on it (the endpoint's dashboard, or the API), then the next run comes.
    openai.OpenAI(base_url=use_server.base_url, api_key="sk-test").batches.cancel("batch_1")
    outcome = batch_run(tmp_path)
    assert_every_story_summarized(outcome)
    stories = len(outcome.digest.stories)
    assert use_server.batch_creates == 1 and use_server.chat_calls == stories - 1 + 1
    assert "batch batch_1 cancelled" in batch_notes(outcome)[0]


def test_an_endpoint_without_batches_is_asked_directly(use_server: ScriptedOpenAI, tmp_path: Path) -> None:
    use_server.offers_batches = False
    outcome = batch_run(tmp_path)
    assert_every_story_summarized(outcome)
    assert use_server.chat_calls == len(outcome.digest.stories) + 1
    [said] = batch_notes(outcome)
    assert "could not be submitted" in said and "HTTP 404" in said and "/v1/batches" in said


# Answers that fail validation, and the response cache.


def test_an_invalid_answer_is_reasked_directly_and_a_rerun_pays_nothing(
    use_server: ScriptedOpenAI, tmp_path: Path
) -> None:
    use_server.script_batch(BatchScript(contents={0: BAD_ANSWER}))
    assert_every_story_summarized(batch_run(tmp_path))
    assert use_server.batch_creates == 1 and use_server.chat_calls == 2  # the re-ask, the overview
    reask = use_server.requests[0]["messages"]
    assert reask[-2] == {"role": "assistant", "content": BAD_ANSWER} and "not JSON" in reask[-1]["content"]
    # The refused answer is not cached, so the re-run collects it from the same batch again (for
    # free): its re-ask is then the same request, which the cache answers.
    again = batch_run(tmp_path)
    assert use_server.batch_creates == 1 and use_server.chat_calls == 2
    assert (again.digest.report.llm_calls, again.digest.report.cache_hits) == (0, len(again.digest.stories) + 2)


def test_a_rerun_is_answered_by_the_response_cache_without_batches_or_calls(
    use_server: ScriptedOpenAI, tmp_path: Path
) -> None:
    first = batch_run(tmp_path)
    seen = list(use_server.batch_log)
    again = batch_run(tmp_path)
    assert use_server.batch_log == seen and use_server.chat_calls == 1
    assert (again.digest.report.llm_calls, again.digest.report.cache_hits) == (0, len(first.digest.stories) + 1)
    assert [i.summary for i in again.digest.stories] == [i.summary for i in first.digest.stories]


def test_invalid_answers_can_be_reasked_in_a_follow_up_batch(use_server: ScriptedOpenAI, tmp_path: Path) -> None:
    use_server.script_batch(BatchScript(contents={0: BAD_ANSWER, 2: "{not json"}), BatchScript(polls=1))
    outcome = batch_run(tmp_path, batch_reasks="batch")
    assert_every_story_summarized(outcome)
    assert use_server.batch_creates == 2 and use_server.chat_calls == 1  # only the overview is direct
    follow_up = use_server.batch_inputs["batch_2"]
    assert sorted(line["body"]["messages"][-2]["content"] for line in follow_up) == sorted([BAD_ANSWER, "{not json"])
    assert outcome.digest.report.reasks == 2


# Settings and the command line.


def test_batch_mode_is_refused_before_any_work_where_it_cannot_batch(
    use_server: ScriptedOpenAI, tmp_path: Path
) -> None:
    config = load_config(None, {"digest": {"out_dir": tmp_path}, "llm": BATCH, "summary": {"mode": "extractive"}})
    with pytest.raises(ConfigError, match=r"summary\.mode 'extractive'"):
        daily_run([str(CORPUS)], config, date=DATE)
    assert not Paths.of(config).state.exists() and use_server.batch_log == []


def test_run_help_documents_batch_mode_and_its_exit_code(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "--batch, --no-batch" in text and "--no-wait" in text
    assert "7 batch mode: the batch job is not finished" in text and "collects it without resubmitting" in text


# The batch files, as data.


def test_request_lines_name_their_request_and_results_are_read_by_custom_id() -> None:
    line = json.loads(request_line("k1", {"model": "m", "messages": []}))
    assert line == {
        "custom_id": "k1",
        "method": "POST",
        "url": "/v1/chat/completions",
        "body": {"model": "m", "messages": []},
    }
    completion = {"choices": [{"message": {"content": "hi"}}], "usage": {"prompt_tokens": 3, "completion_tokens": 1}}
    results = [
        {"custom_id": "k1", "response": {"status_code": 200, "body": completion}, "error": None},
        {"custom_id": "k2", "response": {"status_code": 429, "body": {"error": {"message": "slow down"}}}},
        {"custom_id": "k3", "response": None, "error": {"code": "batch_expired", "message": "not run"}},
        {"custom_id": "k4", "response": {"status_code": 200, "body": "<html>"}},
        {"no": "custom_id"},
    ]
    text = "\n".join([*map(json.dumps, results), "not json", ""])
    answers, errors = read_results(text)
    assert answers == {"k1": Answer("hi", Usage(3, 1))}
    assert errors["k2"] == "HTTP 429: slow down" and errors["k3"] == "not run"
    assert "not a chat completion" in errors["k4"] and set(errors) == {"k2", "k3", "k4"}
