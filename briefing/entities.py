"""Language-independent evidence that two articles tell the same story: names and numbers.

Names survive translation ("Erik Meijer", "OpenAI"); so do specific figures ("30%", "14,3",
"2023"). Both work for languages the embedding model does not know (Finnish, for one).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from importlib import resources

import regex

# A run of capitalised words ("Mark Zuckerberg", "Scale AI"), allowing inner connectors like "&".
_NAME = regex.compile(r"\p{Lu}[\p{L}\p{M}\p{N}'’.&-]*(?:[ ](?:\p{Lu}[\p{L}\p{M}\p{N}'’.&-]*|&))*")
# A figure: not glued to digits or to letters of scripts that put spaces around words. Next to
# Han, kana or Hangul (3.2キロ, 2028年) it still counts: those scripts do not space numbers.
_SPACED_LETTER = r"[\p{L}--[\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}]]"
_NUMBER = regex.compile(
    rf"(?<![\p{{N}}]|{_SPACED_LETTER})"
    r"\d+(?:[.,\u00a0\u202f ]\d{3})*(?:[.,]\d+)?(?:\s?%)?"
    rf"(?![\p{{N}}]|{_SPACED_LETTER})",
    regex.V1,
)
_THOUSANDS = regex.compile(r"\d{1,3}(?:[.,\u00a0\u202f ]\d{3})+")
_SENTENCE_END = regex.compile(r"[.!?:;\n«»\"“”„(]\s*$")
# Numbers this small carry no identity ("3 executives", "2 days").
_MIN_PLAIN_NUMBER = 10
MAX_NAME_WORDS = 2
MIN_FIGURES = 2
# An overlap is shrunk by m / (m + NAME_PRIOR), m the keys of the article with fewer: two shared
# figures make a weak case when they are all a text offers (an Arabic text whose names the
# capitalisation rule cannot see), a strong one among twenty.
NAME_PRIOR = 3
COMMON_MIN_DF = 10
COMMON_SHARE = 0.05

# Capitalised words that begin sentences or headings in many languages; not names.
_STOP = frozenset(
    line.strip()
    for line in resources.files("briefing").joinpath("data/name_stopwords.txt").read_text("utf-8").splitlines()
    if line.strip() and not line.startswith("#")
)


def _normalise_number(raw: str) -> str | None:
    """One key per figure however it is written: 4,500 = 4.500 = 4 500; 14,3 = 14.3; 30 % = 30%."""
    text = raw.replace(" ", "").replace("\u00a0", "").replace("\u202f", "")
    percent = text.endswith("%")
    text = text.rstrip("%")
    digits = text.replace(".", "").replace(",", "")
    if not digits.isdigit():
        return None
    if not percent and len(digits) <= 2 and int(digits) < _MIN_PLAIN_NUMBER and "," not in text and "." not in text:
        return None
    thousands = _THOUSANDS.fullmatch(raw.rstrip("% ")) and not raw.startswith("0")
    key = digits if thousands else text.replace(",", ".")
    return f"#{key}{'%' if percent else ''}"


def _is_sentence_start(text: str, start: int) -> bool:
    return start == 0 or bool(_SENTENCE_END.search(text[max(0, start - 3) : start]))


def extract(text: str) -> set[str]:
    """Names and significant numbers in a text, case-folded, as a set of keys.

    A lone capitalised word at a sentence start counts only if the same word also appears
    capitalised mid-sentence (so "Meta" counts, "Der" does not).
    """
    keys: set[str] = set()
    mid_sentence: set[str] = set()
    initial: set[str] = set()
    for match in _NAME.finditer(text):
        words = [w.strip(".'’-") for w in match.group(0).split(" ")]
        words = [w for w in words if w and w.casefold() not in _STOP]
        if not words:
            continue
        starts = _is_sentence_start(text, match.start())
        for size in range(1, min(len(words), MAX_NAME_WORDS) + 1):
            for offset in range(len(words) - size + 1):
                key = " ".join(words[offset : offset + size]).casefold()
                if size > 1:
                    keys.add(key)
                elif offset == 0 and starts:
                    initial.add(key)
                else:
                    mid_sentence.add(key)
    keys |= mid_sentence
    keys |= {word for word in initial if word in mid_sentence or _looks_like_acronym(word, text)}
    for match in _NUMBER.finditer(text):
        number = _normalise_number(match.group(0))
        if number:
            keys.add(number)
    return {k for k in keys if len(k) > 1}


def _looks_like_acronym(key: str, text: str) -> bool:
    return len(key) <= 5 and key.upper() in text


class EntityIndex:
    """IDF weights over a corpus of entity sets, and the similarity they give."""

    def __init__(self, entity_sets: Sequence[set[str]]) -> None:
        self.sets = list(entity_sets)
        df: Counter[str] = Counter()
        for keys in self.sets:
            df.update(keys)
        n = max(len(self.sets), 1)
        self.df = df
        # Keys in a large share of the corpus are common words (German nouns, weekdays, the
        # country everyone writes about), not evidence that two articles tell one story.
        common = max(COMMON_MIN_DF, COMMON_SHARE * n)
        self.weight = {k: 0.0 if c > common else math.log((n + 1) / (c + 0.5)) + 1.0 for k, c in df.items()}
        self.totals = [sum(self.weight[k] for k in keys) for keys in self.sets]
        self.counts = [sum(1 for k in keys if self.weight[k] > 0) for keys in self.sets]
        self.numbers = [{k for k in keys if k.startswith("#")} for keys in self.sets]

    def figures_conflict(self, i: int, j: int) -> bool:
        """True when both articles quote several figures and share none of them.

        Reports of one event repeat its figures (the 14%, the 200 jobs) in every language;
        two articles about the same company but different events usually do not.
        """
        a, b = self.numbers[i], self.numbers[j]
        return len(a) >= MIN_FIGURES and len(b) >= MIN_FIGURES and not (a & b)

    def similarity(self, i: int, j: int) -> float:
        """Weighted overlap of two articles' entities, in [0, 1].

        Shared weight over the smaller article's weight (an overlap coefficient), so that a
        short wire story and a long feature on the same event still match, shrunk when the
        smaller article offers few keys (NAME_PRIOR). IDF weights keep names every article
        mentions from counting for much; fewer than two shared keys is 0.
        """
        a, b = self.sets[i], self.sets[j]
        if not a or not b:
            return 0.0
        common = [k for k in a & b if self.weight[k] > 0]
        if len(common) < 2:
            return 0.0
        shared = sum(self.weight[k] for k in common)
        fewer = min(self.counts[i], self.counts[j])
        return shared / min(self.totals[i], self.totals[j]) * fewer / (fewer + NAME_PRIOR)

    def postings(self, max_df: int) -> Iterable[list[int]]:
        """For each entity seen in 2..max_df articles, the articles naming it."""
        index: dict[str, list[int]] = {}
        for i, keys in enumerate(self.sets):
            for key in keys:
                if 1 < self.df[key] <= max_df:
                    index.setdefault(key, []).append(i)
        return index.values()
