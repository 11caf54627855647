"""Duplicates, clustering across languages, ranking."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from briefing.cluster import cluster_articles
from briefing.config import ClusterConfig, Config
from briefing.dedupe import dedupe
from briefing.embed import UseEmbedder
from briefing.models import Article, Story
from briefing.pipeline import prepare_stories
from briefing.rank import rank_stories
from tests.conftest import CORPUS, DATA, EXAMPLES, SEEDS

BODY = (
    "The city council of Lyon approved on Tuesday a plan to plant 12,000 trees by 2030, "
    "mayor Grégory Doucet said, after a debate that lasted six hours. The plan costs 45 million euros."
)


def test_exact_and_near_duplicates_fold_into_the_earliest() -> None:
    early = datetime(2026, 11, 1, tzinfo=UTC)
    articles = [
        Article(id="late", title="t", text=BODY, published=early + timedelta(hours=5)),
        Article(id="early", title="t", text=BODY + " Read more on our site.", published=early),
        Article(id="same", title="t", text=BODY.upper()),
        Article(
            id="other",
            title="t",
            text="A completely different story about football in Madrid and a 3-1 win.",
        ),
    ]
    result = dedupe(articles)
    assert [a.id for a in result.kept] == ["early", "other"]
    assert result.duplicate_of == {"late": "early", "same": "early"}


def test_a_rewrite_is_not_a_duplicate() -> None:
    rewrite = "Lyon will plant 12,000 trees by 2030. Mayor Grégory Doucet won the vote after six hours of debate."
    result = dedupe([Article(id="a", title="t", text=BODY), Article(id="b", title="t", text=rewrite)])
    assert len(result.kept) == 2


def test_corpus_clusters_as_expected() -> None:
    expected = json.loads((DATA / "corpus_expected.json").read_text())
    prepared = prepare_stories([str(CORPUS)], Config())
    assert [sorted(a.id for a in s.articles) for s in prepared.stories] == [sorted(c) for c in expected["clusters"]]
    assert {d.id: k for s in prepared.stories for k, v in s.duplicates.items() for d in v} == expected["duplicates"]


def test_sample_corpus_clusters_into_its_stories() -> None:
    prepared = prepare_stories([str(EXAMPLES)], Config())
    groups = sorted(sorted(a.id for a in s.articles) for s in prepared.stories)
    assert groups == [
        ["fire-es", "fire-fr", "fire-pt"],
        ["rates-en", "rates-fi"],
        ["rover-en", "rover-ja", "rover-ru"],
        ["strike-de", "strike-en", "strike-nl"],
        ["venice-it"],
    ]
    copies = {d.id: k for s in prepared.stories for k, v in s.duplicates.items() for d in v}
    assert copies == {"strike-en-wire": "strike-en"}


@pytest.mark.skipif(not SEEDS.is_dir(), reason="../shared/seeds is not beside this checkout")
def test_seed_articles_cluster_into_three_stories() -> None:
    prepared = prepare_stories([str(SEEDS)], Config())
    groups = sorted(sorted(a.id[:3] for a in s.articles) for s in prepared.stories)
    assert groups == [["000"], ["001", "002", "003"], ["004"]]
    origins = {a.id[:3]: a.original_source for s in prepared.stories for a in s.articles}
    assert origins["001"] == "Spiceworks" and origins["002"] == "Spiceworks" and origins["003"] == "exofeed.nl"


def test_articles_far_apart_in_time_are_never_one_story() -> None:
    base = datetime(2026, 1, 1, tzinfo=UTC)
    a = Article(id="a", title="Lyon trees", text=BODY, language="en", published=base)
    b = Article(id="b", title="Lyon trees", text=BODY, language="en", published=base + timedelta(days=400))
    groups = cluster_articles([a, b], ClusterConfig(), UseEmbedder())
    assert len(groups) == 2


def test_ranking_prefers_more_outlets_and_languages() -> None:
    def art(i: str, lang: str, outlet: str) -> Article:
        return Article(id=i, title="t", text="x", language=lang, source=outlet)

    small = Story(id="small", articles=[art("1", "en", "A")])
    big = Story(id="big", articles=[art("2", "en", "A"), art("3", "de", "B"), art("4", "fi", "C")])
    assert [s.id for s in rank_stories([small, big])] == ["big", "small"]
    assert big.score > small.score
