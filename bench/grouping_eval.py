"""Score story grouping against human same-story judgements.

Runs exactly the grouping `briefing run` uses (`briefing.pipeline.prepare_stories`: read, clean,
language, dedupe, cluster) on a labelled set and prints precision, recall and F1 of same-story
decisions overall, within one language, across languages and per language (pair), the time and
articles per second, and the worst false merges and false splits with their scores.

Input format (the one `../shared/eval` uses; score your own labelled pairs the same way):

* ARTICLES: JSONL, one article a line: `id`, `title` (may be empty), `text`; other fields
  (`gold_language`, ...) are ignored, so the tool detects languages itself.
* PAIRS: JSONL, one judged pair a line: `id1`, `id2`, `same_story` (true/false); `lang1` and
  `lang2` are used to report by language when present (else the detected languages are used).

A pair is predicted "same" when both articles end up in one story; an article folded as a
duplicate counts as part of its kept article's story. Only labelled pairs carry information.

    python bench/grouping_eval.py                      # ../shared/eval when present
    python bench/grouping_eval.py ARTICLES PAIRS [--worst 10]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

EVAL = ROOT.parent / "shared" / "eval"
ARTICLES = EVAL / "semeval-train-articles.jsonl"
PAIRS = EVAL / "semeval-train-pairs.jsonl"


@dataclass
class Tally:
    """Confusion counts of same-story decisions."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def add(self, predicted: bool, gold: bool) -> None:
        """Count one judged pair."""
        if predicted and gold:
            self.tp += 1
        elif predicted:
            self.fp += 1
        elif gold:
            self.fn += 1
        else:
            self.tn += 1

    @property
    def pairs(self) -> int:
        """How many pairs were counted."""
        return self.tp + self.fp + self.fn + self.tn

    @property
    def precision(self) -> float:
        """Share of predicted-same pairs that are the same story (1 when none is predicted)."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        """Share of same-story pairs predicted same (1 when there are none)."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall."""
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class Scores:
    """Tallies overall, within one language, across languages and per language (pair)."""

    overall: Tally = field(default_factory=Tally)
    mono: Tally = field(default_factory=Tally)
    cross: Tally = field(default_factory=Tally)
    by_language: dict[str, Tally] = field(default_factory=dict)
    missing: int = 0  # labelled pairs with an article the run did not keep (rejected, unreadable)


def score_pairs(story_of: Mapping[str, str], pairs: Iterable[Mapping[str, Any]]) -> Scores:
    """Score same-story decisions.

    Args:
        story_of: article id -> story id (duplicates mapped to their kept article's story).
        pairs: judged pairs with `id1`, `id2`, `same_story` and optionally `lang1`, `lang2`.
    """
    scores = Scores()
    for pair in pairs:
        a, b = str(pair["id1"]), str(pair["id2"])
        if a not in story_of or b not in story_of:
            scores.missing += 1
            continue
        predicted, gold = story_of[a] == story_of[b], bool(pair["same_story"])
        languages = sorted({str(pair.get("lang1", "?")), str(pair.get("lang2", "?"))})
        key = "-".join(languages)
        scores.overall.add(predicted, gold)
        (scores.mono if len(languages) == 1 else scores.cross).add(predicted, gold)
        scores.by_language.setdefault(key, Tally()).add(predicted, gold)
    return scores


def story_map(stories: Iterable[Any]) -> dict[str, str]:
    """Article id -> story id, duplicates included (from `Prepared.stories`)."""
    mapping: dict[str, str] = {}
    for story in stories:
        for article in story.members():
            mapping[article.id] = story.id
    return mapping


def format_scores(scores: Scores) -> str:
    """The table printed by the benchmark."""
    lines = [f"{'pairs':<10}{'n':>5}{'same':>6}{'P':>8}{'R':>8}{'F1':>8}"]

    def row(name: str, tally: Tally) -> str:
        same = tally.tp + tally.fn
        return f"{name:<10}{tally.pairs:>5}{same:>6}{tally.precision:>8.3f}{tally.recall:>8.3f}{tally.f1:>8.3f}"

    lines += [row("overall", scores.overall), row("mono", scores.mono), row("cross", scores.cross)]
    lines += [row(key, tally) for key, tally in sorted(scores.by_language.items())]
    if scores.missing:
        lines.append(f"({scores.missing} labelled pairs name an article the run did not keep)")
    return "\n".join(lines)


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("articles", nargs="?", type=Path, default=ARTICLES, help="articles JSONL")
    parser.add_argument("pairs", nargs="?", type=Path, default=PAIRS, help="judged pairs JSONL")
    parser.add_argument("--worst", type=int, default=8, help="false merges and splits to show")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the grouping on the labelled set and print the figures."""
    args = _parse_args(argv)
    if not args.articles.is_file() or not args.pairs.is_file():
        print(f"no labelled set at {args.articles} / {args.pairs}: nothing to score (skipped)")
        return 0
    from briefing.cluster import Scorer, prepare
    from briefing.config import load_config
    from briefing.embed import UseEmbedder
    from briefing.pipeline import prepare_stories

    rows = _read_jsonl(args.articles)
    pairs = _read_jsonl(args.pairs)
    with tempfile.TemporaryDirectory() as tmp:
        # Only what a user's JSONL would hold: the annotators' language is not given to the tool.
        source = Path(tmp) / "articles.jsonl"
        with source.open("w", encoding="utf-8") as out:
            for row in rows:
                record = {"id": str(row["id"]), "title": row.get("title") or "", "text": row.get("text") or ""}
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
        os.environ.setdefault("BRIEFING_CACHE_DIR", str(Path(tmp) / "cache"))
        config = load_config(None)
        embedder = UseEmbedder()
        embedder.encode(["warm up"])  # model load is not grouping time
        started = time.perf_counter()
        prepared = prepare_stories([str(source)], config, embedder)
        seconds = time.perf_counter() - started
    story_of = story_map(prepared.stories)
    scores = score_pairs(story_of, pairs)
    timings = ", ".join(f"{k} {v:.1f}s" for k, v in prepared.timings.items())
    rate = len(rows) / seconds
    print(f"{len(rows)} articles -> {len(prepared.stories)} stories in {seconds:.1f} s ({rate:.0f} articles/s)")
    print(f"stages: {timings}")
    print(format_scores(scores))
    print(_worst(prepared, pairs, story_of, args.worst, Scorer, prepare, config, embedder))
    return 0


def _worst(prepared: Any, pairs: list[dict[str, Any]], story_of: Mapping[str, str], count: int, *parts: Any) -> str:
    """The highest-scored false merges and lowest-scored false splits, with their scores and titles.

    Scores are recomputed over the kept articles and their duplicates, so the names' weights can
    differ slightly from those clustering used.
    """
    scorer_class, prepare, config, embedder = parts
    articles = [a for story in prepared.stories for a in story.members()]
    index = {a.id: n for n, a in enumerate(articles)}
    score = scorer_class(prepare(articles, config.cluster, embedder), config.cluster)
    merges, splits = [], []
    for pair in pairs:
        a, b = str(pair["id1"]), str(pair["id2"])
        if a not in index or b not in index:
            continue
        same, gold = story_of[a] == story_of[b], bool(pair["same_story"])
        if same != gold:
            value = score(index[a], index[b])
            (merges if same else splits).append((value, articles[index[a]], articles[index[b]], pair))
    merges.sort(key=lambda t: -t[0])
    splits.sort(key=lambda t: t[0])

    def line(item: tuple[float, Any, Any, dict[str, Any]]) -> str:
        value, a, b, pair = item
        overall = pair.get("overall", "?")
        return f"  {value:.3f} (human {overall}) {a.language}:{a.title[:45]!r} ~ {b.language}:{b.title[:45]!r}"

    out = [f"worst false merges (pair score; human 'overall' 1 = same .. 4 = unrelated): {len(merges)}"]
    out += [line(m) for m in merges[:count]]
    out += [f"worst false splits: {len(splits)}"]
    out += [line(s) for s in splits[:count]]
    return "\n".join(out)


if __name__ == "__main__":
    raise SystemExit(main())
