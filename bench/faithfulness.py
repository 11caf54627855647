"""Faithfulness benchmark: run the real pipeline with the embedded model, then score the digest.

Input set: the bundled sample (examples/articles) plus, when ../shared/eval/semeval-train-articles.jsonl
exists, a fixed selection of real articles from it: ids sorted, the first K of each of de, es, fr,
pl, tr, ar and en (K = --per-language, default 4; `--skip N` takes the K after the first N, a slice
no setting was chosen on). The selection is written as JSONL to a temporary
folder outside the repository (the eval text belongs to its publishers and never enters the repo);
the annotators' language is not passed to the tool.

The pipeline runs the way a user runs it (`python -m briefing run ... --mode extractive -q`) with a
fresh, empty response cache so no answer is replayed from an earlier run; the model file is taken
from the usual model cache so it is not re-assembled. `--code DIR` runs the pipeline of another
checkout (a git worktree of an older commit) while scoring with this file's scorer.

Everything is computed from digest.json and the input articles, so digests of older versions score
too (without stored originals a sentence is compared with the full text of its cited articles):

* sentences, translated (have an `original`) and quoted from English;
* % agreeing with their source per briefing.factcheck (numbers, names, weekdays/months, units,
  untranslated words, commentary), and problems per kind; a sentence is compared with its stored
  original, else with the full text of each cited article (then what the English merely leaves out
  of the article is not a problem);
* % English (briefing.language.detect);
* stories with an article that no sentence cites;
* the run report's sentence checks, LLM calls, seconds per story and in all.

A version that gates its own translations with the same checker agrees ~100% by construction: read
that figure next to the sentences it dropped (run checks) and a bilingual reading of the digest; the
checker sees figures, names and dates, not a changed verb, tense or subject.

    python bench/faithfulness.py                       # run the current checkout, print the figures
    python bench/faithfulness.py --code /tmp/before    # run an older checkout's pipeline
    python bench/faithfulness.py --baseline /tmp/before  # run it first, then this one: ratios of the two
    python bench/faithfulness.py --keep /tmp/faith     # keep the digest (outside the repository)
    python bench/faithfulness.py --digest /tmp/faith/2026-11-24/digest.json   # score only, no run
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DATE = "2026-11-24"
SAMPLE = ROOT / "examples" / "articles"
EVAL_FILE = ROOT.parent / "shared" / "eval" / "semeval-train-articles.jsonl"
EVAL_LANGUAGES = ("de", "es", "fr", "pl", "tr", "ar", "en")
MODEL_FILE = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
# How the run's report says a translation was left out for the model's low confidence.
UNSURE = "the model was unsure of its translation"
# A sentence agrees with its source when one cited source shows none of these.
COUNTED_KINDS = ("number", "name", "calendar", "unit", "untranslated", "commentary")
# Reported, but not part of the agreement figure.
OTHER_KINDS = ("direction", "negation")
OK_EXIT_CODES = (0, 3)  # 3: digest written, some stories unavailable (reported in the figures)


class _Problem(Protocol):
    @property
    def kind(self) -> str: ...


Checker = Callable[[str, str, str | None], Sequence[_Problem]]
Detector = Callable[[str], str]


def load_checker() -> Checker | None:
    """briefing.factcheck.check_sentence, or None when this version of briefing has no checker."""
    try:
        from briefing.factcheck import check_sentence
    except ImportError:
        return None
    return check_sentence


def load_detector() -> Detector | None:
    """The language code briefing.language.detect gives a text, or None when it is unavailable."""
    try:
        from briefing.language import detect
    except ImportError:
        return None
    return lambda text: detect(text)[0]


# Input set ---------------------------------------------------------------------------------------


def _id_key(record: Mapping[str, Any]) -> tuple[int, str]:
    ident = str(record["id"])
    return (len(ident), ident)  # numeric order for the digit ids, stable for any other


def select_eval(rows: Iterable[Mapping[str, Any]], per_language: int, skip: int = 0) -> list[dict[str, str]]:
    """The fixed selection: ids sorted, the first `per_language` of each language in EVAL_LANGUAGES
    after the first `skip` (another slice: articles no setting was chosen on).

    Only id, title and text are kept: the annotators' language must not reach the tool.
    """
    chosen: list[dict[str, str]] = []
    ordered = sorted(rows, key=_id_key)
    for language in EVAL_LANGUAGES:
        picked = [r for r in ordered if r.get("gold_language") == language][skip : skip + per_language]
        chosen += [{"id": str(r["id"]), "title": str(r.get("title") or ""), "text": str(r["text"])} for r in picked]
    return chosen


def read_eval(path: Path = EVAL_FILE) -> list[dict[str, Any]] | None:
    """Every record of the eval file, or None when it is not on this machine."""
    if not path.is_file():
        return None
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def read_article_texts(paths: Iterable[Path]) -> dict[str, str]:
    """Article id -> title and body, read with briefing's own file reader (the ids the run gives)."""
    from briefing.config import InputConfig
    from briefing.models import Article
    from briefing.sources.files import SUFFIXES, FileReader

    reader, limits = FileReader(), InputConfig()
    texts: dict[str, str] = {}
    for path in paths:
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            if file.suffix.lower() not in SUFFIXES or file.name.startswith("."):
                continue
            for item in reader.read_file(file, limits):
                if isinstance(item, Article):
                    texts[item.id] = f"{item.title}\n{item.text}".strip()
    return texts


def inside_repository(path: Path) -> bool:
    """Whether a path lies inside this repository (eval text must never be written there)."""
    return path.resolve().is_relative_to(ROOT)


# Running the pipeline ----------------------------------------------------------------------------


def default_model_path(env: Mapping[str, str]) -> Path | None:
    """The assembled embedded model in the usual model cache, if it is there."""
    if env.get("BRIEFING_LLM_MODEL_PATH"):
        return Path(env["BRIEFING_LLM_MODEL_PATH"])
    base = Path(env["BRIEFING_CACHE_DIR"]) if env.get("BRIEFING_CACHE_DIR") else None
    if base is None:
        base = Path(env.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "briefing"
    model = base / "models" / MODEL_FILE
    return model if model.is_file() else None


def run_command(sources: Sequence[Path], out: Path) -> list[str]:
    """The command line of one run, as a user would type it."""
    return [
        sys.executable, "-m", "briefing", "run", *map(str, sources),
        "--out", str(out), "--date", DATE, "--mode", "extractive", "-q",
    ]  # fmt: skip


def run_pipeline(sources: Sequence[Path], out: Path, code: Path, workdir: Path) -> float:
    """Run `briefing run` from the checkout `code` with an empty response cache; returns wall seconds.

    The working directory is `workdir`, not the repository: `python -m` puts the working directory
    first on sys.path, which would shadow `code`, and a briefing.toml there would be read.
    """
    env = dict(os.environ)
    model = default_model_path(env)
    env.pop("BRIEFING_CONFIG", None)
    env["PYTHONPATH"] = os.pathsep.join([str(code), *filter(None, [env.get("PYTHONPATH")])])
    env["BRIEFING_CACHE_DIR"] = str(workdir / "cache")  # response cache and state: empty
    env["BRIEFING_LLM_BACKEND"] = "local"
    if model is not None:
        env["BRIEFING_LLM_MODEL_PATH"] = str(model)
    command = run_command(sources, out)
    print(f"running: PYTHONPATH={code} BRIEFING_CACHE_DIR={workdir / 'cache'} {' '.join(command)}", flush=True)
    start = time.perf_counter()
    finished = subprocess.run(command, cwd=workdir, env=env, check=False)
    seconds = time.perf_counter() - start
    if finished.returncode not in OK_EXIT_CODES:
        raise SystemExit(f"briefing run failed with exit code {finished.returncode}")
    return seconds


# Scoring -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SentenceScore:
    """One digest sentence, judged against its source."""

    story: str
    text: str
    language: str  # of the source it came from
    translated: bool
    agrees: bool | None  # None: no checker, or no source text to compare with
    kinds: frozenset[str]  # problem kinds no cited source clears
    english: bool | None
    problems: tuple[str, ...]  # the messages against the closest source


@dataclass
class DigestScore:
    """Figures of one digest."""

    sentences: list[SentenceScore]
    stories: int
    unavailable: int
    uncited_stories: int
    uncited_articles: int
    originals_stored: bool
    check_available: bool
    checks: dict[str, int] | None
    llm_calls: int | None
    cache_hits: int | None
    summarize_seconds: float | None
    total_seconds: float | None
    unsure: int = 0  # translations the run left out because the model was unsure of them

    def seconds_per_story(self) -> float | None:
        """The report's summarize time divided by the stories summarized."""
        if self.summarize_seconds is None or not self.stories:
            return None
        return self.summarize_seconds / self.stories

    def languages(self) -> list[str]:
        """Source languages of the sentences, most sentences first."""
        counts: dict[str, int] = {}
        for s in self.sentences:
            counts[s.language] = counts.get(s.language, 0) + 1
        return sorted(counts, key=lambda lang: (-counts[lang], lang))


@dataclass(frozen=True)
class Figures:
    """Counts over a set of sentences."""

    sentences: int
    translated: int
    scored: int
    agree: int
    detected: int
    english: int
    kinds: dict[str, int]

    @classmethod
    def of(cls, sentences: Sequence[SentenceScore]) -> Figures:
        """Count a set of sentences."""
        kinds = {k: sum(k in s.kinds for s in sentences) for k in (*COUNTED_KINDS, *OTHER_KINDS)}
        return cls(
            sentences=len(sentences),
            translated=sum(s.translated for s in sentences),
            scored=sum(s.agrees is not None for s in sentences),
            agree=sum(s.agrees is True for s in sentences),
            detected=sum(s.english is not None for s in sentences),
            english=sum(s.english is True for s in sentences),
            kinds=kinds,
        )

    @property
    def agree_pct(self) -> float | None:
        """% of the scored sentences that agree with their source."""
        return 100 * self.agree / self.scored if self.scored else None

    @property
    def english_pct(self) -> float | None:
        """% of the sentences detected as English."""
        return 100 * self.english / self.detected if self.detected else None


def _sentence_language(sentence: Mapping[str, Any], languages: Mapping[str, str]) -> str:
    original = sentence.get("original")
    cited = [languages[c] for c in sentence.get("citations", []) if c in languages]
    if isinstance(original, Mapping) and original.get("language"):
        return str(original["language"])
    if isinstance(original, Mapping) or not cited:
        return cited[0] if cited else "und"
    # Quoted or folded: English when any cited article is English (the quoted one).
    return "en" if "en" in cited else cited[0]


def _compare(
    sentence: Mapping[str, Any],
    texts: Mapping[str, str],
    languages: Mapping[str, str],
    checker: Checker | None,
) -> tuple[bool | None, frozenset[str], tuple[str, ...]]:
    """Agreement, the kinds no source clears, and the problems against the closest source."""
    if checker is None:
        return None, frozenset(), ()
    english = str(sentence["text"])
    original = sentence.get("original")
    sources: list[tuple[str, str | None]] = []
    if isinstance(original, Mapping) and original.get("text"):
        sources = [(str(original["text"]), original.get("language"))]
    whole_articles = not sources
    if whole_articles:
        cited = [c for c in sentence.get("citations", []) if texts.get(c)]
        sources = [(texts[c], languages.get(c)) for c in cited]
    if not sources:
        return None, frozenset(), ()
    results = [list(checker(english, text, language)) for text, language in sources]
    if whole_articles:
        # One sentence leaves out most of what an article says ("not", "next year" elsewhere in it):
        # against a whole article only what the English adds or changes counts.
        results = [[p for p in problems if not getattr(p, "omission", False)] for problems in results]
    kind_sets = [{p.kind for p in problems} for problems in results]
    agrees = any(not kinds & set(COUNTED_KINDS) for kinds in kind_sets)
    shared = frozenset.intersection(*(frozenset(k) for k in kind_sets))
    closest = min(results, key=lambda problems: sum(p.kind in COUNTED_KINDS for p in problems))
    return agrees, shared, tuple(f"{p.kind}: {p}" for p in closest)


def score_digest(
    digest: Mapping[str, Any],
    texts: Mapping[str, str],
    checker: Checker | None,
    detector: Detector | None,
) -> DigestScore:
    """Score a digest.json document.

    Args:
        digest: the parsed digest.json.
        texts: article id -> title and body of every input article.
        checker: briefing.factcheck.check_sentence (None: agreement is not measured).
        detector: text -> language code (None: % English is not measured).

    Returns:
        The digest's figures; every story sentence is scored, the overview is not.
    """
    scored: list[SentenceScore] = []
    stories = unavailable = uncited_stories = uncited_articles = 0
    originals_stored = any("original" in s for item in digest.get("stories", []) for s in item.get("sentences", []))
    for item in digest.get("stories", []):
        stories += 1
        if item.get("status") != "ok":
            unavailable += 1
            continue
        sources = item.get("sources", [])
        languages = {str(s["article_id"]): str(s.get("language") or "und") for s in sources}
        cited: set[str] = set()
        for sentence in item.get("sentences", []):
            cited.update(sentence.get("citations", []))
            language = _sentence_language(sentence, languages)
            original = sentence.get("original")
            translated = original is not None if originals_stored else language != "en"
            agrees, kinds, problems = _compare(sentence, texts, languages, checker)
            english = None if detector is None else detector(str(sentence["text"])) == "en"
            scored.append(
                SentenceScore(
                    str(item["id"]), str(sentence["text"]), language, translated, agrees, kinds, english, problems
                )
            )
        uncited = [str(s["article_id"]) for s in sources if not s.get("duplicate_of") and s["article_id"] not in cited]
        uncited_stories += bool(uncited)
        uncited_articles += len(uncited)
    report = digest.get("report") or {}
    llm = report.get("llm") or {}
    timings = report.get("timings") or {}
    checks = report.get("checks")
    # Drops are told in the check warnings of stories that were written, and in the failure of a
    # story every sentence of which was dropped.
    notes = [str(w.get("note", "")) for w in report.get("warnings") or [] if w.get("stage") == "check"]
    notes += [str(f.get("error", "")) for f in report.get("failures") or [] if f.get("stage") == "summarize"]
    return DigestScore(
        sentences=scored,
        stories=stories,
        unavailable=unavailable,
        uncited_stories=uncited_stories,
        uncited_articles=uncited_articles,
        originals_stored=originals_stored,
        check_available=checker is not None,
        checks=dict(checks) if isinstance(checks, Mapping) else None,
        llm_calls=llm.get("calls"),
        cache_hits=llm.get("cache_hits"),
        summarize_seconds=timings.get("summarize"),
        total_seconds=timings.get("total"),
        unsure=sum(note.count(UNSURE) for note in notes),
    )


# Printing ----------------------------------------------------------------------------------------


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}%"


def _seconds(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f} s"


def format_score(score: DigestScore, wall_seconds: float | None = None) -> str:
    """The figures as a compact text table."""
    total = Figures.of(score.sentences)
    quoted = total.sentences - total.translated
    inferred = "" if score.originals_stored else " (inferred from the cited article's language: no originals stored)"
    lines = [
        f"stories {score.stories} ({score.unavailable} unavailable); {score.uncited_stories} with an uncited "
        f"article ({score.uncited_articles} article(s) no sentence cites)",
        f"sentences {total.sentences}: {total.translated} translated, {quoted} quoted from English{inferred}",
    ]
    if score.check_available:
        kinds = ", ".join(f"{k} {total.kinds[k]}" for k in COUNTED_KINDS)
        other = ", ".join(f"{k} {total.kinds[k]}" for k in OTHER_KINDS)
        lines.append(
            f"agree with their source: {_pct(total.agree_pct)} ({total.agree}/{total.scored}); "
            f"problems: {kinds} (not counted: {other})"
        )
    else:
        lines.append("agree with their source: unavailable (briefing.factcheck cannot be imported here)")
    lines.append(f"English: {_pct(total.english_pct)} ({total.english}/{total.detected})")
    if score.checks:
        unsure = f" ({score.unsure} of the dropped: the model was unsure)" if score.unsure else ""
        lines.append("run checks: " + ", ".join(f"{k} {v}" for k, v in score.checks.items()) + unsure)
    else:
        lines.append("run checks: none in the report")
    timing = (
        f"LLM calls {score.llm_calls} ({score.cache_hits} cached); summarize {_seconds(score.summarize_seconds)}"
        f" = {_seconds(score.seconds_per_story())}/story; total {_seconds(score.total_seconds)}"
    )
    if wall_seconds is not None:
        timing += f" (wall {wall_seconds:.1f} s)"
    lines += [timing, ""]
    header = f"{'lang':<5} {'sent':>5} {'transl':>6} {'agree':>7} {'English':>8}  " + " ".join(
        f"{k[:6]:>6}" for k in (*COUNTED_KINDS, *OTHER_KINDS)
    )
    lines.append(header)
    for language in [*score.languages(), "all"]:
        chosen = score.sentences if language == "all" else [s for s in score.sentences if s.language == language]
        f = Figures.of(chosen)
        lines.append(
            f"{language:<5} {f.sentences:>5} {f.translated:>6} {_pct(f.agree_pct):>7} {_pct(f.english_pct):>8}  "
            + " ".join(f"{f.kinds[k]:>6}" for k in (*COUNTED_KINDS, *OTHER_KINDS))
        )
    return "\n".join(lines)


def format_ratio(baseline: DigestScore, current: DigestScore) -> str:
    """This run's speed against the baseline's, measured in the same invocation: per story (the
    bench's figure), per story summarized (stories left unavailable cost little), and model calls."""

    def per_summarized(score: DigestScore) -> float | None:
        done = score.stories - score.unavailable
        return score.summarize_seconds / done if score.summarize_seconds is not None and done else None

    lines = ["against the baseline (same inputs, same invocation):"]
    for label, before, after in (
        ("seconds per story", baseline.seconds_per_story(), current.seconds_per_story()),
        ("seconds per story summarized", per_summarized(baseline), per_summarized(current)),
        ("LLM calls", baseline.llm_calls, current.llm_calls),
    ):
        if before is None or after is None or not before:
            lines.append(f"  {label}: n/a")
        else:
            shown = ".0f" if label == "LLM calls" else ".1f"
            lines.append(f"  {label}: {after:{shown}} against {before:{shown}} (x{after / before:.2f})")
    lines.append(f"  stories unavailable: {current.unavailable} against {baseline.unavailable}")
    return "\n".join(lines)


def format_problems(score: DigestScore) -> str:
    """Every sentence that disagrees with its source, with the problems found."""
    lines = []
    for s in score.sentences:
        if s.agrees is False or s.kinds:
            lines.append(f"[{s.language}] {s.text}")
            lines += [f"    - {p}" for p in s.problems]
    return "\n".join(lines) or "(none)"


# Command line ------------------------------------------------------------------------------------


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "sources", nargs="*", type=Path, help="inputs instead of the default set (sample + eval selection)"
    )
    parser.add_argument("--per-language", type=int, default=4, metavar="K", help="eval articles per language")
    parser.add_argument("--skip", type=int, default=0, metavar="N", help="skip the first N of each language")
    parser.add_argument("--keep", type=Path, metavar="DIR", help="write the digest here (outside the repository)")
    parser.add_argument("--digest", type=Path, metavar="PATH", help="score this digest.json (or its folder); no run")
    parser.add_argument("--code", type=Path, default=ROOT, metavar="DIR", help="checkout whose pipeline runs")
    parser.add_argument(
        "--baseline", type=Path, metavar="DIR", help="an older checkout run first on the same inputs; prints ratios"
    )
    parser.add_argument("--problems", action="store_true", help="list the sentences that disagree with their source")
    args = parser.parse_args(argv)
    if args.per_language < 0 or args.skip < 0:
        parser.error("--per-language and --skip must be 0 or more")
    if args.baseline is not None and args.digest is not None:
        parser.error("--baseline runs two pipelines; --digest runs none")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run (or only score) and print the figures."""
    args = _parse_args(argv)
    eval_rows = read_eval() if not args.sources else None
    if not args.sources and eval_rows is None:
        print(f"eval articles not found ({EVAL_FILE}): scoring the bundled sample only")
    with tempfile.TemporaryDirectory(prefix="briefing-faithfulness-") as tmp:
        workdir = Path(tmp)
        sources = list(args.sources) or [SAMPLE]
        texts = read_article_texts(sources)
        if eval_rows is not None:
            selection = select_eval(eval_rows, args.per_language, args.skip)
            if args.digest is None:
                inputs = workdir / "eval-selection.jsonl"
                inputs.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in selection), "utf-8")
                sources.append(inputs)
                last = args.skip + args.per_language
                which = f"numbers {args.skip + 1}-{last}" if args.skip else f"the first {last}"
                print(f"eval selection: {len(selection)} articles ({which} by id of each language)")
            # A digest given to score may come from another K: look every eval article up.
            texts.update({str(r["id"]): f"{r.get('title') or ''}\n{r['text']}".strip() for r in eval_rows})
        checker = load_checker()
        if checker is None:
            print("fact check unavailable: briefing.factcheck cannot be imported (agreement not measured)")
        detector = load_detector()
        baseline: DigestScore | None = None
        if args.baseline is not None:
            base = workdir / "baseline"
            base.mkdir()
            base_wall = run_pipeline(sources, base / "output", args.baseline.resolve(), base)
            baseline = score_digest(
                json.loads((base / "output" / DATE / "digest.json").read_text("utf-8")), texts, checker, detector
            )
            print(f"\nbaseline: {args.baseline}")
            print(format_score(baseline, base_wall))
        wall: float | None = None
        if args.digest is not None:
            digest_path = args.digest / "digest.json" if args.digest.is_dir() else args.digest
        else:
            out = args.keep or workdir / "output"
            if eval_rows is not None and inside_repository(out):
                raise SystemExit(f"--keep {out} is inside the repository: the digest quotes eval articles")
            wall = run_pipeline(sources, out.resolve(), args.code.resolve(), workdir)
            digest_path = out / DATE / "digest.json"
        digest = json.loads(digest_path.read_text("utf-8"))
        score = score_digest(digest, texts, checker, detector)
        print(f"\ndigest: {digest_path}")
        print(format_score(score, wall))
        if baseline is not None:
            print(format_ratio(baseline, score))
        if args.problems:
            print("\nsentences that disagree with their source:")
            print(format_problems(score))
    return 0


if __name__ == "__main__":
    sys.exit(main())
