"""The data model: plain dataclasses passed between stages."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

ArticleStatus = Literal["used", "duplicate", "rejected"]
StoryStatus = Literal["ok", "unavailable"]


@dataclass
class Article:
    """One news article, as read and then cleaned."""

    id: str
    title: str
    text: str
    url: str | None = None
    source: str | None = None
    original_source: str | None = None
    language: str | None = None
    declared_language: str | None = None
    published: datetime | None = None
    fetched_from: str = ""
    flags: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        """What identifies this article across runs: its URL when known, else its text."""
        if self.url:
            return "url:" + self.url.strip().rstrip("/").lower()
        return "text:" + self.content_hash

    @property
    def content_hash(self) -> str:
        """sha256 of the whitespace- and case-folded body."""
        folded = " ".join(self.text.lower().split())
        return hashlib.sha256(folded.encode("utf-8")).hexdigest()

    @property
    def outlet(self) -> str:
        """The name shown for this article in source lists."""
        return self.source or self.original_source or "unknown outlet"


@dataclass
class Rejection:
    """An input that did not become an article, and why."""

    id: str
    reason: str
    fetched_from: str


@dataclass
class Story:
    """A cluster of articles about one event."""

    id: str
    articles: list[Article]
    duplicates: dict[str, list[Article]] = field(default_factory=dict)
    score: float = 0.0
    update_of: str | None = None  # date of an earlier digest that reported some of these articles

    def members(self) -> list[Article]:
        """The story's articles and their duplicate copies."""
        return self.articles + [c for copies in self.duplicates.values() for c in copies]

    @property
    def languages(self) -> list[str]:
        """Distinct languages of the story's articles, in order of appearance."""
        return list(dict.fromkeys(a.language or "und" for a in self.articles))

    @property
    def outlets(self) -> list[str]:
        """Distinct outlets, duplicates included (a syndicated copy is still coverage)."""
        every = self.articles + [d for copies in self.duplicates.values() for d in copies]
        return list(dict.fromkeys(a.outlet for a in every))

    def first_seen(self) -> datetime | None:
        """Earliest known publication time."""
        dates = [a.published for a in self.articles if a.published]
        return min(dates) if dates else None

    def last_seen(self) -> datetime | None:
        """Latest known publication time."""
        dates = [a.published for a in self.articles if a.published]
        return max(dates) if dates else None


@dataclass
class Sentence:
    """One sentence of a summary with the ids of the articles that support it.

    A sentence translated from another language keeps the source sentence it was translated
    from (`original`, in `original_language`), so a reader can compare the two, and how sure the
    model was of its translation (`confidence`, see ChatResult.confidence; None: not measured).
    """

    text: str
    citations: list[str]
    original: str | None = None
    original_language: str | None = None
    confidence: float | None = None


@dataclass
class StorySummary:
    """What the LLM wrote about a story, after validation."""

    headline: str
    sentences: list[Sentence]
    key_facts: list[str] = field(default_factory=list)


@dataclass
class Usage:
    """Token usage of LLM calls."""

    prompt_tokens: int = 0
    completion_tokens: int = 0

    def add(self, other: Usage) -> None:
        """Accumulate another call's usage."""
        self.prompt_tokens += other.prompt_tokens
        self.completion_tokens += other.completion_tokens


@dataclass
class ArticleRecord:
    """The fate of one input, for the run report."""

    id: str
    status: ArticleStatus
    reason: str | None = None
    story_id: str | None = None
    duplicate_of: str | None = None
    fetched_from: str = ""
    language: str | None = None
    # What the run changed or doubted about the input (body cut, id renamed, no date, language
    # uncertain, link dropped...), so the report says it.
    flags: list[str] = field(default_factory=list)


@dataclass
class CheckTally:
    """How the digest's sentences fared against their sources (see briefing.factcheck)."""

    checked: int = 0
    passed: int = 0
    repaired: int = 0
    dropped: int = 0

    def add(self, other: CheckTally) -> None:
        """Accumulate another tally."""
        self.checked += other.checked
        self.passed += other.passed
        self.repaired += other.repaired
        self.dropped += other.dropped


@dataclass
class Failure:
    """A part of the digest that could not be made: which stage, which story (None: the digest), why."""

    stage: str
    story_id: str | None
    error: str


@dataclass
class Note:
    """Something the run changed or left out while making a story (e.g. a sentence dropped by a check)."""

    stage: str
    story_id: str | None
    note: str


@dataclass
class RunReport:
    """Everything that happened in a run: every input accounted for, and what it cost."""

    articles: list[ArticleRecord] = field(default_factory=list)
    llm_calls: int = 0
    cache_hits: int = 0
    usage: Usage = field(default_factory=Usage)
    cost_usd: float | None = None
    failures: list[Failure] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    model: str = ""
    mode: str = ""
    warnings: list[Note] = field(default_factory=list)
    retries: int = 0
    reasks: int = 0
    checks: CheckTally = field(default_factory=CheckTally)


@dataclass
class StoryDigest:
    """A story as it appears in the digest."""

    story: Story
    status: StoryStatus
    summary: StorySummary | None
    rank: int
    error: str | None = None
    notes: list[str] = field(default_factory=list)
    update_of: str | None = None  # date of the digest that first reported this story


@dataclass
class Digest:
    """The finished digest of one day."""

    date: str
    title: str
    overview: list[Sentence]
    stories: list[StoryDigest]
    report: RunReport
