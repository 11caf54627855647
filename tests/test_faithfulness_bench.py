"""The faithfulness benchmark's scorer, on small hand-made digests (no model, no run)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from briefing.factcheck import check_sentence


def _load_bench() -> ModuleType:
    path = Path(__file__).resolve().parents[1] / "bench" / "faithfulness.py"
    spec = importlib.util.spec_from_file_location("faithfulness_bench", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


bench = _load_bench()

TEXTS = {
    "inflation-de": "Inflation sinkt\nDie Inflation in Deutschland sank im Oktober auf 1,9 Prozent.",
    "strike-de": "Streik\nDer Streik kostete die Lufthansa 3,5 Millionen Euro.",
    # What the quoted sentence leaves out of its article ("not", "next year") is not held against it.
    "ecb-en": "ECB holds\nFrankfurt. The ECB kept its key rate at 2 percent on Thursday, officials said. "
    "It will not move before next year.",
    "ecb-fr": "La BCE\nLa BCE a maintenu jeudi son taux directeur à 2 %.",
}
FAITHFUL = "Inflation in Germany fell to 1.9% in October."
WRONG_NUMBER = "The strike cost Lufthansa 4.5 million euros."
QUOTED = "The ECB kept its key rate at 2 percent on Thursday."


def _source(article_id: str, language: str, duplicate_of: str | None = None) -> dict[str, Any]:
    return {"article_id": article_id, "language": language, "duplicate_of": duplicate_of}


def _digest(with_originals: bool) -> dict[str, Any]:
    def sentence(text: str, cited: str, original: str | None) -> dict[str, Any]:
        item: dict[str, Any] = {"text": text, "citations": [cited]}
        if with_originals:
            item["original"] = None if original is None else {"language": "de", "text": original}
        return item

    return {
        "stories": [
            {
                "id": "s1",
                "status": "ok",
                "sentences": [
                    sentence(FAITHFUL, "inflation-de", "Die Inflation in Deutschland sank im Oktober auf 1,9 Prozent."),
                    sentence(WRONG_NUMBER, "strike-de", "Der Streik kostete die Lufthansa 3,5 Millionen Euro."),
                ],
                "sources": [_source("inflation-de", "de"), _source("strike-de", "de")],
            },
            {
                "id": "s2",
                "status": "ok",
                "sentences": [sentence(QUOTED, "ecb-en", None)],
                # ecb-fr is cited by no sentence; the copy of ecb-en is a folded duplicate, not counted.
                "sources": [_source("ecb-en", "en"), _source("ecb-en-copy", "en", "ecb-en"), _source("ecb-fr", "fr")],
            },
            {"id": "s3", "status": "unavailable", "sentences": [], "sources": [_source("other", "tr")]},
        ],
        "report": {
            "llm": {"calls": 5, "cache_hits": 0},
            "checks": {"checked": 2, "passed": 1, "repaired": 0, "dropped": 1},
            "timings": {"summarize": 12.0, "total": 15.5},
        },
    }


def _english(text: str) -> str:
    return "en"


@pytest.mark.parametrize("with_originals", [True, False], ids=["originals", "older-digest"])
def test_scores_a_small_digest(with_originals: bool) -> None:
    score = bench.score_digest(_digest(with_originals), TEXTS, check_sentence, _english)
    total = bench.Figures.of(score.sentences)
    assert (total.sentences, total.translated, total.scored, total.agree) == (3, 2, 3, 2)
    assert total.kinds["number"] == 1 and sum(total.kinds.values()) == 1
    assert total.english_pct == 100.0
    assert [s.agrees for s in score.sentences] == [True, False, True]
    assert score.sentences[1].problems == ("number: the figure '4.5' is not in the source",)
    assert [s.language for s in score.sentences] == ["de", "de", "en"]
    assert (score.stories, score.unavailable, score.uncited_stories, score.uncited_articles) == (3, 1, 1, 1)
    assert score.originals_stored is with_originals
    assert score.seconds_per_story() == 4.0
    german = bench.Figures.of([s for s in score.sentences if s.language == "de"])
    assert (german.sentences, german.agree_pct) == (2, 50.0)
    table = bench.format_score(score)
    assert "agree with their source: 66.7% (2/3)" in table
    assert "run checks: checked 2, passed 1, repaired 0, dropped 1" in table


def test_a_sentence_agrees_when_one_cited_article_clears_it() -> None:
    digest = _digest(with_originals=False)
    digest["stories"][1]["sentences"][0]["citations"] = ["ecb-fr", "ecb-en"]
    score = bench.score_digest(digest, {**TEXTS, "ecb-fr": "La BCE a maintenu son taux à 3 %."}, check_sentence, None)
    assert score.sentences[2].agrees is True
    assert score.uncited_articles == 0


def test_translations_left_out_as_unsure_are_counted() -> None:
    digest = _digest(with_originals=True)
    unsure = "sentence dropped: a sentence of x (it): the model was unsure of its translation (token probability 0.6"
    digest["report"]["warnings"] = [
        {"stage": "check", "note": f"{unsure}; {unsure}"},
        {"stage": "check", "note": "sentence dropped: a sentence of y (it): the name 'Rome' is not in the source"},
        {"stage": "summarize", "note": "the model was unsure of its translation"},  # not a check: not counted
    ]
    # A story whose every sentence was dropped tells its drops in its failure.
    digest["report"]["failures"] = [{"stage": "summarize", "error": f"no usable English sentence: {unsure}"}]
    score = bench.score_digest(digest, TEXTS, check_sentence, None)
    assert score.unsure == 3
    assert "dropped 1 (3 of the dropped: the model was unsure)" in bench.format_score(score)


def test_a_run_is_compared_with_its_baseline() -> None:
    current = bench.score_digest(_digest(with_originals=True), TEXTS, check_sentence, None)
    older = _digest(with_originals=False)
    older["stories"][2]["status"] = "ok"  # the baseline summarized every story, slower and with more calls
    older["report"]["timings"]["summarize"] = 24.0
    older["report"]["llm"]["calls"] = 8
    baseline = bench.score_digest(older, TEXTS, check_sentence, None)
    ratios = bench.format_ratio(baseline, current)
    assert "seconds per story: 4.0 against 8.0 (x0.50)" in ratios
    assert "seconds per story summarized: 6.0 against 8.0 (x0.75)" in ratios
    assert "LLM calls: 5 against 8 (x0.62)" in ratios
    assert "stories unavailable: 1 against 0" in ratios
    with pytest.raises(SystemExit):
        bench._parse_args(["--baseline", "/tmp/before", "--digest", "/tmp/digest.json"])


def test_without_the_checker_agreement_is_unavailable() -> None:
    score = bench.score_digest(_digest(with_originals=True), TEXTS, None, None)
    assert {s.agrees for s in score.sentences} == {None}
    assert "unavailable" in bench.format_score(score)


def test_eval_selection_is_fixed_and_hides_the_gold_language() -> None:
    rows = [
        {"id": str(i), "title": "", "text": f"text {i}", "gold_language": lang}
        for i, lang in [(30, "de"), (4, "de"), (100, "de"), (7, "en"), (5, "ar")]
    ]
    chosen = bench.select_eval(rows, 2)
    assert [r["id"] for r in chosen] == ["4", "30", "5", "7"]
    assert all(set(r) == {"id", "title", "text"} for r in chosen)
    assert [r["id"] for r in bench.select_eval(rows, 2, skip=1)] == ["30", "100"]  # the next slice
