"""Every digest sentence is checked against its source, through a real HTTP endpoint.

The scripted server plays a model that flips facts: a translation or summary that disagrees
with its source must be re-asked with the problem stated, and left out (and reported) when
the second answer still disagrees.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.support.data import ACME_IT, read_digest
from tests.support.openai_server import ScriptedOpenAI
from tests.support.runs import run_day

DATE = "2026-11-24"
ARTICLE = ACME_IT
FIRED, HIRED = "laid off", "hired"


def _write(tmp_path: Path) -> Path:
    path = tmp_path / "acme-it.md"
    path.write_text(ARTICLE, encoding="utf-8")
    return path


def run_acme(source: Path, mode: str) -> tuple[str, dict[str, Any]]:
    """A daily run of a source in a summary mode: its status (ok, partial, empty) and its digest.json."""
    out = source.parent / "out"
    outcome = run_day([source], out, date=DATE, summary={"mode": mode})
    return outcome.status, read_digest(out, DATE)


def _prompt(messages: list[dict[str, str]]) -> str:
    return messages[-1]["content"]


def flipping_translator(messages: list[dict[str, str]]) -> str | None:
    """Flips 'laid off' to 'hired' until told; always moves the strike to Saturday."""
    prompt = _prompt(messages)
    if not prompt.startswith("Translate") or "<sentence>" not in prompt:
        if "headline" in prompt:
            return "Acme laid off 173 employees in Turin"
        return None
    sentence = prompt.rsplit("<sentence>", 1)[1]
    if "licenziato" in sentence:
        verb = FIRED if "previous translation was wrong" in prompt else HIRED
        return f"The company Acme {verb} 173 employees at its plant in Turin on Monday morning."
    return "The Fiom union called an eight-hour strike in front of the gates for next Saturday."


def test_flipped_translation_is_repaired_and_a_wrong_day_is_dropped(use_server: ScriptedOpenAI, tmp_path: Path) -> None:
    use_server.answer = flipping_translator
    status, digest = run_acme(_write(tmp_path), "extractive")
    assert status == "ok"
    [story] = digest["stories"]
    texts = [s["text"] for s in story["sentences"]]
    assert any(FIRED in t for t in texts) and not any(HIRED in t for t in texts)
    assert not any("Saturday" in t for t in texts)
    repaired = next(s for s in story["sentences"] if FIRED in s["text"])
    assert repaired["original"]["language"] == "it" and "licenziato" in repaired["original"]["text"]
    checks = digest["report"]["checks"]
    assert checks["repaired"] == 1 and checks["dropped"] == 1
    assert checks["checked"] == checks["passed"] + checks["repaired"] + checks["dropped"]
    notes = [w["note"] for w in digest["report"]["warnings"] if w["stage"] == "check"]
    assert len(notes) == 1 and "Saturday" in notes[0]
    # The re-ask stated the problem to the model.
    reasks = [_prompt(r["messages"]) for r in use_server.requests if "previous translation was wrong" in str(r)]
    assert any("'hire' where the source says 'fire'" in p for p in reasks)


def test_a_false_friend_is_named_with_its_meaning_when_reasked(use_server: ScriptedOpenAI, tmp_path: Path) -> None:
    def look_alike(messages: list[dict[str, str]]) -> str | None:
        prompt = _prompt(messages)
        if "<sentence>" in prompt and "licenziato" in prompt.rsplit("<sentence>", 1)[1]:
            verb = FIRED if "previous translation was wrong" in prompt else "licensed"
            return f"The company Acme {verb} 173 employees at its plant in Turin on Monday morning."
        return flipping_translator(messages)

    use_server.answer = look_alike
    _, digest = run_acme(_write(tmp_path), "extractive")
    texts = [s["text"] for s in digest["stories"][0]["sentences"]]
    assert any(FIRED in t for t in texts) and not any("licensed" in t for t in texts)
    reasks = [_prompt(r["messages"]) for r in use_server.requests if "previous translation was wrong" in str(r)]
    assert any("'licenziato' in the source means 'dismiss, fire', not 'licensed'" in p for p in reasks)


def test_abstractive_sentence_with_a_wrong_figure_is_reasked(use_server: ScriptedOpenAI, tmp_path: Path) -> None:
    def model(messages: list[dict[str, str]]) -> str | None:
        if "<story id" in _prompt(messages):
            return None  # the overview: answered from the prompt
        told = any("disagrees with its sources" in m["content"] for m in messages)
        figure = 173 if told else 137
        sentences = [
            {"text": f"Acme laid off {figure} employees at its plant in Turin on Monday.", "citations": ["A1"]},
            {"text": "The Fiom union called an eight-hour strike for Friday.", "citations": ["A1"]},
        ]
        return json.dumps({"headline": "Acme lays off staff in Turin", "sentences": sentences})

    use_server.answer = model
    status, digest = run_acme(_write(tmp_path), "abstractive")
    assert status == "ok"
    texts = [s["text"] for s in digest["stories"][0]["sentences"]]
    assert any("173" in t for t in texts) and not any("137" in t for t in texts)
    checks = digest["report"]["checks"]
    assert (checks["checked"], checks["passed"], checks["repaired"], checks["dropped"]) == (2, 1, 1, 0)


def test_abstractive_sentence_that_stays_wrong_is_left_out(use_server: ScriptedOpenAI, tmp_path: Path) -> None:
    sentences = [
        {"text": "Acme laid off 173 employees at its plant in Turin on Monday.", "citations": ["A1"]},
        {"text": "Acme hired 173 new employees at its plant in Turin on Monday.", "citations": ["A1"]},
    ]
    answer = json.dumps({"headline": "Acme and Turin", "sentences": sentences})
    use_server.answer = lambda messages: None if "<story id" in _prompt(messages) else answer
    _, digest = run_acme(_write(tmp_path), "abstractive")
    texts = [s["text"] for s in digest["stories"][0]["sentences"]]
    assert texts == ["Acme laid off 173 employees at its plant in Turin on Monday."]
    assert digest["report"]["checks"]["dropped"] == 1
    assert any("hired" in w["note"] for w in digest["report"]["warnings"] if w["stage"] == "check")


GERMAN = """---
title: Streik bei Acme
source: Nordkurier
language: de
---
Bei Acme in Hamburg legten am Montag 2.300 Beschäftigte die Arbeit nieder, teilte die IG Metall mit.
"""


def test_languages_the_model_is_not_trusted_with_are_not_translated(
    use_server: ScriptedOpenAI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BRIEFING_SUMMARY_TRANSLATE_LANGUAGES", "it")
    use_server.answer = flipping_translator
    (tmp_path / "in").mkdir()
    _write(tmp_path / "in")
    (tmp_path / "in" / "acme-de.md").write_text(GERMAN, encoding="utf-8")
    status, digest = run_acme(tmp_path / "in", "extractive")
    assert status == "partial"
    by_language = {s["sources"][0]["language"]: s for s in digest["stories"]}
    assert by_language["it"]["status"] == "ok"
    german = by_language["de"]
    assert german["status"] == "unavailable" and "German" in german["error"]
    assert "summary.translate_languages" in german["error"]
    assert not any("Beschäftigte" in str(r["messages"]) for r in use_server.requests)
