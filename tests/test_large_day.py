"""The compact forms a large day is grouped with give what the plain ones gave (bench/day_bench.py times them)."""

from __future__ import annotations

import math
import random
from collections import defaultdict

import numpy as np
import pytest

from briefing import cluster, dedupe, neighbours, sparse
from briefing.cluster import ClusterInput, Links, Scorer, candidate_pairs, prepare
from briefing.config import ClusterConfig
from briefing.embed import USE_LANGUAGES
from briefing.entities import COMMON_MIN_DF, COMMON_SHARE, MIN_FIGURES, NAME_PRIOR, EntityIndex
from briefing.models import Article
from briefing.sparse import SparseRows, pair_sums
from briefing.words import cosine, word_vector


def random_sets(count: int, seed: int = 3) -> list[set[str]]:
    """Entity sets drawn from a small vocabulary of names and figures, so pairs share some."""
    rng = random.Random(seed)
    vocabulary = [f"name {k}" for k in range(60)] + [f"#{k}" for k in range(20)]
    return [set(rng.sample(vocabulary, rng.randint(0, 12))) for _ in range(count)]


def plain_similarity(sets: list[set[str]], i: int, j: int) -> tuple[float, bool]:
    """EntityIndex.similarity and figures_conflict as they were computed on Python sets."""
    df: dict[str, int] = defaultdict(int)
    for keys in sets:
        for key in keys:
            df[key] += 1
    n = len(sets)
    common = max(COMMON_MIN_DF, COMMON_SHARE * n)
    weight = {k: 0.0 if c > common else math.log((n + 1) / (c + 0.5)) + 1.0 for k, c in df.items()}
    a, b = sets[i], sets[j]
    numbers_a, numbers_b = {k for k in a if k.startswith("#")}, {k for k in b if k.startswith("#")}
    conflict = len(numbers_a) >= MIN_FIGURES and len(numbers_b) >= MIN_FIGURES and not numbers_a & numbers_b
    shared = [k for k in a & b if weight[k] > 0]
    if len(shared) < 2:
        return 0.0, conflict
    fewer = min(sum(1 for k in a if weight[k] > 0), sum(1 for k in b if weight[k] > 0))
    total = min(sum(weight[k] for k in a), sum(weight[k] for k in b))
    return sum(weight[k] for k in shared) / total * fewer / (fewer + NAME_PRIOR), conflict


def test_entity_evidence_of_many_pairs_is_what_python_sets_give() -> None:
    sets = random_sets(120)
    index = EntityIndex(iter(sets))  # read one set at a time
    first, second = np.triu_indices(len(sets), 1)
    names, conflicts = index.evidence(first, second)
    for i, j, name, conflict in zip(first.tolist(), second.tolist(), names, conflicts, strict=True):
        expected_name, expected_conflict = plain_similarity(sets, i, j)
        assert name == pytest.approx(expected_name, abs=1e-12)
        assert bool(conflict) == expected_conflict
    assert index.similarity(5, 9) == pytest.approx(plain_similarity(sets, 5, 9)[0], abs=1e-12)


def test_shared_pairs_are_the_pairs_sharing_enough_blocking_entities() -> None:
    sets = random_sets(150, seed=8)
    index = EntityIndex(sets)
    df: dict[str, int] = defaultdict(int)
    for keys in sets:
        for key in keys:
            df[key] += 1
    for max_df, least in ((30, 1), (30, 2), (12, 2), (30, 3)):
        blocking = [{k for k in keys if 1 < df[k] <= max_df} for keys in sets]
        expected = [
            (i * len(sets) + j, len(blocking[i] & blocking[j]))
            for i in range(len(sets))
            for j in range(i + 1, len(sets))
            if len(blocking[i] & blocking[j]) >= least
        ]
        codes, counts = index.shared_pairs(max_df, least)
        assert list(zip(codes.tolist(), counts.tolist(), strict=True)) == expected


@pytest.mark.parametrize("few", [0, 10**9])  # row by row, and by binary search
def test_pair_sums_are_dot_products_of_the_word_vectors(monkeypatch: pytest.MonkeyPatch, few: int) -> None:
    monkeypatch.setattr(sparse, "FEW_PAIRS", few)
    rng = random.Random(5)
    words = ["tunnel", "Gotthard", "hail", "trucks", "Airolo", "council", "budget", "vote", "the", "a"]
    texts = [" ".join(rng.choices(words, k=rng.randint(0, 12))) for _ in range(40)]
    vectors = [word_vector(t, "en") for t in texts]
    table = SparseRows.build(vectors, {})
    first = np.array([rng.randrange(40) for _ in range(300)])
    second = np.array([rng.randrange(40) for _ in range(300)])
    (dots,) = pair_sums(table, first, second, [(table.values, table.values)])
    for i, j, dot in zip(first.tolist(), second.tolist(), dots, strict=True):
        assert dot == pytest.approx(cosine(vectors[i], vectors[j]), abs=1e-12)


def test_shingles_are_sorted_distinct_hashes_and_jaccard_counts_them() -> None:
    text = "one two three four five six seven one two three four five"
    hashes = dedupe.shingles(text)
    assert hashes.dtype == np.uint32 and list(hashes) == sorted(set(hashes.tolist()))
    assert len(hashes) == 7  # 8 five-word windows, one of them twice
    other = dedupe.shingles("one two three four five six seven eight")
    assert dedupe.jaccard(hashes, other) == pytest.approx(3 / 8)  # 3 windows shared, 7 + 4 - 3 in all
    assert dedupe.jaccard(dedupe.shingles(""), dedupe.shingles("")) == 0.0


def test_lsh_buckets_come_in_the_order_a_scan_meets_them() -> None:
    rng = np.random.default_rng(2)
    signatures = rng.integers(0, 3, size=(300, dedupe.NUM_PERM)).astype(np.uint64)
    expected: dict[tuple[int, bytes], list[int]] = {}
    for i, signature in enumerate(signatures):
        for band in range(dedupe.BANDS):
            key = (band, signature[band * dedupe.BAND_ROWS : (band + 1) * dedupe.BAND_ROWS].tobytes())
            expected.setdefault(key, []).append(i)
    found = [m.tolist() for m in dedupe._lsh_buckets(signatures)]
    assert found == [m for m in expected.values() if len(m) > 1]


class Scrambled:
    """An embedder whose vectors are random, so neighbours are arbitrary (and many)."""

    name = key = "usem3"
    languages = USE_LANGUAGES

    def encode(self, texts: list[str]) -> np.ndarray:
        vectors = np.random.default_rng(len(texts)).normal(size=(len(texts), 16)).astype(np.float32)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def articles(count: int) -> list[Article]:
    rng = random.Random(4)
    names = ["Oslo", "Lyon", "Graz", "Brno", "Quito", "Leeds", "Turin", "Bergen", "Osaka", "Lagos"]
    return [
        Article(
            id=f"a{k}",
            title="",
            text=f"In {rng.choice(names)} and {rng.choice(names)} the council met {rng.randint(10, 30)} times.",
            language="en",
        )
        for k in range(count)
    ]


def test_the_neighbour_search_finds_the_same_pairs_in_any_block_size(monkeypatch: pytest.MonkeyPatch) -> None:
    config = ClusterConfig(neighbors=5)
    data = prepare(articles(90), config, Scrambled())
    whole = candidate_pairs(data, config)
    monkeypatch.setattr(neighbours, "BLOCK_CELLS", 90 * 16)  # 16 rows a block
    assert candidate_pairs(data, config).tolist() == whole.tolist()


def test_one_shared_name_does_not_make_a_candidate_pair_two_do() -> None:
    texts = [
        "Mayor Anna Kowalczyk of Brno opened the bridge.",
        "Anna Kowalczyk spoke at a concert in Leeds.",
        "Mayor Anna Kowalczyk of Brno closed the bridge again.",
        "The weather was fine.",
    ]
    items = [Article(id=str(k), title="", text=t, language="fi") for k, t in enumerate(texts)]  # not embedded
    data = prepare(items, ClusterConfig(), Scrambled())
    pairs = {divmod(int(code), len(items)) for code in candidate_pairs(data, ClusterConfig())}
    assert pairs == {(0, 1), (0, 2), (1, 2)}  # "anna kowalczyk", "anna", "kowalczyk" are three names
    lone = [Article(id=str(k), title="", text=t, language="fi") for k, t in enumerate(["Brno won.", "Brno lost."])]
    assert candidate_pairs(prepare(lone, ClusterConfig(), Scrambled()), ClusterConfig()).tolist() == []


def test_mean_links_are_the_mean_of_the_pairs_scored_one_by_one() -> None:
    config = ClusterConfig(neighbors=4)
    data: ClusterInput = prepare(articles(40), config, Scrambled())
    score = Scorer(data, config, "usem3")
    links = Links(score, candidate_pairs(data, config))
    left, right = [0, 7, 12, 30], [3, 5, 39]
    expected = sum(score(min(a, b), max(a, b)) for a in left for b in right) / 12
    assert links.mean(left, right) == pytest.approx(expected, abs=1e-12)
    known = {int(c): v for c, v in zip(links.codes, links.values, strict=True)}
    for code, value in list(known.items())[:20]:
        assert score(*divmod(code, 40)) == pytest.approx(value, abs=1e-12)


class Counting:
    """A fallback embedder that counts what it embeds."""

    name = key = "e5"
    languages = frozenset(["en", "fi"])

    def __init__(self) -> None:
        self.seen: list[str] = []

    def encode(self, texts: list[str]) -> np.ndarray:
        self.seen.extend(texts)
        return np.ones((len(texts), 4), dtype=np.float32) / 2


def test_the_fallback_embeds_the_partners_sharing_most_with_an_unread_article(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cluster, "FALLBACK_PARTNERS", 2)
    unread = Article(id="fi", title="", text="Nokia Oyj ja Espoo: Pekka Lundmark, 2300.", language="fi")
    partners = [
        Article(id="all", title="", text="Nokia Oyj in Espoo: Pekka Lundmark and 2300 jobs.", language="en"),
        Article(id="three", title="", text="Nokia Oyj with Pekka Lundmark today.", language="en"),
        Article(id="two", title="", text="Nokia Oyj said so.", language="en"),
        Article(id="none", title="", text="The weather is fine.", language="en"),
    ]
    fallback = Counting()
    data = prepare([unread, *partners], ClusterConfig(), Scrambled(), fallback)
    assert data.has_second.tolist() == [True, True, True, False, False]  # "two" shares the fewest
    assert len(fallback.seen) == 3
