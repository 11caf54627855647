"""The application layer: each command's whole job, as one function returning an outcome.

These functions own the run lock, the daily-run state, the caches and delivery, and close
everything they open. briefing.cli only parses arguments, calls one of them and turns the
outcome or error into a message and an exit code; benchmarks and tests call them too.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import ExitStack, closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Literal, TypeVar

from briefing.config import Config, SourceSpec
from briefing.console import Console
from briefing.delivery import build_message, require_recipients, send, write_eml
from briefing.digest_json import load_digest
from briefing.embed import make_embedder, make_fallback
from briefing.errors import BatchPending, BriefingError, ConfigError, DeliveryError
from briefing.ledger import Ledger
from briefing.llm import make_backend
from briefing.llm.base import ChatBackend
from briefing.llm.batch import BatchBackend
from briefing.llm.cache import CachedBackend
from briefing.llm.cost import CostCapped, require_prices
from briefing.llm.openai_backend import OpenAIBackend
from briefing.models import ArticleRecord, Digest, Note, Story
from briefing.output import write_digest
from briefing.paths import Paths
from briefing.pipeline import News, Stages, Stopwatch, make_digest, prepare_stories, reported_items
from briefing.prompts import Prompts
from briefing.render import render_all
from briefing.sources import check_sources
from briefing.sources.context import ReadContext
from briefing.store import EmbeddingCache, State, Store
from briefing.summarizers import make_summarizer, summary_mode

log = logging.getLogger(__name__)
Since = timedelta | Literal["last"] | None
Cache = TypeVar("Cache", Store, EmbeddingCache)


@dataclass
class Send:
    """How to deliver: for real, or (dry run) the exact message written to digest.eml."""

    dry_run: bool = False
    force: bool = False  # send even if this date's digest was already sent


@dataclass
class Delivery:
    """What became of sending a digest."""

    status: Literal["sent", "written", "already_sent", "failed"]
    message: str
    path: Path | None = None  # the .eml of a dry run


@dataclass
class RunOutcome:
    """A finished run: the digest, the files written, and the delivery if one was asked for."""

    digest: Digest
    written: list[Path]
    delivery: Delivery | None = None

    @property
    def used(self) -> int:
        """How many articles the digest reports."""
        return sum(1 for r in self.digest.report.articles if r.status == "used")

    @property
    def status(self) -> Literal["ok", "partial", "empty"]:
        """empty: no usable (or new) article; partial: something could not be summarized."""
        return "empty" if self.used == 0 else "partial" if self.digest.report.failures else "ok"


@dataclass
class Clusters:
    """The stories the sources group into, and every input's record."""

    stories: list[Story]
    records: list[ArticleRecord]
    timings: dict[str, float]  # seconds per stage


def sources_of(given: list[str], config: Config) -> list[str | SourceSpec]:
    """The sources given, else the configured ones.

    Raises:
        ConfigError: when there are none, or one can never be read (a path that does not exist,
            a URL that is not http(s)): found before any work, so nothing is written.
    """
    sources: list[str | SourceSpec] = list(given) or list(config.input.sources)
    if not sources:
        raise ConfigError("no sources: give SOURCE arguments, or list them in input.sources in the config file")
    check_sources(sources)
    return sources


@contextmanager
def open_stages(config: Config, paths: Paths, console: Console, ledger: Ledger) -> Iterator[Stages]:
    """The readers' context and the embedders (with their caches), closed on the way out."""
    with ExitStack() as stack:
        context = ReadContext(config.input, config.fetch, cache_path=paths.fetch)
        stack.callback(context.close)
        cache = None
        if config.cluster.embedding_cache:
            cache = _open_cache("embedding cache", EmbeddingCache, paths.embeddings, console, ledger)
            if cache is not None:
                stack.callback(cache.close)
        embedder = make_embedder(config.cluster, cache)
        yield Stages(config, context, embedder, make_fallback(config.cluster, cache), console)


def _open_cache(
    kind: str, opener: Callable[[Path], Cache], path: Path, console: Console, ledger: Ledger
) -> Cache | None:
    """A cache file, or None when it cannot be used: a cache never stops a run, the report says so."""
    try:
        return opener(path)
    except ConfigError as exc:
        message = f"{exc}; this run goes on without the {kind}"
        console.warn(message)
        ledger.note("cache", None, message)
        return None


def show_clusters(sources: list[str | SourceSpec], config: Config, console: Console | None = None) -> Clusters:
    """Read and group the sources without summarizing them (no LLM)."""
    ledger, clock = Ledger(), Stopwatch()
    with open_stages(config, Paths.of(config), console or Console(quiet=True), ledger) as stages:
        stories = prepare_stories(sources, stages, ledger, clock)
    return Clusters(stories, ledger.records(), clock.total())


def daily_run(
    sources: list[str | SourceSpec],
    config: Config,
    *,
    date: str,
    since: Since = None,
    delivery: Send | None = None,
    console: Console | None = None,
    backend: ChatBackend | None = None,
) -> RunOutcome:
    """Make the digest of the sources, write it, remember what it reported, and deliver it.

    Args:
        sources: files, folders, feeds, OPML lists and URLs.
        config: the run's configuration.
        date: the digest's date, YYYY-MM-DD.
        since: 'last' = only articles no earlier digest reported; a window also drops articles
            published before it; None = everything.
        delivery: send the digest (or write the message, in a dry run); None = do not.
        console: progress output.
        backend: the LLM to use (default: the one the configuration names); it is put behind the
            response cache either way.

    Raises:
        ConfigError: bad configuration, found before any work (no recipients, no sources, batch
            mode without an endpoint...).
        LLMError: no usable LLM configured.
        BatchPending: in batch mode, the batch is unfinished when the wait is over; it is recorded
            in the state file and the next run for the same date collects it.
        BriefingError: another run holds the lock, or the digest cannot be written.
    """
    console = console or Console(quiet=True)
    paths = Paths.of(config)
    if delivery is not None:
        require_recipients(config.email)
    backend = backend or make_backend(config, paths.models, report=console.info)
    batch = batch_mode(backend, config) if config.llm.batch else None
    backend = batch or backend
    if config.llm.max_cost_usd is not None:
        backend = CostCapped(backend, config.llm.max_cost_usd, require_prices(config.llm, backend.local))
    with closing(State(paths.state)) as state, state.locked():
        run_id = state.start_run(date)
        try:
            digest = _make(sources, config, paths, date, _news(since, state), backend, console, batch, state)
            written = write_digest(render_all(digest, list(config.digest.formats)), config.digest.out_dir, date)
            try:
                state.mark_reported(reported_items(digest), date)
            except BriefingError as exc:
                raise BriefingError(
                    f"the digest was written to {written[-1].parent}, but {exc}; a --since run may report "
                    "its articles again"
                ) from None
            outcome = RunOutcome(digest, written)
        except BatchPending:
            _record_failure(state, run_id, "pending")
            raise
        except BaseException:
            _record_failure(state, run_id)
            raise
        state.finish_run(run_id, outcome.status)
        if delivery is not None:
            outcome.delivery = deliver(digest, config, state, config.digest.out_dir / date, delivery)
    return outcome


def batch_mode(backend: ChatBackend, config: Config) -> BatchBackend:
    """The backend in batch mode, refused before any work when it cannot batch.

    Raises:
        ConfigError: for the embedded model, or for extractive mode (no one request per story).
    """
    if not isinstance(backend, OpenAIBackend):
        raise ConfigError(
            f"llm.batch needs an OpenAI-compatible endpoint that offers /v1/batches, not {backend.name}: "
            "configure one (BRIEFING_LLM_BASE_URL, OPENAI_API_KEY), or unset llm.batch (or run with --no-batch)"
        )
    if summary_mode(config.summary.mode, local=False) != "abstractive":
        raise ConfigError(
            "llm.batch sends one summary request per story, and summary.mode 'extractive' asks sentence by "
            "sentence: use --mode abstractive, or unset llm.batch (or run with --no-batch)"
        )
    return BatchBackend(backend, config.llm, config.digest.max_stories)


def _record_failure(state: State, run_id: int, status: str = "failed") -> None:
    """Mark the run failed (or pending), without letting a state error hide the error that ended the run."""
    try:
        state.finish_run(run_id, status)
    except BriefingError as exc:
        log.warning("%s", exc)


def _news(since: Since, state: State) -> News | None:
    if since is None:
        return None
    # 'last': what no earlier digest reported, whenever it was published (a feed may deliver an
    # article hours after its date); the state's record of reported articles decides.
    cutoff = None if since == "last" else datetime.now(UTC) - since
    return News(state.reported_dates, cutoff)


def _make(
    sources: list[str | SourceSpec],
    config: Config,
    paths: Paths,
    date: str,
    news: News | None,
    backend: ChatBackend,
    console: Console,
    batch: BatchBackend | None = None,
    state: State | None = None,
) -> Digest:
    ledger = Ledger()
    store = _open_cache("response cache", Store, paths.responses, console, ledger)
    try:
        with open_stages(config, paths, console, ledger) as stages:
            cached = CachedBackend(backend, store, on_problem=partial(ledger.note, "cache", None))
            if batch is not None and state is not None:
                cap = backend if isinstance(backend, CostCapped) else None
                batch.start(state, date, console, partial(ledger.note, "batch", None), known=cached.has, cap=cap)
            summarizer = make_summarizer(cached, config, Prompts(paths.prompts), batch=batch)
            digest = make_digest(sources, stages, summarizer, date, ledger, news)
    finally:
        if store is not None:
            store.close()
    if isinstance(backend, CostCapped) and backend.refused:
        digest.report.warnings.append(
            Note(
                "cost",
                None,
                f"cost cap reached: {backend.refused} call(s) not sent; ${backend.spent:.4f} spent of "
                f"llm.max_cost_usd=${backend.cap_usd:g}",
            )
        )
    return digest


def resend(folder: Path, config: Config, delivery: Send) -> Delivery:
    """Send (or write, in a dry run) a digest already written, without the LLM.

    Raises:
        ConfigError: no recipients configured.
        BriefingError: no readable digest.json in the folder.
    """
    require_recipients(config.email)
    digest = load_digest(folder)
    with closing(State(Paths.of(config).state)) as state, state.locked():
        return deliver(digest, config, state, folder, delivery)


def deliver(digest: Digest, config: Config, state: State, folder: Path, delivery: Send) -> Delivery:
    """Send the digest's email (never twice for a date without force), or write it in a dry run."""
    message = build_message(digest, config.email)
    if delivery.dry_run:
        path = write_eml(message, folder / "digest.eml")
        return Delivery("written", f"dry run: the message was written to {path}, not sent", path)
    previous = state.sent(digest.date)
    if previous and not delivery.force:
        when = datetime.fromtimestamp(previous[2]).strftime("%Y-%m-%d %H:%M")
        return Delivery(
            "already_sent",
            f"the digest of {digest.date} was already sent at {when} to {previous[1]}; use --force to send again",
        )
    try:
        refused = send(message, config.email)
    except DeliveryError as exc:
        return Delivery("failed", f"{exc}; the digest is kept in {folder}; retry with: briefing send {folder}")
    state.record_send(digest.date, str(message["Message-ID"]), list(config.email.to))
    accepted = [r for r in config.email.to if r not in refused]
    note = f"; the server refused {', '.join(refused)}" if refused else ""
    return Delivery("sent", f"sent to {', '.join(accepted)}{note}")
