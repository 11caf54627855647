"""Language detection with the packaged model; declarations checked, not trusted."""

from __future__ import annotations

import pytest

from briefing.language import assign_language, detect
from briefing.models import Article

SAMPLES = {
    "en": "The central bank kept interest rates unchanged on Thursday, citing slowing inflation.",
    "it": "La banca centrale ha lasciato invariati i tassi di interesse giovedì, citando l'inflazione in calo.",
    "de": "Die Zentralbank hat die Zinsen am Donnerstag unverändert gelassen und verwies auf die sinkende Inflation.",
    "fr": "La banque centrale a laissé ses taux inchangés jeudi, invoquant le ralentissement de l'inflation.",
    "fi": "Keskuspankki piti korot ennallaan torstaina ja viittasi hidastuvaan inflaatioon.",
    "ja": "中央銀行は木曜日、インフレの鈍化を理由に金利を据え置いた。",
    "ru": "Центральный банк в четверг сохранил процентные ставки без изменений, сославшись на замедление инфляции.",
}


@pytest.mark.parametrize(("code", "text"), sorted(SAMPLES.items()))
def test_detect(code: str, text: str) -> None:
    assert detect(text)[0] == code


def test_wrong_declaration_is_overruled_and_flagged() -> None:
    article = assign_language(Article(id="x", title="", text=SAMPLES["fi"], declared_language="en"))
    assert article.language == "fi"
    assert any("overruled" in f for f in article.flags)


def test_declaration_stands_when_detection_is_unsure() -> None:
    article = assign_language(Article(id="x", title="", text="Meta 2026 AI 30%", declared_language="EN-us"))
    assert article.language == "en"
