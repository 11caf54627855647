"""Cleaning: furniture stripped, FAQ cut, declared origins kept; sentence checks as data."""

from __future__ import annotations

from typing import Any

import pytest

from briefing.clean import (
    balance_quotes,
    clean_article,
    clean_text,
    declared_origin,
    is_furniture,
    normalise,
    sentence_furniture,
    strip_inline_label,
)
from briefing.models import Article
from tests.support.data import load_json

# Each case: {"function", "input", "expected", "lang", "note"}; see data/clean_cases.json.
CASES: list[dict[str, Any]] = load_json("clean_cases.json")


def _run(function: str, given: Any) -> Any:
    """What the named cleaning function makes of a case's input."""
    if function == "sentence_furniture":
        return sentence_furniture(given)
    if function == "strip_inline_label":
        return strip_inline_label(given)
    if function == "balance_quotes":
        return balance_quotes(given)
    if function == "clean_text":
        return clean_text(given).text
    if function == "clean_article":
        article = clean_article(Article(id="case", title=given["title"], text=given["text"]))
        return {"title": article.title, "text": article.text}
    raise ValueError(f"unknown function in clean_cases.json: {function}")


@pytest.mark.parametrize("case", CASES, ids=[f"{c['function']}-{c['lang']}-{i}" for i, c in enumerate(CASES)])
def test_clean_case(case: dict[str, Any]) -> None:
    assert _run(case["function"], case["input"]) == case["expected"], case["note"]


@pytest.mark.parametrize(
    ("line", "origin"),
    [
        ("Source: Spiceworks", "Spiceworks"),
        ("Lähde: Spiceworks", "Spiceworks"),
        ("The source of the article is from the blog exofeed.nl", "exofeed.nl"),
        ("Fonte: ANSA", "ANSA"),
        ("Quelle: dpa", "dpa"),
        ("The source code is open.", None),
        ("Sources say the deal is close, according to people familiar with the talks.", None),
    ],
)
def test_declared_origin(line: str, origin: str | None) -> None:
    assert declared_origin(line) == origin


@pytest.mark.parametrize(
    "line",
    [
        "Privacy policy",
        "Contact",
        "Related Links",
        "Back to Headlines",
        "Share on Twitter",
        "il y a 2 jours",
        "Datenschutz",
    ],
)
def test_furniture_lines(line: str) -> None:
    assert is_furniture(line)


@pytest.mark.parametrize("line", ["Contact was lost with the ship on Monday.", "Meta hired 200 engineers.", ""])
def test_sentences_are_not_furniture(line: str) -> None:
    assert not is_furniture(line)


def test_clean_seed_shaped_footer() -> None:
    text = (
        "Meta lost three AI leaders.\n\nParikh and Das left too.\n\nFAQ\n\nWhy are they leaving?\nBecause.\n\n"
        "Source: Spiceworks\n\nPrivacy policy\nContact\n"
    )
    cleaned = clean_text(text)
    assert cleaned.text == "Meta lost three AI leaders.\n\nParikh and Das left too."
    assert cleaned.original_source == "Spiceworks"


def test_finnish_faq_heading_is_cut() -> None:
    cleaned = clean_text("Tekoälyn ammattilaiset lähtevät.\n\nUKK\n\nMiksi?\nKoska.\n\nLähde: Spiceworks")
    assert cleaned.text == "Tekoälyn ammattilaiset lähtevät."
    assert cleaned.original_source == "Spiceworks"


def test_normalise_whitespace_and_unicode() -> None:
    assert normalise("Cafe\u0301\u00a0 bar\r\n\r\n\r\n\r\nnext\u200f") == "Café bar\n\nnext"
