"""The LLM layer: backends behind one seam, chosen from configuration."""

from __future__ import annotations

from briefing.config import Config
from briefing.errors import LLMError
from briefing.llm.base import ChatBackend, ChatRequest, ChatResult

__all__ = ["ChatBackend", "ChatRequest", "ChatResult", "describe_backend", "make_backend"]

NO_LLM_MESSAGE = (
    "no LLM configured: set OPENAI_API_KEY (for OpenAI), or BRIEFING_LLM_BASE_URL to any "
    "OpenAI-compatible endpoint (e.g. http://localhost:11434/v1 for Ollama, with BRIEFING_LLM_MODEL), "
    "or set [llm] base_url in briefing.toml"
)


def endpoint_configured(config: Config) -> bool:
    """True when an OpenAI-compatible endpoint (or OpenAI itself, by key) is configured."""
    return bool(config.llm.base_url or config.llm.api_key)


def make_backend(config: Config) -> ChatBackend:
    """The backend the configuration asks for.

    Raises:
        LLMError: when nothing is configured, with how to configure something.
    """
    if endpoint_configured(config):
        from briefing.llm.openai_backend import OpenAIBackend

        return OpenAIBackend(config.llm)
    raise LLMError(NO_LLM_MESSAGE)


def describe_backend(config: Config) -> str:
    """One line naming the LLM a run would use, without secrets."""
    if endpoint_configured(config):
        return f"{config.llm.model} at {config.llm.base_url or 'https://api.openai.com/v1'}"
    return "none configured"
