"""Extract-then-translate: sentence choice, answer checks, and the whole mode over real HTTP."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from briefing.app import show_clusters
from briefing.config import Config, SummaryConfig
from briefing.embed import UseEmbedder
from briefing.errors import LLMOutputInvalid
from briefing.extractive import (
    Candidate,
    Drafted,
    _first_line,
    add_supporters,
    candidates,
    check_headline,
    check_headline_support,
    check_translation,
    fallback_headline,
    select,
    similarity_matrix,
)
from briefing.models import Article, Sentence, Story
from tests.support.data import EXAMPLES, read_digest
from tests.support.openai_server import ENGLISH, ScriptedOpenAI
from tests.support.runs import DATE, run_day

FI = "Rehnin mukaan inflaatio on hidastunut euroalueella 1,9 prosenttiin."


def fi_candidate() -> Candidate:
    return Candidate(Article(id="fi", title="", text=FI, language="fi"), 0, FI, set())


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("Inflation slowed to 1.9%.", "Inflation slowed to 1.9%."),
        ('Translation: "Inflation slowed to 1.9%."', "Inflation slowed to 1.9%."),
        (
            f'The Finnish sentence "{FI}" translates to English as:\nInflation slowed to 1.9%.',
            "Inflation slowed to 1.9%.",
        ),
        ('It translates to "Inflation slowed to 1.9%."', "Inflation slowed to 1.9%."),
    ],
)
def test_translation_answers_are_read(answer: str, expected: str) -> None:
    assert check_translation(fi_candidate(), answer) == expected


@pytest.mark.parametrize(
    ("answer", "problem"),
    [
        ("", "empty"),
        (FI, "copied"),
        ("Rehnin mukaan inflaatio on hidastunut euroalueella selvästi.", "Finnish"),
        ("Inflation slowed. " * 40, "far longer"),
    ],
)
def test_bad_translations_are_refused(answer: str, problem: str) -> None:
    with pytest.raises(LLMOutputInvalid, match=problem):
        check_translation(fi_candidate(), answer)


def test_headline_checks() -> None:
    assert check_headline('"Rotterdam dockers strike."') == "Rotterdam dockers strike"
    with pytest.raises(LLMOutputInvalid, match="too long"):
        check_headline(" ".join(["word"] * 30))
    assert _first_line("\n\n  Headline: Ports close \n") == "Ports close"


def test_select_picks_central_non_redundant_lead_first() -> None:
    prepared = show_clusters([str(EXAMPLES)], Config())
    strike = next(s for s in prepared.stories if any(a.id == "strike-en" for a in s.articles))
    cands = candidates(strike, SummaryConfig(), 8)
    picked = [cands[i] for i in select(cands, 4, similarity_matrix(cands, UseEmbedder()))]
    assert 1 <= len(picked) <= 4
    assert [c.position for c in picked] == sorted(c.position for c in picked)
    texts = [c.text for c in picked]
    assert len(set(texts)) == len(texts)
    # The lead fact (the 48-hour strike) is reported by every outlet: it must be chosen.
    assert any("48" in t for t in texts)


def test_extractive_mode_over_http(use_server: ScriptedOpenAI, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run_day([EXAMPLES], out, summary={"mode": "extractive"}).status == "ok"
    digest = read_digest(out, DATE)
    assert digest["report"]["llm"]["mode"] == "extractive"
    assert all(s["status"] == "ok" for s in digest["stories"])
    sent = [r["messages"][-1]["content"] for r in use_server.requests]
    translations = [p for p in sent if p.startswith("Translate")]
    assert translations and not any("English sentence from a news" in p for p in translations)
    for story in digest["stories"]:
        ids = {s["article_id"]: s["language"] for s in story["sources"]}
        for sentence in story["sentences"]:
            assert sentence["citations"] and set(sentence["citations"]) <= set(ids)
            if ids[sentence["citations"][0]] == "en":  # English sentences are quoted, never translated
                assert not any(sentence["text"] in p for p in translations)
    assert len(digest["overview_sentences"]) >= 1


def test_a_model_that_will_not_translate_is_reported(
    use_server: ScriptedOpenAI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BRIEFING_LLM_CONCURRENCY", "1")
    monkeypatch.setenv("BRIEFING_SUMMARY_TRANSLATE_ATTEMPTS", "2")
    # The Venice story is Italian only: answer every translation with the Italian source.
    italian = "Il Comune di Venezia ha deciso che le paratoie del MOSE verranno alzate solo con maree alte."
    use_server.transform = lambda content: italian if content in ENGLISH else content
    out = tmp_path / "out"
    outcome = run_day([EXAMPLES / "venice-it.md"], out, summary={"mode": "extractive"})
    digest = read_digest(out, DATE)
    assert outcome.status == "partial" and digest["stories"][0]["status"] == "unavailable"
    assert "Italian" in digest["stories"][0]["error"]
    assert use_server.chat_calls >= 2


def test_headline_may_not_claim_what_no_sentence_says() -> None:
    sentences = [
        "A forest fire in the Algarve has forced the evacuation of 1,200 people from 11 villages.",
        "More than 600 firefighters are fighting the flames, the civil protection said.",
    ]
    check_headline_support("Algarve fire forces evacuation of 1,200 people", sentences)
    with pytest.raises(LLMOutputInvalid, match="words no sentence supports: intensify"):
        check_headline_support("Algarve fire forces evacuation of 1,200 people as flames intensify", sentences)
    with pytest.raises(LLMOutputInvalid, match="1,500"):
        check_headline_support("Algarve fire forces evacuation of 1,500 people", sentences)
    check_headline_support("More than 600 firefighters fight Algarve fire", sentences)
    with pytest.raises(LLMOutputInvalid, match="more than 600"):  # the bound may not go
        check_headline_support("600 firefighters fight Algarve fire", sentences)


def test_a_fallback_headline_is_an_english_title_a_source_gave_itself() -> None:
    def article(id_: str, language: str, title: str) -> Article:
        return Article(id=id_, title=title, text="Testo.", language=language)

    lead = "The council approved the new budget after a long debate on Tuesday in the city hall of Turin."
    italian = article("it-1", "it", "Il consiglio approva il bilancio dopo un lungo dibattito")
    german = article("de-1", "de", "Council Approves Budget After Long Debate")  # the outlet's own English title
    short = article("de-2", "de", "Breaking News")  # too short to tell its language
    assert fallback_headline(Story(id="s", articles=[italian, german]), [lead]) == german.title
    shortened = "The council approved the new budget after a long debate on Tuesday…"
    assert fallback_headline(Story(id="s", articles=[italian, short]), [lead]) == shortened


def _candidate(article_id: str, language: str, text: str) -> Candidate:
    return Candidate(Article(id=article_id, title="", text=text, language=language), 0, text, set())


@pytest.mark.parametrize(
    ("spanish", "cited"), [("Más de 600 bomberos trabajan allí.", True), ("Más de 700 bomberos trabajan allí.", False)]
)
def test_a_translation_cites_the_other_languages_stating_its_fact(spanish: str, cited: bool) -> None:
    """A bounded figure ("plus de 600") in a translation's origin does not hide its supporters."""
    french = _candidate("fr", "fr", "Plus de 600 pompiers sont mobilisés.")
    draft = Drafted(Sentence("More than 600 firefighters are mobilized.", ["fr"], french.text, "fr"), origin=0)
    add_supporters([draft], [french, _candidate("es", "es", spanish)], np.ones((2, 2)))
    assert draft.sentence.citations == (["fr", "es"] if cited else ["fr"])
