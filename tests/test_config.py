"""Configuration layers and the errors bad settings give."""

from __future__ import annotations

from pathlib import Path

import pytest

from briefing.config import load_config
from briefing.errors import ConfigError


def test_defaults_without_anything(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    config = load_config(env={})
    assert config.llm.model == "gpt-4o-mini" and config.llm.base_url is None
    assert config.digest.formats == ["md", "html", "txt", "json"]


def test_layers_file_then_env_then_flags(tmp_path: Path) -> None:
    path = tmp_path / "b.toml"
    path.write_text('[llm]\nmodel = "from-file"\nconcurrency = 2\n[digest]\nmax_stories = 5\n')
    env = {
        "BRIEFING_LLM_MODEL": "from-env",
        "OPENAI_API_KEY": "sk-secret",
        "BRIEFING_DIGEST_FORMATS": "md,json",
    }
    config = load_config(path, {"digest": {"max_stories": 7}}, env=env)
    assert config.llm.model == "from-env"
    assert config.llm.concurrency == 2
    assert config.digest.max_stories == 7
    assert config.digest.formats == ["md", "json"]
    assert config.llm.api_key is not None and config.llm.api_key.get_secret_value() == "sk-secret"
    assert "sk-secret" not in repr(config)


def test_unknown_key_names_the_key_and_the_allowed_ones(tmp_path: Path) -> None:
    path = tmp_path / "b.toml"
    path.write_text("[llm]\nmodle = 'x'\n")
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    assert "llm.modle" in str(info.value) and "model" in str(info.value)


def test_bad_value_names_the_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"llm\.concurrency"):
        load_config(None, env={"BRIEFING_LLM_CONCURRENCY": "zero"})
    with pytest.raises(ConfigError, match=r"digest\.formats"):
        load_config(None, env={"BRIEFING_DIGEST_FORMATS": "pdf"})


def test_broken_toml_and_missing_file(tmp_path: Path) -> None:
    broken = tmp_path / "b.toml"
    broken.write_text("[llm\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(broken, env={})
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "missing.toml", env={})


def test_example_config_is_valid() -> None:
    from tests.support.data import EXAMPLES

    config = load_config(EXAMPLES.parent / "briefing.toml", env={})
    assert config.email.to and config.input.sources == ["examples/articles"]
