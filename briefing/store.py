"""The state owner: one SQLite file holding the LLM response cache. Only this module writes it."""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from pathlib import Path

from briefing.errors import ConfigError
from briefing.models import Usage

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS llm_cache (
    key TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    response TEXT NOT NULL,
    prompt_tokens INTEGER NOT NULL,
    completion_tokens INTEGER NOT NULL,
    created REAL NOT NULL
);
"""


class Store:
    """A thread-safe handle on the state file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, check_same_thread=False, timeout=30)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.executescript(SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise ConfigError(
                f"cannot open the state file {path}: {exc}; "
                "set paths.cache_dir or BRIEFING_CACHE_DIR to a writable folder"
            ) from None
        self._lock = threading.Lock()

    def cached_response(self, key: str) -> tuple[str, Usage] | None:
        """A stored answer for this cache key, with the usage it originally cost."""
        with self._lock:
            row = self._db.execute(
                "SELECT response, prompt_tokens, completion_tokens FROM llm_cache WHERE key = ?",
                (key,),
            ).fetchone()
        if row is None:
            return None
        return str(row[0]), Usage(int(row[1]), int(row[2]))

    def save_response(self, key: str, model: str, response: str, usage: Usage) -> None:
        """Keep an answer at once, so a crash later in the run does not lose what was paid for."""
        with self._lock, self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO llm_cache VALUES (?, ?, ?, ?, ?, ?)",
                (key, model, response, usage.prompt_tokens, usage.completion_tokens, time.time()),
            )

    def cache_size(self) -> int:
        """Number of cached answers."""
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM llm_cache").fetchone()[0])

    def close(self) -> None:
        """Close the file."""
        with self._lock:
            self._db.close()

    @staticmethod
    def dumps(value: object) -> str:
        """JSON for storage."""
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
