"""The ledger: every stage reports what it decided about each input, and nothing else keeps count.

An input is an article (ids are unique once read: repeats are renamed) or something that never
became one (a broken file, a feed entry without text): those are kept in their own list, so a
rejected input and an article that share an id are both reported.
"""

from __future__ import annotations

import logging

from briefing.models import Article, ArticleRecord, Failure, Note, Rejection

log = logging.getLogger(__name__)


class Ledger:
    """What happened to every input of one run, and what could not be made."""

    def __init__(self) -> None:
        self._articles: dict[str, ArticleRecord] = {}
        self._inputs: list[ArticleRecord] = []
        self.failures: list[Failure] = []
        self.notes: list[Note] = []

    def receive(self, article: Article) -> None:
        """An article read from a source. Until a stage decides its fate it stands as rejected, with
        a reason that says so: an article no stage reported on is a bug, and must show."""
        self._articles[article.id] = ArticleRecord(
            article.id,
            "rejected",
            "no stage reported what became of it",
            fetched_from=article.fetched_from,
            flags=list(article.flags),
        )

    def reject_input(self, rejection: Rejection) -> None:
        """An input that never became an article (unreadable, empty, not a source)."""
        log.debug("rejected input %s: %s", rejection.id, rejection.reason)
        record = ArticleRecord(rejection.id, "rejected", rejection.reason, fetched_from=rejection.fetched_from)
        self._inputs.append(record)

    def reject(self, article: Article, reason: str) -> None:
        """An article that will not be reported, and why."""
        log.debug("rejecting %s: %s", article.id, reason)
        record = self._record(article)
        record.status, record.reason = "rejected", reason

    def duplicate(self, article: Article, kept: Article, similarity: float) -> None:
        """An article folded into the copy of it that is kept."""
        record = self._record(article)
        record.status, record.reason = "duplicate", f"copy of {kept.id} (similarity {similarity})"
        record.duplicate_of = kept.id

    def use(self, article: Article, story_id: str) -> None:
        """An article (or a duplicate copy) reported in a story."""
        record = self._record(article)
        if record.status != "duplicate":
            record.status, record.reason = "used", None
        record.story_id = story_id

    def flag(self, article: Article, flag: str) -> None:
        """Something the run changed or doubted about an article (shown in the report)."""
        article.flags.append(flag)
        self._record(article)

    def fail(self, stage: str, story_id: str | None, error: str) -> None:
        """A part of the digest that could not be made (a story's summary, the overview)."""
        self.failures.append(Failure(stage, story_id, error))

    def note(self, stage: str, story_id: str | None, note: str) -> None:
        """Something left out or replaced while making a story (a sentence a check dropped...)."""
        self.notes.append(Note(stage, story_id, note))

    def records(self) -> list[ArticleRecord]:
        """Every input's record: articles in the order first seen, then inputs that were never articles."""
        return [*self._articles.values(), *self._inputs]

    def used(self) -> int:
        """How many articles a story reports (duplicate copies not counted)."""
        return sum(1 for r in self._articles.values() if r.status == "used")

    def _record(self, article: Article) -> ArticleRecord:
        if article.id not in self._articles:
            self.receive(article)
        record = self._articles[article.id]
        record.language = article.language or record.language
        record.flags.extend(f for f in article.flags if f not in record.flags)
        return record
