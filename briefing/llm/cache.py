"""A response cache in front of any backend: a re-run with the same prompts pays nothing.

Only answers that passed validation are remembered (see ChatResult.keep), so a broken answer is
never replayed; except the in-process model's, which asking again would only repeat (it decodes
with a fixed seed; a replayed answer is validated again, see briefing.asking.ask). Answers are
kept in memory for the run too: a cache file that fails (damaged, locked, disk full) or could not
be opened costs the speed-up, never an answer already paid for.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable

from briefing.budget import TokenCounter
from briefing.llm.base import ChatBackend, ChatRequest, ChatResult
from briefing.models import Usage
from briefing.store import CACHE_FIX, Store, describe_db_error

log = logging.getLogger(__name__)


class CachedBackend:
    """Answers from memory or the store when it can; otherwise asks the backend."""

    def __init__(
        self, backend: ChatBackend, store: Store | None, on_problem: Callable[[str], None] | None = None
    ) -> None:
        self.backend = backend
        self.store = store
        self.on_problem = on_problem  # told once if the store fails mid-run
        self.name = backend.name
        self.model = backend.model
        self.local: bool = backend.local
        self.max_concurrency: int = backend.max_concurrency
        self.token_counter: TokenCounter = backend.token_counter
        self.memory: dict[str, tuple[str, Usage, float | None]] = {}
        self.problem: str | None = None  # why the store stopped being used, for the report
        self._lock = threading.Lock()

    def complete(self, request: ChatRequest) -> ChatResult:
        """A remembered answer, or a fresh one that is remembered once it is found valid."""
        key = request.cache_key(self.model)
        hit = self.memory.get(key) or self._stored(key)
        if hit is not None:
            log.debug("cache hit %s", key[:12])
            return ChatResult(text=hit[0], usage=hit[1], cached=True, confidence=hit[2])
        result = self.backend.complete(request)

        def keep() -> None:
            self._keep(key, result.text, result.usage, result.confidence)

        result.keep = keep
        return result

    def has(self, request: ChatRequest) -> bool:
        """Whether the cache can answer the request (batch mode sends only what it cannot)."""
        key = request.cache_key(self.model)
        return key in self.memory or self._stored(key) is not None

    def _stored(self, key: str) -> tuple[str, Usage, float | None] | None:
        store = self.store
        if store is None:
            return None
        try:
            return store.cached_response(key)
        except sqlite3.Error as exc:
            self._broken(store, exc)
            return None

    def _keep(self, key: str, text: str, usage: Usage, confidence: float | None) -> None:
        self.memory[key] = (text, usage, confidence)
        store = self.store
        if store is None:
            return
        try:
            store.save_response(key, self.model, text, usage, confidence)
        except sqlite3.Error as exc:
            self._broken(store, exc)

    def _broken(self, store: Store, exc: sqlite3.Error) -> None:
        """Stop using a failing store; the run goes on with answers kept in memory."""
        with self._lock:
            if self.store is None:
                return
            self.store = None
            self.problem = describe_db_error(store.path, exc, CACHE_FIX) + (
                "; answers were kept in memory for this run only"
            )
        log.warning("%s", self.problem)
        if self.on_problem is not None:
            self.on_problem(self.problem)
