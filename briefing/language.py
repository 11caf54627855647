"""Detect each article's language with a model shipped inside its package (py3langid)."""

from __future__ import annotations

import logging
from dataclasses import replace
from functools import lru_cache
from typing import Any

from py3langid.langid import MODEL_FILE, LanguageIdentifier

from briefing.models import Article

log = logging.getLogger(__name__)

UNDETERMINED = "und"
# Below this probability the detector abstains; a declared language then stands.
MIN_CONFIDENCE = 0.6
SAMPLE_CHARS = 2000


@lru_cache(maxsize=1)
def _identifier() -> Any:
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect(text: str) -> tuple[str, float]:
    """The ISO 639-1 code of the text's language and the detector's probability."""
    sample = text[:SAMPLE_CHARS]
    if not any(ch.isalpha() for ch in sample):
        return UNDETERMINED, 0.0
    code, prob = _identifier().classify(sample)
    return str(code), float(prob)


def normalise_code(code: str | None) -> str | None:
    """'EN', 'en-US', 'en_GB' -> 'en'."""
    if not code:
        return None
    return code.strip().lower().replace("_", "-").split("-")[0] or None


def assign_language(article: Article) -> Article:
    """Set the article's language: detected, unless detection is unsure and a declaration exists.

    A declared language that the detector confidently contradicts is overruled and flagged.
    """
    declared = normalise_code(article.declared_language)
    detected, prob = detect(f"{article.title}\n{article.text}")
    flags = list(article.flags)
    if prob >= MIN_CONFIDENCE:
        language = detected
        if declared and declared != detected:
            flags.append(f"declared language '{declared}' overruled by detection '{detected}' ({prob:.2f})")
            log.debug("%s: declared %s, detected %s (%.2f)", article.id, declared, detected, prob)
    elif declared:
        language = declared
    else:
        language = detected if prob > 0 else UNDETERMINED
        flags.append(f"language uncertain ({detected}, {prob:.2f})")
    return replace(article, language=language, flags=flags)
