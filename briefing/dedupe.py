"""Fold exact and near-duplicate copies of an article into one (MinHash + LSH, then exact check)."""

from __future__ import annotations

import logging
import re
import zlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np

from briefing.models import Article

log = logging.getLogger(__name__)

SHINGLE_WORDS = 5
NUM_PERM = 64
BANDS = 16  # 16 bands x 4 rows: pairs at Jaccard 0.8 collide with probability > 0.99
_MERSENNE = np.uint64((1 << 61) - 1)
_WORD = re.compile(r"\w+", re.UNICODE)
_rng = np.random.default_rng(20261123)
_A = _rng.integers(1, (1 << 61) - 1, size=NUM_PERM, dtype=np.uint64)
_B = _rng.integers(0, (1 << 61) - 1, size=NUM_PERM, dtype=np.uint64)
_FAR_FUTURE = datetime.max.replace(tzinfo=UTC)


@dataclass
class DedupeResult:
    """Kept articles, and for each duplicate the id of the article it copies."""

    kept: list[Article]
    duplicate_of: dict[str, str] = field(default_factory=dict)
    similarity: dict[str, float] = field(default_factory=dict)


def shingles(text: str) -> set[int]:
    """Hashed word 5-grams of the case-folded text (single words for very short texts)."""
    words = _WORD.findall(text.casefold())
    size = SHINGLE_WORDS if len(words) >= SHINGLE_WORDS else 1
    return {zlib.crc32(" ".join(words[i : i + size]).encode("utf-8")) for i in range(max(len(words) - size + 1, 0))}


def jaccard(a: set[int], b: set[int]) -> float:
    """|a & b| / |a | b|, 0 for two empty sets."""
    union = len(a | b)
    return len(a & b) / union if union else 0.0


def _signature(hashes: set[int]) -> np.ndarray:
    values = np.fromiter(hashes, dtype=np.uint64, count=len(hashes))
    if values.size == 0:
        return np.full(NUM_PERM, np.iinfo(np.uint64).max, dtype=np.uint64)
    # (a*x + b) mod p with 64-bit wraparound is a fine universal hash for this purpose.
    permuted = (values[:, None] * _A[None, :] + _B[None, :]) % _MERSENNE
    return np.asarray(permuted.min(axis=0))


def _preference(article: Article, order: int) -> tuple[datetime, int, int]:
    """Which copy to keep: the earliest published, then the longest, then the first read."""
    return (article.published or _FAR_FUTURE, -len(article.text), order)


class _Groups:
    """Union-find over article positions; a group is named by its smallest position."""

    def __init__(self, size: int) -> None:
        self.parent = list(range(size))

    def find(self, i: int) -> int:
        """The group of position i (halving the path on the way)."""
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, i: int, j: int) -> None:
        """Put i and j, and everything grouped with them, in one group."""
        ri, rj = self.find(i), self.find(j)
        if ri != rj:
            self.parent[max(ri, rj)] = min(ri, rj)


def _join_exact_copies(articles: list[Article], groups: _Groups) -> None:
    """Group articles whose cleaned text is identical (same content hash)."""
    by_hash: dict[str, int] = {}
    for i, article in enumerate(articles):
        first = by_hash.setdefault(article.content_hash, i)
        if first != i:
            groups.union(first, i)


def _lsh_buckets(sets: list[set[int]]) -> list[list[int]]:
    """Positions whose MinHash signatures agree on a whole band: the candidates for near copies."""
    rows = NUM_PERM // BANDS
    buckets: dict[tuple[int, bytes], list[int]] = defaultdict(list)
    for i, hashes in enumerate(sets):
        signature = _signature(hashes)
        for band in range(BANDS):
            buckets[(band, signature[band * rows : (band + 1) * rows].tobytes())].append(i)
    return [members for members in buckets.values() if len(members) > 1]


def _join_near_copies(sets: list[set[int]], groups: _Groups, threshold: float) -> None:
    """Group candidate pairs whose shingle Jaccard, checked exactly, reaches the threshold."""
    checked: set[tuple[int, int]] = set()
    for members in _lsh_buckets(sets):
        for pos, i in enumerate(members):
            for j in members[pos + 1 :]:
                if (i, j) in checked or groups.find(i) == groups.find(j):
                    continue
                checked.add((i, j))
                if jaccard(sets[i], sets[j]) >= threshold:
                    groups.union(i, j)


def _keep_one_per_group(articles: list[Article], sets: list[set[int]], groups: _Groups) -> DedupeResult:
    """The preferred article of each group, and every other member mapped to it with its similarity."""
    members_of: dict[int, list[int]] = defaultdict(list)
    for i in range(len(articles)):
        members_of[groups.find(i)].append(i)
    result = DedupeResult(kept=[])
    keep_index: set[int] = set()
    for members in members_of.values():
        best = min(members, key=lambda k: _preference(articles[k], k))
        keep_index.add(best)
        for k in members:
            if k != best:
                result.duplicate_of[articles[k].id] = articles[best].id
                result.similarity[articles[k].id] = round(jaccard(sets[k], sets[best]), 3)
                log.debug("%s is a duplicate of %s", articles[k].id, articles[best].id)
    result.kept = [a for i, a in enumerate(articles) if i in keep_index]
    return result


def dedupe(articles: list[Article], near_threshold: float = 0.8) -> DedupeResult:
    """Group copies of the same text; keep one article per group.

    Args:
        articles: cleaned articles.
        near_threshold: shingle Jaccard at or above which two texts are one article.

    Returns:
        The kept articles in input order and the duplicate -> kept mapping.
    """
    groups = _Groups(len(articles))
    _join_exact_copies(articles, groups)
    sets = [shingles(a.text) for a in articles]
    _join_near_copies(sets, groups, near_threshold)
    return _keep_one_per_group(articles, sets, groups)
