"""What LLM calls cost, and a cap on what one run may spend.

Prices are USD per million tokens (prompt, answer): `llm.price_prompt_per_mtok` and
`llm.price_completion_per_mtok` when set, else the table of well-known hosted models below; the
embedded model costs nothing. With `llm.max_cost_usd` set, each call is priced before it is sent
(its prompt tokens counted, the whole answer room assumed) and refused when that would pass what
is left; in-flight calls hold their estimate until their real usage is known. A batch answer is
billed at `llm.batch_price_share` of the price, and once a batch has answered a request, passing
that answer on is never refused (it is paid when the batch is submitted).
"""

from __future__ import annotations

import threading

from briefing.budget import TokenCounter
from briefing.config import LLMConfig
from briefing.errors import ConfigError, LLMError
from briefing.llm.base import ChatBackend, ChatRequest, ChatResult
from briefing.models import Usage

# USD per million tokens (prompt, completion) for well-known hosted models.
KNOWN_PRICES = {
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o": (2.50, 10.00),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1-nano": (0.10, 0.40),
    "gpt-4.1": (2.00, 8.00),
}
# Tokens a chat message adds around its text (role, separators), as OpenAI counts them.
MESSAGE_OVERHEAD_TOKENS = 4


class CostCapReached(LLMError):
    """A call was not sent: it could have cost more than what is left of llm.max_cost_usd."""


def prices(config: LLMConfig, local: bool) -> tuple[float, float] | None:
    """(prompt, completion) USD per million tokens; 0 for the embedded model; None when unknown."""
    if local:
        return 0.0, 0.0
    if config.price_prompt_per_mtok is not None and config.price_completion_per_mtok is not None:
        return config.price_prompt_per_mtok, config.price_completion_per_mtok
    if config.base_url:  # a model name on another endpoint says nothing about its price
        return None
    return KNOWN_PRICES.get(config.model)


def cost_of(usage: Usage, price: tuple[float, float]) -> float:
    """USD for this many tokens."""
    return (usage.prompt_tokens * price[0] + usage.completion_tokens * price[1]) / 1_000_000


def require_prices(config: LLMConfig, local: bool) -> tuple[float, float]:
    """The prices a cost cap needs.

    Raises:
        ConfigError: when llm.max_cost_usd is set and the model's prices are unknown.
    """
    known = prices(config, local)
    if known is None:
        raise ConfigError(
            f"llm.max_cost_usd needs the model's prices, and '{config.model}' at this endpoint has none known: "
            "set llm.price_prompt_per_mtok and llm.price_completion_per_mtok (USD per million tokens)"
        )
    return known


class CostCapped:
    """A backend that refuses calls which could take the run past its spending cap."""

    def __init__(self, backend: ChatBackend, cap_usd: float, price: tuple[float, float]) -> None:
        self.backend = backend
        self.cap_usd = cap_usd
        self.price = price
        self.name = backend.name
        self.model = backend.model
        self.local: bool = backend.local
        self.max_concurrency: int = backend.max_concurrency
        self.token_counter: TokenCounter = backend.token_counter
        self.spent = 0.0  # USD of answered calls, by their reported usage
        self.held = 0.0  # USD estimated for calls in flight
        self.refused = 0
        self._lock = threading.Lock()
        self._paid: set[str] = set()  # cache keys of answers bought outside complete (by a batch)

    def prepaid(self, key: str, usage: Usage, share: float) -> None:
        """An answer a batch bought for the request with cache key `key`: its cost (`share` of the
        price) counts now, and the next call for that request passes it on without a check."""
        with self._lock:
            self.spent += cost_of(usage, self.price) * share
            self._paid.add(key)

    def _bill(self, result: ChatResult) -> float:
        """What an answer costs this run: its share of the price; nothing when an earlier run paid (cached)."""
        return 0.0 if result.cached else cost_of(result.usage, self.price) * result.price_share

    def estimate(self, request: ChatRequest) -> float:
        """The most this call can cost: its prompt counted, the whole answer room used."""
        counter = self.token_counter
        prompt = sum(counter.count(text) + MESSAGE_OVERHEAD_TOKENS for _, text in request.messages)
        return cost_of(Usage(prompt, request.max_tokens), self.price)

    def complete(self, request: ChatRequest) -> ChatResult:
        """The call, if what is left of the cap covers its estimate.

        Raises:
            CostCapReached: without sending anything, when it does not.
        """
        key = request.cache_key(self.model)
        with self._lock:
            paid = key in self._paid
            self._paid.discard(key)  # the batch bought one answer: asking again is a call like any other
        if paid:
            result = self.backend.complete(request)  # refusing a bought answer would save nothing
            if result.price_share == 1.0:  # not the batch's after all: a direct call
                with self._lock:
                    self.spent += self._bill(result)
            return result
        estimate = self.estimate(request)
        with self._lock:
            left = self.cap_usd - self.spent - self.held
            if estimate > left:
                self.refused += 1
                raise CostCapReached(
                    f"cost cap reached: this call could cost ${estimate:.4f} and ${max(left, 0):.4f} is left "
                    f"of llm.max_cost_usd=${self.cap_usd:g}"
                )
            self.held += estimate
        spent = 0.0  # a call that got no answer is not billed by the endpoints we know
        try:
            result = self.backend.complete(request)
            spent = self._bill(result)
            return result
        finally:
            with self._lock:
                self.held -= estimate
                self.spent += spent
