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
Candidate pairs come from embedding nearest neighbours (briefing.neighbours) and from sharing two
or more rare names or figures (one shared name gives no names evidence), and are scored in bulk
(briefing.sparse); only the neighbour search compares every pair of leads, a matrix product
(bench/day_bench.py measures how the whole grows).
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

import numpy as np

from briefing.config import ClusterConfig, ScoreWeights
from briefing.embed import Embedder
from briefing.entities import EntityIndex, extract
from briefing.models import Article
from briefing.neighbours import neighbour_pairs
from briefing.sparse import SparseRows, pair_sums
from briefing.words import word_vector

log = logging.getLogger(__name__)

# Merging two groups needs their mean link to reach this share of the threshold, which
# stops chains (A~B, B~C) from gluing unrelated stories together.
AVERAGE_LINK_RATIO = 0.75
PAIR_CHUNK = 200_000  # candidate pairs scored at once
COSINE_CHUNK = 8192  # pairs whose embeddings are gathered at once (2 x 16 MB at 512 dimensions)
# The mean link between two groups is estimated from at most this many members of each,
# spread evenly, so a merge costs the same however large the groups grow.
LINK_SAMPLE = 8
# Entities named by more articles than this are too common to propose candidate pairs.
MAX_BLOCKING_DF = 50
# Articles sharing fewer rare entities than this are not paired by them (their names evidence is 0).
MIN_SHARED_ENTITIES = 2
# The fallback embedder embeds at most this many partners of each article the main one cannot read.
FALLBACK_PARTNERS = 16
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
    words: SparseRows  # each article's lead as a word vector (briefing.words), one row each
    languages: list[str]
    # Vectors from the fallback embedder for articles the main one cannot read and their
    # likely partners (articles sharing rare names or figures with them); zero rows elsewhere.
    second: np.ndarray
    has_second: np.ndarray
    second_key: str | None = None
    # Pair evidence kept across clusterings of the same articles (the benchmark's refits); None: off.
    memo: dict[tuple[int, int], dict[str, float]] | None = None
    # Pairs sharing MIN_SHARED_ENTITIES rare names or figures (codes, see candidate_pairs).
    entity_pairs: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))


def lead(article: Article, chars: int) -> str:
    """The title and the first characters of the text: what is embedded and compared."""
    return f"{article.title}\n{article.text[:chars]}"


def prepare(
    articles: list[Article], config: ClusterConfig, embedder: Embedder, fallback: Embedder | None = None
) -> ClusterInput:
    """Embed leads, weigh their words and extract entities for every article.

    With a fallback embedder, articles in languages the main embedder does not know (and the
    articles sharing rare names or figures with them) are embedded by the fallback too.
    """
    embeddable = np.array([(a.language or "") in embedder.languages for a in articles], dtype=bool)
    leads = [lead(a, config.lead_chars) for a in articles]
    encoded = embedder.encode([text for text, ok in zip(leads, embeddable, strict=True) if ok])
    dims = encoded.shape[1] if encoded.size else 1
    vectors = np.zeros((len(articles), dims), dtype=np.float32)
    if encoded.size:
        vectors[embeddable] = encoded
    entities = EntityIndex(extract(f"{a.title}\n{a.text}") for a in articles)
    entity_pairs, shared = entities.shared_pairs(_max_df(len(articles)), MIN_SHARED_ENTITIES)
    days = np.array([a.published.timestamp() / 86400 if a.published else np.nan for a in articles])
    words = SparseRows.build((word_vector(text, a.language) for text, a in zip(leads, articles, strict=True)), {})
    languages = [a.language or "" for a in articles]
    second, has_second = _embed_unread(leads, languages, embeddable, (entity_pairs, shared), fallback)
    key = fallback.key if fallback is not None else None
    return ClusterInput(
        vectors, embeddable, entities, days, words, languages, second, has_second, key, entity_pairs=entity_pairs
    )


def _embed_unread(
    leads: list[str],
    languages: list[str],
    embeddable: np.ndarray,
    entity_pairs: tuple[np.ndarray, np.ndarray],
    fallback: Embedder | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Fallback vectors for articles the main embedder cannot read and their likely partners.

    The partners are the articles an unread one shares rare names or figures with (entity_pairs:
    codes and how many entities each pair shares), the only pairs it is scored in, as it has no
    neighbours by the main embedding: at most FALLBACK_PARTNERS of them, those sharing the most,
    as the fallback costs about 15 times the main embedder an article.

    Returns:
        The vectors (zero rows where none) and a mask of the rows that have one.
    """
    n = len(leads)
    has_second = np.zeros(n, dtype=bool)
    second = np.zeros((n, 1), dtype=np.float32)
    if fallback is None:
        return second, has_second
    readable = np.array([language in fallback.languages for language in languages], dtype=bool)
    unread = ~embeddable & readable
    if not unread.any():
        return second, has_second
    codes, shared = entity_pairs
    first, other = np.divmod(codes, max(n, 1))
    # Each pair seen from its unread side (from both when both are unread), best partners first.
    left, right = unread[first], unread[other]
    owner = np.concatenate([first[left], other[right]])
    partner = np.concatenate([other[left], first[right]])
    strength = np.concatenate([shared[left], shared[right]])
    order = np.lexsort((partner, -strength, owner))
    owner, partner = owner[order], partner[order]
    rank = np.arange(len(owner)) - np.searchsorted(owner, owner)
    wanted = unread.copy()
    wanted[partner[rank < FALLBACK_PARTNERS]] = True
    rows = np.flatnonzero(wanted & readable)
    encoded = fallback.encode([leads[i] for i in rows])
    second = np.zeros((n, encoded.shape[1]), dtype=np.float32)
    second[rows] = encoded
    has_second[rows] = True
    return second, has_second


def _max_df(n: int) -> int:
    """Entities named by more articles than this do not propose candidate pairs."""
    return min(MAX_BLOCKING_DF, max(8, int(np.sqrt(n))))


FEATURES = ("cosine", "words", "names", "figure_conflict", "cross_language", "cross_names")
KINDS = ("main", "second", "names")  # which evidence a pair has, as Scorer.kinds numbers them


class Scorer:
    """The probability that two articles report one event, for one pair or many at once."""

    def __init__(
        self, data: ClusterInput, config: ClusterConfig, embedder_key: str, models: Models | None = None
    ) -> None:
        self.data = data
        self.config = config
        self.models = models or models_for(config, embedder_key, data.second_key)
        self.language = np.unique(np.array(data.languages, dtype=object), return_inverse=True)[1].ravel()

    def features(self, i: int, j: int) -> dict[str, float]:
        """The evidence about one pair, by name (cosine is NaN when either has no embedding)."""
        data = self.data
        if data.memo is not None:
            if (i, j) not in data.memo:
                data.memo[i, j] = self._features(i, j)
            return data.memo[i, j]
        return self._features(i, j)

    def _features(self, i: int, j: int) -> dict[str, float]:
        found = self.feature_arrays(np.array([i]), np.array([j]))
        return {name: float(values[0]) for name, values in found.items()}

    def feature_arrays(
        self, first: np.ndarray, second: np.ndarray, kinds: np.ndarray | None = None
    ) -> dict[str, np.ndarray]:
        """The evidence about many pairs (first[p], second[p]), by name, an array each (`kinds`:
        the pairs' kinds when the caller has them already)."""
        data = self.data
        kinds = self.kinds(first, second) if kinds is None else kinds
        cosine = np.full(len(first), math.nan)
        for kind, vectors in ((0, data.vectors), (1, data.second)):
            rows = np.flatnonzero(kinds == kind)
            for start in range(0, len(rows), COSINE_CHUNK):  # two gathered blocks of vectors at a time
                part = rows[start : start + COSINE_CHUNK]
                cosine[part] = np.einsum("ij,ij->i", vectors[first[part]], vectors[second[part]])
        words = pair_sums(data.words, first, second, [(data.words.values, data.words.values)])[0]
        names, conflict = data.entities.evidence(first, second)
        cross = (self.language[first] != self.language[second]).astype(np.float64)
        return {
            "cosine": cosine,
            "words": words,
            "names": names,
            "figure_conflict": conflict.astype(np.float64),
            "cross_language": cross,
            "cross_names": cross * names,
        }

    def kinds(self, first: np.ndarray, second: np.ndarray) -> np.ndarray:
        """Which evidence each pair has, as an index into KINDS: main embeddings, the fallback's, or
        names and words only."""
        data = self.data
        main = data.embeddable[first] & data.embeddable[second]
        fallback = data.has_second[first] & data.has_second[second] & ("second" in self.models)
        return np.where(main, 0, np.where(fallback, 1, 2))

    def kind(self, i: int, j: int) -> str:
        """Which evidence a pair has: main embeddings, the fallback's, or names and words only."""
        return KINDS[int(self.kinds(np.array([i]), np.array([j]))[0])]

    def probabilities(self, first: np.ndarray, second: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The probability that each pair reports one event, and the threshold its model links at."""
        kinds = self.kinds(first, second)
        found = self.feature_arrays(first, second, kinds)
        values = np.zeros(len(first))
        thresholds = np.zeros(len(first))
        for number, name in enumerate(KINDS):
            mask = kinds == number
            if name in self.models and mask.any():
                model = self.models[name]
                values[mask] = probabilities({k: v[mask] for k, v in found.items()}, model.weights)
                thresholds[mask] = model.threshold
        gap = np.abs(self.data.days[first] - self.data.days[second])
        values[gap > self.config.max_days_apart] = 0.0  # NaN (unknown date) compares False: no veto
        return values, thresholds

    def __call__(self, i: int, j: int) -> float:
        return float(self.probabilities(np.array([i]), np.array([j]))[0][0])


def probabilities(features: dict[str, np.ndarray], weights: ScoreWeights) -> np.ndarray:
    """The logistic model, 1 / (1 + exp(-(bias + sum of weight x feature))), for many pairs; NaN features count 0."""
    total = np.zeros(len(next(iter(features.values()))))
    for name, values in features.items():
        total = total + np.where(np.isnan(values), 0.0, getattr(weights, name) * values)
    z = np.clip(weights.bias + total, -60.0, 60.0)
    result: np.ndarray = 1.0 / (1.0 + np.exp(-z))
    return result


def candidate_pairs(data: ClusterInput, config: ClusterConfig) -> np.ndarray:
    """Pairs worth scoring: embedding neighbours, and articles sharing rare entities.

    Returns:
        Sorted unique codes i * n + j (i < j), 8 bytes a pair, so 50,000 articles fit in memory.
    """
    n = len(data.vectors)
    parts: list[np.ndarray] = [data.entity_pairs]
    rows = np.flatnonzero(data.embeddable)
    mine, nearest = neighbour_pairs(data.vectors[rows], config.neighbors)
    parts.append(_codes(rows[mine], rows[nearest], n))
    return np.unique(np.concatenate(parts))


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


class Links:
    """Every candidate pair's probability, and those of other pairs as they are asked for."""

    def __init__(self, score: Scorer, codes: np.ndarray) -> None:
        self.score = score
        self.n = len(score.data.vectors)
        self.codes = codes
        self.values = np.zeros(len(codes))
        self.thresholds = np.zeros(len(codes))
        for start in range(0, len(codes), PAIR_CHUNK):
            first, second = np.divmod(codes[start : start + PAIR_CHUNK], self.n)
            part = slice(start, start + len(first))
            self.values[part], self.thresholds[part] = score.probabilities(first, second)

    def strongest(self) -> list[tuple[float, float, int, int]]:
        """(probability, threshold, i, j) of the pairs that reach their threshold, strongest first."""
        linked = np.flatnonzero(self.values >= self.thresholds)
        first, second = np.divmod(self.codes[linked], self.n)
        values, thresholds = self.values[linked], self.thresholds[linked]
        order = np.lexsort((second, first, -values))
        columns = (values[order], thresholds[order], first[order], second[order])
        return list(zip(*(c.tolist() for c in columns), strict=True))

    def mean(self, left: list[int], right: list[int]) -> float:
        """Mean probability over every pair across two groups (each pair scored as (lower, higher))."""
        a = np.repeat(np.array(left), len(right))
        b = np.tile(np.array(right), len(left))
        codes = np.minimum(a, b) * self.n + np.maximum(a, b)
        place = np.minimum(np.searchsorted(self.codes, codes), max(len(self.codes) - 1, 0))
        known = self.codes[place] == codes if len(self.codes) else np.zeros(len(codes), dtype=bool)
        values = np.where(known, self.values[place] if len(self.codes) else 0.0, 0.0)
        unknown = np.flatnonzero(~known)
        if len(unknown):
            first, second = np.divmod(codes[unknown], self.n)
            values[unknown] = self.score.probabilities(first, second)[0]
        total: float = sum(values.tolist())
        return total / (len(left) * len(right))


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
    links = Links(Scorer(data, config, embedder_key, models), candidate_pairs(data, config))
    group_of = list(range(n))
    members: dict[int, list[int]] = {i: [i] for i in range(n)}
    # Mean links of groups that did not merge, by (group, size) of both: groups only grow, so two
    # groups of the same sizes are the same groups, and the many links between two large groups
    # that stay apart cost one mean, not one each.
    apart: dict[tuple[int, int, int, int], float] = {}
    for value, threshold, i, j in links.strongest():
        gi, gj = group_of[i], group_of[j]
        if gi == gj:
            continue
        left, right = members[gi], members[gj]
        state = (gi, len(left), gj, len(right))
        if len(left) == len(right) == 1:
            mean = value  # two lone articles: their mean link is the link itself
        elif state in apart:
            mean = apart[state]
        else:
            mean = links.mean(spread(left), spread(right))
        if mean < threshold * AVERAGE_LINK_RATIO:
            log.debug("not merging groups of %d and %d: mean link %.3f", len(left), len(right), mean)
            apart[state] = mean
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
