"""Any OpenAI-compatible endpoint through the openai SDK. The only place an API client is built.

`llm.timeout_seconds` bounds each request as a whole (an endpoint that trickles its answer is cut
off, not waited for), and `llm.max_retry_seconds` bounds all attempts and waits together: a
Retry-After beyond it ends the retries at once. A reply that is not a chat completion (a proxy's
error page with status 200, a truncated body) counts as a failed attempt and is retried.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from typing import Any

import openai
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt
from tenacity.stop import stop_base

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


def call_with_deadline(call: Any, seconds: float) -> Any:
    """call() in a worker thread, given up after `seconds`: a whole-request deadline.

    The SDK's timeout applies to each socket read, so a server sending a byte at a time never
    trips it. A call past its deadline is abandoned (its daemon thread ends with the connection).

    Raises:
        retry.DeadlineExceeded: when the call has not returned in time.
    """
    outcome: dict[str, Any] = {}

    def work() -> None:
        try:
            outcome["value"] = call()
        except BaseException as exc:  # handed to the caller's thread, which decides
            outcome["error"] = exc

    worker = threading.Thread(target=work, name="llm-request", daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise retry.DeadlineExceeded(f"no complete answer within llm.timeout_seconds={seconds:g}")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def answer_text(response: Any) -> tuple[str, Usage]:
    """The text and usage of a chat completion.

    Raises:
        retry.BadReply: when the reply is not a chat completion (HTML, truncated JSON, another shape).
    """
    choices = getattr(response, "choices", None)
    if not isinstance(choices, list) or not choices:
        raise retry.BadReply(f"the endpoint's reply is not a chat completion ({type(response).__name__})")
    message = getattr(choices[0], "message", None)
    content = getattr(message, "content", None)
    if content is not None and not isinstance(content, str):
        raise retry.BadReply("the endpoint's reply has no text message")
    usage = getattr(response, "usage", None)
    prompt = getattr(usage, "prompt_tokens", 0) or 0
    completion = getattr(usage, "completion_tokens", 0) or 0
    if not isinstance(prompt, int) or not isinstance(completion, int):
        prompt, completion = 0, 0
    return content or "", Usage(prompt, completion)


def answer_confidence(response: Any) -> float | None:
    """exp(mean log-probability) of the answer's tokens, from a chat completion asked for
    `logprobs`; None when the reply carries none."""
    choices = getattr(response, "choices", None)
    logprobs = getattr(choices[0], "logprobs", None) if isinstance(choices, list) and choices else None
    tokens = getattr(logprobs, "content", None)
    if isinstance(logprobs, dict):  # a reply whose nested parts were left as plain JSON objects
        tokens = logprobs.get("content")
    values = [getattr(t, "logprob", None) if not isinstance(t, dict) else t.get("logprob") for t in tokens or []]
    numbers = [float(v) for v in values if isinstance(v, int | float) and not math.isnan(v)]
    if not numbers or len(numbers) != len(values):
        return None  # none given, or not for every token: unscored
    if any(math.isinf(n) for n in numbers):
        return 0.0  # a token the model gave no chance at all
    return math.exp(sum(numbers) / len(numbers))


def refuses_logprobs(exc: openai.APIStatusError) -> bool:
    """True when an error rejects the request's `logprobs` (a 4xx naming it; a 5xx is transient)."""
    named = getattr(exc, "param", None) == "logprobs" or "logprobs" in str(exc).lower()
    return exc.status_code in (400, 422) and named


def rejects_json_mode(exc: openai.APIStatusError) -> bool:
    """True when an error says the request's response_format is not supported.

    Servers differ: OpenAI answers 400, llama.cpp's Python server 500, others 422.
    """
    return exc.status_code in (400, 422, 500) and "response_format" in str(exc).lower()


class OutOfBudget(stop_base):
    """Stop when the next wait would end past the retry budget (seconds since the first attempt).

    A Retry-After longer than what is left ends the retries at once instead of being waited out.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def __call__(self, state: RetryCallState) -> bool:
        return time.monotonic() - state.start_time + state.upcoming_sleep > self.seconds


def retrying(config: LLMConfig) -> Retrying:
    """Transient failures retried within llm.max_attempts and llm.max_retry_seconds (see briefing.llm.retry)."""
    return Retrying(
        retry=retry_if_exception(retry.should_retry),
        wait=retry.wait_seconds,
        stop=stop_after_attempt(config.max_attempts) | OutOfBudget(config.max_retry_seconds),
        reraise=True,
    )


class OpenAIBackend:
    """Chat completions with bounded retries and JSON-mode fallback."""

    local = False

    def __init__(self, config: LLMConfig, client: openai.OpenAI | None = None) -> None:
        self.config = config
        self.client = client or get_client(config)
        self.model = config.model
        self.name = f"openai-compatible endpoint {config.base_url or 'api.openai.com'}"
        self.json_mode = config.json_mode
        self.logprobs = True  # ask for token probabilities when a request wants its confidence
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

    def body(self, request: ChatRequest) -> dict[str, Any]:
        """The chat completion request this backend sends for `request` (also a batch line's body)."""
        body: dict[str, Any] = {
            "model": self.model,
            "messages": request.as_messages(),
            "temperature": request.temperature,
            "max_tokens": request.max_tokens,
        }
        if request.stop:
            body["stop"] = list(request.stop)
        if request.confidence and self.logprobs:
            body["logprobs"] = True
        response_format = self._response_format(request)
        if response_format is not None:
            body["response_format"] = response_format
        return body

    def _call_once(self, request: ChatRequest) -> Any:
        body = self.body(request)
        try:
            return self.client.chat.completions.create(**body)
        except openai.APIStatusError as exc:
            if "logprobs" in body and refuses_logprobs(exc):
                # No token probabilities from this endpoint: answers carry no confidence.
                self.logprobs = False
                log.warning(
                    "the endpoint refused logprobs (HTTP %d): its translations are kept without the "
                    "summary.min_translation_confidence check",
                    exc.status_code,
                )
                return self._call_once(request)
            if "response_format" not in body or not rejects_json_mode(exc):
                raise
            # The endpoint does not support this JSON mode: step down once and remember.
            self.json_mode = "object" if self.json_mode == "schema" else "none"
            log.info("endpoint rejected JSON mode (HTTP %d); falling back to '%s'", exc.status_code, self.json_mode)
            return self._call_once(request)

    def _attempt(self, request: ChatRequest) -> tuple[str, Usage, float | None]:
        """One request under the whole-request deadline; any unreadable reply is a BadReply."""
        try:
            response = call_with_deadline(lambda: self._call_once(request), self.config.timeout_seconds)
        except (openai.OpenAIError, retry.DeadlineExceeded):
            raise
        except Exception as exc:  # the SDK failing to decode a 200 reply (an HTML page, a cut body)
            raise retry.BadReply(f"the endpoint's reply could not be read ({type(exc).__name__})") from None
        return (*answer_text(response), answer_confidence(response))

    def complete(self, request: ChatRequest) -> ChatResult:
        """One chat call, retried on transient failures within the configured bounds.

        Raises:
            LLMError: after the last attempt, or at once on a non-retryable error; it carries the
                number of requests sent.
        """
        attempts = 0
        try:
            for attempt in retrying(self.config):
                with attempt:
                    attempts += 1
                    text, usage, confidence = self._attempt(request)
        except openai.AuthenticationError:
            raise LLMError(
                "the LLM endpoint refused the API key (HTTP 401): check OPENAI_API_KEY or BRIEFING_LLM_API_KEY",
                attempts,
            ) from None
        except openai.NotFoundError:
            raise LLMError(
                f"the LLM endpoint does not know model '{self.model}' or path (HTTP 404): "
                "check llm.model and llm.base_url",
                attempts,
            ) from None
        except (openai.OpenAIError, retry.DeadlineExceeded, retry.BadReply) as exc:
            raise LLMError(f"LLM call failed after {attempts} attempt(s): {retry.describe(exc)}", attempts) from exc
        return ChatResult(text=text, usage=usage, retries=attempts - 1, confidence=confidence)
