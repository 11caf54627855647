"""Token budgets with the offline tiktoken encoding."""

from __future__ import annotations

from briefing.budget import TiktokenCounter, fit_texts, prompt_budget, share_budget, split_sentences


def test_offline_encoding_counts_tokens() -> None:
    counter = TiktokenCounter()
    assert counter.count("hello world") == 2
    assert counter.truncate("hello world again", 2) == "hello world"


def test_share_budget_gives_short_texts_all_they_need() -> None:
    assert share_budget([10, 500, 1000], 610) == [10, 300, 300]
    assert share_budget([10, 20], 100) == [10, 20]
    assert sum(share_budget([400, 400, 400], 900)) == 900


def test_fit_texts_trims_at_sentence_boundaries() -> None:
    counter = TiktokenCounter()
    long = " ".join(f"Sentence number {i} says something." for i in range(200))
    short = "A short article."
    fitted = fit_texts([short, long], 120, counter)
    assert fitted[0] == short
    assert fitted[1].endswith("says something.")
    assert sum(counter.count(t) for t in fitted) <= 120


def test_one_giant_sentence_is_cut_by_tokens() -> None:
    counter = TiktokenCounter()
    fitted = fit_texts(["word " * 1000], 50, counter)
    assert 0 < counter.count(fitted[0]) <= 50


def test_split_sentences_keeps_text() -> None:
    assert split_sentences("One. Two! Three?\nFour") == ["One.", "Two!", "Three?", "Four"]


def test_prompt_budget_leaves_room_for_the_answer() -> None:
    assert prompt_budget(8192, 800, 500) == int(8192 * 0.95) - 1300
