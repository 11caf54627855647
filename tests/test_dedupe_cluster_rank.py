"""Duplicates, clustering across languages, ranking."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from briefing.app import show_clusters
from briefing.cluster import cluster_articles
from briefing.config import ClusterConfig, Config
from briefing.dedupe import dedupe
from briefing.embed import UseEmbedder
from briefing.models import Article, Story
from briefing.rank import rank_stories
from tests.support.data import CORPUS, EXAMPLES, SEEDS
from tests.support.expect import CORPUS_EXPECTED

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
    prepared = show_clusters([str(CORPUS)], Config())
    clusters, duplicates = CORPUS_EXPECTED["clusters"], CORPUS_EXPECTED["duplicates"]
    assert [sorted(a.id for a in s.articles) for s in prepared.stories] == [sorted(c) for c in clusters]
    assert {d.id: k for s in prepared.stories for k, v in s.duplicates.items() for d in v} == duplicates


def test_sample_corpus_clusters_into_its_stories() -> None:
    prepared = show_clusters([str(EXAMPLES)], Config())
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
    prepared = show_clusters([str(SEEDS)], Config())
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


# One company, three articles: two report one event (in two languages), one a different event.
SAME_SUBJECT = [
    Article(
        id="cuts-en",
        title="Siemens Energy to cut 2,900 jobs at its Erlangen plant",
        text="Siemens Energy said on Monday it will cut 2,900 jobs at its Erlangen turbine plant by 2027, "
        "blaming weak orders for onshore wind turbines. Works council chief Anna Berger called the cuts "
        "a betrayal and announced protests outside the plant on Thursday. The company expects the "
        "restructuring to cost about 400 million euros.",
        language="en",
    ),
    Article(
        id="cuts-de",
        title="Siemens Energy streicht 2900 Stellen in Erlangen",
        text="Siemens Energy will bis 2027 in seinem Turbinenwerk in Erlangen 2900 Stellen streichen, wie der "
        "Konzern am Montag mitteilte. Grund seien schwache Aufträge für Windturbinen an Land. "
        "Betriebsratschefin Anna Berger sprach von Verrat und kündigte für Donnerstag Proteste vor dem Werk an. "
        "Der Umbau soll rund 400 Millionen Euro kosten.",
        language="de",
    ),
    Article(
        id="texas-en",
        title="Siemens Energy opens a transformer factory in Texas",
        text="Siemens Energy opened a transformer factory near Houston on Wednesday, its first in the "
        "United States, creating 650 jobs. Governor Greg Abbott attended the opening and praised the "
        "investment of 150 million dollars. The plant will supply utilities expanding the Texas grid.",
        language="en",
    ),
]


def test_one_event_groups_across_languages_and_another_event_of_the_same_company_stays_apart() -> None:
    groups = cluster_articles(SAME_SUBJECT, ClusterConfig(), UseEmbedder())
    assert sorted(sorted(a.id for a in g) for g in groups) == [["cuts-de", "cuts-en"], ["texas-en"]]


def test_two_figures_that_are_all_a_text_offers_do_not_merge_two_events() -> None:
    # A ballot rule citing "resolución 13-2020" and an Arabic report of an attack that kills 13,
    # the worst since 2020: the Arabic text has no capitalised names, so 13 and 2020 are all the
    # names-and-figures evidence it offers; shared, they must not outweigh unrelated meaning.
    ballot = Article(
        id="ballot-es",
        title="El tribunal electoral fija las reglas del voto en el exterior",
        text="El Jurado Nacional de Elecciones publicó la resolución 13-2020, que fija las reglas del voto de "
        "los peruanos en el exterior para los comicios de abril. Los electores podrán votar en 87 países, "
        "y las mesas abrirán a las 8 de la mañana, según el organismo.",
        language="es",
    )
    attack = Article(
        id="attack-ar",
        title="هجوم على نقطة أمنية",
        text="قُتل 13 جنديا في هجوم مسلح على نقطة أمنية شمال البلاد، وهو الهجوم الأعنف منذ عام 2020، "
        "بحسب مصادر أمنية. وأعلنت السلطات حالة الطوارئ في المنطقة.",
        language="ar",
    )
    assert len(cluster_articles([ballot, attack], ClusterConfig(), UseEmbedder())) == 2


def test_a_configured_threshold_overrides_the_fitted_one() -> None:
    groups = cluster_articles(SAME_SUBJECT, ClusterConfig(threshold=0.99), UseEmbedder())
    assert len(groups) == 3


def test_ranking_prefers_more_outlets_and_languages() -> None:
    def art(i: str, lang: str, outlet: str) -> Article:
        return Article(id=i, title="t", text="x", language=lang, source=outlet)

    small = Story(id="small", articles=[art("1", "en", "A")])
    big = Story(id="big", articles=[art("2", "en", "A"), art("3", "de", "B"), art("4", "fi", "C")])
    assert [s.id for s in rank_stories([small, big])] == ["big", "small"]
    assert big.score > small.score
