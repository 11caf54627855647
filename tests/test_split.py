"""Sentence splitting, as data: each case in data/split_cases.json states its input and sentences."""

from __future__ import annotations

from typing import Any

import pytest

from briefing.budget import split_sentences
from tests.support.data import load_json

CASES: list[dict[str, Any]] = load_json("split_cases.json")


@pytest.mark.parametrize("case", CASES, ids=[f"{c['lang']}-{i}" for i, c in enumerate(CASES)])
def test_split_case(case: dict[str, Any]) -> None:
    assert split_sentences(case["input"]) == case["expected"], case["note"]


def test_sentences_keep_their_text() -> None:
    text = " ".join(" ".join(case["expected"]) for case in CASES)
    assert "".join(split_sentences(text)).replace(" ", "") == text.replace(" ", "")
