"""Any OpenAI-compatible endpoint through the openai SDK. The only place an API client is built."""

from __future__ import annotations

import logging
from typing import Any

import openai
from tenacity import Retrying, retry_if_exception, stop_after_attempt, stop_after_delay

from briefing.budget import TiktokenCounter, TokenCounter
from briefing.config import LLMConfig
from briefing.errors import LLMError
from briefing.llm import retry
from briefing.llm.base import ChatRequest, ChatResult
from briefing.models import Usage

log = logging.getLogger(__name__)

# Local servers (llama.cpp, Ollama, vLLM) accept any key; the SDK insists on one.
PLACEHOLDER_KEY = "not-needed"


def get_client(config: LLMConfig) -> openai.OpenAI:
    """Build the SDK client. Its own retries are off: tenacity in `OpenAIBackend` owns them."""
    key = config.api_key.get_secret_value() if config.api_key else PLACEHOLDER_KEY
    return openai.OpenAI(
        api_key=key,
        base_url=config.base_url or None,
        timeout=config.timeout_seconds,
        max_retries=0,
    )


def rejects_json_mode(exc: openai.APIStatusError) -> bool:
    """True when an error says the request's response_format is not supported.

    Servers differ: OpenAI answers 400, llama.cpp's Python server 500, others 422.
    """
    return exc.status_code in (400, 422, 500) and "response_format" in str(exc).lower()


class OpenAIBackend:
    """Chat completions with bounded retries and JSON-mode fallback."""

    local = False

    def __init__(self, config: LLMConfig, client: openai.OpenAI | None = None) -> None:
        self.config = config
        self.client = client or get_client(config)
        self.model = config.model
        self.name = f"openai-compatible endpoint {config.base_url or 'api.openai.com'}"
        self.json_mode = config.json_mode
        self.max_concurrency = config.concurrency
        self.token_counter: TokenCounter = TiktokenCounter()

    def _response_format(self, request: ChatRequest) -> dict[str, Any] | None:
        if self.json_mode == "schema" and request.json_schema is not None:
            return {
                "type": "json_schema",
                "json_schema": {"name": request.schema_name, "schema": request.json_schema},
            }
        if self.json_mode in ("schema", "object"):
            return {"type": "json_object"}
        return None

    def _call_once(self, request: ChatRequest) -> Any:
        kwargs: dict[str, Any] = {
            "model": self.model,
            "messages": request.as_messages(),
            "temperature": request.temperature,
            "max_tokens": request.max_tokens,
        }
        if request.stop:
            kwargs["stop"] = list(request.stop)
        response_format = self._response_format(request)
        if response_format is not None:
            kwargs["response_format"] = response_format
        try:
            return self.client.chat.completions.create(**kwargs)
        except openai.APIStatusError as exc:
            if response_format is None or not rejects_json_mode(exc):
                raise
            # The endpoint does not support this JSON mode: step down once and remember.
            self.json_mode = "object" if self.json_mode == "schema" else "none"
            log.info("endpoint rejected JSON mode (HTTP %d); falling back to '%s'", exc.status_code, self.json_mode)
            return self._call_once(request)

    def complete(self, request: ChatRequest) -> ChatResult:
        """One chat call, retried on transient failures within the configured bounds.

        Raises:
            LLMError: after the last attempt, or at once on a non-retryable error.
        """
        retrying = Retrying(
            retry=retry_if_exception(retry.should_retry),
            wait=retry.wait_seconds,
            stop=stop_after_attempt(self.config.max_attempts) | stop_after_delay(self.config.max_retry_seconds),
            reraise=True,
        )
        attempts = 0
        try:
            for attempt in retrying:
                with attempt:
                    attempts += 1
                    response = self._call_once(request)
        except openai.AuthenticationError:
            raise LLMError(
                "the LLM endpoint refused the API key (HTTP 401): check OPENAI_API_KEY or BRIEFING_LLM_API_KEY"
            ) from None
        except openai.NotFoundError:
            raise LLMError(
                f"the LLM endpoint does not know model '{self.model}' or path (HTTP 404): "
                "check llm.model and llm.base_url"
            ) from None
        except (openai.APIError, openai.OpenAIError) as exc:
            raise LLMError(f"LLM call failed after {attempts} attempt(s): {retry.describe(exc)}") from exc
        choice = response.choices[0] if getattr(response, "choices", None) else None
        text = (choice.message.content or "") if choice is not None and choice.message else ""
        usage = Usage()
        if getattr(response, "usage", None):
            usage = Usage(response.usage.prompt_tokens or 0, response.usage.completion_tokens or 0)
        return ChatResult(text=text, usage=usage, retries=attempts - 1)
