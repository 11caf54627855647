"""What every source reader provides, so that the registry (and the folder reader) can pick one."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from briefing.config import SourceSpec
from briefing.models import Article, Rejection
from briefing.sources.context import ReadContext


class SourceReader(Protocol):
    """A reader of one kind of source; it yields articles and rejections, never raising for one bad item."""

    @property
    def suffixes(self) -> frozenset[str]:
        """File suffixes (lower case, with the dot) this reader takes when found inside a folder."""
        ...

    @property
    def replaces_outlet(self) -> bool:
        """True when a configured source name replaces the outlet an article states, not only a missing one."""
        ...

    def can_read(self, spec: SourceSpec) -> bool:
        """True when this reader handles the source."""
        ...

    def read(self, spec: SourceSpec, ctx: ReadContext) -> Iterator[Article | Rejection]:
        """Everything the source holds, one article or rejection at a time."""
        ...
