"""A response cache in front of any backend: a re-run with the same prompts pays nothing."""

from __future__ import annotations

import logging

from briefing.llm.base import ChatBackend, ChatRequest, ChatResult
from briefing.store import Store

log = logging.getLogger(__name__)


class CachedBackend:
    """Answers from the store when it can; otherwise asks the backend and stores the answer."""

    def __init__(self, backend: ChatBackend, store: Store) -> None:
        self.backend = backend
        self.store = store
        self.name = backend.name
        self.model = backend.model
        self.local = backend.local
        self.max_concurrency = backend.max_concurrency
        self.token_counter = backend.token_counter

    def complete(self, request: ChatRequest) -> ChatResult:
        """Cached answer, or a fresh one saved immediately."""
        key = request.cache_key(self.model)
        hit = self.store.cached_response(key)
        if hit is not None:
            log.debug("cache hit %s", key[:12])
            text, usage = hit
            return ChatResult(text=text, usage=usage, cached=True)
        result = self.backend.complete(request)
        self.store.save_response(key, self.model, result.text, result.usage)
        return result
