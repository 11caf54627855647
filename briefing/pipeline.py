"""The stages in order: sources in, digest out.

Each stage lives in its own module; this one calls them in order and reports every decision
to the run's ledger. What the stages work with (the readers' context, the embedders, the
summarizer) is made and closed by the application layer, briefing.app.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from briefing.asking import DROPPED, CallStats
from briefing.clean import clean_article
from briefing.cluster import cluster_articles, story_id
from briefing.config import Config, SourceSpec
from briefing.console import Console
from briefing.dedupe import dedupe
from briefing.embed import Embedder
from briefing.language import assign_language
from briefing.ledger import Ledger
from briefing.llm.base import ChatBackend
from briefing.llm.cost import cost_of, prices
from briefing.models import Article, Digest, RunReport, Story, StoryDigest
from briefing.rank import rank_stories
from briefing.safety import one_line
from briefing.sources import read_sources
from briefing.sources.context import ReadContext
from briefing.summarizers import Summarizer


@dataclass
class Stages:
    """What the stages work with; briefing.app makes it and closes what it opened."""

    config: Config
    context: ReadContext
    embedder: Embedder
    fallback: Embedder | None = None
    console: Console = field(default_factory=lambda: Console(quiet=True))


@dataclass
class News:
    """Which articles are new for a daily run: what no earlier digest reported, within a window."""

    seen: Callable[[list[str]], dict[str, str]]  # article keys -> date of the digest that reported them
    cutoff: datetime | None = None  # articles published before this are not new (unknown dates are)


class Stopwatch:
    """Seconds per stage."""

    def __init__(self) -> None:
        self.timings: dict[str, float] = {}
        self._started = time.perf_counter()

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Time the stage run inside the block (added up when a stage runs twice)."""
        start = time.perf_counter()
        try:
            yield
        finally:
            self.timings[name] = round(self.timings.get(name, 0.0) + time.perf_counter() - start, 4)

    def total(self) -> dict[str, float]:
        """The timings with the whole run's seconds as 'total'."""
        return {**self.timings, "total": round(time.perf_counter() - self._started, 4)}


def make_digest(
    sources: list[str | SourceSpec],
    stages: Stages,
    summarizer: Summarizer,
    date: str,
    ledger: Ledger,
    news: News | None = None,
) -> Digest:
    """The digest of the sources; every input's fate goes to the ledger.

    Args:
        sources: files, folders, feed and OPML URLs or files, article URLs.
        stages: the run's readers' context, embedders, configuration and console.
        summarizer: the summary strategy (briefing.summarizers.make_summarizer).
        date: the digest's date, YYYY-MM-DD.
        ledger: receives every decision; the report is made from it.
        news: for daily runs, what counts as new; None = everything.

    Returns:
        The digest with its run report; stories that could not be summarized are 'unavailable'
        and listed in the report's failures.
    """
    clock = Stopwatch()
    stories = prepare_stories(sources, stages, ledger, clock)
    if news is not None:
        stories = keep_new(stories, news, ledger, stages.console)
    selected = select(stories, stages.config.digest.max_stories, ledger)
    with clock.stage("summarize"):
        items, stats = summarize_stories(selected, summarizer, stages.console)
    with clock.stage("overview"):
        overview, overview_stats, overview_error = summarizer.overview(items)
    stats.merge(overview_stats)
    for item in items:
        if item.status == "unavailable":
            ledger.fail("summarize", item.story.id, item.error or "")
        for note in item.notes:
            ledger.note("check" if note.startswith(DROPPED) else "summarize", item.story.id, note)
    if overview_error:
        ledger.fail("overview", None, overview_error)
    report = make_report(ledger, stats, summarizer, clock.total())
    return Digest(date, stages.config.digest.title, overview, items, report)


def prepare_stories(
    sources: list[str | SourceSpec], stages: Stages, ledger: Ledger, clock: Stopwatch | None = None
) -> list[Story]:
    """Read, clean, detect language, fold duplicates, group and rank."""
    clock = clock or Stopwatch()
    console, config = stages.console, stages.config
    with clock.stage("read"):
        articles, rejected = read(sources, stages.context, ledger)
    console.info(f"read {len(articles)} articles from {len(sources)} source(s); {rejected} input(s) rejected")
    with clock.stage("clean"):
        articles = clean(articles, config.input.min_chars, ledger)
    with clock.stage("language"):
        articles = [assign_language(a) for a in articles]
    with clock.stage("dedupe"):
        kept, copies = fold_duplicates(articles, config.dedupe.near_threshold, ledger)
    console.info(f"{len(kept)} distinct articles, {len(articles) - len(kept)} duplicate(s) folded")
    with clock.stage("cluster"):
        stories = group(kept, copies, stages, ledger)
    with clock.stage("rank"):
        ranked = rank_stories(stories)
    multi = sum(1 for s in ranked if len(s.languages) > 1)
    console.info(f"{len(ranked)} stories ({multi} covered in several languages)")
    return ranked


def read(sources: list[str | SourceSpec], context: ReadContext, ledger: Ledger) -> tuple[list[Article], int]:
    """Every article the sources hold, and how many inputs were not articles (those go to the ledger)."""
    articles, rejections = read_sources(sources, context)
    for article in articles:
        ledger.receive(article)
    for rejection in rejections:
        ledger.reject_input(rejection)
    return articles, len(rejections)


def clean(articles: list[Article], min_chars: int, ledger: Ledger) -> list[Article]:
    """Articles without page furniture; those with too little text left are rejected."""
    kept = []
    for article in articles:
        tidy = clean_article(article)
        if len(tidy.text) < min_chars:
            ledger.reject(tidy, "no article text left after removing page furniture")
        else:
            kept.append(tidy)
    return kept


def fold_duplicates(
    articles: list[Article], threshold: float, ledger: Ledger
) -> tuple[list[Article], dict[str, list[Article]]]:
    """The distinct articles, and kept id -> the copies folded into it."""
    result = dedupe(articles, threshold)
    by_id = {a.id: a for a in articles}
    copies: dict[str, list[Article]] = {}
    for dup_id, kept_id in result.duplicate_of.items():
        ledger.duplicate(by_id[dup_id], by_id[kept_id], result.similarity[dup_id])
        copies.setdefault(kept_id, []).append(by_id[dup_id])
    return result.kept, copies


def group(articles: list[Article], copies: dict[str, list[Article]], stages: Stages, ledger: Ledger) -> list[Story]:
    """Stories of articles about the same event, each with its articles' duplicate copies."""
    stories = []
    for members in cluster_articles(articles, stages.config.cluster, stages.embedder, stages.fallback):
        duplicates = {a.id: copies[a.id] for a in members if a.id in copies}
        story = Story(id=story_id([a.id for a in members]), articles=members, duplicates=duplicates)
        for article in story.members():
            ledger.use(article, story.id)
        stories.append(story)
    return stories


def keep_new(stories: list[Story], news: News, ledger: Ledger, console: Console) -> list[Story]:
    """Only stories with something new; a story with old and new articles is an update."""
    seen = news.seen([a.key for s in stories for a in s.members()])
    kept = []
    for story in stories:
        members = story.members()
        old = {a.id: seen[a.key] for a in members if a.key in seen}
        cutoff = news.cutoff
        stale = {a.id for a in members if a.id not in old and cutoff and a.published and a.published < cutoff}
        if all(a.id in old or a.id in stale for a in members):
            for article in members:
                if article.id in old:
                    ledger.reject(article, f"already reported in the digest of {old[article.id]}")
                else:
                    when = f"{article.published:%Y-%m-%d %H:%M}"
                    ledger.reject(article, f"published {when} UTC, before the --since window")
            continue
        if old:
            story.update_of = min(old.values())
        kept.append(story)
    updates = sum(1 for s in kept if s.update_of)
    console.info(f"{len(kept)} of {len(stories)} stories have news ({updates} updates of earlier digests)")
    return kept


def select(stories: list[Story], max_stories: int, ledger: Ledger) -> list[Story]:
    """The top stories; the articles of the rest are rejected with their story's rank."""
    for rank, story in enumerate(stories[max_stories:], start=max_stories + 1):
        for article in story.members():
            ledger.reject(article, f"its story ranked {rank}, below digest.max_stories={max_stories}")
    return stories[:max_stories]


def summarize_stories(
    stories: list[Story], summarizer: Summarizer, console: Console
) -> tuple[list[StoryDigest], CallStats]:
    """Each story summarized, as many at once as the backend takes, in rank order.

    Raises:
        BatchPending: in batch mode, when the stories' batch is unfinished at the end of the wait.
    """
    summarizer.prepare(stories)  # batch mode: every story's first request as one job
    total = CallStats()
    items: list[StoryDigest] = []
    bar = console.progress("summarizing stories", len(stories))

    def summarize(story: Story, rank: int) -> tuple[StoryDigest, CallStats]:
        title = one_line(story.articles[0].title)[:60]
        count = f"{len(story.articles)} article{'s' if len(story.articles) != 1 else ''}"
        bar.start(f"story {rank} ({count}, {', '.join(story.languages)}): {title}")
        return summarizer.story(story, rank)

    with ThreadPoolExecutor(max_workers=summarizer.backend.max_concurrency) as pool:
        futures = [pool.submit(summarize, story, rank) for rank, story in enumerate(stories, start=1)]
        for future in as_completed(futures):
            item, stats = future.result()
            items.append(item)
            total.merge(stats)
            bar.advance(item.status)
    items.sort(key=lambda i: i.rank)
    return items, total


def make_report(ledger: Ledger, stats: CallStats, summarizer: Summarizer, timings: dict[str, float]) -> RunReport:
    """The run report: every input's record, failures and notes, calls, tokens and cost."""
    backend = summarizer.backend
    return RunReport(
        articles=ledger.records(),
        llm_calls=stats.calls,
        cache_hits=stats.cache_hits,
        usage=stats.usage,
        cost_usd=estimate_cost(summarizer.config, stats, backend),
        failures=ledger.failures,
        timings=timings,
        model=backend.model,
        mode=summarizer.mode,
        warnings=ledger.notes,
        retries=stats.retries,
        reasks=stats.reasks,
        checks=stats.checks,
    )


def reported_items(digest: Digest) -> list[tuple[str, str, str | None]]:
    """(key, article id, story id) of every article a digest reported, for the state."""
    return [(a.key, a.id, item.story.id) for item in digest.stories for a in item.story.members()]


def estimate_cost(config: Config, stats: CallStats, backend: ChatBackend) -> float | None:
    """USD cost of the run's tokens: 0 for the embedded model, else by configured or known prices.

    Batch answers are billed at llm.batch_price_share of the price.
    """
    price = prices(config.llm, backend.local)
    if price is None:
        return None
    discount = (1 - config.llm.batch_price_share) * cost_of(stats.batch_usage, price)
    return round(cost_of(stats.usage, price) - discount, 6)
