"""A large day on one machine: N real-length articles through read -> group -> rank -> budget.

Each size runs in a process of its own (so the peak memory is that size's), after the models are
loaded, with no embedding cache (every article embedded, as on a first sight). Prints seconds per
stage (read, clean, language, dedupe, cluster, rank as `briefing cluster` runs them through
`briefing.app.show_clusters`; then budget: the summary requests of the stories that
`digest.max_stories` selects, built and trimmed to the context as `briefing run` builds them, no
LLM called), articles per second, peak memory (max RSS), and how each stage's time grows from the
smallest size to the largest against linear (1.00 = linear).

    python bench/day_bench.py                  # 5,000 and 50,000 articles
    python bench/day_bench.py 5000 20000       # other sizes
    python bench/day_bench.py --whole 50000    # the whole daily run (briefing.app.daily_run)

--cache DIR keeps each size's embeddings in DIR/N (as a daily run keeps them by default): a run on an
empty DIR is still a first sight, a second run times everything but embedding, and --whole reuses them.

--whole runs `daily_run` with digest.max_stories = 30 against a local scripted OpenAI-compatible
server (tests/support/openai_server.py, in its own process), checks that the run report lists
every article (used, duplicate, or rejected with its story's rank), and prints the size of
digest.json.

The day is made from the real news in ../shared/eval (needs it; its text never enters the repo).
An event's text joins windows of sentences from three real articles of one language (about 1,600
characters), with names and figures of its own: each rare capitalised word (a name, mostly) is
swapped for another real one of the language and each figure for another, so events that reuse
a window of one article still differ in who, where and how many. Each event is reported by a
few outlets (most by one, a few by dozens): by republishing it with the outlet's own footer (a
real sentence the outlet ends every article with), which dedupe folds as a near copy, or by
rewriting it (sentences dropped, reordered, cut short), which grouping has to join. Stories stay
in one language. The pool holds about 10,000 sentences, so at 50,000 articles each is reused in
some fifteen events: more text is shared between unrelated events than in a real day.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import regex

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from llm_endpoint_bench import endpoint  # noqa: E402

from briefing.app import daily_run, show_clusters  # noqa: E402
from briefing.budget import TiktokenCounter, split_sentences  # noqa: E402
from briefing.config import Config, load_config  # noqa: E402
from briefing.embed import UseEmbedder  # noqa: E402
from briefing.language import assign_language  # noqa: E402
from briefing.models import Article, Story  # noqa: E402
from briefing.prompts import Prompts  # noqa: E402
from briefing.summarize import build_story_request  # noqa: E402
from briefing.words import _frequencies  # noqa: E402

EVAL_ARTICLES = ROOT.parent / "shared" / "eval" / "semeval-train-articles.jsonl"
FILE_ROWS = 5000  # files stay under input.max_file_bytes
MAX_STORIES = 30
DAY = "2026-11-23"
START = datetime(2026, 11, 22, tzinfo=UTC)  # the day's articles are published over 36 hours from here
Pool = dict[str, list[tuple[str, list[str]]]]  # language -> (title, sentences) of its real articles
_CAPITALISED = regex.compile(r"\b\p{Lu}\p{Ll}{2,}\b")
_FIGURE = regex.compile(r"\b[0-9]{2,}\b")
RARE = 1e-5  # a capitalised word rarer than this in its language is taken for a name (zipf 4)


def load_pool() -> Pool:
    """The real articles by language, each as its title and sentences."""
    pool: Pool = {}
    for line in EVAL_ARTICLES.read_text("utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            sentences = split_sentences(row["text"])
            if len(sentences) >= 3:
                pool.setdefault(row["gold_language"], []).append((row["title"], sentences))
    return pool


def story_size(rng: random.Random) -> int:
    """How many outlets report one event: most one, some a handful, a few dozens (mean about 3)."""
    roll = rng.random()
    if roll < 0.55:
        return 1
    if roll < 0.85:
        return rng.randint(2, 4)
    if roll < 0.97:
        return rng.randint(5, 12)
    return rng.randint(13, 60)


def rare_names(pool: Pool, language: str) -> list[str]:
    """The capitalised words of a language's real articles that are rare in it (mostly names)."""
    frequencies = _frequencies(language)
    found = {
        word
        for _, lines in pool[language]
        for line in lines
        for word in _CAPITALISED.findall(line)
        if frequencies.get(word.casefold(), 0.0) < RARE
    }
    return sorted(found)


def event_text(
    rng: random.Random, articles: list[tuple[str, list[str]]], names: list[str], language: str
) -> tuple[str, list[str]]:
    """A title and sentences: windows of three real articles of one language, joined, with names and
    figures of the event's own.

    Every rare capitalised word (a name, mostly) becomes another real one of the language, and every
    figure another of as many digits, the same way all through the event: events that reuse a
    window of one article differ in who, where and how many, as two real events told alike do.
    """
    parts = rng.sample(articles, 3)
    sentences: list[str] = []
    for _, lines in parts:
        length = rng.randint(3, max(3, len(lines) - 1))
        start = rng.randint(0, len(lines) - length)
        sentences.extend(lines[start : start + length])
    frequencies = _frequencies(language)
    own: dict[str, str] = {}

    def rename(match: regex.Match[str]) -> str:
        word = match.group(0)
        if frequencies.get(word.casefold(), 0.0) >= RARE or not names:
            return word
        return own.setdefault(word, rng.choice(names))

    def refigure(match: regex.Match[str]) -> str:
        digits = match.group(0)
        return own.setdefault(digits, str(rng.randint(10 ** (len(digits) - 1), 10 ** len(digits) - 1)))

    title = _FIGURE.sub(refigure, _CAPITALISED.sub(rename, parts[0][0]))
    return title, [_FIGURE.sub(refigure, _CAPITALISED.sub(rename, line)) for line in sentences]


def rewrite(rng: random.Random, sentences: list[str]) -> list[str]:
    """An outlet's own version: a third of the sentences dropped, two swapped, perhaps cut short."""
    kept = [s for s in sentences if rng.random() > 0.33] or sentences[:3]
    if len(kept) > 3:
        i = rng.randrange(len(kept) - 1)
        kept[i], kept[i + 1] = kept[i + 1], kept[i]
    if rng.random() < 0.3:
        kept = kept[: max(3, len(kept) * 2 // 3)]
    return kept


def make_day(count: int, seed: int = 7) -> list[dict[str, Any]]:
    """`count` articles of one day: events reported by one outlet or several (see module docstring)."""
    rng = random.Random(seed)
    pool = load_pool()
    languages = sorted(pool)
    weights = [len(pool[lang]) for lang in languages]
    outlets = {
        lang: [f"{lang}-outlet-{k}" for k in range(max(10, count // 25 * w // sum(weights)))]
        for lang, w in zip(languages, weights, strict=True)
    }
    names = {lang: rare_names(pool, lang) for lang in languages}
    footers = {name: rng.choice(rng.choice(pool[lang])[1]) for lang in languages for name in outlets[lang]}
    rows: list[dict[str, Any]] = []
    event = 0
    while len(rows) < count:
        event += 1
        language = rng.choices(languages, weights)[0]
        title, sentences = event_text(rng, pool[language], names[language], language)
        hour = rng.uniform(0, 30)
        for number, outlet in enumerate(rng.sample(outlets[language], min(story_size(rng), len(outlets[language])))):
            body = sentences if number == 0 or rng.random() < 0.4 else rewrite(rng, sentences)
            at = START + timedelta(hours=hour + rng.uniform(0, 6) * (number > 0))
            rows.append(
                {
                    "id": f"d{len(rows)}",
                    "title": title,
                    "text": " ".join([*body, footers[outlet]]),
                    "source": outlet,
                    "url": f"https://{outlet}.example/{event}",
                    "published": at.strftime("%Y-%m-%dT%H:%M:00Z"),
                }
            )
            if len(rows) >= count:
                break
    return rows


def write_day(rows: list[dict[str, Any]], folder: Path) -> Path:
    """The rows as JSONL files in a folder of their own."""
    folder.mkdir()
    for start in range(0, len(rows), FILE_ROWS):
        with (folder / f"part-{start // FILE_ROWS:03d}.jsonl").open("w", encoding="utf-8") as handle:
            handle.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in rows[start : start + FILE_ROWS])
    return folder


def budget(stories: list[Story], config: Config) -> int:
    """Build the summary requests of the stories `digest.max_stories` selects; their prompt tokens."""
    counter, prompts, llm = TiktokenCounter(), Prompts(), config.llm
    tokens = 0
    for story in stories[: config.digest.max_stories]:
        request, _ = build_story_request(
            story,
            prompts,
            counter,
            context_window=llm.context_window,
            max_output_tokens=llm.max_output_tokens,
            temperature=llm.temperature,
            max_articles=config.digest.max_articles_per_story,
        )
        tokens += sum(counter.count(text) for _, text in request.messages)
    return tokens


def peak_mb() -> float:
    """This process's peak memory so far (max RSS)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(count: int, cache: Path | None = None) -> dict[str, Any]:
    """One size, in this process: seconds per stage, stories, duplicates and peak memory.

    With `cache`, embeddings are kept in that folder, so a second run times everything but embedding.
    """
    UseEmbedder().encode(["warm up the model"])  # loading models is not part of the per-article cost
    assign_language(Article(id="warm", title="", text="warm up the language model"))
    TiktokenCounter().count("warm up the tokenizer")
    with tempfile.TemporaryDirectory() as tmp:
        source = write_day(make_day(count), Path(tmp) / "day")
        loaded_mb = peak_mb()
        config = Config.model_validate(
            {
                "paths": {"cache_dir": cache or Path(tmp) / "cache"},
                "cluster": {"embedding_cache": cache is not None},
                "digest": {"max_stories": MAX_STORIES},
            }
        )
        clusters = show_clusters([str(source)], config)
        started = time.perf_counter()
        tokens = budget(clusters.stories, config)
        timings = {k: v for k, v in clusters.timings.items() if k != "total"}
        timings["budget"] = time.perf_counter() - started
    statuses = [r.status for r in clusters.records]
    return {
        "count": count,
        "timings": timings,
        "seconds": sum(timings.values()),
        "records": len(statuses),
        "duplicates": statuses.count("duplicate"),
        "rejected": statuses.count("rejected"),
        "stories": len(clusters.stories),
        "multi": sum(1 for s in clusters.stories if len(s.articles) > 1),
        "largest": max((len(s.articles) for s in clusters.stories), default=0),
        "prompt_tokens": tokens,
        "loaded_mb": loaded_mb,
        "peak_mb": peak_mb(),
    }


def in_process(count: int, cache: Path | None) -> dict[str, Any]:
    """measure(count) in a fresh Python process."""
    command = [sys.executable, __file__, "--one", str(count), *(["--cache", str(cache / str(count))] if cache else [])]
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def show(result: dict[str, Any]) -> None:
    """One size's line."""
    count, seconds = result["count"], result["seconds"]
    stages = ", ".join(f"{k} {v:.1f}" for k, v in result["timings"].items())
    print(
        f"{count:>6} articles: {seconds:.1f} s ({stages}) | {count / seconds:.0f} articles/s | "
        f"{result['duplicates']} duplicates, {result['stories']} stories ({result['multi']} of several "
        f"articles, largest {result['largest']}) | peak {result['peak_mb']:.0f} MB "
        f"({result['loaded_mb']:.0f} MB with the models and the generated day)"
    )


def growth(small: dict[str, Any], large: dict[str, Any]) -> None:
    """Each stage's time ratio from the smallest size to the largest, against linear."""
    factor = large["count"] / small["count"]
    print(f"growth {small['count']} -> {large['count']} articles ({factor:g}x), time ratio / {factor:g}:")
    for key in [*small["timings"], "total"]:
        before = small["seconds"] if key == "total" else small["timings"][key]
        after = large["seconds"] if key == "total" else large["timings"][key]
        ratio = after / max(before, 1e-9)
        print(f"  {key:<9} {before:7.2f} s -> {after:7.2f} s  x{ratio:5.1f}  = {ratio / factor:.2f} of linear")


def whole(count: int, cache: Path | None) -> None:
    """The daily run on `count` articles against a local scripted endpoint; the report must list them all.

    With `cache`, the embeddings a measuring run kept there for this size are used (a copy).
    """
    with tempfile.TemporaryDirectory() as tmp, endpoint(0.0) as url:
        rows = make_day(count)
        source = write_day(rows, Path(tmp) / "day")
        kept = cache / str(count) / "embeddings.sqlite" if cache else None
        if kept is not None and kept.is_file():
            (Path(tmp) / "cache").mkdir()
            shutil.copy(kept, Path(tmp) / "cache" / "embeddings.sqlite")
        config = load_config(
            None,
            {
                "llm": {"base_url": url, "model": "bench", "concurrency": 4, "max_reasks": 0},
                "summary": {"mode": "abstractive"},
                "digest": {"out_dir": Path(tmp) / "out", "max_stories": MAX_STORIES},
                "paths": {"cache_dir": Path(tmp) / "cache"},
                "cluster": {"embedding_cache": kept is not None},
            },
            env={},
        )
        started = time.perf_counter()
        outcome = daily_run([str(source)], config, date=DAY)
        seconds = time.perf_counter() - started
        records = outcome.digest.report.articles
        listed = {r.id for r in records}
        missing = [r["id"] for r in rows if r["id"] not in listed]
        statuses = [r.status for r in records]
        below = sum(1 for r in records if r.status == "rejected" and "below digest.max_stories" in (r.reason or ""))
        other = [r for r in records if r.status == "rejected" and "below digest.max_stories" not in (r.reason or "")]
        size = (config.digest.out_dir / DAY / "digest.json").stat().st_size
        timings = ", ".join(f"{k} {v:.1f}" for k, v in outcome.digest.report.timings.items())
        print(
            f"daily run, {count} articles, digest.max_stories={MAX_STORIES}: {seconds:.0f} s ({timings}); "
            f"{len(outcome.digest.stories)} stories in the digest; report lists {len(records)} articles: "
            f"{statuses.count('used')} used, {statuses.count('duplicate')} duplicate, {below} rejected below "
            f"digest.max_stories, {len(other)} rejected otherwise; missing from the report: {len(missing)}; "
            f"digest.json {size / 1e6:.1f} MB; peak {peak_mb():.0f} MB"
        )
        if missing or other:
            raise SystemExit(f"not every article is reported as expected: missing {missing[:5]}, other {other[:3]}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sizes", nargs="*", type=int, default=[5000, 50000], help="articles per day")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # the child process measuring one size
    parser.add_argument(
        "--cache", type=Path, metavar="DIR", help="keep embeddings in DIR: a second run times all but embedding"
    )
    parser.add_argument("--whole", type=int, metavar="N", help="run the whole daily run on N articles instead")
    args = parser.parse_args(argv)
    if not EVAL_ARTICLES.is_file():
        print(f"no real articles at {EVAL_ARTICLES}: nothing to run (skipped)")
        return
    if args.one:
        print(json.dumps(measure(args.one, args.cache)))
        return
    if args.whole:
        whole(args.whole, args.cache)
        return
    results = []
    for count in args.sizes:
        results.append(in_process(count, args.cache))
        show(results[-1])
    if len(results) > 1:
        growth(min(results, key=lambda r: r["count"]), max(results, key=lambda r: r["count"]))


if __name__ == "__main__":
    main()
