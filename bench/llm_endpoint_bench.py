"""Benchmark the LLM stage against an OpenAI-compatible endpoint with a fixed latency per call.

Runs the real daily run (`briefing.app.daily_run`, abstractive mode) on N stories against a local
server (the scripted OpenAI server of the tests, in its own process as a real endpoint would be)
that answers every chat call after LATENCY seconds, and prints the calls per second achieved in
the summarize stage against the ideal, CONCURRENCY / LATENCY. Then an identical re-run, which
must make no call at all; then the same run with some 429 answers carrying Retry-After, which
must be honoured (its ideal counts the waits asked for).

    python bench/llm_endpoint_bench.py [--stories 160] [--latency 0.5] [--concurrency 8] [--429s 6]

Articles are real news from ../shared/eval when it is there (one story per article, mostly), else
the generated articles of bench/pipeline_bench.py.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import logging  # noqa: E402

from pipeline_bench import EVAL_ARTICLES, generate  # noqa: E402

from briefing.app import RunOutcome, daily_run  # noqa: E402
from briefing.config import load_config  # noqa: E402
from tests.support.openai_server import Reply, ScriptedOpenAI  # noqa: E402

RETRY_AFTER_SECONDS = 1


def articles(count: int) -> list[dict[str, Any]]:
    """`count` articles that are, mostly, one story each."""
    if EVAL_ARTICLES.is_file():
        rows = [json.loads(line) for line in EVAL_ARTICLES.read_text("utf-8").splitlines() if line.strip()]
        rows = [r for r in rows if r.get("gold_language") == "en" and len(r.get("text") or "") > 800]
        return [{"id": f"a{n}", "title": r["title"], "text": r["text"]} for n, r in enumerate(rows[:count])]
    generated = generate(count * 3)
    first_of_story: dict[str, dict[str, Any]] = {}
    for row in generated:
        first_of_story.setdefault(str(row["story"]), row)
    return list(first_of_story.values())[:count]


@contextmanager
def endpoint(latency: float, throttled: int = 0) -> Iterator[str]:
    """The scripted server in a process of its own; its base URL. The first `throttled` calls get a
    429 with Retry-After."""
    command = [sys.executable, __file__, "--serve", str(latency), str(throttled)]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        yield server.stdout.readline().strip()
    finally:
        server.terminate()
        server.wait(timeout=10)


def serve(latency: float, throttled: int) -> None:
    """Run the scripted server until terminated, printing its base URL first."""
    with ScriptedOpenAI() as server:
        server.always = Reply(delay=latency)
        server.script(
            *[Reply(status=429, headers={"Retry-After": str(RETRY_AFTER_SECONDS)}, delay=latency)] * throttled
        )
        print(server.base_url, flush=True)
        while True:
            time.sleep(3600)


def day(folder: Path, base_url: str, rows: list[dict[str, Any]], concurrency: int) -> RunOutcome:
    """One daily run of the rows through the endpoint, its caches in `folder`."""
    source = folder / "articles.jsonl"
    source.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    config = load_config(
        None,
        {
            "llm": {"base_url": base_url, "model": "bench", "concurrency": concurrency, "max_reasks": 0},
            "summary": {"mode": "abstractive"},
            "digest": {"out_dir": folder / "out", "max_stories": len(rows)},
            "paths": {"cache_dir": folder / "cache"},
            "cluster": {"embedding_cache": True},
        },
        env={},
    )
    return daily_run([str(source)], config, date="2026-11-23")


def report(label: str, outcome: RunOutcome, latency: float, concurrency: int, waited: float = 0.0) -> None:
    """Calls per second in the summarize stage (the overview's one call comes after it) against the
    ideal, CONCURRENCY / LATENCY; `waited` is the worker-seconds of Retry-After waits the endpoint
    asked for, which the ideal then includes."""
    digest = outcome.digest.report
    seconds = digest.timings["summarize"]
    story_calls = digest.llm_calls - (1 if digest.llm_calls else 0)
    requests = story_calls + digest.retries
    ideal_seconds = (requests * latency + waited) / concurrency
    rate, ideal_rate = story_calls / seconds, story_calls / ideal_seconds
    print(
        f"{label}: {len(outcome.digest.stories)} stories, {story_calls} story calls ({digest.retries} retried) "
        f"in {seconds:.2f} s = {rate:.2f} calls/s, {rate / ideal_rate:.0%} of the ideal {ideal_rate:.2f} "
        f"({ideal_seconds:.2f} s); total run {digest.timings['total']:.1f} s"
    )


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--serve"]:
        serve(float(argv[1]), int(argv[2]))
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stories", type=int, default=160)
    parser.add_argument("--latency", type=float, default=0.5, help="seconds the server takes per call")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--429s", dest="throttled", type=int, default=6, help="429 answers in the second run")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)  # stories the fake model gets wrong are expected here
    rows = articles(args.stories)
    ideal_rate = args.concurrency / args.latency
    print(f"endpoint latency {args.latency} s per call, concurrency {args.concurrency}: ideal {ideal_rate:.2f} calls/s")
    run = args.latency, args.concurrency
    with tempfile.TemporaryDirectory() as tmp:
        with endpoint(args.latency) as url:
            warm = Path(tmp) / "warm"  # models loaded and embeddings cached: what is timed is the LLM stage
            warm.mkdir()
            day(warm, url, rows, args.concurrency)
            first = Path(tmp) / "first"
            (first / "cache").mkdir(parents=True)
            (first / "cache" / "embeddings.sqlite").write_bytes((warm / "cache" / "embeddings.sqlite").read_bytes())
            report("plain     ", day(first, url, rows, args.concurrency), *run)
            again = day(first, url, rows, args.concurrency).digest.report
            print(f"cached re-run: {again.llm_calls} calls (must be 0), {again.cache_hits} cached")
        with endpoint(args.latency, args.throttled) as url:
            throttled = Path(tmp) / "throttled"
            (throttled / "cache").mkdir(parents=True)
            (throttled / "cache" / "embeddings.sqlite").write_bytes((warm / "cache" / "embeddings.sqlite").read_bytes())
            outcome = day(throttled, url, rows, args.concurrency)
            report("with 429s ", outcome, *run, waited=args.throttled * RETRY_AFTER_SECONDS)
            retried = outcome.digest.report.retries
            print(
                f"  the first {args.throttled} answers were 429 with Retry-After {RETRY_AFTER_SECONDS} s: "
                f"{retried} retries ({'all' if retried >= args.throttled else 'NOT all'} retried, each after waiting)"
            )


if __name__ == "__main__":
    main()
