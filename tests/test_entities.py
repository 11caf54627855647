"""Names and figures: the language-independent evidence behind clustering."""

from __future__ import annotations

import pytest

from briefing.entities import EntityIndex, extract


@pytest.mark.parametrize(
    ("text", "figures"),
    [
        ("About 4,500 workers; 4.500 Arbeiter; 4 500 salariés.", {"#4500"}),
        ("Growth of 1,4 percent, or 1.4%.", {"#1.4", "#1.4%"}),
        ("探査車は10月に着陸し、3.2キロメートルを走行した。2028年までに", {"#10", "#3.2", "#2028"}),
        ("In 2028, 30 % of 120 staff.", {"#2028", "#30%", "#120"}),
        ("COVID19 and abc12 and 3 days.", set()),
    ],
)
def test_figures(text: str, figures: set[str]) -> None:
    assert {k for k in extract(text) if k.startswith("#")} == figures


def test_names_and_sentence_starts() -> None:
    keys = extract("Der Chef von Meta, Mark Zuckerberg, sprach. Meta wächst. Die Firma OpenAI auch.")
    assert {"meta", "mark zuckerberg", "openai"} <= keys
    assert "der" not in keys and "die" not in keys


def test_common_keys_carry_no_weight() -> None:
    sets = [{"montag", f"name{i}", f"other{i}"} for i in range(40)]
    sets[0] |= {"shared a", "shared b"}
    sets[1] |= {"shared a", "shared b"}
    index = EntityIndex(sets)
    assert index.weight_of("montag") == 0.0
    assert index.similarity(0, 1) > 0
    assert index.similarity(2, 3) == 0.0  # only the common word in common
