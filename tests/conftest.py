"""Shared fixtures: a scripted OpenAI server, an isolated environment, the test corpus."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.openai_server import ScriptedOpenAI

DATA = Path(__file__).parent / "data"
CORPUS = DATA / "corpus"
EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "articles"
SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"


@pytest.fixture
def llm_server() -> Iterator[ScriptedOpenAI]:
    """A real HTTP server speaking the OpenAI API on 127.0.0.1."""
    with ScriptedOpenAI() as server:
        yield server


@pytest.fixture
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No inherited BRIEFING_/OPENAI_ settings; cache and cwd inside tmp_path."""
    import os

    for name in list(os.environ):
        if name.startswith(("BRIEFING_", "OPENAI_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("BRIEFING_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def use_server(isolated_env: Path, llm_server: ScriptedOpenAI, monkeypatch: pytest.MonkeyPatch) -> ScriptedOpenAI:
    """Point briefing at the scripted server, with short timeouts so fault tests stay fast."""
    monkeypatch.setenv("BRIEFING_LLM_BASE_URL", llm_server.base_url)
    monkeypatch.setenv("BRIEFING_LLM_MODEL", "scripted-model")
    monkeypatch.setenv("BRIEFING_LLM_TIMEOUT_SECONDS", "2")
    monkeypatch.setenv("BRIEFING_LLM_MAX_RETRY_SECONDS", "20")
    return llm_server


def read_digest(out: Path, date: str) -> dict:  # type: ignore[type-arg]
    """The digest.json of a run."""
    return json.loads((out / date / "digest.json").read_text(encoding="utf-8"))
