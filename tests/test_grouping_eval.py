"""The grouping benchmark's scorer, on a tiny hand-made case."""

from __future__ import annotations

import numpy as np
import pytest

from bench.grouping_eval import Tally, fit_logistic, format_scores, pair_folds, score_pairs, story_map
from briefing.models import Article, Story


def _article(article_id: str) -> Article:
    return Article(id=article_id, title="", text="")


def test_pairs_are_scored_overall_mono_cross_and_by_language() -> None:
    story_of = {"a": "s1", "b": "s1", "c": "s2", "d": "s2", "e": "s3"}
    pairs = [
        {"id1": "a", "id2": "b", "same_story": True, "lang1": "en", "lang2": "en"},  # true positive
        {"id1": "a", "id2": "c", "same_story": True, "lang1": "en", "lang2": "de"},  # false negative
        {"id1": "c", "id2": "d", "same_story": False, "lang1": "de", "lang2": "de"},  # false positive
        {"id1": "d", "id2": "e", "same_story": False, "lang1": "de", "lang2": "en"},  # true negative
        {"id1": "a", "id2": "zz", "same_story": True, "lang1": "en", "lang2": "en"},  # not kept by the run
    ]
    scores = score_pairs(story_of, pairs)
    overall = scores.overall
    # The pair naming an article the run did not keep counts as split: a false negative here.
    assert (overall.tp, overall.fp, overall.fn, overall.tn) == (1, 1, 2, 1)
    assert overall.precision == 0.5 and overall.recall == pytest.approx(1 / 3) and overall.f1 == pytest.approx(0.4)
    assert (scores.mono.tp, scores.mono.fp, scores.mono.fn) == (1, 1, 1) and scores.mono.recall == 0.5
    assert (scores.cross.fn, scores.cross.tn) == (1, 1) and scores.cross.recall == 0.0
    assert set(scores.by_language) == {"en", "de", "de-en"}
    assert scores.missing == 1
    assert "overall" in format_scores(scores) and "1 labelled pairs" in format_scores(scores)


def test_no_prediction_and_no_gold_are_not_division_errors() -> None:
    empty = Tally()
    assert (empty.precision, empty.recall) == (1.0, 1.0)
    empty.add(False, True)
    assert empty.recall == 0.0 and empty.f1 == 0.0


def test_duplicates_count_as_their_kept_article_story() -> None:
    story = Story(id="s1", articles=[_article("kept")], duplicates={"kept": [_article("copy")]})
    assert story_map([story]) == {"kept": "s1", "copy": "s1"}


def test_logistic_fit_recovers_the_direction_and_scale_of_the_evidence() -> None:
    rng = np.random.default_rng(0)
    x = np.column_stack([rng.uniform(0.7, 1.0, 4000), rng.uniform(0, 1, 4000)])  # a compressed feature too
    true = np.array([30.0, -2.0, -24.0])
    y = (rng.uniform(size=4000) < 1 / (1 + np.exp(-(x @ true[:2] + true[2])))).astype(float)
    beta = fit_logistic(x, y, l2=0.01)
    assert beta[0] == pytest.approx(30.0, rel=0.2) and beta[1] == pytest.approx(-2.0, rel=0.3)
    assert beta[2] == pytest.approx(-24.0, rel=0.2)


def test_pairs_sharing_an_article_stay_in_one_fold() -> None:
    pairs = [{"id1": "a", "id2": "b"}, {"id1": "b", "id2": "c"}, {"id1": "d", "id2": "e"}, {"id1": "f", "id2": "g"}]
    for seed in range(5):
        folds = pair_folds(pairs, 2, seed)
        assert folds[0] == folds[1] and set(folds) <= {0, 1}
