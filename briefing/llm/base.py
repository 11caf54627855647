"""The one seam every LLM backend implements: a chat call returning text and usage."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from briefing.budget import TokenCounter
from briefing.models import Usage

JsonMode = Literal["schema", "object", "none"]


@dataclass(frozen=True)
class ChatRequest:
    """A chat call as plain data: what to send, nothing about how."""

    messages: tuple[tuple[str, str], ...]
    temperature: float
    max_tokens: int
    json_schema: dict[str, Any] | None = None
    schema_name: str = "answer"
    stop: tuple[str, ...] = ()  # generation ends at any of these (translations: a blank line)
    # Measure how sure the model was of its answer (ChatResult.confidence), where the backend can.
    confidence: bool = False

    def as_messages(self) -> list[dict[str, str]]:
        """The messages in the chat completions wire format."""
        return [{"role": role, "content": content} for role, content in self.messages]

    def cache_key(self, model: str) -> str:
        """sha256 over the model, the messages and every parameter that changes the answer."""
        payload = {
            "model": model,
            "messages": self.as_messages(),
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "schema": self.json_schema,
        }
        if self.stop:  # only when set, so answers cached before the field existed keep their keys
            payload["stop"] = list(self.stop)
        if self.confidence:  # a cached answer to such a request carries its confidence (when one was given)
            payload["confidence"] = True
        return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _nothing() -> None:
    """The default `keep`: nothing to remember."""


@dataclass
class ChatResult:
    """What came back: the text, the tokens it cost, and whether the cache answered.

    `price_share` is the share of the direct price the answer is billed at (a batch answer's is
    llm.batch_price_share).

    `confidence` is the geometric mean of the probabilities the model gave the tokens of its
    answer (exp of the mean log-probability), when the request asked for it and the backend can
    tell; None otherwise.

    `keep` is called once the answer has passed validation (briefing.asking.ask): only then may a
    cache remember it, so a broken answer is never replayed to later runs; except an answer of the
    in-process model, which asking again would only repeat (it is validated again when replayed).
    """

    text: str
    usage: Usage = field(default_factory=Usage)
    cached: bool = False
    retries: int = 0
    keep: Callable[[], None] = _nothing
    price_share: float = 1.0
    confidence: float | None = None


class ChatBackend(Protocol):
    """Anything that answers chat requests, and what its callers need to know about it."""

    @property
    def name(self) -> str:
        """Who answers, for messages (never a secret)."""
        ...

    @property
    def model(self) -> str:
        """The model's name: part of every cache key."""
        ...

    @property
    def local(self) -> bool:
        """True for a model in this process: it costs nothing per token."""
        ...

    @property
    def max_concurrency(self) -> int:
        """How many calls may usefully be in flight at once (1 for the in-process model)."""
        ...

    @property
    def token_counter(self) -> TokenCounter:
        """Counts tokens the way this model does, for prompt budgets."""
        ...

    def complete(self, request: ChatRequest) -> ChatResult:
        """Answer one request; raise LLMError when it cannot."""
        ...
