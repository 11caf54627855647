"""Group articles into stories across languages.

Each candidate pair of articles gets a probability that both report one event, from a logistic
model over five pieces of evidence (weights fitted on human-labelled real news, see
`bench/grouping_eval.py --fit`): the cosine of multilingual embeddings of the two leads, the
overlap of their rare words (weighted by how rare each word is in its language), the IDF-weighted
overlap of names and figures (every language), whether both quote several figures and share none,
and whether they are in different languages (cross-lingual cosines run lower; across languages,
shared names weigh more, as their words cannot match). For an article in
a language the fast embedder does not know (Finnish, Swedish, Czech...), the fallback embedder (e5,
about 100 languages) embeds it and its likely partners, and the e5-fitted model scores those pairs;
without one, a model fitted without the cosine scores them from words, names and figures.
Candidate pairs come from embedding nearest neighbours and from shared rare entities, so the work
grows with the number of articles, not its square.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np

from briefing.config import ClusterConfig, ScoreWeights
from briefing.embed import Embedder
from briefing.entities import EntityIndex, extract
from briefing.models import Article
from briefing.words import WordVector, cosine, word_vector

log = logging.getLogger(__name__)

# Merging two groups needs their mean link to reach this share of the threshold, which
# stops chains (A~B, B~C) from gluing unrelated stories together.
AVERAGE_LINK_RATIO = 0.75
ROW_CHUNK = 1024
# The mean link between two groups is estimated from at most this many members of each,
# spread evenly, so a merge costs the same however large the groups grow.
LINK_SAMPLE = 8
# Entities named by more articles than this are too common to propose candidate pairs.
MAX_BLOCKING_DF = 50
# The model for pairs without an embedding cosine (a language the embedder does not know).
NO_EMBEDDING = "names"


@dataclass(frozen=True)
class Fitted:
    """A fitted scoring model: its weights and the probability threshold chosen with them."""

    weights: ScoreWeights
    threshold: float


@lru_cache(maxsize=1)
def fitted_models() -> dict[str, Fitted]:
    """The packaged models (briefing/data/cluster_weights.json), by embedder name and NO_EMBEDDING."""
    raw = json.loads(resources.files("briefing").joinpath("data/cluster_weights.json").read_text("utf-8"))
    return {
        name: Fitted(ScoreWeights(**entry["weights"]), float(entry["threshold"]))
        for name, entry in raw["models"].items()
    }


Models = dict[str, Fitted]  # "main", "second" (the fallback embedder's), "names" (no cosine)


def models_for(config: ClusterConfig, embedder_key: str, second_key: str | None = None) -> Models:
    """The models that score pairs, with the configured overrides applied to the main one."""
    packaged = fitted_models()
    models = {"main": packaged[embedder_key], "names": packaged[NO_EMBEDDING]}
    if second_key is not None:
        models["second"] = packaged[second_key]
    if config.weights is not None:
        models["main"] = Fitted(config.weights, models["main"].threshold)
    if config.threshold is not None:
        models = {k: Fitted(m.weights, config.threshold) for k, m in models.items()}
    return models


@dataclass
class ClusterInput:
    """Everything clustering needs to know about the articles, computed once."""

    vectors: np.ndarray
    embeddable: np.ndarray
    entities: EntityIndex
    days: np.ndarray
    words: list[WordVector]
    languages: list[str]
    # Vectors from the fallback embedder for articles the main one cannot read and their
    # likely partners (articles sharing a rare name or figure with them); zero rows elsewhere.
    second: np.ndarray
    has_second: np.ndarray
    second_key: str | None = None
    # Pair evidence kept across clusterings of the same articles (the benchmark's refits); None: off.
    memo: dict[tuple[int, int], dict[str, float]] | None = None


def lead(article: Article, chars: int) -> str:
    """The title and the first characters of the text: what is embedded and compared."""
    return f"{article.title}\n{article.text[:chars]}"


def prepare(
    articles: list[Article], config: ClusterConfig, embedder: Embedder, fallback: Embedder | None = None
) -> ClusterInput:
    """Embed leads, weigh their words and extract entities for every article.

    With a fallback embedder, articles in languages the main embedder does not know (and the
    articles sharing a rare name or figure with them) are embedded by the fallback too.
    """
    embeddable = np.array([(a.language or "") in embedder.languages for a in articles], dtype=bool)
    leads = [lead(a, config.lead_chars) for a in articles]
    encoded = embedder.encode([text for text, ok in zip(leads, embeddable, strict=True) if ok])
    dims = encoded.shape[1] if encoded.size else 1
    vectors = np.zeros((len(articles), dims), dtype=np.float32)
    if encoded.size:
        vectors[embeddable] = encoded
    entities = EntityIndex([extract(f"{a.title}\n{a.text}") for a in articles])
    days = np.array([a.published.timestamp() / 86400 if a.published else np.nan for a in articles])
    words = [word_vector(text, a.language) for text, a in zip(leads, articles, strict=True)]
    languages = [a.language or "" for a in articles]
    second, has_second = _embed_unread(leads, languages, embeddable, entities, fallback)
    key = fallback.key if fallback is not None else None
    return ClusterInput(vectors, embeddable, entities, days, words, languages, second, has_second, key)


def _embed_unread(
    leads: list[str], languages: list[str], embeddable: np.ndarray, entities: EntityIndex, fallback: Embedder | None
) -> tuple[np.ndarray, np.ndarray]:
    """Fallback vectors for articles the main embedder cannot read and their likely partners.

    Returns:
        The vectors (zero rows where none) and a mask of the rows that have one.
    """
    has_second = np.zeros(len(leads), dtype=bool)
    second = np.zeros((len(leads), 1), dtype=np.float32)
    if fallback is None:
        return second, has_second
    unread = {i for i, ok in enumerate(embeddable) if not ok and languages[i] in fallback.languages}
    if not unread:
        return second, has_second
    wanted = set(unread)
    for members in entities.postings(_max_df(len(leads))):
        if unread.intersection(members):
            wanted.update(members)
    rows = sorted(i for i in wanted if languages[i] in fallback.languages)
    encoded = fallback.encode([leads[i] for i in rows])
    second = np.zeros((len(leads), encoded.shape[1]), dtype=np.float32)
    second[rows] = encoded
    has_second[rows] = True
    return second, has_second


def _max_df(n: int) -> int:
    """Entities named by more articles than this do not propose candidate pairs."""
    return min(MAX_BLOCKING_DF, max(8, int(np.sqrt(n))))


FEATURES = ("cosine", "words", "names", "figure_conflict", "cross_language", "cross_names")


class Scorer:
    """The probability that two articles report one event."""

    def __init__(
        self, data: ClusterInput, config: ClusterConfig, embedder_key: str, models: Models | None = None
    ) -> None:
        self.data = data
        self.config = config
        self.models = models or models_for(config, embedder_key, data.second_key)

    def features(self, i: int, j: int) -> dict[str, float]:
        """The evidence about one pair, by name (cosine is NaN when either has no embedding)."""
        data = self.data
        if data.memo is not None:
            if (i, j) not in data.memo:
                data.memo[i, j] = self._features(i, j)
            return data.memo[i, j]
        return self._features(i, j)

    def _features(self, i: int, j: int) -> dict[str, float]:
        data = self.data
        kind = self.kind(i, j)
        vectors = data.vectors if kind == "main" else data.second
        names = data.entities.similarity(i, j)
        cross = float(data.languages[i] != data.languages[j])
        return {
            "cosine": float(vectors[i] @ vectors[j]) if kind != "names" else math.nan,
            "words": cosine(data.words[i], data.words[j]),
            "names": names,
            "figure_conflict": float(data.entities.figures_conflict(i, j)),
            "cross_language": cross,
            "cross_names": cross * names,
        }

    def kind(self, i: int, j: int) -> str:
        """Which evidence a pair has: main embeddings, the fallback's, or names and words only."""
        data = self.data
        if data.embeddable[i] and data.embeddable[j]:
            return "main"
        if data.has_second[i] and data.has_second[j] and "second" in self.models:
            return "second"
        return "names"

    def model(self, i: int, j: int) -> Fitted:
        """The fitted model that scores this pair."""
        return self.models[self.kind(i, j)]

    def __call__(self, i: int, j: int) -> float:
        gap = abs(self.data.days[i] - self.data.days[j])
        if gap > self.config.max_days_apart:  # NaN (unknown date) compares False: no veto
            return 0.0
        return probability(self.features(i, j), self.model(i, j).weights)


def probability(features: dict[str, float], weights: ScoreWeights) -> float:
    """The logistic model: 1 / (1 + exp(-(bias + sum of weight x feature))); NaN features count 0."""
    z = weights.bias + sum(getattr(weights, k) * v for k, v in features.items() if not math.isnan(v))
    return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))


def candidate_pairs(data: ClusterInput, config: ClusterConfig) -> np.ndarray:
    """Pairs worth scoring: embedding neighbours, and articles sharing a rare entity.

    Returns:
        Sorted unique codes i * n + j (i < j), 8 bytes a pair, so 50,000 articles fit in memory.
    """
    n = len(data.vectors)
    parts: list[np.ndarray] = []
    rows = np.flatnonzero(data.embeddable)
    k = min(config.neighbors, len(rows) - 1)
    if k > 0:
        matrix = data.vectors[rows]
        for start in range(0, len(rows), ROW_CHUNK):
            block = matrix[start : start + ROW_CHUNK] @ matrix.T
            for offset in range(block.shape[0]):
                block[offset, start + offset] = -np.inf
            nearest = rows[np.argpartition(-block, k - 1, axis=1)[:, :k]]
            mine = np.repeat(rows[start : start + block.shape[0]], k)
            parts.append(_codes(mine, nearest.ravel(), n))
    for members in data.entities.postings(_max_df(n)):
        first, second = np.triu_indices(len(members), 1)
        ids = np.asarray(members, dtype=np.int64)
        parts.append(_codes(ids[first], ids[second], n))
    return np.unique(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int64)


def _codes(a: np.ndarray, b: np.ndarray, n: int) -> np.ndarray:
    """Pair codes min * n + max."""
    a, b = a.astype(np.int64), b.astype(np.int64)
    codes: np.ndarray = np.minimum(a, b) * n + np.maximum(a, b)
    return codes


def spread(group: list[int]) -> list[int]:
    """At most LINK_SAMPLE members of a group, evenly spaced."""
    if len(group) <= LINK_SAMPLE:
        return group
    step = len(group) / LINK_SAMPLE
    return [group[int(k * step)] for k in range(LINK_SAMPLE)]


def mean_link(score: Scorer, left: list[int], right: list[int]) -> float:
    """Mean similarity over every pair across two groups."""
    return sum(score(a, b) for a in left for b in right) / (len(left) * len(right))


def cluster_indices(
    data: ClusterInput, config: ClusterConfig, embedder_key: str, models: Models | None = None
) -> list[list[int]]:
    """Agglomerate articles: strongest links first, merging groups only on a good mean link.

    Args:
        data: the prepared articles.
        config: clustering settings.
        embedder_key: which packaged model scores embedded pairs.
        models: models to use instead of the packaged and configured ones (see models_for).

    Returns:
        Groups of article indices; every index appears in exactly one group.
    """
    n = len(data.vectors)
    score = Scorer(data, config, embedder_key, models)
    scored = []
    for code in candidate_pairs(data, config).tolist():
        i, j = divmod(code, n)
        value = score(i, j)
        if value >= score.model(i, j).threshold:
            scored.append((value, i, j))
    scored.sort(key=lambda t: (-t[0], t[1], t[2]))
    group_of = list(range(n))
    members: dict[int, list[int]] = {i: [i] for i in range(n)}
    for _, i, j in scored:
        gi, gj = group_of[i], group_of[j]
        if gi == gj:
            continue
        left, right = members[gi], members[gj]
        mean = mean_link(score, spread(left), spread(right))
        if mean < score.model(i, j).threshold * AVERAGE_LINK_RATIO:
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


def cluster_articles(
    articles: list[Article], config: ClusterConfig, embedder: Embedder, fallback: Embedder | None = None
) -> list[list[Article]]:
    """Group articles into stories (see module docstring)."""
    if not articles:
        return []
    data = prepare(articles, config, embedder, fallback)
    return [[articles[i] for i in group] for group in cluster_indices(data, config, embedder.key)]
