"""Retry policy for LLM calls, in one place: what is retried, how long to wait, when to stop."""

from __future__ import annotations

import logging
import random
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import openai
from tenacity import RetryCallState

log = logging.getLogger(__name__)

RETRY_STATUS = frozenset({408, 409, 429}) | frozenset(range(500, 600))
INITIAL_BACKOFF_SECONDS = 0.5
MAX_BACKOFF_SECONDS = 20.0
MAX_RETRY_AFTER_SECONDS = 60.0
JITTER = 0.25


class DeadlineExceeded(Exception):
    """A request got no complete answer within llm.timeout_seconds."""


class BadReply(Exception):
    """The endpoint answered 200 with something that is not a chat completion."""


def should_retry(exc: BaseException) -> bool:
    """Retry timeouts, dropped connections, unreadable replies, 408/409/429 and 5xx; nothing else."""
    if isinstance(exc, (openai.APIConnectionError, DeadlineExceeded, BadReply)):  # incl. APITimeoutError
        return True
    if isinstance(exc, openai.APIStatusError):
        return exc.status_code in RETRY_STATUS
    return False


def retry_after_seconds(exc: BaseException) -> float | None:
    """The server's Retry-After (seconds or HTTP date; also retry-after-ms), if it sent one."""
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    millis = headers.get("retry-after-ms")
    if millis:
        try:
            return max(float(millis) / 1000, 0.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(float((when - datetime.now(UTC)).total_seconds()), 0.0)


def backoff_seconds(attempt: int) -> float:
    """Exponential backoff with jitter for the given attempt number (1-based)."""
    base: float = min(INITIAL_BACKOFF_SECONDS * 2.0 ** (attempt - 1), MAX_BACKOFF_SECONDS)
    return base * (1.0 + random.uniform(-JITTER, JITTER))


def wait_seconds(state: RetryCallState) -> float:
    """tenacity wait: honour Retry-After when given (capped), else back off."""
    exc = state.outcome.exception() if state.outcome else None
    hinted = retry_after_seconds(exc) if exc else None
    delay = min(hinted, MAX_RETRY_AFTER_SECONDS) if hinted is not None else backoff_seconds(state.attempt_number)
    log.debug(
        "LLM call attempt %d failed (%s); retrying in %.2fs",
        state.attempt_number,
        describe(exc),
        delay,
    )
    return delay


def describe(exc: BaseException | None) -> str:
    """A short, secret-free description of a failed call."""
    if exc is None:
        return "no error"
    if isinstance(exc, openai.APITimeoutError):
        return "request timed out"
    if isinstance(exc, openai.APIConnectionError):
        return "connection failed"
    if isinstance(exc, openai.APIStatusError):
        return f"HTTP {exc.status_code}"
    if isinstance(exc, (DeadlineExceeded, BadReply)):
        return str(exc)
    return type(exc).__name__
