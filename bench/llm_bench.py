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

from briefing.config import load_config  # noqa: E402
from briefing.llm import make_backend  # noqa: E402
from briefing.llm.base import ChatBackend, ChatRequest, ChatResult  # noqa: E402
from briefing.llm.cache import CachedBackend  # noqa: E402
from briefing.pipeline import run  # noqa: E402
from briefing.store import Store  # noqa: E402


class Timed:
    """Wraps a backend and times each model call by kind (translation, headline, other)."""

    def __init__(self, inner: ChatBackend) -> None:
        self.inner = inner
        self.name = inner.name
        self.model = inner.model
        self.kind = str(getattr(inner, "kind", "endpoint"))
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
    config = load_config(None, {"paths": {"cache_dir": str(cache)}, "llm": {"concurrency": 1}})
    loaded = time.perf_counter()
    backend = make_backend(config)
    load_seconds = time.perf_counter() - loaded
    timed = Timed(backend)
    store = Store(cache / "briefing.sqlite")
    try:
        digest = run(sources, config, "2026-11-23", CachedBackend(timed, store), counter=backend.token_counter)  # type: ignore[attr-defined]
    finally:
        store.close()
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
        user_models = load_config(None).cache_dir() / "models"
        if user_models.is_dir():
            (cache / "models").symlink_to(user_models, target_is_directory=True)
        once("first run ", sources, cache)
        calls = once("cached run", sources, cache)
        print(f"cached re-run made {calls} model calls (must be 0)")


if __name__ == "__main__":
    main(sys.argv[1:])
