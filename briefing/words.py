"""Word overlap weighted by how rare each word is in its language (wordfreq's bundled counts).

Two reports of one event share its specific words ("Lieferkettengesetz", "hailstorm", "Gotthard")
far more than two articles on one topic do. A word's weight is its information content in its
language, -log(frequency), taken from wordfreq's frequency lists (shipped inside the package,
about 40 languages), so the weights do not depend on how many articles the day brings: a day of
five articles weighs "the" and "Bundestag" the same way as a day of fifty thousand.
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from functools import lru_cache

import regex
from wordfreq import get_frequency_dict, zipf_frequency

log = logging.getLogger(__name__)

_WORD = regex.compile(r"[\p{L}\p{M}\p{N}]{2,}")
# wordfreq's "small" lists (words down to one in 10^6; 20x faster to load than "best", and as good
# for grouping by cross-validation: F1 0.663 vs 0.662). Words missing from them (names, rare
# compounds) weigh as much as one in 10^7.
WORDLIST = "small"
UNSEEN_FREQUENCY = 1e-7
WordVector = dict[str, float]


@lru_cache(maxsize=64)
def _frequencies(language: str) -> dict[str, float]:
    """wordfreq's word -> frequency for a language; empty (every word unseen) when it has none."""
    try:
        return dict(get_frequency_dict(language, WORDLIST))
    except (LookupError, ValueError) as exc:  # no list for this language, or no language tag at all
        log.debug("no word frequencies for %r: %s", language, exc)
        return {}


def known(word: str, language: str) -> bool:
    """Whether a (case-folded) word is in the language's wordfreq list (frequency >= 10^-6)."""
    return word in _frequencies(language)


def english_zipf(word: str) -> float:
    """How common a word is in English (Zipf scale, wordfreq's large list: 0 when unseen, 7 for 'the')."""
    return float(zipf_frequency(word, "en", wordlist="large"))


def word_vector(text: str, language: str | None) -> WordVector:
    """A unit-length vector of a text's words, each weighted (1 + log count) x -log(frequency)."""
    counts = Counter(word.casefold() for word in _WORD.findall(text))
    frequencies = _frequencies(language or "")
    weights = {w: (1 + math.log(c)) * -math.log(frequencies.get(w) or UNSEEN_FREQUENCY) for w, c in counts.items()}
    norm = math.sqrt(sum(x * x for x in weights.values()))
    return {w: x / norm for w, x in weights.items()} if norm else {}


def cosine(a: WordVector, b: WordVector) -> float:
    """Cosine of two unit word vectors."""
    return sum(a[w] * b[w] for w in a.keys() & b.keys())
