"""Benchmark fetching and extracting article pages: a feed of N teaser entries on a local server.

Every entry is a teaser, so every article page is fetched and its main text extracted with
trafilatura. Runs the same work sequentially (baseline) and with bounded concurrency, on a fresh
cache each time, without and with a simulated 50 ms network round trip per page, and prints
articles/second and the speed-up over the baseline. All pages are on one host, so the per-host
limit (politeness) bounds the concurrency.

    python bench/fetch_bench.py [N]     # default 500
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from briefing.config import FetchConfig, InputConfig  # noqa: E402
from briefing.sources import read_sources  # noqa: E402
from briefing.sources.context import ReadContext  # noqa: E402
from tests.support.feed_server import FeedServer  # noqa: E402


def once(label: str, count: int, fetch: FetchConfig, delay: float) -> float:
    with FeedServer(list(range(1, count + 1)), page_delay=delay) as server, tempfile.TemporaryDirectory() as tmp:
        ctx = ReadContext(InputConfig(), fetch, cache_path=Path(tmp) / "fetch.sqlite")
        start = time.perf_counter()
        articles, rejections = read_sources([server.url("/feed.xml")], ctx)
        seconds = time.perf_counter() - start
        ctx.close()
        pages = sum(v for k, v in server.hits.items() if k.startswith("/article/"))
    rate = len(articles) / seconds
    print(
        f"{label:<34} {len(articles)} articles ({pages} pages fetched, {len(rejections)} rejected) "
        f"in {seconds:.2f}s: {rate:.0f} articles/s"
    )
    return rate


def main(argv: list[str]) -> None:
    count = int(argv[0]) if argv else 500
    # Loopback answers at once, so the first round measures parsing and extraction (CPU); the
    # second adds a 50 ms round trip per page, as a real network does, which concurrency hides.
    for delay in (0.0, 0.05):
        print(f"-- {count} pages, {delay * 1000:.0f} ms per page response")
        baseline = once("sequential (1 worker, 1 per host)", count, FetchConfig(workers=1, per_host=1), delay)
        default = once("default (8 workers, 2 per host)", count, FetchConfig(), delay)
        wide = once("8 workers, 8 per host", count, FetchConfig(per_host=8), delay)
        print(f"speed-up over sequential: default x{default / baseline:.2f}, 8 per host x{wide / baseline:.2f}")


if __name__ == "__main__":
    main(sys.argv[1:])
