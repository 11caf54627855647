"""A translation the model was unsure of is left out: its confidence, measured and gated.

The confidence of an answer is the geometric mean of the probabilities the model gave its tokens.
The embedded model measures it while decoding (a logits processor); an endpoint gives it as
`logprobs`. The scripted server below plays an endpoint that gives them, or refuses them.
"""

from __future__ import annotations

import json
import math
import sqlite3
from contextlib import closing
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from briefing.config import Config
from briefing.digest_json import sentence_dict
from briefing.extractive import EMBEDDED_MIN_CONFIDENCE
from briefing.llm.base import ChatRequest
from briefing.llm.local import DEFAULT_MODEL_FILE, GreedyConfidence
from briefing.llm.openai_backend import answer_confidence
from briefing.models import Sentence, Usage
from briefing.prompts import Prompts
from briefing.store import Store, add_confidence_column
from briefing.summarizers import UNSCORED, ExtractiveSummarizer
from tests.support.data import ACME_IT, read_digest
from tests.support.openai_server import Reply, ScriptedOpenAI
from tests.support.runs import run_day

DATE = "2026-11-24"
ARTICLE = ACME_IT
LAYOFFS = "The company Acme laid off 173 employees at its plant in Turin on Monday morning."
STRIKE = "The Fiom union called an eight-hour strike for next Friday in front of the gates."
SPANISH = """---
title: Incendio en el Algarve
source: Diario Ibérico
language: es
---
Un incendio forestal en la sierra de Monchique ha obligado a evacuar a unas 1.200 personas de once aldeas.
"""
FIRE = "A forest fire in the Monchique hills forced the evacuation of about 1,200 people from eleven villages."


def translator(messages: list[dict[str, str]]) -> str | None:
    """Translates the two sentences faithfully; anything else is answered from the prompt."""
    prompt = messages[-1]["content"]
    if not prompt.startswith("Translate") or "<sentence>" not in prompt:
        return "Acme lays off 173 employees in Turin" if "headline" in prompt else None
    sentence = prompt.rsplit("<sentence>", 1)[1]
    if "Monchique" in sentence:
        return FIRE
    return LAYOFFS if "licenziato" in sentence else STRIKE


def unsure_of_the_strike(content: str) -> float:
    return 0.6 if content == STRIKE else 0.95


def run_acme(tmp_path: Path, **summary: object) -> dict[str, object]:
    source = tmp_path / "acme-it.md"
    source.write_text(ARTICLE, encoding="utf-8")
    out = tmp_path / "out"
    run_day([source], out, date=DATE, summary={"mode": "extractive", **summary})
    return read_digest(out, DATE)


def _sentences(digest: dict[str, object]) -> list[dict[str, object]]:
    [story] = digest["stories"]  # type: ignore[index]
    return list(story["sentences"])


def _check_notes(digest: dict[str, object]) -> list[str]:
    return [w["note"] for w in digest["report"]["warnings"] if w["stage"] == "check"]  # type: ignore[index]


def test_the_greedy_token_probability_is_the_softmax_of_the_largest_logit() -> None:
    sure = GreedyConfidence()
    steps = [np.array([2.0, 0.0, -1.0], dtype=np.float32), np.array([0.5, 0.5, 9.0], dtype=np.float32)]
    for logits in steps:
        assert sure(None, logits) is logits  # it only looks
    expected = [float(np.exp(s.max()) / np.exp(s.astype(np.float64)).sum()) for s in steps]
    assert sure.value() == pytest.approx(math.sqrt(expected[0] * expected[1]))
    assert GreedyConfidence().value() is None


def test_an_endpoints_logprobs_give_the_geometric_mean_probability() -> None:
    tokens = [SimpleNamespace(logprob=math.log(0.9)), SimpleNamespace(logprob=math.log(0.4))]
    response = SimpleNamespace(choices=[SimpleNamespace(logprobs=SimpleNamespace(content=tokens))])
    assert answer_confidence(response) == pytest.approx(0.6)
    as_dicts = SimpleNamespace(choices=[SimpleNamespace(logprobs={"content": [{"logprob": math.log(0.5)}]})])
    assert answer_confidence(as_dicts) == pytest.approx(0.5)  # a batch line's body
    for missing in (None, SimpleNamespace(content=None), SimpleNamespace(content=[SimpleNamespace(logprob=None)])):
        assert answer_confidence(SimpleNamespace(choices=[SimpleNamespace(logprobs=missing)])) is None
    impossible = [SimpleNamespace(logprob=-0.1), SimpleNamespace(logprob=-math.inf)]  # a token given no chance
    zero = SimpleNamespace(choices=[SimpleNamespace(logprobs=SimpleNamespace(content=impossible))])
    assert answer_confidence(zero) == 0


def test_asking_for_confidence_changes_the_cache_key() -> None:
    plain = ChatRequest(messages=(("user", "hi"),), temperature=0.0, max_tokens=5)
    sure = ChatRequest(messages=(("user", "hi"),), temperature=0.0, max_tokens=5, confidence=True)
    assert plain.cache_key("m") != sure.cache_key("m")


def test_an_unsure_translation_is_left_out_and_reported(use_server: ScriptedOpenAI, tmp_path: Path) -> None:
    use_server.answer = translator
    use_server.sureness = unsure_of_the_strike
    digest = run_acme(tmp_path, min_translation_confidence=0.8)
    [kept] = _sentences(digest)
    assert kept["text"] == LAYOFFS
    assert kept["original"]["confidence"] == pytest.approx(0.95)  # type: ignore[index]
    checks = digest["report"]["checks"]  # type: ignore[index]
    assert (checks["checked"], checks["passed"], checks["dropped"]) == (2, 1, 1)
    [note] = _check_notes(digest)
    assert "unsure of its translation (token probability 0.60" in note and "min_translation_confidence 0.80" in note
    translations = [r for r in use_server.requests if r["messages"][-1]["content"].startswith("Translate")]
    assert len(translations) == 2 and all(r.get("logprobs") is True for r in translations)


def test_a_cached_answer_keeps_its_confidence(use_server: ScriptedOpenAI, tmp_path: Path) -> None:
    use_server.answer = translator
    use_server.sureness = unsure_of_the_strike
    first = run_acme(tmp_path, min_translation_confidence=0.8)
    calls = use_server.chat_calls
    again = run_acme(tmp_path, min_translation_confidence=0.8)
    assert use_server.chat_calls == calls  # every answer came from the cache
    assert _sentences(again) == _sentences(first)
    assert again["report"]["checks"]["dropped"] == 1  # type: ignore[index]


def test_without_a_gate_no_confidence_is_asked_for(use_server: ScriptedOpenAI, tmp_path: Path) -> None:
    use_server.answer = translator
    use_server.sureness = unsure_of_the_strike
    digest = run_acme(tmp_path)  # an endpoint: off unless configured
    assert [s["text"] for s in _sentences(digest)] == [LAYOFFS, STRIKE]
    assert all("confidence" not in s["original"] for s in _sentences(digest))  # type: ignore[operator]
    assert not any("logprobs" in r for r in use_server.requests)


def test_an_endpoint_without_logprobs_still_translates(use_server: ScriptedOpenAI, tmp_path: Path) -> None:
    use_server.answer = translator
    use_server.rejects_logprobs = True
    digest = run_acme(tmp_path, min_translation_confidence=0.8)
    assert [s["text"] for s in _sentences(digest)] == [LAYOFFS, STRIKE]
    asked = [r for r in use_server.requests if r.get("logprobs")]
    assert len(asked) == 1  # refused once, then no longer asked for


def test_a_server_error_naming_logprobs_is_retried_not_taken_as_a_refusal(
    use_server: ScriptedOpenAI, tmp_path: Path
) -> None:
    use_server.answer = translator
    fault = json.dumps({"error": {"message": "logprobs backend overloaded", "type": "server_error"}})
    use_server.script(Reply(status=500, body=fault))
    digest = run_acme(tmp_path, min_translation_confidence=0.8)
    assert [s["text"] for s in _sentences(digest)] == [LAYOFFS, STRIKE]
    assert all(s["original"]["confidence"] == pytest.approx(0.95) for s in _sentences(digest))  # type: ignore[index]
    assert digest["report"]["llm"]["retries"] == 1  # type: ignore[index]


def test_translations_an_endpoint_gives_no_confidence_for_are_kept_and_reported_once(
    use_server: ScriptedOpenAI, tmp_path: Path
) -> None:
    use_server.answer = translator
    use_server.ignores_logprobs = True
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "acme-it.md").write_text(ARTICLE, encoding="utf-8")
    (tmp_path / "in" / "fire-es.md").write_text(SPANISH, encoding="utf-8")
    out = tmp_path / "out"
    run_day([tmp_path / "in"], out, date=DATE, summary={"mode": "extractive", "min_translation_confidence": 0.8})
    digest = read_digest(out, DATE)
    assert [story["status"] for story in digest["stories"]] == ["ok", "ok"]  # two stories, both translated
    kept = [s for story in digest["stories"] for s in story["sentences"]]
    assert FIRE in [s["text"] for s in kept] and all("confidence" not in s["original"] for s in kept)
    notes = [w["note"] for w in digest["report"]["warnings"]]
    assert sum(UNSCORED in n for n in notes) == 1  # once a run, not once a story


def test_a_cache_file_that_cannot_take_the_column_is_read_without_it(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    with closing(sqlite3.connect(path)) as old:
        old.execute("CREATE TABLE llm_cache (key TEXT PRIMARY KEY, response TEXT)")
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as read_only:
        assert add_confidence_column(read_only) is False
    with closing(sqlite3.connect(path)) as writable:
        assert add_confidence_column(writable) is True
        assert add_confidence_column(writable) is True  # a second opener finds it there


def test_the_embedded_default_model_is_gated_at_its_measured_confidence() -> None:
    def summarizer(model: str, local: bool, **summary: object) -> ExtractiveSummarizer:
        backend = SimpleNamespace(local=local, model=model)
        config = Config.model_validate({"summary": summary})
        return ExtractiveSummarizer(backend, config, Prompts(), embedder=SimpleNamespace())  # type: ignore[arg-type]

    embedded = f"local:{DEFAULT_MODEL_FILE}"
    assert summarizer(embedded, True).min_translation_confidence == EMBEDDED_MIN_CONFIDENCE
    assert summarizer(embedded, True, min_translation_confidence=0).min_translation_confidence is None
    assert summarizer("local:other.gguf", True).min_translation_confidence is None
    assert summarizer("gpt-4o", False, min_translation_confidence=0.5).min_translation_confidence == 0.5


def test_confidence_is_written_with_the_original() -> None:
    sentence = Sentence("The strike is on Friday.", ["a"], "Lo sciopero è venerdì.", "it", 0.81234)
    assert sentence_dict(sentence)["original"] == {
        "language": "it",
        "text": "Lo sciopero è venerdì.",
        "confidence": 0.812,
    }
    assert "confidence" not in json.dumps(sentence_dict(Sentence("Quoted.", ["a"])))


def test_a_cache_written_before_confidence_existed_is_upgraded(tmp_path: Path) -> None:
    path = tmp_path / "llm_cache.sqlite"
    old = sqlite3.connect(path)
    old.execute(
        "CREATE TABLE llm_cache (key TEXT PRIMARY KEY, model TEXT NOT NULL, response TEXT NOT NULL,"
        " prompt_tokens INTEGER NOT NULL, completion_tokens INTEGER NOT NULL, created REAL NOT NULL)"
    )
    old.execute("INSERT INTO llm_cache VALUES ('k', 'm', 'an old answer', 3, 4, 0)")
    old.commit()
    old.close()
    store = Store(path)
    assert store.cached_response("k") == ("an old answer", Usage(3, 4), None)
    store.save_response("k2", "m", "a new answer", Usage(1, 2), 0.7)
    assert store.cached_response("k2") == ("a new answer", Usage(1, 2), 0.7)
    store.close()
