"""Asking an LLM: each call tallied, answers validated and re-asked with the problem stated.

Shared by both summary strategies (briefing.summarize for abstractive summaries,
briefing.extractive for picked and translated sentences). Article text reaches a prompt only
through the prompt templates, which escape every value they print (briefing.prompts.escape_data),
and model text reaches the digest only through `clean_model_text`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from briefing.errors import LLMError, LLMOutputInvalid
from briefing.llm.base import ChatBackend, ChatRequest
from briefing.models import CheckTally, Usage
from briefing.prompts import Prompts
from briefing.safety import model_text

log = logging.getLogger(__name__)

REASK_TEMPERATURE_STEP = 0.3
# How a note about a sentence left out begins (the report files such notes under "check").
DROPPED = "sentence dropped"
Parsed = TypeVar("Parsed")


@dataclass
class CallStats:
    """What summarizing cost: calls, cache hits, tokens, retries and re-asks."""

    calls: int = 0
    cache_hits: int = 0
    usage: Usage = field(default_factory=Usage)
    batch_usage: Usage = field(default_factory=Usage)  # the part of `usage` billed at llm.batch_price_share
    retries: int = 0
    reasks: int = 0
    checks: CheckTally = field(default_factory=CheckTally)

    def merge(self, other: CallStats) -> None:
        """Add another tally to this one."""
        self.calls += other.calls
        self.cache_hits += other.cache_hits
        self.usage.add(other.usage)
        self.batch_usage.add(other.batch_usage)
        self.retries += other.retries
        self.reasks += other.reasks
        self.checks.add(other.checks)


def clean_model_text(text: str, limit: int) -> str:
    """Model text made safe for the digest (briefing.safety.model_text), its length capped.

    One visible line: no URL with a scheme (https:, ftp:, javascript:, data:, ...), host names
    broken so no mail client links them ('www[.]evil[.]example'), no invisible or bidi characters.
    """
    return model_text(text)[:limit].strip()


def repair_request(
    request: ChatRequest, answer: str, problem: str, refs: dict[str, str], prompts: Prompts, attempt: int
) -> ChatRequest:
    """The same request, followed by the bad answer and what was wrong with it.

    Each re-ask differs (attempt number, a little more temperature), so a deterministic model
    or the response cache cannot hand back the same refused answer again.
    """
    repair = prompts.render("repair.j2", problem=problem, allowed_ids=list(refs), attempt=attempt + 1)
    return ChatRequest(
        messages=(*request.messages, ("assistant", answer[:4000]), ("user", repair)),
        temperature=min(request.temperature + REASK_TEMPERATURE_STEP * attempt, 1.0),
        max_tokens=request.max_tokens,
        json_schema=request.json_schema,
        schema_name=request.schema_name,
    )


def ask(backend: ChatBackend, request: ChatRequest, stats: CallStats, parse: Callable[[str], Parsed]) -> Parsed:
    """One call whose answer must pass `parse`; only an answer that passes may be cached (or one
    the in-process model would give again word for word: it decodes with a fixed seed).

    A call counts once and its extra attempts as retries, also when the endpoint failed in the end.

    Raises:
        LLMOutputInvalid: from `parse`, when the answer is not usable.
        LLMError: when the endpoint fails.
    """
    return ask_sure(backend, request, stats, parse)[0]


def ask_sure(
    backend: ChatBackend, request: ChatRequest, stats: CallStats, parse: Callable[[str], Parsed]
) -> tuple[Parsed, float | None]:
    """`ask`, also returning how sure the model was of its answer (ChatResult.confidence)."""
    try:
        result = backend.complete(request)
    except LLMError as exc:
        stats.calls += 1 if exc.attempts else 0
        stats.retries += max(exc.attempts - 1, 0)
        raise
    if result.cached:
        stats.cache_hits += 1
    else:
        stats.calls += 1
        stats.usage.add(result.usage)
        if result.price_share != 1.0:
            stats.batch_usage.add(result.usage)
    stats.retries += result.retries
    try:
        value = parse(result.text)
    except LLMOutputInvalid:
        if backend.local:
            # The in-process model decodes with a fixed seed: asked again, it gives the same refused
            # text, so a re-run may replay it (it is validated again) instead of computing it again.
            result.keep()
        raise
    result.keep()
    return value, result.confidence


def ask_validated(
    backend: ChatBackend,
    request: ChatRequest,
    refs: dict[str, str],
    parse: Callable[[str, dict[str, str]], Parsed],
    prompts: Prompts,
    max_reasks: int,
    stats: CallStats,
) -> Parsed:
    """Call, validate, and re-ask with the problem stated, at most `max_reasks` times.

    Raises:
        LLMOutputInvalid: when the last answer still fails validation.
        LLMError: when the endpoint fails.
    """
    current = request
    for attempt in range(max_reasks + 1):
        answer = ""

        def parsed(text: str) -> Parsed:
            nonlocal answer
            answer = text
            return parse(text, refs)

        try:
            return ask(backend, current, stats, parsed)
        except LLMOutputInvalid as exc:
            log.debug("answer rejected (attempt %d): %s", attempt + 1, exc)
            if attempt == max_reasks:
                raise
            stats.reasks += 1
            current = repair_request(request, answer, str(exc), refs, prompts, attempt + 1)
    raise LLMError("unreachable")  # pragma: no cover
