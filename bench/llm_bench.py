"""Benchmark summarizing the sample corpus with the embedded model: first run, then cached re-run.

Prints seconds per story and per translated sentence for the first run (every answer computed by
the model), then the same for an identical re-run, which must make zero model calls.

    python bench/llm_bench.py [SOURCES...]      # default: examples/articles
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from briefing.app import daily_run  # noqa: E402
from briefing.config import load_config  # noqa: E402
from briefing.llm import make_backend  # noqa: E402
from briefing.llm.base import ChatBackend, ChatRequest, ChatResult  # noqa: E402
from briefing.paths import Paths  # noqa: E402


class Timed:
    """Wraps a backend and times each model call by kind (translation, headline, other)."""

    def __init__(self, inner: ChatBackend) -> None:
        self.inner = inner
        self.name = inner.name
        self.model = inner.model
        self.local = inner.local
        self.max_concurrency = inner.max_concurrency
        self.token_counter = inner.token_counter
        self.seconds: dict[str, list[float]] = {}

    def complete(self, request: ChatRequest) -> ChatResult:
        prompt = request.messages[-1][1]
        kind = "translation" if prompt.startswith("Translate") else "headline" if "headline" in prompt else "other"
        start = time.perf_counter()
        result = self.inner.complete(request)
        self.seconds.setdefault(kind, []).append(time.perf_counter() - start)
        return result


def once(label: str, sources: list[str], cache: Path) -> int:
    # One call at a time: the in-process model serializes calls anyway, and per-call times stay honest.
    overrides: dict[str, dict[str, object]] = {
        "paths": {"cache_dir": str(cache)},
        "llm": {"concurrency": 1},
        "digest": {"out_dir": cache / "out"},
    }
    config = load_config(None, overrides)
    loaded = time.perf_counter()
    backend = make_backend(config, Paths.of(config).models)
    load_seconds = time.perf_counter() - loaded
    timed = Timed(backend)
    digest = daily_run(list(sources), config, date="2026-11-23", backend=timed).digest
    stories = len(digest.stories)
    summarize = digest.report.timings["summarize"]
    translations = timed.seconds.get("translation", [])
    per_sentence = sum(translations) / len(translations) if translations else 0.0
    print(
        f"{label}: model load {load_seconds:.1f}s, {stories} stories in {summarize:.1f}s "
        f"({summarize / max(stories, 1):.1f} s/story); {len(translations)} sentences translated "
        f"({per_sentence:.2f} s/sentence); {digest.report.llm_calls} model calls, {digest.report.cache_hits} cached"
    )
    return digest.report.llm_calls


def main(argv: list[str]) -> None:
    sources = argv or [str(ROOT / "examples" / "articles")]
    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(tmp)
        # Reuse the assembled model from the user's cache rather than assembling 1.1 GB again.
        user_models = Paths.of(load_config(None)).models
        if user_models.is_dir():
            (cache / "models").symlink_to(user_models, target_is_directory=True)
        once("first run ", sources, cache)
        calls = once("cached run", sources, cache)
        print(f"cached re-run made {calls} model calls (must be 0)")


if __name__ == "__main__":
    main(sys.argv[1:])
