"""Language-independent evidence that two articles tell the same story: names and numbers.

Names survive translation ("Erik Meijer", "OpenAI"); so do specific figures ("30%", "14,3",
"2023"). Both work for languages the embedding model does not know (Finnish, for one).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from importlib import resources

import numpy as np
import regex

from briefing.sparse import SparseRows, pair_sums

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
    """IDF weights over a corpus of entity sets, and the similarity they give.

    The sets are read one at a time and kept as rows of entity ids (briefing.sparse), so the
    index of fifty thousand articles takes tens of megabytes, and pairs are compared in bulk.
    """

    def __init__(self, entity_sets: Iterable[set[str]]) -> None:
        vocabulary: dict[str, int] = {}
        self.table = SparseRows.build(({key: 1.0 for key in keys} for keys in entity_sets), vocabulary)
        n = max(len(self.table), 1)
        self.df = np.bincount(self.table.ids, minlength=self.table.width)
        # Keys in a large share of the corpus are common words (German nouns, weekdays, the
        # country everyone writes about), not evidence that two articles tell one story.
        common = max(COMMON_MIN_DF, COMMON_SHARE * n)
        weight = np.array([0.0 if c > common else math.log((n + 1) / (c + 0.5)) + 1.0 for c in self.df.tolist()])
        is_number = np.array([key.startswith("#") for key in vocabulary], dtype=bool)
        self.vocabulary, self.key_weights = vocabulary, weight
        ids = self.table.ids
        self.weight = weight[ids]  # per entry of the table
        self.rare = (self.weight > 0).astype(np.float64)
        self.number = is_number[ids].astype(np.float64)
        self.ones = np.ones(len(ids))
        self.totals = self.table.row_sums(self.weight)
        self.counts = self.table.row_sums(self.rare)
        self.figures = self.table.row_sums(self.number)

    def weight_of(self, key: str) -> float:
        """A key's IDF weight (0 for keys too common to count); 0 for a key no article names."""
        number = self.vocabulary.get(key)
        return 0.0 if number is None else float(self.key_weights[number])

    def evidence(self, first: np.ndarray, second: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """similarity and figures_conflict of many pairs at once."""
        shared, common, numbers = pair_sums(
            self.table, first, second, [(self.weight, self.ones), (self.rare, self.ones), (self.number, self.ones)]
        )
        fewer = np.minimum(self.counts[first], self.counts[second])
        smaller = np.minimum(self.totals[first], self.totals[second])
        with np.errstate(divide="ignore", invalid="ignore"):
            overlap = shared / smaller * fewer / (fewer + NAME_PRIOR)
        names = np.where(common >= 2, overlap, 0.0)
        figures = (self.figures[first] >= MIN_FIGURES) & (self.figures[second] >= MIN_FIGURES) & (numbers == 0)
        return names, figures

    def figures_conflict(self, i: int, j: int) -> bool:
        """True when both articles quote several figures and share none of them.

        Reports of one event repeat its figures (the 14%, the 200 jobs) in every language;
        two articles about the same company but different events usually do not.
        """
        return bool(self.evidence(np.array([i]), np.array([j]))[1][0])

    def similarity(self, i: int, j: int) -> float:
        """Weighted overlap of two articles' entities, in [0, 1].

        Shared weight over the smaller article's weight (an overlap coefficient), so that a
        short wire story and a long feature on the same event still match, shrunk when the
        smaller article offers few keys (NAME_PRIOR). IDF weights keep names every article
        mentions from counting for much; fewer than two shared keys is 0.
        """
        return float(self.evidence(np.array([i]), np.array([j]))[0][0])

    def postings(self, max_df: int) -> list[np.ndarray]:
        """For each entity seen in 2..max_df articles, the articles naming it (in order)."""
        ids = self.table.ids
        rows = np.repeat(np.arange(len(self.table)), self.table.lengths())
        df = self.df[ids]
        blocking = (df > 1) & (df <= max_df)
        ids, rows = ids[blocking], rows[blocking]
        order = np.argsort(ids, kind="stable")
        ids, rows = ids[order], rows[order]
        return np.split(rows, np.flatnonzero(np.diff(ids)) + 1) if len(ids) else []

    def shared_pairs(self, max_df: int, min_shared: int) -> tuple[np.ndarray, np.ndarray]:
        """Pairs of articles that share at least `min_shared` entities seen in 2..max_df articles.

        Returns:
            Sorted codes i * n + j (i < j), as cluster.candidate_pairs uses them, and how many
            such entities each pair shares.
        """
        n = len(self.table)
        postings = self.postings(max_df)
        none = np.zeros(0, dtype=np.int64)
        if not postings:
            return none, none
        # The same pairs counted article by article: each article's postings joined, so no list
        # of every (article, partner, entity) is ever made.
        members = np.concatenate(postings)
        sizes = np.array([len(p) for p in postings])
        entity_of = np.repeat(np.arange(len(postings)), sizes)
        by_article = np.argsort(members, kind="stable")
        article_entities = np.split(entity_of[by_article], np.searchsorted(members[by_article], np.arange(1, n)))
        starts = np.cumsum(sizes) - sizes
        codes, shared = [none], [none]
        for i, entities in enumerate(article_entities):
            if len(entities) < min_shared:
                continue
            lengths = sizes[entities]
            spans = np.arange(lengths.sum()) + np.repeat(starts[entities] - (np.cumsum(lengths) - lengths), lengths)
            partners = members[spans]
            partners, counts = np.unique(partners[partners > i], return_counts=True)
            enough = counts >= min_shared
            codes.append(i * n + partners[enough].astype(np.int64))
            shared.append(counts[enough])
        return np.concatenate(codes), np.concatenate(shared)
