"""LLM calls against a real local HTTP server speaking the OpenAI API, scripted per test.

Called directly, without a whole run: the backend retries transient failures and counts them,
honours Retry-After and steps down from JSON schema mode; the asking helpers re-ask an answer
that fails validation with the problem stated, and the response cache never hands a refused
answer back; the summarizer turns what cannot be fixed into an unavailable story with the reason.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from briefing.asking import CallStats, ask, ask_validated
from briefing.budget import TiktokenCounter
from briefing.config import Config, LLMConfig
from briefing.errors import LLMError, LLMOutputInvalid
from briefing.llm.base import ChatRequest, ChatResult
from briefing.llm.cache import CachedBackend
from briefing.llm.openai_backend import OpenAIBackend
from briefing.models import Article, Story, Usage
from briefing.prompts import Prompts
from briefing.store import Store
from briefing.summarize import ask_checked, build_story_request, parse_story_answer
from briefing.summarizers import make_summarizer
from tests.support.data import CORPUS
from tests.support.openai_server import Reply, ScriptedOpenAI

REQUEST = ChatRequest(messages=(("user", "Say something."),), temperature=0.2, max_tokens=200)
# An answer citing A9, which no story prompt offers.
UNKNOWN_CITATION = json.dumps({"headline": "Strike", "sentences": [{"text": "Ports closed.", "citations": ["A9"]}]})


def llm_settings(server: ScriptedOpenAI, **settings: Any) -> dict[str, Any]:
    """The scripted endpoint, with the short timeouts the fault tests use."""
    scripted = {"base_url": server.base_url, "model": "scripted-model", "timeout_seconds": 2, "max_retry_seconds": 20}
    return scripted | settings


def backend_for(server: ScriptedOpenAI, **settings: Any) -> OpenAIBackend:
    return OpenAIBackend(LLMConfig.model_validate(llm_settings(server, **settings)))


@pytest.fixture
def server(llm_server: ScriptedOpenAI, fast_retries: None) -> ScriptedOpenAI:
    """The scripted endpoint, with retries that back off for milliseconds."""
    return llm_server


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A fresh response cache."""
    with closing(Store(tmp_path / "responses.sqlite")) as opened:
        yield opened


def strike_story() -> Story:
    """The test corpus's Rotterdam strike, as reported in English and in Dutch."""
    lines = (CORPUS / "articles.jsonl").read_text(encoding="utf-8").splitlines()
    records = {r["id"]: r for r in map(json.loads, lines[:2])}
    fields = ("id", "title", "text", "url", "source", "language")
    articles = [Article(**{k: records[i][k] for k in fields}) for i in ("strike-en", "strike-nl")]
    return Story(id="strike", articles=articles)


def story_request(story: Story) -> tuple[ChatRequest, dict[str, str]]:
    """The story's chat request as the abstractive summarizer builds it, and its references."""
    return build_story_request(
        story, Prompts(), TiktokenCounter(), context_window=8192, max_output_tokens=800, temperature=0.2, max_articles=8
    )


# The backend: transient failures are retried and counted.


def test_429_with_retry_after_is_honoured(server: ScriptedOpenAI) -> None:
    server.script(Reply(status=429, headers={"retry-after": "1"}), Reply(status=429, headers={"retry-after-ms": "200"}))
    started = time.monotonic()
    result = backend_for(server).complete(REQUEST)
    # The back-off alone would have waited milliseconds: the waits are the server's.
    assert time.monotonic() - started >= 1.2
    assert result.retries == 2 and server.chat_calls == 3
    assert json.loads(result.text)["sentences"]


def test_server_errors_are_retried(server: ScriptedOpenAI) -> None:
    server.script(Reply(status=500), Reply(status=503), Reply(status=502))
    result = backend_for(server).complete(REQUEST)
    assert result.retries == 3 and server.chat_calls == 4
    assert json.loads(result.text)["sentences"]


def test_dropped_connection_is_retried(server: ScriptedOpenAI) -> None:
    server.script(Reply(drop=True), Reply(drop=True))
    result = backend_for(server).complete(REQUEST)
    assert result.retries == 2 and json.loads(result.text)["sentences"]


def test_timeout_is_retried(server: ScriptedOpenAI) -> None:
    server.script(Reply(delay=1.5))
    result = backend_for(server, timeout_seconds=0.5).complete(REQUEST)
    assert result.retries >= 1 and json.loads(result.text)["sentences"]


def test_an_endpoint_that_keeps_failing_fails_after_the_last_attempt(server: ScriptedOpenAI) -> None:
    server.script(*[Reply(status=500) for _ in range(5)])
    with pytest.raises(LLMError, match="HTTP 500"):
        backend_for(server, max_attempts=2).complete(REQUEST)
    assert server.chat_calls == 2


def test_endpoint_without_json_schema_support_gets_json_object_mode(server: ScriptedOpenAI) -> None:
    # llama.cpp's server answers an unsupported response_format with HTTP 500 and a validation message.
    refusal = json.dumps({"error": {"message": "body.response_format.type: Input should be 'text' or 'json_object'"}})
    server.script(Reply(status=500, body=refusal))
    backend = backend_for(server)
    request, _ = story_request(strike_story())
    for _ in range(2):  # the step down is remembered for the next call
        assert json.loads(backend.complete(request).text)["sentences"]
    assert server.requests[0]["response_format"]["type"] == "json_schema"
    assert [r["response_format"]["type"] for r in server.requests[1:]] == ["json_object", "json_object"]


# Asking: answers that fail validation are re-asked with the problem stated.


def test_invalid_json_is_reasked_then_reported(server: ScriptedOpenAI, store: Store) -> None:
    server.script(Reply(content="Sure! Here is your summary: it was a strike."), Reply(content="{not json"))
    request, refs = story_request(strike_story())
    stats = CallStats()
    with pytest.raises(LLMOutputInvalid, match="JSON"):
        ask_validated(CachedBackend(backend_for(server), store), request, refs, parse_story_answer, Prompts(), 1, stats)
    assert stats.reasks == 1 and stats.calls == 2
    reask = server.requests[1]["messages"]
    assert reask[-2] == {"role": "assistant", "content": "Sure! Here is your summary: it was a strike."}
    assert "not JSON" in reask[-1]["content"]


def test_unknown_citation_triggers_a_reask_that_fixes_it(server: ScriptedOpenAI, store: Store) -> None:
    server.script(Reply(content=UNKNOWN_CITATION))
    story = strike_story()
    request, refs = story_request(story)
    stats = CallStats()
    summary, notes = ask_checked(CachedBackend(backend_for(server), store), request, refs, story, Prompts(), 2, stats)
    assert stats.reasks == 1 and notes == []
    assert {c for s in summary.sentences for c in s.citations} <= {"strike-en", "strike-nl"}
    reask = server.requests[1]["messages"][-1]["content"]
    assert "A9" in reask and "A1, A2" in reask  # what was wrong, and what may be cited


def test_repeated_bad_answers_are_not_replayed_from_the_cache(server: ScriptedOpenAI, store: Store) -> None:
    server.script(*[Reply(content=UNKNOWN_CITATION) for _ in range(3)])
    request, refs = story_request(strike_story())
    stats = CallStats()
    backend = CachedBackend(backend_for(server), store)
    with pytest.raises(LLMOutputInvalid, match="A9"):
        ask_validated(backend, request, refs, parse_story_answer, Prompts(), 2, stats)
    # Each re-ask differs (attempt, temperature): the cache cannot answer it with the refused answer.
    assert (stats.cache_hits, stats.reasks, server.chat_calls) == (0, 2, 3)
    temperatures = [r["temperature"] for r in server.requests]
    assert temperatures == sorted(set(temperatures))


def test_only_answers_that_pass_validation_are_cached(server: ScriptedOpenAI, store: Store) -> None:
    server.script(Reply(content=UNKNOWN_CITATION))
    request, refs = story_request(strike_story())
    backend = CachedBackend(backend_for(server), store)
    with pytest.raises(LLMOutputInvalid):
        ask_validated(backend, request, refs, parse_story_answer, Prompts(), 0, CallStats())
    assert store.cache_size() == 0  # the refused answer is not kept...
    stats = CallStats()
    ask_validated(backend, request, refs, parse_story_answer, Prompts(), 0, stats)
    assert (stats.calls, store.cache_size()) == (1, 1)  # ...so the same request is asked again


class InProcess:
    """An in-process model decoding with a fixed seed: the same request always gets the same answer."""

    name = model = "in-process"
    max_concurrency = 1
    token_counter = TiktokenCounter()

    def __init__(self, answer: str, local: bool = True) -> None:
        self.answer = answer
        self.local = local
        self.calls = 0

    def complete(self, request: ChatRequest) -> ChatResult:
        self.calls += 1
        return ChatResult(text=self.answer, usage=Usage(10, 5))


def refuse(text: str) -> str:
    raise LLMOutputInvalid(f"refused: {text}")


def test_a_refused_answer_of_the_in_process_model_is_replayed_not_computed_again(store: Store) -> None:
    model = InProcess("a headline that claims too much")
    backend = CachedBackend(model, store)
    for temperature in (0.0, 0.3):  # a fixed seed: sampled answers repeat too
        request = ChatRequest(messages=(("user", "Write a headline."),), temperature=temperature, max_tokens=20)
        calls = model.calls
        for run in range(2):  # a run, and its identical re-run
            stats = CallStats()
            with pytest.raises(LLMOutputInvalid, match="claims too much"):  # validated again: still refused
                ask(backend, request, stats, refuse)
            assert (model.calls - calls, stats.calls, stats.cache_hits) == (1, 1 - run, run)
    endpoint = InProcess("a headline that claims too much", local=False)
    for _ in range(2):  # an endpoint may answer better next time: never replayed
        with pytest.raises(LLMOutputInvalid):
            ask(CachedBackend(endpoint, store), REQUEST, CallStats(), refuse)
    assert endpoint.calls == 2


def test_answers_are_kept_in_memory_when_the_cache_file_fails_mid_run(server: ScriptedOpenAI, tmp_path: Path) -> None:
    problems: list[str] = []
    store = Store(tmp_path / "responses.sqlite")
    backend = CachedBackend(backend_for(server), store, on_problem=problems.append)
    request, refs = story_request(strike_story())
    store.close()  # the file fails under the run (a full disk, a broken page): writes raise
    first = CallStats()
    ask_validated(backend, request, refs, parse_story_answer, Prompts(), 0, first)
    again = CallStats()
    ask_validated(backend, request, refs, parse_story_answer, Prompts(), 0, again)
    assert (first.calls, again.calls, again.cache_hits) == (1, 0, 1)  # paid once, answered from memory
    assert len(problems) == 1 and "kept in memory" in problems[0]


def test_a_reply_that_is_not_a_chat_completion_is_retried_then_reported(server: ScriptedOpenAI) -> None:
    server.script(Reply(body="<html>502 Bad Gateway</html>"), Reply(body='{"object": "error"}'))
    result = backend_for(server).complete(REQUEST)  # the third reply is a real answer
    assert result.retries == 2 and result.text
    server.always = Reply(body="<html>502 Bad Gateway</html>")
    with pytest.raises(LLMError, match="could not be read") as failed:
        backend_for(server, max_attempts=2).complete(REQUEST)
    assert failed.value.attempts == 2


def test_the_timeout_bounds_the_whole_request(server: ScriptedOpenAI) -> None:
    server.always = Reply(trickle=0.2)  # 8 bytes every 0.2 s: every read is quick, the answer is not
    started = time.monotonic()
    with pytest.raises(LLMError, match="timeout_seconds=1"):
        backend_for(server, timeout_seconds=1, max_attempts=2, max_retry_seconds=10).complete(REQUEST)
    assert time.monotonic() - started < 4


def test_a_retry_after_beyond_the_budget_ends_the_retries_at_once(server: ScriptedOpenAI) -> None:
    server.always = Reply(status=429, headers={"Retry-After": "600"})
    started = time.monotonic()
    with pytest.raises(LLMError, match="HTTP 429") as failed:
        backend_for(server, max_retry_seconds=5).complete(REQUEST)
    assert time.monotonic() - started < 2 and failed.value.attempts == 1


# The summarizer: what cannot be fixed is an unavailable story, with the reason.


def summarize_strike(server: ScriptedOpenAI, store: Store, **llm: Any) -> tuple[Any, CallStats]:
    config = Config.model_validate({"llm": llm_settings(server, **llm), "summary": {"mode": "abstractive"}})
    summarizer = make_summarizer(CachedBackend(OpenAIBackend(config.llm), store), config, Prompts())
    return summarizer.story(strike_story(), 1)


def test_a_story_whose_answers_stay_invalid_is_unavailable_with_the_reason(
    server: ScriptedOpenAI, store: Store
) -> None:
    server.script(Reply(content="Sure! Here is your summary: it was a strike."), Reply(content="{not json"))
    item, stats = summarize_strike(server, store, max_reasks=1)
    assert item.status == "unavailable" and item.summary is None
    assert item.error is not None and "failed validation" in item.error and "JSON" in item.error
    assert stats.reasks == 1


def test_a_story_whose_endpoint_keeps_failing_is_unavailable_with_the_reason(
    server: ScriptedOpenAI, store: Store
) -> None:
    server.script(*[Reply(status=500) for _ in range(5)])
    item, _ = summarize_strike(server, store, max_attempts=2)
    assert item.status == "unavailable" and item.error is not None and "HTTP 500" in item.error
    assert item.story.articles  # the sources are still listed


def test_a_story_with_valid_answers_is_summarized_and_tallied(server: ScriptedOpenAI, store: Store) -> None:
    server.script(Reply(status=503))
    item, stats = summarize_strike(server, store)
    assert item.status == "ok" and item.summary is not None and item.summary.sentences
    assert (stats.calls, stats.retries, stats.reasks, stats.cache_hits) == (1, 1, 0, 0)
    assert stats.usage.prompt_tokens > 0
    again, cached = summarize_strike(server, store)  # the same prompt again: answered by the cache
    assert again.summary == item.summary and (cached.calls, cached.cache_hits) == (0, 1)
