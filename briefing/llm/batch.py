"""Batch mode: the day's story requests as one job on the endpoint's /v1/files and /v1/batches.

OpenAI bills a batch job at about half the price of the same calls and answers it within 24
hours. Before the stories are summarized one by one, the summarizer hands their first requests
to `BatchBackend.gather`: those the response cache cannot answer are written as JSONL lines
(custom_id = the request's cache key), uploaded and submitted as one batch, and the batch is
recorded in the state file at once. The run then polls it every llm.batch_poll_seconds for at
most llm.batch_max_wait_seconds; when the wait is over it stops with BatchPending, and the next
run for the same date finds the batch in the state file and collects it: nothing is submitted
twice.

Collected answers are handed out by `BatchBackend.complete` to the summarizer's own calls, which
validate them like any answer (and the response cache keeps the valid ones), so nothing here
reads a summary. What a batch did not answer (a failed line; a batch that expired, failed or was
cancelled; an endpoint without batches) is asked directly. Answers that fail validation are
re-asked directly, or with llm.batch_reasks = "batch" in one follow-up batch per round.

A batch answer is billed at llm.batch_price_share of the price (OpenAI: half). A batch is paid when
it is submitted, so with llm.max_cost_usd only the requests whose worst case at that share fits
what is left of the cap go into it (the rest are asked directly, where the cap decides call by
call); its answers are charged when collected, and each is passed on once without a check.
Each batch carries its date and a digest of its requests as metadata: a run that finds
such a batch on the endpoint but not in the state file (the process died, or the state write
failed, between the endpoint's answer and the record) records and collects it instead of
submitting the same requests again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any, Final, TypeVar

import openai
from openai.types import Batch
from openai.types.chat import ChatCompletion

from briefing.budget import TokenCounter
from briefing.config import LLMConfig
from briefing.console import Console
from briefing.errors import BatchPending, LLMError
from briefing.llm import retry
from briefing.llm.base import ChatRequest, ChatResult
from briefing.llm.cost import CostCapped
from briefing.llm.openai_backend import OpenAIBackend, answer_confidence, answer_text, get_client, retrying
from briefing.models import Usage
from briefing.store import BatchRecord, State

log = logging.getLogger(__name__)
T = TypeVar("T")

ENDPOINT: Final = "/v1/chat/completions"
# Statuses after which a batch changes no more; "unknown": the endpoint no longer knows the batch.
TERMINAL = frozenset({"completed", "expired", "failed", "cancelled", "unknown"})
# A waiting run says how its batch is doing when anything changes, and at least this often.
PROGRESS_EVERY_SECONDS = 300.0


@dataclass(frozen=True)
class Answer:
    """One batch line's answer, as a chat call would have returned it."""

    text: str
    usage: Usage
    paid_before: bool = False  # collected by an earlier run too: this run reports it as a cache hit
    confidence: float | None = None  # see ChatResult.confidence


def request_line(key: str, body: dict[str, Any]) -> str:
    """One line of a batch input file: a chat completion request named by its cache key."""
    return json.dumps({"custom_id": key, "method": "POST", "url": ENDPOINT, "body": body}, ensure_ascii=False)


def read_results(text: str) -> tuple[dict[str, Answer], dict[str, str]]:
    """The answers in a batch output (or error) file by custom_id, and why the other lines failed.

    A line that is not a result (not JSON, no custom_id) is skipped and logged: it names no request.
    """
    answers: dict[str, Answer] = {}
    errors: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            log.warning("batch result line %d is not JSON; skipped", number)
            continue
        key = record.get("custom_id") if isinstance(record, dict) else None
        if not isinstance(key, str):
            log.warning("batch result line %d names no request (no custom_id); skipped", number)
            continue
        outcome = line_outcome(record)
        if isinstance(outcome, Answer):
            answers[key] = outcome
        else:
            errors[key] = outcome
    return answers, errors


def line_outcome(record: dict[str, Any]) -> Answer | str:
    """A result line's answer, or why it has none."""
    response = record.get("response")
    response = response if isinstance(response, dict) else {}
    error = record.get("error")
    status = response.get("status_code")
    if error or status != 200:
        if not isinstance(error, dict):
            body = response.get("body")
            error = body.get("error") if isinstance(body, dict) else None
        detail = (error.get("message") or error.get("code")) if isinstance(error, dict) else None
        return f"HTTP {status}: {detail}" if status else str(detail or "failed without a reason")
    body = response.get("body")
    response = ChatCompletion.construct(**body) if isinstance(body, dict) else body
    try:
        text, usage = answer_text(response)
    except retry.BadReply as exc:
        return str(exc)
    return Answer(text, usage, confidence=answer_confidence(response))


class BatchApi:
    """The endpoint's files and batches; each call is retried like a chat call, and fails as an LLMError."""

    def __init__(self, config: LLMConfig, client: openai.OpenAI | None = None) -> None:
        self.config = config
        self.client = client or get_client(config)

    def submit(self, lines: list[str], metadata: dict[str, str]) -> Batch:
        """Upload the lines as a JSONL file and start a batch job on them."""
        data = ("\n".join(lines) + "\n").encode("utf-8")
        upload = self._call(
            "upload the batch file",
            lambda: self.client.files.create(file=("briefing-batch.jsonl", data, "application/jsonl"), purpose="batch"),
        )
        return self._call(
            "create the batch",
            lambda: self.client.batches.create(
                input_file_id=upload.id, endpoint=ENDPOINT, completion_window="24h", metadata=metadata
            ),
        )

    def find(self, metadata: dict[str, str]) -> Batch | None:
        """A recent batch carrying exactly this metadata; None when there is none or listing fails."""
        try:
            recent = self._call("list recent batches", lambda: self.client.batches.list(limit=100).data)
        except LLMError as exc:
            log.debug("cannot look for an unrecorded batch: %s", exc)
            return None
        return next((batch for batch in recent if batch.metadata == metadata), None)

    def retrieve(self, batch_id: str) -> Batch | None:
        """The batch as the endpoint sees it now; None when the endpoint does not know it (HTTP 404)."""
        try:
            return self._call(f"check batch {batch_id}", lambda: self.client.batches.retrieve(batch_id))
        except LLMError as exc:
            if isinstance(exc.__cause__, openai.NotFoundError):
                return None
            raise

    def content(self, file_id: str) -> str:
        """A result file's text."""
        return self._call(f"download the batch results {file_id}", lambda: self.client.files.content(file_id).text)

    def _call(self, what: str, call: Callable[[], T]) -> T:
        try:
            return retrying(self.config)(call)
        except openai.OpenAIError as exc:
            offered = not isinstance(exc, openai.NotFoundError)
            hint = "" if offered else " (does the endpoint offer /v1/files and /v1/batches?)"
            raise LLMError(f"cannot {what}: {retry.describe(exc)}{hint}") from exc


class BatchJobs:
    """One run's batches: recorded ones collected, new ones submitted and recorded, all waited for.

    Every batch is written to the state file the moment the endpoint accepts it.
    """

    def __init__(
        self,
        api: BatchApi,
        state: State,
        date: str,
        model: str,
        config: LLMConfig,
        console: Console,
        note: Callable[[str], None],
        body: Callable[[ChatRequest], dict[str, Any]],
        cap: CostCapped | None = None,
    ) -> None:
        self.api = api
        self.state = state
        self.date = date
        self.model = model
        self.config = config
        self.console = console
        self.note = note  # problems, for the run report
        self.body = body  # a request's chat completion body, as the direct backend would send it
        self.cap = cap

    def answer(self, wanted: dict[str, ChatRequest], first_round: bool = False) -> dict[str, Answer]:
        """Answers for these requests (by cache key) from this date's batches.

        Batches already recorded for the date are collected; the requests none of them holds are
        submitted as a new batch. For the day's first requests (`first_round`), a run that collects
        an earlier run's batch asks what is new since then directly, so a run that does not wait
        (--no-wait) ends with a digest even when the sources keep changing, and a new batch holds
        only what fits llm.max_cost_usd (a follow-up round's requests were each let through by the
        cap already). What no batch answers is left out (the caller asks it directly).

        Raises:
            BatchPending: when a batch is still unfinished once llm.batch_max_wait_seconds are over.
        """
        records = [b for b in self.state.batches(self.date, self.model) if not wanted.keys().isdisjoint(b.keys)]
        held = {key for b in records for key in b.keys} & wanted.keys()
        if records:
            self.console.info(
                f"{len(held)} request(s) are in {len(records)} batch(es) already submitted for {self.date} "
                f"({', '.join(b.id for b in records)}): collecting them, not submitting again"
            )
        fresh = {key: request for key, request in wanted.items() if key not in held}
        if first_round and records and fresh:
            self.console.info(f"{len(fresh)} request(s) new since then are asked directly")
            fresh = {}
        if first_round:
            fresh = self.within_cap(fresh)
        if fresh:
            submitted = self.submit(fresh)
            if submitted is not None:
                records.append(submitted)
        batches = self.wait(records)
        answers: dict[str, Answer] = {}
        for record in records:
            answers.update(self.collect(record, batches.get(record.id), wanted.keys()))
        if first_round and self.cap is not None:  # a follow-up round's requests are charged as calls
            for key, answer in answers.items():
                usage = Usage() if answer.paid_before else answer.usage  # an earlier run paid for it
                self.cap.prepaid(key, usage, self.config.batch_price_share)
        return answers

    def within_cap(self, wanted: dict[str, ChatRequest]) -> dict[str, ChatRequest]:
        """The requests whose worst case fits what is left of llm.max_cost_usd, in rank order."""
        if self.cap is None or not wanted:
            return wanted
        left = self.cap.cap_usd - self.cap.spent - self.cap.held
        kept: dict[str, ChatRequest] = {}
        for key, request in wanted.items():
            cost = self.cap.estimate(request) * self.config.batch_price_share
            if cost <= left:
                kept[key] = request
                left -= cost
        if len(kept) < len(wanted):
            self.note(
                f"{len(wanted) - len(kept)} of {len(wanted)} request(s) were not batched: a batch is paid when it is "
                f"submitted, and their worst case would pass llm.max_cost_usd=${self.cap.cap_usd:g}; they were asked "
                "directly, within the cap"
            )
        return kept

    def submit(self, wanted: dict[str, ChatRequest]) -> BatchRecord | None:
        """Submit the requests as one batch and record it; None when the endpoint refuses (they go direct).

        A batch for exactly these requests that the endpoint has but the state file lacks is
        recorded and collected instead.
        """
        digest = hashlib.sha256("\n".join(sorted(wanted)).encode()).hexdigest()
        metadata = {"briefing_date": self.date, "briefing_requests": digest}
        found = self.api.find(metadata)
        if found is not None:
            self.console.info(f"batch {found.id} already holds these requests (its run stopped before recording it)")
            return self.state.record_batch(found.id, self.date, self.model, list(wanted), found.status)
        lines = [request_line(key, self.body(request)) for key, request in wanted.items()]
        try:
            batch = self.api.submit(lines, metadata)
        except LLMError as exc:
            self.note(f"the batch could not be submitted ({exc}); its {len(lines)} request(s) were asked directly")
            return None
        record = self.state.record_batch(batch.id, self.date, self.model, list(wanted), batch.status)
        self.console.info(f"batch {batch.id} submitted: {len(lines)} request(s), recorded in {self.state.path}")
        return record

    def wait(self, records: list[BatchRecord]) -> dict[str, Batch | None]:
        """Each batch once it has ended (None: the endpoint does not know it), polling with progress.

        Raises:
            BatchPending: when one is still running at the end of the wait.
        """
        started = time.monotonic()
        deadline = started + self.config.batch_max_wait_seconds
        latest: dict[str, Batch | None] = {}
        shown: dict[str, tuple[Any, float]] = {}
        status = {r.id: r.status for r in records}
        while True:
            for record in records:
                if record.id in latest and status[record.id] in TERMINAL:
                    continue
                latest[record.id] = batch = self._retrieve(record.id, started)
                now = batch.status if batch is not None else "unknown"
                if now != status[record.id]:
                    self.state.update_batch(record.id, now)
                    status[record.id] = now
                self._progress(record.id, batch, started, shown)
            running = [r for r in records if status[r.id] not in TERMINAL]
            if not running:
                return latest
            left = deadline - time.monotonic()
            if left <= 0:
                raise BatchPending(self._pending(running, latest, started))
            time.sleep(min(self.config.batch_poll_seconds, left))

    def collect(self, record: BatchRecord, batch: Batch | None, wanted: Iterable[str]) -> dict[str, Answer]:
        """The answers of an ended batch to the wanted requests; what it left out is noted."""
        asked = set(wanted) & set(record.keys)
        status = batch.status if batch is not None else "unknown"
        answers: dict[str, Answer] = {}
        errors: dict[str, str] = {}
        for file_id in (batch.output_file_id, batch.error_file_id) if batch is not None else ():
            if file_id:
                try:
                    found, failed = read_results(self.api.content(file_id))
                except LLMError as exc:
                    raise BatchPending(f"batch {record.id} has ended ({status}) but {exc}; {self._again()}") from None
                answers.update(found)
                errors.update(failed)
        earlier = record.collected is not None
        answers = {key: replace(answer, paid_before=earlier) for key, answer in answers.items() if key in asked}
        self.state.update_batch(record.id, status, collected=True)
        missing = sorted(asked - answers.keys())
        self.console.info(f"batch {record.id} {status}: {len(answers)} of {len(asked)} answer(s) collected")
        if missing:
            reason = next((errors[k] for k in missing if k in errors), None) or _why(batch)
            self.note(
                f"batch {record.id} {status}: {len(missing)} of {len(asked)} request(s) unanswered ({reason}); "
                "asked directly"
            )
        return answers

    def _retrieve(self, batch_id: str, started: float) -> Batch | None:
        try:
            return self.api.retrieve(batch_id)
        except LLMError as exc:
            raise BatchPending(f"{exc} after {_duration(time.monotonic() - started)}; {self._again()}") from None

    def _progress(
        self, batch_id: str, batch: Batch | None, started: float, shown: dict[str, tuple[Any, float]]
    ) -> None:
        """A progress line when the batch's state changed, and now and then while it does not."""
        counts = batch.request_counts if batch is not None else None
        state = (batch.status if batch is not None else "unknown", counts.completed if counts else None)
        now = time.monotonic()
        last = shown.get(batch_id)
        if last is not None and last[0] == state and now - last[1] < PROGRESS_EVERY_SECONDS:
            return
        shown[batch_id] = (state, now)
        failed = f", {counts.failed} failed" if counts and counts.failed else ""
        self.console.info(f"batch {batch_id}: {state[0]}{_answered(batch)}{failed}, waited {_duration(now - started)}")

    def _pending(self, running: list[BatchRecord], latest: dict[str, Batch | None], started: float) -> str:
        described = []
        for record in running:
            batch = latest.get(record.id)
            described.append(f"{record.id} ({batch.status if batch else record.status}{_answered(batch)})")
        waited = _duration(time.monotonic() - started)
        return (
            f"batch {', '.join(described)} for the digest of {self.date} is not finished after waiting {waited} "
            f"(llm.batch_max_wait_seconds={self.config.batch_max_wait_seconds:g}); it is recorded in "
            f"{self.state.path}. {self._again(later=True)}"
        )

    def _again(self, later: bool = False) -> str:
        """How to collect a batch this run could not (`later`: as a sentence of its own, to run later)."""
        run, when = ("Run", " later") if later else ("run", "")
        return f"{run} the same command again{when} (--date {self.date}) to collect it: nothing is submitted twice"


def _answered(batch: Batch | None) -> str:
    """', 12/30 answered' when the endpoint counts the batch's requests, else ''."""
    counts = batch.request_counts if batch is not None else None
    return f", {counts.completed}/{counts.total} answered" if counts and counts.total else ""


def _why(batch: Batch | None) -> str:
    """Why a batch answered nothing, in the endpoint's words when it gave any."""
    if batch is None:
        return "the endpoint does not know the batch"
    errors = batch.errors.data if batch.errors is not None and batch.errors.data else []
    return "; ".join(e.message or e.code or "" for e in errors) or f"the batch {batch.status}"


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s" if minutes else f"{seconds:.1f}s"


class BatchBackend:
    """Answers from the run's batches; what they did not answer goes to the endpoint directly.

    With llm.batch_reasks = "batch", a request made while the stories are summarized (a re-ask)
    waits until every story either waits too or is done, and all of them go as one follow-up
    batch; the backend then takes one call at once per story (direct calls stay at
    llm.concurrency).
    """

    local = False

    def __init__(self, direct: OpenAIBackend, config: LLMConfig, max_stories: int) -> None:
        self.direct = direct
        self.config = config
        self.name = f"{direct.name} (batch mode)"
        self.model = direct.model
        self.token_counter: TokenCounter = direct.token_counter
        self.follow_up = config.batch_reasks == "batch"
        self.max_concurrency = max(max_stories, direct.max_concurrency) if self.follow_up else direct.max_concurrency
        self.jobs: BatchJobs | None = None
        self.known: Callable[[ChatRequest], bool] = lambda request: False
        self.answers: dict[str, Answer] = {}
        self.asked: set[str] = set()  # requests a batch held, answered or not: never batched again this run
        self._direct = threading.BoundedSemaphore(direct.max_concurrency)
        self._round = threading.Condition()
        self._stories = 0  # stories still being summarized, in a follow-up round
        self._waiting: dict[str, ChatRequest] = {}
        self._waiters = 0
        self._flushes = 0
        self._flushing = False
        self._pending: str | None = None

    def start(
        self,
        state: State,
        date: str,
        console: Console,
        note: Callable[[str], None],
        known: Callable[[ChatRequest], bool],
        cap: CostCapped | None = None,
    ) -> None:
        """Begin a run: its batches are recorded in `state` for `date`; `note` reports problems;
        `known` says what the response cache answers (never batched); `cap` is llm.max_cost_usd."""
        api = BatchApi(self.config)
        self.jobs = BatchJobs(api, state, date, self.model, self.config, console, note, self.direct.body, cap)
        self.known = known

    def gather(self, requests: list[ChatRequest]) -> None:
        """Answer the day's first requests, one per story, from batches (before the stories are summarized).

        Raises:
            BatchPending: when the batch is unfinished at the end of the wait.
        """
        wanted = {request.cache_key(self.model): request for request in requests if not self.known(request)}
        if wanted:
            self._ask(wanted, first_round=True)
        if self.follow_up and len(requests) > self.max_concurrency:
            log.warning("%d stories exceed %d calls at once: re-asks go directly", len(requests), self.max_concurrency)
        elif self.follow_up:
            with self._round:
                self._stories = len(requests)

    def leave(self) -> None:
        """One story is done: it asks nothing more."""
        if not self.follow_up:
            return
        with self._round:
            self._stories = max(self._stories - 1, 0)
            self._flush_if_all_wait()

    def complete(self, request: ChatRequest) -> ChatResult:
        """A batch's answer when there is one, else a direct call (or a wait for the follow-up batch)."""
        key = request.cache_key(self.model)
        with self._round:
            if self._pending is not None:
                raise BatchPending(self._pending)
            answer = self.answers.pop(key, None)
            if answer is None and self._stories and key not in self.asked:
                answer = self._wait_for_follow_up(key, request)
        if answer is not None:
            share = self.config.batch_price_share
            return ChatResult(
                text=answer.text,
                usage=answer.usage,
                cached=answer.paid_before,
                price_share=share,
                confidence=answer.confidence,
            )
        with self._direct:
            return self.direct.complete(request)

    def _ask(self, wanted: dict[str, ChatRequest], first_round: bool = False) -> None:
        """Answers for these requests from batches, kept until asked for."""
        if self.jobs is None:
            raise LLMError("batch mode was not started for this run (BatchBackend.start)")
        answers = self.jobs.answer(wanted, first_round)
        with self._round:
            self.asked.update(wanted)
            self.answers.update(answers)

    def _wait_for_follow_up(self, key: str, request: ChatRequest) -> Answer | None:
        """Hold the request for the follow-up batch and wait for its answer (the round's lock is held)."""
        self._waiting[key] = request
        self._waiters += 1
        flushes = self._flushes
        try:
            self._flush_if_all_wait()
            while self._flushes == flushes:
                self._round.wait()
        finally:
            self._waiters -= 1
        if self._pending is not None:
            raise BatchPending(self._pending)
        return self.answers.pop(key, None)

    def _flush_if_all_wait(self) -> None:
        """Send the held requests once every story still being summarized waits (the round's lock is held)."""
        if self._flushing or not self._waiters or self._waiters < self._stories:
            return
        held, self._waiting = self._waiting, {}
        self._flushing = True
        self._round.release()
        try:
            self._ask(held)
        except BatchPending as exc:
            self._pending = str(exc)
        finally:
            self._round.acquire()
            self._flushing = False
            self._flushes += 1
            self._round.notify_all()
