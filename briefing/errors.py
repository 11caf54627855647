"""The error tree. Every message says what went wrong and what to do next."""

from __future__ import annotations


class BriefingError(Exception):
    """Base class of every error briefing raises on purpose."""


class ConfigError(BriefingError):
    """A setting is missing or wrong; the run stops before any work."""


class SourceError(BriefingError):
    """One source (file, feed, URL) could not be read; the run goes on without it."""


class LLMError(BriefingError):
    """The LLM endpoint failed after retries, or none is configured."""

    def __init__(self, message: str, attempts: int = 0) -> None:
        super().__init__(message)
        self.attempts = attempts  # requests sent before giving up (each may have cost money)


class LLMOutputInvalid(LLMError):
    """The LLM answered, but the answer did not pass validation."""


class DeliveryError(BriefingError):
    """The digest could not be delivered (e.g. SMTP)."""


class BatchPending(BriefingError):
    """The run's batch job is not finished; the next run for the same date collects it (nothing is sent twice)."""
