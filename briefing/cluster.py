"""Group articles into stories across languages.

Two kinds of evidence are combined: the cosine of multilingual embeddings of each article's
lead (for languages the embedding model knows) and the IDF-weighted overlap of names and
figures (for every language). Candidate pairs come from embedding nearest neighbours and from
shared rare entities, so the work grows with the number of articles, not its square.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

import numpy as np

from briefing.config import ClusterConfig
from briefing.embed import Embedder
from briefing.entities import EntityIndex, extract
from briefing.models import Article

log = logging.getLogger(__name__)

# Merging two groups needs their mean link to reach this share of the threshold, which
# stops chains (A~B, B~C) from gluing unrelated stories together.
AVERAGE_LINK_RATIO = 0.75
ROW_CHUNK = 1024
# The mean link between two groups is estimated from at most this many members of each,
# spread evenly, so a merge costs the same however large the groups grow.
LINK_SAMPLE = 8
# Two articles quoting different figures are probably about different events.
FIGURE_CONFLICT_FACTOR = 0.7
# Two reports of one event name the same people, places or figures; articles that share none
# are linked by the embedding alone only when they are very close.
NO_SHARED_ENTITY_FACTOR = 0.75
# Entities named by more articles than this are too common to propose candidate pairs.
MAX_BLOCKING_DF = 50


@dataclass
class ClusterInput:
    """Everything clustering needs to know about the articles, computed once."""

    vectors: np.ndarray
    embeddable: np.ndarray
    entities: EntityIndex
    days: np.ndarray


def prepare(articles: list[Article], config: ClusterConfig, embedder: Embedder) -> ClusterInput:
    """Embed leads and extract entities for every article."""
    embeddable = np.array([(a.language or "") in embedder.languages for a in articles], dtype=bool)
    leads = [f"{a.title}\n{a.text[: config.lead_chars]}" for a, ok in zip(articles, embeddable, strict=True) if ok]
    dims = 512
    encoded = embedder.encode(leads)
    if encoded.size:
        dims = encoded.shape[1]
    vectors = np.zeros((len(articles), dims), dtype=np.float32)
    if encoded.size:
        vectors[embeddable] = encoded
    entities = EntityIndex([extract(f"{a.title}\n{a.text}") for a in articles])
    days = np.array([a.published.timestamp() / 86400 if a.published else np.nan for a in articles])
    return ClusterInput(vectors=vectors, embeddable=embeddable, entities=entities, days=days)


class Scorer:
    """The combined similarity of two articles."""

    def __init__(self, data: ClusterInput, config: ClusterConfig) -> None:
        self.data = data
        self.config = config

    def __call__(self, i: int, j: int) -> float:
        data = self.data
        gap = abs(data.days[i] - data.days[j])
        if gap > self.config.max_days_apart:  # NaN (unknown date) compares False: no veto
            return 0.0
        similarity = data.entities.similarity(i, j)
        if data.embeddable[i] and data.embeddable[j]:
            weight = self.config.embedding_weight
            cosine = float(data.vectors[i] @ data.vectors[j])
            shared = similarity > 0
            similarity = weight * cosine + (1 - weight) * similarity
            if not shared:
                similarity *= NO_SHARED_ENTITY_FACTOR
        if data.entities.figures_conflict(i, j):
            similarity *= FIGURE_CONFLICT_FACTOR
        return similarity


def candidate_pairs(data: ClusterInput, config: ClusterConfig) -> set[tuple[int, int]]:
    """Pairs worth scoring: embedding neighbours, and articles sharing a rare entity."""
    n = len(data.vectors)
    pairs: set[tuple[int, int]] = set()
    rows = np.flatnonzero(data.embeddable)
    k = min(config.neighbors, len(rows) - 1)
    if k > 0:
        matrix = data.vectors[rows]
        for start in range(0, len(rows), ROW_CHUNK):
            block = matrix[start : start + ROW_CHUNK] @ matrix.T
            for offset in range(block.shape[0]):
                block[offset, start + offset] = -np.inf
            nearest = np.argpartition(-block, k - 1, axis=1)[:, :k]
            for offset, neighbours in enumerate(nearest):
                i = int(rows[start + offset])
                for j in rows[neighbours]:
                    pairs.add((min(i, int(j)), max(i, int(j))))
    max_df = min(MAX_BLOCKING_DF, max(8, int(np.sqrt(n))))
    for members in data.entities.postings(max_df):
        for pos, i in enumerate(members):
            for j in members[pos + 1 :]:
                pairs.add((i, j))
    return pairs


def spread(group: list[int]) -> list[int]:
    """At most LINK_SAMPLE members of a group, evenly spaced."""
    if len(group) <= LINK_SAMPLE:
        return group
    step = len(group) / LINK_SAMPLE
    return [group[int(k * step)] for k in range(LINK_SAMPLE)]


def mean_link(score: Scorer, left: list[int], right: list[int]) -> float:
    """Mean similarity over every pair across two groups."""
    return sum(score(a, b) for a in left for b in right) / (len(left) * len(right))


def cluster_indices(data: ClusterInput, config: ClusterConfig) -> list[list[int]]:
    """Agglomerate articles: strongest links first, merging groups only on a good mean link.

    Returns:
        Groups of article indices; every index appears in exactly one group.
    """
    n = len(data.vectors)
    score = Scorer(data, config)
    scored = [(s, i, j) for i, j in candidate_pairs(data, config) if (s := score(i, j)) >= config.threshold]
    scored.sort(key=lambda t: (-t[0], t[1], t[2]))
    group_of = list(range(n))
    members: dict[int, list[int]] = {i: [i] for i in range(n)}
    for _, i, j in scored:
        gi, gj = group_of[i], group_of[j]
        if gi == gj:
            continue
        left, right = members[gi], members[gj]
        mean = mean_link(score, spread(left), spread(right))
        if mean < config.threshold * AVERAGE_LINK_RATIO:
            log.debug("not merging groups of %d and %d: mean link %.3f", len(left), len(right), mean)
            continue
        keep, drop = (gi, gj) if len(left) >= len(right) else (gj, gi)
        for m in members[drop]:
            group_of[m] = keep
        members[keep].extend(members.pop(drop))
    return [sorted(g) for g in sorted(members.values(), key=min)]


def story_id(article_ids: list[str]) -> str:
    """A stable id for a group of articles."""
    digest = hashlib.sha1("\n".join(sorted(article_ids)).encode("utf-8")).hexdigest()
    return f"s-{digest[:10]}"


def cluster_articles(articles: list[Article], config: ClusterConfig, embedder: Embedder) -> list[list[Article]]:
    """Group articles into stories (see module docstring)."""
    if not articles:
        return []
    data = prepare(articles, config, embedder)
    return [[articles[i] for i in group] for group in cluster_indices(data, config)]
