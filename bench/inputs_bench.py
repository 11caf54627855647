"""Time reading many feed entries: read -> clean -> language -> dedupe, before and after.

Two generated RSS files (made-up English briefs, full text off, so no page is fetched):

* distinct: N entries cut from a few templates with different names, places and figures, as a
  generated or wire feed looks: no two are copies, but many share most of their words.
* near-identical: N copies of one brief that differ only in a number and a place.

Each is read through the same stages a run uses (briefing.pipeline, one Ledger), once with the
near-copy search dedupe had before (every pair of an LSH bucket compared: kept below as the
baseline) and once with briefing.dedupe as it is now. A baseline that runs past --limit seconds
is stopped and reported as such.

    python bench/inputs_bench.py [N] [--limit SECONDS]     # default 5000 entries, 600 s
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from briefing import dedupe  # noqa: E402
from briefing.config import Config  # noqa: E402
from briefing.language import assign_language  # noqa: E402
from briefing.ledger import Ledger  # noqa: E402
from briefing.pipeline import clean, fold_duplicates, read  # noqa: E402
from briefing.sources.context import ReadContext  # noqa: E402

TEMPLATES = [
    "The city council of {place} voted on {day} to {verb} the {thing} after a debate of {hours} hours. "
    "Mayor {person} said the plan would cost about {num} euros and be finished by {year}. "
    "Opposition leader {other} called the decision rushed and asked for a review by the regional court. "
    "Residents of {place} will be able to comment on the plan at a public meeting next month.",
    "{person}, the head of {org}, announced on {day} that the company will {verb} its {thing} in {place}. "
    "About {num} workers are affected, according to the union led by {other}. "
    "The company said the change was needed to stay competitive until {year}. "
    "Shares of {org} rose slightly after the announcement, while local officials asked for talks.",
    "Police in {place} said on {day} that {num} people were evacuated after a {thing} near the station. "
    "Spokesperson {person} said nobody was seriously hurt and that trains would run again within {hours} hours. "
    "Fire chief {other} said the cause was still being investigated. "
    "The last incident of this kind in {place} happened in {year}, officials said.",
]
SLOTS = {
    "day": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
    "verb": ["close", "expand", "sell", "rebuild", "modernise", "move", "review", "replace"],
    "thing": ["harbour terminal", "old bridge", "tram depot", "data centre", "steel plant", "market hall", "gas leak"],
}
SYLLABLES = ["ka", "lo", "mi", "ren", "tas", "vi", "dor", "bel", "su", "nar", "tho", "pe", "gri", "wal", "zen"]


def made_up(rng: random.Random, parts: int = 3) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(parts)).capitalize()


def distinct_briefs(count: int, seed: int = 11) -> list[str]:
    """Briefs cut from a few templates, each with its own place, person and figures.

    No two are copies (their shingle Jaccard is mostly 0.4-0.7, under dedupe's 0.8), but each
    shares most of its words with a third of the others: what a wire or generated feed looks like.
    """
    rng = random.Random(seed)
    fixed = {key: values[0] for key, values in SLOTS.items()}
    fixed.update(other="Tamsu Kalodor", org="Belnar Group", hours="12", year="2031")
    texts = []
    for _ in range(count):
        fill = {**fixed, "place": made_up(rng), "person": f"{made_up(rng, 2)} {made_up(rng)}"}
        fill["num"] = f"{rng.randint(100, 99_999):,}"
        texts.append(rng.choice(TEMPLATES).format(**fill))
    return texts


def near_identical_briefs(count: int, seed: int = 12) -> list[str]:
    """One long brief, repeated with only a figure and a place changed at its end."""
    rng = random.Random(seed)
    base = " ".join(distinct_briefs(2, seed))
    return [f"{base} Update: {rng.randint(1, 999)} more in {made_up(rng)}." for _ in range(count)]


def write_feed(texts: list[str], path: Path) -> None:
    items = "".join(
        f"<item><title>Brief {n}</title><link>https://wire.example/{n}</link><guid>urn:brief:{n}</guid>"
        f"<pubDate>Sat, 22 Nov 2026 08:30:00 +0100</pubDate><description>{escape(text)}</description></item>"
        for n, text in enumerate(texts)
    )
    rss = (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Wire</title>{items}</channel></rss>'
    )
    path.write_text(rss, encoding="utf-8")


class TooLong(Exception):
    """The baseline passed its time limit."""


def baseline_join(limit: float) -> Callable[[list[set[int]], dedupe._Groups, float], None]:
    """dedupe's near-copy search before this change: every pair of every LSH bucket, one by one."""

    def join(sets: list[set[int]], groups: dedupe._Groups, threshold: float) -> None:
        stop = time.monotonic() + limit
        buckets: dict[tuple[int, bytes], list[int]] = {}
        for i, hashes in enumerate(sets):
            signature = dedupe._signature(hashes)[:64]
            for band in range(16):
                buckets.setdefault((band, signature[band * 4 : band * 4 + 4].tobytes()), []).append(i)
        checked: set[tuple[int, int]] = set()
        for members in (m for m in buckets.values() if len(m) > 1):
            if time.monotonic() > stop:
                raise TooLong
            for pos, i in enumerate(members):
                for j in members[pos + 1 :]:
                    if (i, j) in checked or groups.find(i) == groups.find(j):
                        continue
                    checked.add((i, j))
                    if dedupe.jaccard(sets[i], sets[j]) >= threshold:
                        groups.union(i, j)

    return join


@contextmanager
def near_copy_search(join: Callable[[list[set[int]], dedupe._Groups, float], None] | None) -> Iterator[None]:
    original = dedupe._join_near_copies
    if join is not None:
        dedupe._join_near_copies = join
    try:
        yield
    finally:
        dedupe._join_near_copies = original


def run(feed: Path, config: Config) -> dict[str, float]:
    """Seconds per stage, and how many articles were read and kept."""
    ledger = Ledger()
    context = ReadContext(config.input, config.fetch)
    timings: dict[str, float] = {}
    start = time.perf_counter()
    articles, _ = read([str(feed)], context, ledger)
    timings["read"] = time.perf_counter() - start
    start = time.perf_counter()
    articles = [assign_language(a) for a in clean(articles, config.input.min_chars, ledger)]
    timings["clean+language"] = time.perf_counter() - start
    start = time.perf_counter()
    kept, _ = fold_duplicates(articles, config.dedupe.near_threshold, ledger)
    timings["dedupe"] = time.perf_counter() - start
    timings["articles"], timings["kept"] = len(articles), len(kept)
    return timings


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", nargs="?", type=int, default=5000)
    parser.add_argument("--limit", type=float, default=600.0, help="seconds the baseline may take per file")
    args = parser.parse_args(argv)
    config = Config()
    config.fetch.full_text = False
    assign_language(dedupe.Article(id="warm-up", title="", text="Load the language model before timing."))
    with tempfile.TemporaryDirectory() as tmp:
        for name, texts in (
            ("distinct", distinct_briefs(args.count)),
            ("near-identical", near_identical_briefs(args.count)),
        ):
            feed = Path(tmp) / f"{name}.xml"
            write_feed(texts, feed)
            print(f"{name}: {args.count} feed entries ({feed.stat().st_size / 1e6:.1f} MB)")
            for label, join in (("before", baseline_join(args.limit)), ("after", None)):
                try:
                    with near_copy_search(join):
                        t = run(feed, config)
                except TooLong:
                    print(f"  {label:<7} dedupe did not finish within {args.limit:g} s")
                    continue
                stages = ", ".join(f"{k} {v:.1f} s" for k, v in t.items() if k not in ("articles", "kept"))
                total = t["read"] + t["clean+language"] + t["dedupe"]
                print(f"  {label:<7} {total:7.1f} s  ({stages}; {t['kept']:.0f} of {t['articles']:.0f} kept)")


if __name__ == "__main__":
    main(sys.argv[1:])
