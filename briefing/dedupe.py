"""Fold exact and near-duplicate copies of an article into one (MinHash + LSH, then exact check).

Near copies: texts whose word 5-gram shingles have a Jaccard similarity of at least the threshold.
Candidates are texts that share a whole LSH band of their MinHash signatures; within a bucket of
candidates each text is compared with the others at once (numpy, on the signatures), and only
likely pairs in different groups are checked exactly, so thousands of copies of one text, or of
briefs cut from one template, cost a few checks per text instead of one per pair.
"""

from __future__ import annotations

import logging
import math
import re
import zlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np

from briefing.models import Article

log = logging.getLogger(__name__)

SHINGLE_WORDS = 5
NUM_PERM = 128  # MinHash values per text: the first 64 make the LSH bands, all 128 the estimate
BANDS = 16  # 16 bands x 4 rows: pairs at Jaccard 0.8 collide with probability > 0.99
BAND_ROWS = 4
# A candidate pair is checked exactly only if its MinHash estimate is within this of the threshold:
# 0.15 is over four standard deviations of the 128-value estimate at Jaccard 0.8, so a true pair
# is skipped about once in 100,000.
ESTIMATE_MARGIN = 0.15
MAX_CHECKS = 16  # exact checks per article and bucket (most similar first): bounds a bucket of look-alikes
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


Shingles = np.ndarray  # sorted, distinct uint32 hashes of a text's word 5-grams


def shingles(text: str) -> Shingles:
    """Hashed word 5-grams of the case-folded text (single words for very short texts).

    A sorted array of distinct hashes: 4 bytes a shingle, where a set of Python ints takes about
    60, so fifty thousand articles' shingles take tens of megabytes, not a gigabyte.
    """
    words = _WORD.findall(text.casefold())
    size = SHINGLE_WORDS if len(words) >= SHINGLE_WORDS else 1
    count = max(len(words) - size + 1, 0)
    hashes = (zlib.crc32(" ".join(words[i : i + size]).encode("utf-8")) for i in range(count))
    return np.unique(np.fromiter(hashes, dtype=np.uint32, count=count))


def jaccard(a: Shingles, b: Shingles) -> float:
    """|a & b| / |a | b| of two texts' shingles, 0 for two empty ones."""
    common = np.intersect1d(a, b, assume_unique=True).size
    union = a.size + b.size - common
    return common / union if union else 0.0


def _signature(hashes: Shingles) -> np.ndarray:
    if hashes.size == 0:
        return np.full(NUM_PERM, np.iinfo(np.uint64).max, dtype=np.uint64)
    values = hashes.astype(np.uint64)
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


def _lsh_buckets(signatures: np.ndarray) -> list[np.ndarray]:
    """Positions whose MinHash signatures agree on a whole band: the candidates for near copies.

    Buckets come ordered by their first position, then band (the order a scan of the articles
    meets them in), each with its positions in order; found band by band with numpy, so fifty
    thousand articles need no dictionary of 800,000 keys.
    """
    found: list[tuple[int, int, np.ndarray]] = []
    for band in range(BANDS):
        rows = np.ascontiguousarray(signatures[:, band * BAND_ROWS : (band + 1) * BAND_ROWS])
        keys = rows.view(np.dtype((np.void, rows.dtype.itemsize * BAND_ROWS))).ravel()
        _, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
        shared = counts[inverse.ravel()] > 1
        positions = np.flatnonzero(shared)
        order = np.argsort(inverse.ravel()[positions], kind="stable")
        for members in np.split(positions[order], np.flatnonzero(np.diff(inverse.ravel()[positions][order])) + 1):
            if members.size:
                found.append((int(members[0]), band, members))
    found.sort(key=lambda bucket: (bucket[0], bucket[1]))
    return [members for _, _, members in found]


def _join_near_copies(sets: list[Shingles], groups: _Groups, threshold: float) -> None:
    """Group articles whose shingle Jaccard, checked exactly, reaches the threshold.

    Candidates come from the LSH buckets. Within a bucket each article is compared with the ones
    before it in one vectorised step (the share of MinHash values they agree on, an estimate of
    their Jaccard), and only pairs in different groups whose estimate comes near the threshold
    are checked exactly, most similar first, at most MAX_CHECKS per article and bucket. So a
    bucket of thousands of copies of one text costs one check per article, not one per pair,
    and a bucket of thousands of merely similar texts (briefs cut from one template) costs a few.
    """
    signatures = np.array([_signature(s) for s in sets]).reshape(len(sets), NUM_PERM)
    # The estimate compares the low 16 bits of the MinHash values (a quarter of the memory
    # traffic); two different values agree by chance once in 65,536, which moves it by nothing.
    compact = signatures.astype(np.uint16)
    floor = max(0, math.ceil((threshold - ESTIMATE_MARGIN) * NUM_PERM))
    checked: set[tuple[int, int]] = set()
    for members in _lsh_buckets(signatures):
        _join_in_bucket(members, sets, compact, groups, threshold, floor, checked)


def _join_in_bucket(
    members: np.ndarray,
    sets: list[Shingles],
    compact: np.ndarray,
    groups: _Groups,
    threshold: float,
    floor: int,
    checked: set[tuple[int, int]],
) -> None:
    """Join the near copies among one bucket's members (see _join_near_copies)."""
    labels = np.array([groups.find(int(i)) for i in members])
    if (labels == labels[0]).all():
        return  # already one group: nothing left to find here
    rows = compact[members]

    def check(pos: int, k: int) -> bool:
        """Check one pair exactly (once in the whole run); join their groups if they are near copies."""
        i, j = int(members[pos]), int(members[k])
        if (i, j) in checked:
            return False
        checked.add((i, j))
        if jaccard(sets[i], sets[j]) < threshold:
            return False
        joined = (labels[pos], labels[k])
        groups.union(i, j)
        labels[np.isin(labels, joined)] = groups.find(j)
        return True

    for k in range(1, len(members)):
        # A run of copies (a feed repeating one item) joins its neighbour at once, and then
        # needs no comparison with the rest of its own group.
        if labels[k - 1] != labels[k] and np.count_nonzero(rows[k - 1] == rows[k]) >= floor:
            check(k - 1, k)
        others = np.flatnonzero(labels[:k] != labels[k])
        if not others.size:
            continue
        agree = np.count_nonzero(rows[others] == rows[k], axis=1)
        candidates = others[agree >= floor][np.argsort(-agree[agree >= floor], kind="stable")]  # most similar first
        tries = 0
        while tries < MAX_CHECKS and candidates.size:
            pos, candidates = int(candidates[0]), candidates[1:]
            tries += (int(members[pos]), int(members[k])) not in checked  # a pair checked elsewhere is free
            if check(pos, k):
                candidates = candidates[labels[candidates] != labels[k]]  # the rest of that group need no check


def _keep_one_per_group(articles: list[Article], sets: list[Shingles], groups: _Groups) -> DedupeResult:
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
