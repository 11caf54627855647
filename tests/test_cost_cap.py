"""llm.max_cost_usd: no run spends more than its owner allowed, and the report says what was left out."""

from __future__ import annotations

from pathlib import Path

import pytest

from briefing.budget import TiktokenCounter
from briefing.config import LLMConfig
from briefing.errors import ConfigError
from briefing.llm.base import ChatRequest, ChatResult
from briefing.llm.cost import CostCapped, CostCapReached, cost_of, prices
from briefing.llm.openai_backend import OpenAIBackend
from briefing.models import Usage
from tests.support.data import CORPUS
from tests.support.openai_server import ScriptedOpenAI
from tests.support.runs import run_day

REQUEST = ChatRequest(messages=(("user", "Say something short."),), temperature=0.2, max_tokens=500)


def capped(server: ScriptedOpenAI, cap: float) -> CostCapped:
    config = LLMConfig(base_url=server.base_url, model="m", price_prompt_per_mtok=100, price_completion_per_mtok=100)
    return CostCapped(OpenAIBackend(config), cap, (100.0, 100.0))


def test_a_call_is_refused_before_it_is_sent_when_its_estimate_passes_what_is_left(
    llm_server: ScriptedOpenAI,
) -> None:
    backend = capped(llm_server, cap=0.1)
    estimate = backend.estimate(REQUEST)
    assert estimate == pytest.approx(
        cost_of(Usage(backend.token_counter.count("Say something short.") + 4, 500), (100, 100))
    )
    backend.complete(REQUEST)  # 0.05 estimated, a few tokens really spent
    assert 0 < backend.spent < estimate and backend.held == 0
    backend.complete(REQUEST)
    backend.cap_usd = backend.spent + estimate / 2  # less left than the next call could cost
    with pytest.raises(CostCapReached, match=r"cost cap reached.*llm.max_cost_usd"):
        backend.complete(REQUEST)
    assert llm_server.chat_calls == 2 and backend.refused == 1  # the refused call was never sent


def test_prices_come_from_the_config_the_known_table_or_nowhere() -> None:
    assert prices(LLMConfig(model="gpt-4o-mini"), local=False) == (0.15, 0.60)
    assert prices(LLMConfig(model="gpt-4o-mini", base_url="http://fleet:8000/v1"), local=False) is None
    assert prices(LLMConfig(model="x", price_prompt_per_mtok=1, price_completion_per_mtok=2), local=False) == (1, 2)
    assert prices(LLMConfig(model="x"), local=True) == (0.0, 0.0)


def test_a_run_stops_spending_at_the_cap_and_reports_what_was_left_out(
    use_server: ScriptedOpenAI, isolated_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BRIEFING_LLM_CONCURRENCY", "1")  # one call at a time: the refusals are deterministic
    llm = {"max_cost_usd": 0.25, "price_prompt_per_mtok": 100.0, "price_completion_per_mtok": 100.0}
    outcome = run_day([CORPUS], isolated_env / "out", llm=llm, summary={"mode": "abstractive"})
    report = outcome.digest.report
    refused = [f for f in report.failures if "cost cap reached" in f.error]
    assert refused and outcome.status == "partial"
    assert any(s.status == "ok" for s in outcome.digest.stories)  # what the cap allowed was made
    for story in outcome.digest.stories:  # what it did not is listed with its sources
        assert story.status == "ok" or "cost cap reached" in (story.error or "") or story.error
        assert story.story.articles
    assert report.cost_usd is not None and report.cost_usd <= 0.25
    assert any(n.stage == "cost" and "not sent" in n.note for n in report.warnings)
    assert use_server.chat_calls == report.llm_calls  # refused calls were never sent


def test_a_cap_without_known_prices_stops_before_any_work(use_server: ScriptedOpenAI, isolated_env: Path) -> None:
    with pytest.raises(ConfigError, match="price_prompt_per_mtok"):
        run_day([CORPUS], isolated_env / "out", llm={"max_cost_usd": 1.0})
    assert use_server.chat_calls == 0 and not (isolated_env / "out").exists()


class Bought:
    """A backend that answers like a batch that has bought the answers (half price), or directly."""

    name, model, local, max_concurrency = "bought", "m", False, 1

    def __init__(self) -> None:
        self.token_counter = TiktokenCounter()
        self.share = 0.5

    def complete(self, request: ChatRequest) -> ChatResult:
        return ChatResult(text="ok", usage=Usage(10_000, 2_000), price_share=self.share)


def test_an_answer_a_batch_already_bought_is_passed_once_without_a_check() -> None:
    inner = Bought()
    backend = CostCapped(inner, 1.0, (100.0, 100.0))
    other = ChatRequest(messages=(("user", "Something else."),), temperature=0.2, max_tokens=500)
    backend.prepaid(REQUEST.cache_key("m"), Usage(10_000, 2_000), share=0.5)  # $1.20 at full price
    assert backend.spent == pytest.approx(0.6)
    backend.cap_usd = 0.6  # nothing left
    backend.complete(REQUEST)  # bought already: passed on, not charged again
    assert backend.spent == pytest.approx(0.6)
    with pytest.raises(CostCapReached):
        backend.complete(REQUEST)  # the batch bought one answer: asking again is a new call
    with pytest.raises(CostCapReached):
        backend.complete(other)
    # Had the answer gone direct after all (another thread took the batch's), it is charged in full.
    backend.prepaid(other.cache_key("m"), Usage(), share=0.5)
    inner.share = 1.0
    backend.complete(other)
    assert backend.spent == pytest.approx(1.8)
