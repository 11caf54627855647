"""What every source reader gets: limits, fetch settings, and the run's one fetcher."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

from briefing.config import FetchConfig, InputConfig
from briefing.fetch import Fetcher
from briefing.store import HttpCache


@dataclass
class ReadContext:
    """Shared by the readers of one run; the fetcher (and its cache) is made on first use."""

    limits: InputConfig
    fetch: FetchConfig = field(default_factory=FetchConfig)
    cache_path: Path | None = None
    _fetcher: Fetcher | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def fetcher(self) -> Fetcher:
        """The run's fetcher, with the HTTP cache when a cache path is set."""
        with self._lock:
            if self._fetcher is None:
                cache = HttpCache(self.cache_path) if self.cache_path else None
                self._fetcher = Fetcher(self.fetch, cache)
            return self._fetcher

    def close(self) -> None:
        """Close the HTTP cache, if one was opened."""
        if self._fetcher is not None and self._fetcher.cache is not None:
            self._fetcher.cache.close()
