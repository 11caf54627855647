"""The faithfulness checker, from a table of (source, English, verdict) cases in many languages."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import pytest

from briefing.factcheck import Text, check_sentence, english_names, numbers
from tests.support.data import load_json

CASES: list[dict[str, Any]] = load_json("faithfulness_cases.json")["cases"]


@pytest.mark.parametrize("case", CASES, ids=[f"{c['lang']}-{n}" for n, c in enumerate(CASES)])
def test_verdict(case: dict[str, Any]) -> None:
    problems = check_sentence(case["english"], case["source"], case["lang"])
    expected = sorted(k for k in case["expect"] if not k.endswith("?"))
    assert sorted({p.kind for p in problems}) == expected, [str(p) for p in problems]


@pytest.mark.parametrize(
    ("raw", "language", "value"),
    [
        ("1.200 Menschen", "de", 1200.0),
        ("1,200 people", "en", 1200.0),
        ("0,25 prosenttiyksikköä", "fi", 0.25),
        ("1,9 %", "fi", 1.9),
        ("10,5 Mrd. Euro", "de", 10.5e9),
        ("4 500 salariés", "fr", 4500.0),
        ("14,3 miliardów", "pl", 14.3e9),
    ],
)
def test_numbers_are_read_in_the_writer_locale(raw: str, language: str, value: float) -> None:
    assert value in numbers(Text.of(raw, language))


def test_names_skip_sentence_starts_and_calendar_words() -> None:
    names = english_names(Text.of("The union said on Monday that Niek Stam of FNV will meet Hutchison Ports.", "en"))
    # "Ports" is a common English word: a translated part of a name, not checkable on its own.
    assert names == ["Niek", "Stam", "FNV", "Hutchison"]


def test_unknown_language_is_not_guessed() -> None:
    # No lexicon, no calendar: only what can be compared (figures) is checked.
    assert check_sentence("Inflation rose to 3 percent.", "Mfumuko wa bei ulipanda hadi asilimia 3.", "sw") == []
    assert [p.kind for p in check_sentence("Inflation rose to 4 percent.", "ulipanda hadi asilimia 3.", "sw")] == [
        "number"
    ]


def test_false_friend_entries_are_safe_prefixes() -> None:
    """Each false friend names its meaning, and its words are whole words or prefixes long enough
    not to match unrelated words (cald- matched Calderoli, suceso- sucesor)."""
    facts = json.loads(resources.files("briefing").joinpath("data/facts.json").read_text("utf-8"))
    for friend in facts["false_friends"]:
        assert friend["means"] and friend["language"] and friend["unless"] is not None, friend
        for entry in friend["source"] + friend["english"]:
            assert entry.endswith(" ") or " " in entry or len(entry) >= 5, (friend["language"], entry)
