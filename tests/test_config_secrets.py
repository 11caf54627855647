"""A secret given the wrong way is never echoed in a configuration error: the key and the fix only."""

from __future__ import annotations

from pathlib import Path

import pytest

from briefing.config import is_secret, load_config
from briefing.errors import ConfigError

SECRET = "sk-live-4f9a8b7c6d5e"


def error_for(tmp_path: Path, toml: str) -> str:
    path = tmp_path / "briefing.toml"
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    return str(info.value)


@pytest.mark.parametrize(
    ("toml", "key", "fix"),
    [
        (f'[llm]\napi_key = ["{SECRET}"]\n', "llm.api_key", "OPENAI_API_KEY"),
        (f'[llm]\napi_key = {{ value = "{SECRET}" }}\n', "llm.api_key", "BRIEFING_LLM_API_KEY"),
        ("[llm]\napi_key = 4095871234\n", "llm.api_key", "OPENAI_API_KEY"),
        (f'[email]\npassword_file = ["{SECRET}"]\n', "email.password_file", "BRIEFING_EMAIL_PASSWORD_FILE"),
    ],
)
def test_a_secret_of_the_wrong_type_is_named_not_shown(tmp_path: Path, toml: str, key: str, fix: str) -> None:
    message = error_for(tmp_path, toml)
    assert key in message and fix in message
    assert SECRET not in message and "4095871234" not in message
    assert "not shown" in message


@pytest.mark.parametrize(
    "toml",
    [
        f'[llm]\napikey = "{SECRET}"\n',  # misspelt: an unknown key
        f'[email]\ntoken = "{SECRET}"\n',
        f'[input]\nsources = [{{ location = "https://x.example/feed", token = "{SECRET}" }}]\n',
        f'llm = [{{ api_key = "{SECRET}" }}]\n',  # a section of the wrong type holding a secret
        f'[openai]\napi_key = "{SECRET}"\n',  # a section that does not exist
    ],
)
def test_a_secret_in_the_wrong_place_is_not_shown(tmp_path: Path, toml: str) -> None:
    assert SECRET not in error_for(tmp_path, toml)


def test_other_values_still_show_beside_a_secret(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(None, env={"OPENAI_API_KEY": SECRET, "BRIEFING_LLM_CONCURRENCY": "zero"})
    assert SECRET not in str(info.value) and "'zero'" in str(info.value)  # other values still help


def test_ordinary_values_are_still_shown(tmp_path: Path) -> None:
    message = error_for(tmp_path, '[llm]\nmax_output_tokens = "lots"\n')
    assert "llm.max_output_tokens" in message and "'lots'" in message


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("api_key", True),
        ("apikey", True),
        ("password", True),
        ("password_file", True),
        ("token", True),
        ("auth_token", True),
        ("client_secret", True),
        ("max_output_tokens", False),
        ("model", False),
        ("keep", False),
    ],
)
def test_secret_names(name: str, secret: bool) -> None:
    assert is_secret(name) is secret
