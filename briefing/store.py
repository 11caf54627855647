"""The state owner: the LLM response cache, the embedding cache and the daily-run state (SQLite).

Only this module writes them.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Concatenate, ParamSpec, TypeVar

import numpy as np

from briefing.errors import BriefingError, ConfigError
from briefing.models import Usage

log = logging.getLogger(__name__)
P = ParamSpec("P")
R = TypeVar("R")

SCHEMA = """
CREATE TABLE IF NOT EXISTS llm_cache (
    key TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    response TEXT NOT NULL,
    prompt_tokens INTEGER NOT NULL,
    completion_tokens INTEGER NOT NULL,
    created REAL NOT NULL,
    confidence REAL
);
"""


CACHE_FIX = "it is only a cache: delete or move it and briefing starts a new one"
STATE_FIX = (
    "restore it from a backup, or move it away (briefing then forgets which articles it reported "
    "and which digests it sent); state.path sets where it lives"
)
# How long to wait for a file another program holds locked before saying so.
BUSY_SECONDS = 5.0


def describe_db_error(path: Path, exc: BaseException, fix: str) -> str:
    """What went wrong with a SQLite file, in words, and the fix that fits the failure."""
    text = str(exc)
    lowered = text.lower()
    if "locked" in lowered or "busy" in lowered:
        return f"{path} is locked by another program ({text}): wait for it to finish, or close it"
    if "full" in lowered:
        return f"the disk holding {path} is full ({text}): free some space"
    if "not a database" in lowered or "malformed" in lowered or "damaged" in lowered or "corrupt" in lowered:
        return f"{path} is damaged or is not a file briefing wrote ({text}): {fix}"
    return f"cannot use {path} ({text}): check that its folder exists and is writable, or {fix}"


def open_db(path: Path, schema: str, fix: str) -> sqlite3.Connection:
    """Open (creating) a SQLite file in WAL mode with its schema, its pages checked.

    Raises:
        ConfigError: naming the file, what is wrong with it and the fix.
    """
    db: sqlite3.Connection | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(path, check_same_thread=False, timeout=BUSY_SECONDS)
        db.execute("PRAGMA journal_mode=WAL")
        # WAL with NORMAL sync: a crashed or killed process loses no committed write; only a power
        # cut may lose the last few, and no write waits for the disk.
        db.execute("PRAGMA synchronous=NORMAL")
        verdict = db.execute("PRAGMA quick_check").fetchone()
        if verdict is None or verdict[0] != "ok":
            raise sqlite3.DatabaseError(f"damaged: {verdict[0] if verdict else 'no answer'}")
        db.executescript(schema)
        return db
    except (OSError, sqlite3.Error) as exc:
        if db is not None:
            db.close()
        raise ConfigError(describe_db_error(path, exc, fix)) from None


def add_confidence_column(db: sqlite3.Connection) -> bool:
    """Give llm_cache its `confidence` column if it lacks it; False when the file cannot take it.

    Two runs may find the column missing at once: the second's "duplicate column" means it is there.
    """
    if "confidence" in {row[1] for row in db.execute("PRAGMA table_info(llm_cache)")}:
        return True
    try:
        with db:
            db.execute("ALTER TABLE llm_cache ADD COLUMN confidence REAL")
    except sqlite3.OperationalError as exc:
        if "duplicate column" in str(exc).lower():
            return True
        log.warning("the response cache cannot store confidences (%s); answers read from it carry none", exc)
        return False
    return True


class Store:
    """A thread-safe handle on the LLM response cache."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db = open_db(path, SCHEMA, CACHE_FIX)
        self._lock = threading.Lock()
        # A cache written before answers carried their confidence gains the column; one that cannot
        # (read-only, locked) is used without it: its answers then carry none.
        self._has_confidence = add_confidence_column(self._db)

    def cached_response(self, key: str) -> tuple[str, Usage, float | None] | None:
        """A stored answer for this cache key, with the usage it originally cost and its confidence."""
        confidence = "confidence" if self._has_confidence else "NULL"
        with self._lock:
            row = self._db.execute(
                f"SELECT response, prompt_tokens, completion_tokens, {confidence} FROM llm_cache WHERE key = ?",
                (key,),
            ).fetchone()
        if row is None:
            return None
        return str(row[0]), Usage(int(row[1]), int(row[2])), None if row[3] is None else float(row[3])

    def save_response(self, key: str, model: str, response: str, usage: Usage, confidence: float | None = None) -> None:
        """Keep an answer at once, so a crash later in the run does not lose what was paid for."""
        row = {
            "key": key,
            "model": model,
            "response": response,
            "prompt_tokens": usage.prompt_tokens,
            "completion_tokens": usage.completion_tokens,
            "created": time.time(),
        }
        if self._has_confidence:
            row["confidence"] = confidence
        with self._lock, self._db:
            self._db.execute(
                f"INSERT OR REPLACE INTO llm_cache ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
                list(row.values()),
            )

    def cache_size(self) -> int:
        """Number of cached answers."""
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM llm_cache").fetchone()[0])

    def close(self) -> None:
        """Close the file."""
        with self._lock:
            self._db.close()


EMBEDDING_SCHEMA = """
CREATE TABLE IF NOT EXISTS embeddings (
    key TEXT PRIMARY KEY,
    vector BLOB NOT NULL,
    created REAL NOT NULL
);
"""
# SQLite limits the parameters of one statement; lookups go in chunks of this many keys.
LOOKUP_CHUNK = 500


class EmbeddingCache:
    """Article embeddings by (model, text) hash, as float32 blobs."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db = open_db(path, EMBEDDING_SCHEMA, CACHE_FIX)
        self._lock = threading.Lock()

    def get(self, keys: list[str]) -> dict[str, np.ndarray]:
        """The stored vectors among these keys."""
        found: dict[str, np.ndarray] = {}
        with self._lock:
            for start in range(0, len(keys), LOOKUP_CHUNK):
                chunk = keys[start : start + LOOKUP_CHUNK]
                marks = ",".join("?" * len(chunk))
                rows = self._db.execute(f"SELECT key, vector FROM embeddings WHERE key IN ({marks})", chunk)
                found.update((str(k), np.frombuffer(v, dtype=np.float32)) for k, v in rows)
        return found

    def put(self, vectors: dict[str, np.ndarray]) -> None:
        """Store vectors (one transaction)."""
        now = time.time()
        rows = [(k, np.asarray(v, dtype=np.float32).tobytes(), now) for k, v in vectors.items()]
        with self._lock, self._db:
            self._db.executemany("INSERT OR REPLACE INTO embeddings VALUES (?, ?, ?)", rows)

    def close(self) -> None:
        """Close the file."""
        with self._lock:
            self._db.close()


STATE_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    date TEXT NOT NULL,
    started REAL NOT NULL,
    finished REAL,
    status TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS reported (
    key TEXT PRIMARY KEY,
    article_id TEXT NOT NULL,
    story_id TEXT,
    date TEXT NOT NULL,
    reported_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS sends (
    date TEXT NOT NULL,
    message_id TEXT NOT NULL,
    recipients TEXT NOT NULL,
    sent_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS batches (
    id TEXT PRIMARY KEY,
    date TEXT NOT NULL,
    model TEXT NOT NULL,
    keys TEXT NOT NULL,
    submitted REAL NOT NULL,
    status TEXT NOT NULL,
    collected REAL
);
"""


@dataclass(frozen=True)
class BatchRecord:
    """A batch job submitted for a digest: which requests (by cache key) it holds, its last status,
    and when a run first collected its results (None: not yet)."""

    id: str
    date: str
    model: str
    keys: tuple[str, ...]
    submitted: float
    status: str
    collected: float | None = None


def _state_errors(method: Callable[Concatenate[State, P], R]) -> Callable[Concatenate[State, P], R]:
    """A SQLite failure in a State method becomes a BriefingError naming the file and the fix."""

    def guarded(self: State, /, *args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(self, *args, **kwargs)
        except sqlite3.Error as exc:
            raise BriefingError(describe_db_error(self.path, exc, STATE_FIX)) from None

    guarded.__name__, guarded.__doc__ = method.__name__, method.__doc__
    return guarded


class State:
    """Daily-run state: runs, articles already reported, digests sent, batches submitted; and the run lock.

    Its failures are BriefingErrors naming the file; the file is checked when opened, so a
    damaged state stops a run before any paid work.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db = open_db(path, STATE_SCHEMA, STATE_FIX)

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the run lock; a second run started meanwhile stops with a clear message.

        The lock is an OS file lock: it is released when the process ends, even by a crash.
        """
        lock_path = self.path.with_name(self.path.name + ".lock")
        handle = lock_path.open("a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise BriefingError(
                f"another briefing run is in progress ({holder}); it holds {lock_path}. "
                "Wait for it to finish: two runs must not send the same digest"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()} since {time.strftime('%Y-%m-%d %H:%M:%S')}")
        handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
            handle.close()

    @_state_errors
    def start_run(self, date: str) -> int:
        """Record a run's start; returns its id."""
        with self._db:
            cursor = self._db.execute(
                "INSERT INTO runs (date, started, status) VALUES (?, ?, 'running')", (date, time.time())
            )
        return int(cursor.lastrowid or 0)

    @_state_errors
    def finish_run(self, run_id: int, status: str) -> None:
        """Record how a run ended: ok, partial, empty, failed."""
        with self._db:
            self._db.execute("UPDATE runs SET finished = ?, status = ? WHERE id = ?", (time.time(), status, run_id))

    @_state_errors
    def reported_dates(self, keys: list[str]) -> dict[str, str]:
        """For the keys already reported in an earlier digest, the date of that digest."""
        found: dict[str, str] = {}
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for key, date in self._db.execute(f"SELECT key, date FROM reported WHERE key IN ({marks})", chunk):
                found[str(key)] = str(date)
        return found

    @_state_errors
    def mark_reported(self, items: list[tuple[str, str, str | None]], date: str) -> None:
        """Remember (key, article id, story id) as reported in the digest of `date` (first report wins)."""
        now = time.time()
        with self._db:
            self._db.executemany(
                "INSERT OR IGNORE INTO reported VALUES (?, ?, ?, ?, ?)",
                [(key, article_id, story_id, date, now) for key, article_id, story_id in items],
            )

    @_state_errors
    def sent(self, date: str) -> tuple[str, str, float] | None:
        """(message id, recipients, time) of the last send of this date's digest, if any."""
        row = self._db.execute(
            "SELECT message_id, recipients, sent_at FROM sends WHERE date = ? ORDER BY sent_at DESC LIMIT 1", (date,)
        ).fetchone()
        return (str(row[0]), str(row[1]), float(row[2])) if row else None

    @_state_errors
    def record_send(self, date: str, message_id: str, recipients: list[str]) -> None:
        """Remember that this date's digest went out."""
        with self._db:
            self._db.execute(
                "INSERT INTO sends VALUES (?, ?, ?, ?)", (date, message_id, ", ".join(recipients), time.time())
            )

    @_state_errors
    def record_batch(self, batch_id: str, date: str, model: str, keys: list[str], status: str) -> BatchRecord:
        """Remember a batch the moment it is submitted, so no later run submits its requests again."""
        record = BatchRecord(batch_id, date, model, tuple(keys), time.time(), status)
        with self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO batches VALUES (?, ?, ?, ?, ?, ?, NULL)",
                (batch_id, date, model, json.dumps(keys), record.submitted, status),
            )
        return record

    @_state_errors
    def batches(self, date: str, model: str) -> list[BatchRecord]:
        """The batches submitted for this date's digest with this model, oldest first."""
        rows = self._db.execute(
            "SELECT id, date, model, keys, submitted, status, collected FROM batches WHERE date = ? AND model = ? "
            "ORDER BY submitted",
            (date, model),
        )
        return [
            BatchRecord(str(r[0]), str(r[1]), str(r[2]), tuple(json.loads(r[3])), float(r[4]), str(r[5]), r[6])
            for r in rows
        ]

    @_state_errors
    def update_batch(self, batch_id: str, status: str, collected: bool = False) -> None:
        """Record a batch's latest status (in_progress, completed, expired, failed, cancelled...), and
        that its results were collected (the first time only: answers collected again cost nothing)."""
        with self._db:
            self._db.execute("UPDATE batches SET status = ? WHERE id = ?", (status, batch_id))
            if collected:
                self._db.execute(
                    "UPDATE batches SET collected = ? WHERE id = ? AND collected IS NULL", (time.time(), batch_id)
                )

    def close(self) -> None:
        """Close the file."""
        self._db.close()


HTTP_SCHEMA = """
CREATE TABLE IF NOT EXISTS http_cache (
    url TEXT PRIMARY KEY,
    etag TEXT,
    last_modified TEXT,
    content_type TEXT,
    final_url TEXT NOT NULL,
    body BLOB NOT NULL,
    fetched_at REAL NOT NULL
);
"""


@dataclass(frozen=True)
class CachedPage:
    """A response kept from an earlier fetch."""

    url: str
    final_url: str
    body: bytes
    content_type: str
    etag: str | None
    last_modified: str | None
    fetched_at: float


class HttpCache:
    """Fetched feeds and pages with their validators (ETag, Last-Modified); thread-safe."""

    def __init__(self, path: Path) -> None:
        self._db = open_db(path, HTTP_SCHEMA, CACHE_FIX)
        self._lock = threading.Lock()

    def get(self, url: str) -> CachedPage | None:
        """The cached response for a URL, if any."""
        with self._lock:
            row = self._db.execute(
                "SELECT url, final_url, body, content_type, etag, last_modified, fetched_at "
                "FROM http_cache WHERE url = ?",
                (url,),
            ).fetchone()
        if row is None:
            return None
        return CachedPage(str(row[0]), str(row[1]), bytes(row[2]), str(row[3] or ""), row[4], row[5], float(row[6]))

    def put(self, page: CachedPage) -> None:
        """Keep a response (replacing an older one)."""
        with self._lock, self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO http_cache VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    page.url,
                    page.etag,
                    page.last_modified,
                    page.content_type,
                    page.final_url,
                    page.body,
                    page.fetched_at,
                ),
            )

    def close(self) -> None:
        """Close the file."""
        with self._lock:
            self._db.close()
