"""The run: sources in, digest out. Orchestrates the stages; each stage lives in its own module."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from briefing.budget import TiktokenCounter, TokenCounter
from briefing.clean import clean_article
from briefing.cluster import cluster_articles, story_id
from briefing.config import Config, SourceSpec
from briefing.console import Console
from briefing.dedupe import dedupe
from briefing.embed import Embedder, UseEmbedder, make_embedder, make_fallback
from briefing.errors import LLMError, LLMOutputInvalid
from briefing.extractive import (
    EMBEDDED_TRANSLATES,
    fallback_headline,
    headline_claims,
    lead_overview,
    summarize_extractive,
)
from briefing.language import assign_language
from briefing.llm.base import ChatBackend, is_local
from briefing.llm.local import DEFAULT_MODEL_FILE
from briefing.models import (
    Article,
    ArticleRecord,
    Digest,
    Failure,
    Note,
    RunReport,
    Sentence,
    Story,
    StoryDigest,
    StorySummary,
)
from briefing.prompts import Prompts
from briefing.rank import rank_stories
from briefing.sources import read_sources
from briefing.sources.context import ReadContext
from briefing.summarize import (
    DROPPED,
    CallStats,
    ask_checked,
    ask_validated,
    build_overview_request,
    build_story_request,
    fallback_overview,
    parse_overview_answer,
)

log = logging.getLogger(__name__)

# USD per million tokens (prompt, completion) for well-known hosted models; local models cost 0.
KNOWN_PRICES = {
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o": (2.50, 10.00),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1-nano": (0.10, 0.40),
    "gpt-4.1": (2.00, 8.00),
}


@dataclass
class Prepared:
    """Stories ready to summarize, and every input's fate so far."""

    stories: list[Story]
    records: dict[str, ArticleRecord]
    timings: dict[str, float] = field(default_factory=dict)


@contextmanager
def timed(timings: dict[str, float], stage: str) -> Iterator[None]:
    """Record how long a stage took, in seconds."""
    start = time.perf_counter()
    try:
        yield
    finally:
        timings[stage] = round(timings.get(stage, 0.0) + time.perf_counter() - start, 4)


def prepare_stories(
    sources: list[str | SourceSpec],
    config: Config,
    embedder: Embedder | None = None,
    console: Console | None = None,
) -> Prepared:
    """Read, clean, detect language, fold duplicates, cluster and rank.

    Args:
        sources: files, folders, feed and OPML URLs or files, article URLs.
        config: the run's configuration.
        embedder: the clustering embedder (default: the one `cluster.embedder` names, cached).
        console: where progress goes.

    Returns:
        Ranked stories and a record for every input.
    """
    console = console or Console(quiet=True)
    embedder = embedder or make_embedder(config.cluster, config.cache_dir())
    timings: dict[str, float] = {}
    records: dict[str, ArticleRecord] = {}

    def reject(article: Article, reason: str) -> None:
        log.debug("rejecting %s: %s", article.id, reason)
        records[article.id] = ArticleRecord(
            article.id, "rejected", reason, fetched_from=article.fetched_from, flags=list(article.flags)
        )

    with timed(timings, "read"):
        context = ReadContext(config.input, config.fetch, cache_path=config.cache_dir() / "fetch.sqlite")
        try:
            raw, rejections = read_sources(sources, context)
        finally:
            context.close()
    console.info(f"read {len(raw)} articles from {len(sources)} source(s); {len(rejections)} input(s) rejected")

    with timed(timings, "clean"):
        cleaned: list[Article] = []
        for article in raw:
            tidy = clean_article(article)
            if len(tidy.text) < config.input.min_chars:
                reject(tidy, "no article text left after removing page furniture")
            else:
                cleaned.append(tidy)
    with timed(timings, "language"):
        cleaned = [assign_language(a) for a in cleaned]
    with timed(timings, "dedupe"):
        result = dedupe(cleaned, config.dedupe.near_threshold)
    by_id = {a.id: a for a in cleaned}
    for dup_id, kept_id in result.duplicate_of.items():
        records[dup_id] = ArticleRecord(
            dup_id,
            "duplicate",
            f"copy of {kept_id} (similarity {result.similarity[dup_id]})",
            duplicate_of=kept_id,
            fetched_from=by_id[dup_id].fetched_from,
            language=by_id[dup_id].language,
            flags=list(by_id[dup_id].flags),
        )
    console.info(f"{len(result.kept)} distinct articles, {len(result.duplicate_of)} duplicate(s) folded")

    with timed(timings, "cluster"):
        fallback = make_fallback(config.cluster, config.cache_dir())
        groups = cluster_articles(result.kept, config.cluster, embedder, fallback)
    copies_of: dict[str, list[Article]] = {}
    for dup_id, kept_id in result.duplicate_of.items():
        copies_of.setdefault(kept_id, []).append(by_id[dup_id])
    stories = []
    for group in groups:
        duplicates = {a.id: copies_of[a.id] for a in group if a.id in copies_of}
        story = Story(id=story_id([a.id for a in group]), articles=group, duplicates=duplicates)
        stories.append(story)
        for article in group:
            records[article.id] = ArticleRecord(
                article.id,
                "used",
                None,
                story_id=story.id,
                fetched_from=article.fetched_from,
                language=article.language,
                flags=list(article.flags),
            )
        for copies in duplicates.values():
            for copy in copies:
                records[copy.id].story_id = story.id
    # Inputs that never became articles are recorded last, under a key of their own: a rejected
    # feed entry may carry the id of the article kept in its place, and both must be reported.
    for rejection in rejections:
        key = rejection.id
        while key in records:
            key = f"{key}~"
        records[key] = ArticleRecord(key, "rejected", rejection.reason, fetched_from=rejection.fetched_from)
    with timed(timings, "rank"):
        ranked = rank_stories(stories)
    multi = sum(1 for s in ranked if len(s.languages) > 1)
    console.info(f"{len(ranked)} stories ({multi} covered in several languages)")
    return Prepared(stories=ranked, records=records, timings=timings)


def keep_new(prepared: Prepared, seen: dict[str, str], cutoff: datetime | None) -> None:
    """Keep only stories with something new; a story with old and new articles is an update.

    Args:
        prepared: the ranked stories and records, changed in place.
        seen: article key -> date of the digest that already reported it.
        cutoff: articles published before this are not new (unknown dates count as new).
    """
    kept = []
    for story in prepared.stories:
        members = story.members()
        old = {a.id: seen[a.key] for a in members if a.key in seen}
        stale = {a.id for a in members if a.id not in old and cutoff and a.published and a.published < cutoff}
        if all(a.id in old or a.id in stale for a in members):
            for article in members:
                record = prepared.records[article.id]
                record.status = "rejected"
                if article.id in old:
                    record.reason = f"already reported in the digest of {old[article.id]}"
                else:
                    record.reason = f"published {article.published:%Y-%m-%d %H:%M} UTC, before the --since window"
            continue
        if old:
            story.update_of = min(old.values())
        kept.append(story)
    prepared.stories = kept


def reported_items(digest: Digest) -> list[tuple[str, str, str | None]]:
    """(key, article id, story id) of every article a digest reported, for the state."""
    return [(a.key, a.id, item.story.id) for item in digest.stories for a in item.story.members()]


def estimate_cost(config: Config, stats: CallStats, backend: ChatBackend) -> float | None:
    """USD cost of the run's tokens: 0 for the embedded model, else by configured or known prices."""
    if is_local(backend):
        return 0.0
    prompt_price, completion_price = (
        config.llm.price_prompt_per_mtok,
        config.llm.price_completion_per_mtok,
    )
    if prompt_price is None or completion_price is None:
        known = KNOWN_PRICES.get(config.llm.model)
        if known is None or config.llm.base_url:
            return None
        prompt_price, completion_price = known
    return round(
        (stats.usage.prompt_tokens * prompt_price + stats.usage.completion_tokens * completion_price) / 1_000_000,
        6,
    )


def summary_mode(configured: str, local: bool) -> str:
    """'abstractive' or 'extractive': the configured mode, or when 'auto' extractive for the
    in-process model (small: it picks and translates sentences) and abstractive for endpoints."""
    if configured != "auto":
        return configured
    return "extractive" if local else "abstractive"


def resolve_mode(config: Config, backend: ChatBackend) -> str:
    """The summary mode this run uses with this backend (see summary_mode)."""
    return summary_mode(config.summary.mode, is_local(backend))


class Summarizer:
    """Summarizes stories with one backend, counting what it costs."""

    def __init__(
        self, backend: ChatBackend, config: Config, prompts: Prompts, counter: TokenCounter, embedder: Embedder
    ) -> None:
        self.backend = backend
        self.config = config
        self.prompts = prompts
        self.counter = counter
        self.embedder = embedder
        self.mode = resolve_mode(config, backend)

    def story(self, story: Story, rank: int) -> tuple[StoryDigest, CallStats]:
        """Summarize one story; failures give an 'unavailable' story, never an exception."""
        stats = CallStats()
        extractive = self.mode == "extractive"
        try:
            summary, notes = self._extractive(story, stats) if extractive else self._abstractive(story, stats)
            return StoryDigest(story, "ok", summary, rank, notes=notes, update_of=story.update_of), stats
        except LLMOutputInvalid as exc:
            problem = "no usable English sentence" if extractive else "the model's answer failed validation"
            error = f"{problem}: {exc}"
        except LLMError as exc:
            error = str(exc)
        log.warning("story %s unavailable: %s", story.id, error)
        return StoryDigest(story, "unavailable", None, rank, error=error, update_of=story.update_of), stats

    def _abstractive(self, story: Story, stats: CallStats) -> tuple[StorySummary, list[str]]:
        llm = self.config.llm
        request, refs = build_story_request(
            story,
            self.prompts,
            self.counter,
            context_window=llm.context_window,
            max_output_tokens=llm.max_output_tokens,
            temperature=llm.temperature,
            max_articles=self.config.digest.max_articles_per_story,
        )
        summary, notes = ask_checked(self.backend, request, refs, story, self.prompts, llm.max_reasks, stats)
        english = [s.text for s in summary.sentences]
        if headline_claims(summary.headline, english):
            notes.append(f"headline taken from the sources: '{summary.headline}' says what no checked sentence says")
            summary.headline = fallback_headline(story, english)
        return summary, notes

    def _extractive(self, story: Story, stats: CallStats) -> tuple[StorySummary, list[str]]:
        return summarize_extractive(
            story,
            self.backend,
            self.prompts,
            self.config.summary,
            self.embedder,
            self.config.digest.max_articles_per_story,
            stats,
            self.translate_languages,
        )

    @property
    def translate_languages(self) -> tuple[str, ...] | None:
        """Languages the model may translate: as configured, else all but for the embedded default model."""
        configured = self.config.summary.translate_languages
        if configured is not None:
            return tuple(code.lower() for code in configured)
        if is_local(self.backend) and self.backend.model.endswith(DEFAULT_MODEL_FILE):
            return EMBEDDED_TRANSLATES
        return None

    def overview(self, items: list[StoryDigest]) -> tuple[list[Sentence], CallStats, str | None]:
        """The opening paragraph; on failure a plain list of top headlines, and the reason.

        In extractive mode the overview is the checked lead sentence of each top story: the mode
        exists because small models do not write free text faithfully.
        """
        stats = CallStats()
        done: list[tuple[str, StorySummary]] = [(i.story.id, i.summary) for i in items if i.summary is not None]
        if not done or self.mode == "extractive":
            return lead_overview(done), stats, None
        llm = self.config.llm
        request, refs = build_overview_request(done, self.prompts, llm.temperature, llm.max_output_tokens)
        try:
            sentences = ask_validated(
                self.backend,
                request,
                refs,
                parse_overview_answer,
                self.prompts,
                llm.max_reasks,
                stats,
            )
            return sentences, stats, None
        except LLMError as exc:
            return fallback_overview(done), stats, str(exc)


def run(
    sources: list[str | SourceSpec],
    config: Config,
    date: str,
    backend: ChatBackend,
    *,
    console: Console | None = None,
    embedder: Embedder | None = None,
    counter: TokenCounter | None = None,
    seen: Callable[[list[str]], dict[str, str]] | None = None,
    cutoff: datetime | None = None,
) -> Digest:
    """Make the digest of the given sources.

    Args:
        sources: files and folders to read.
        config: the run's configuration.
        date: the digest's date, YYYY-MM-DD.
        backend: the LLM (usually wrapped in the response cache).
        console: progress output.
        embedder: sentence embedder for clustering.
        counter: token counter matching the model.
        seen: looks up which article keys earlier digests reported (daily runs); None = all new.
        cutoff: with `seen`, articles published before this are not new.

    Returns:
        The digest with its run report; stories that could not be summarized are marked
        'unavailable' and listed in the report's failures.
    """
    console = console or Console(quiet=True)
    started = time.perf_counter()
    prompts = Prompts(config.paths.prompts_dir)
    prepared = prepare_stories(sources, config, embedder, console)
    if seen is not None:
        before = len(prepared.stories)
        keep_new(prepared, seen([a.key for s in prepared.stories for a in s.members()]), cutoff)
        updates = sum(1 for s in prepared.stories if s.update_of)
        console.info(f"{len(prepared.stories)} of {before} stories have news ({updates} updates of earlier digests)")
    selected = prepared.stories[: config.digest.max_stories]
    for rank, story in enumerate(prepared.stories[config.digest.max_stories :], start=len(selected) + 1):
        for article in story.members():
            record = prepared.records[article.id]
            record.status = "rejected"
            record.reason = f"its story ranked {rank}, below digest.max_stories={config.digest.max_stories}"

    summarizer = Summarizer(backend, config, prompts, counter or TiktokenCounter(), embedder or UseEmbedder())
    total = CallStats()
    items: list[StoryDigest] = []
    timings = prepared.timings
    with timed(timings, "summarize"):
        bar = console.progress("summarizing stories", len(selected))
        # The in-process model answers one call at a time; more threads would only contend for CPU.
        workers = 1 if is_local(backend) else config.llm.concurrency
        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(summarizer.story, story, rank) for rank, story in enumerate(selected, start=1)]
            for future in as_completed(futures):
                item, stats = future.result()
                items.append(item)
                total.merge(stats)
                bar.advance(item.status)
    items.sort(key=lambda i: i.rank)
    with timed(timings, "overview"):
        overview, stats, overview_error = summarizer.overview(items)
        total.merge(stats)

    report = RunReport(
        articles=list(prepared.records.values()),
        llm_calls=total.calls,
        cache_hits=total.cache_hits,
        usage=total.usage,
        cost_usd=estimate_cost(config, total, backend),
        timings=timings,
        model=backend.model,
        mode=summarizer.mode,
        retries=total.retries,
        reasks=total.reasks,
        checks=total.checks,
    )
    for item in items:
        if item.status == "unavailable":
            report.failures.append(Failure("summarize", item.story.id, item.error or ""))
        report.warnings.extend(
            Note("check" if n.startswith(DROPPED) else "summarize", item.story.id, n) for n in item.notes
        )
    if overview_error:
        report.failures.append(Failure("overview", None, overview_error))
    timings["total"] = round(time.perf_counter() - started, 4)
    return Digest(date=date, title=config.digest.title, overview=overview, stories=items, report=report)
