"""A read context that cannot reach the network: for tests that read local files and feeds."""

from __future__ import annotations

from dataclasses import dataclass, field

from briefing.config import FetchConfig
from briefing.errors import SourceError
from briefing.fetch import Fetcher, Response
from briefing.sources.context import ReadContext


class OfflineFetcher(Fetcher):
    """Refuses every URL with a SourceError (as an unreachable host would), and notes it."""

    def __init__(self, config: FetchConfig, refused: list[str]) -> None:
        super().__init__(config)
        self.refused = refused

    def fetch(self, url: str, *, conditional: bool = True, reuse_hours: float = 0.0) -> Response:
        """Never fetches: records the URL and raises."""
        self.refused.append(url)
        raise SourceError(f"network disabled in tests: {url}")


@dataclass
class OfflineContext(ReadContext):
    """A ReadContext whose fetcher refuses every URL; `refused` lists the URLs readers asked for."""

    refused: list[str] = field(default_factory=list)

    def fetcher(self) -> Fetcher:
        """A fetcher that never reaches the network."""
        return OfflineFetcher(self.fetch, self.refused)
