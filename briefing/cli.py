"""The command line: each command parses its arguments and calls one library function."""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
from datetime import date as date_cls
from pathlib import Path
from typing import Any

from briefing import __version__
from briefing.config import ALL_FORMATS, Config, load_config
from briefing.console import Console
from briefing.errors import BriefingError, ConfigError, LLMError

log = logging.getLogger("briefing")

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_PARTIAL = 3
EXIT_NO_ARTICLES = 4
EXIT_CODES_HELP = """exit codes:
  0  digest complete
  1  unexpected error (a bug: please report it with --verbose output)
  2  bad usage or configuration (the message names the setting and the fix)
  3  digest written, but some stories could not be summarized (see report.failures)
  4  no usable article in the sources (digest written, empty)
"""


def _formats(value: str) -> list[str]:
    formats = [f.strip().lower() for f in value.split(",") if f.strip()]
    bad = [f for f in formats if f not in ALL_FORMATS]
    if bad or not formats:
        raise argparse.ArgumentTypeError(
            f"unknown format(s) {', '.join(bad) or '(none)'}; choose from {', '.join(ALL_FORMATS)}"
        )
    return formats


def _date(value: str) -> str:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise argparse.ArgumentTypeError(f"'{value}' is not a date like 2026-11-23")
    try:
        date_cls.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{value}' is not a real calendar date") from None
    return value


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every command."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config",
        type=Path,
        help="TOML config file (default: $BRIEFING_CONFIG or ./briefing.toml)",
    )
    noise = common.add_mutually_exclusive_group()
    noise.add_argument("-q", "--quiet", action="store_true", help="no progress output, only warnings and errors")
    noise.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="debug logs: why articles were dropped, calls retried",
    )

    parser = argparse.ArgumentParser(
        prog="briefing",
        description="Turn the day's news in many languages into one attributed English digest.",
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"briefing {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    run = sub.add_parser(
        "run",
        parents=[common],
        help="make the digest of some sources",
        description="Read the sources, group articles into stories, summarize each with the LLM, "
        "and write the digest to OUT/<date>/ as digest.md, .html, .txt and .json.",
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument(
        "sources",
        nargs="+",
        metavar="SOURCE",
        help="article files or folders (.txt .md .html .json .jsonl)",
    )
    run.add_argument("--out", type=Path, help="output folder (default: output, or digest.out_dir)")
    run.add_argument("--date", type=_date, help="date of the digest, YYYY-MM-DD (default: today)")
    run.add_argument(
        "--format",
        type=_formats,
        help=f"comma-separated formats to write (default: {','.join(ALL_FORMATS)})",
    )
    run.add_argument(
        "--mode",
        choices=["auto", "abstractive", "extractive"],
        help="abstractive: one JSON summary call per story; extractive: pick and translate sentences "
        "(for small local models); auto (default): extractive for the embedded model",
    )

    clu = sub.add_parser(
        "cluster",
        parents=[common],
        help="show the stories the articles are grouped into (no LLM needed)",
        description="Read and group the sources into stories without summarizing them.",
    )
    clu.add_argument("sources", nargs="+", metavar="SOURCE", help="article files or folders")
    clu.add_argument("--json", action="store_true", help='print {"clusters": [...]} as JSON')

    sub.add_parser(
        "doctor",
        parents=[common],
        help="show which LLM, embeddings, token counter and cache a run would use, and what is missing",
        description="Check the installation and configuration without running anything expensive.",
    )
    sub.add_parser(
        "prompts",
        parents=[common],
        help="list the prompt templates in use and where each comes from",
        description="List the prompt templates; a file of the same name in paths.prompts_dir "
        "overrides the packaged one.",
    )
    return parser


def _setup_logging(verbose: bool, quiet: bool) -> None:
    level = logging.DEBUG if verbose else logging.ERROR if quiet else logging.WARNING
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("httpx", "httpcore", "openai", "trafilatura", "htmldate", "charset_normalizer"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))


def _overrides(args: argparse.Namespace) -> dict[str, dict[str, Any]]:
    digest: dict[str, Any] = {}
    if getattr(args, "out", None) is not None:
        digest["out_dir"] = args.out
    if getattr(args, "format", None):
        digest["formats"] = args.format
    summary: dict[str, Any] = {}
    if getattr(args, "mode", None):
        summary["mode"] = args.mode
    return {"digest": digest, "summary": summary}


def cmd_run(args: argparse.Namespace, config: Config, console: Console) -> int:
    """briefing run."""
    from briefing.llm import make_backend
    from briefing.llm.cache import CachedBackend
    from briefing.output import write_digest
    from briefing.pipeline import run
    from briefing.render import render_all
    from briefing.store import Store

    backend = make_backend(config, report=console.info)
    store = Store(config.cache_dir() / "briefing.sqlite")
    try:
        day = args.date or date_cls.today().isoformat()
        counter = getattr(backend, "token_counter", None)
        digest = run(args.sources, config, day, CachedBackend(backend, store), console=console, counter=counter)
    finally:
        store.close()
    paths = write_digest(render_all(digest, list(config.digest.formats)), config.digest.out_dir, digest.date)
    report = digest.report
    used = sum(1 for r in report.articles if r.status == "used")
    console.info(
        f"digest: {len(digest.stories)} stories from {used} articles; {report.llm_calls} LLM calls, "
        f"{report.cache_hits} cached, {report.usage.prompt_tokens + report.usage.completion_tokens} tokens"
    )
    for path in paths:
        print(path)
    if used == 0:
        console.warn("no usable article in the sources; see the report in digest.json")
        return EXIT_NO_ARTICLES
    if report.failures:
        for failure in report.failures:
            console.warn(f"{failure['stage']} failed for {failure['story_id'] or 'the digest'}: {failure['error']}")
        return EXIT_PARTIAL
    return EXIT_OK


def cmd_cluster(args: argparse.Namespace, config: Config, console: Console) -> int:
    """briefing cluster."""
    from briefing.pipeline import prepare_stories

    prepared = prepare_stories(args.sources, config, console=console)
    if args.json:
        clusters = [
            {
                "id": s.id,
                "article_ids": [a.id for a in s.articles],
                "languages": s.languages,
                "duplicates": {k: [c.id for c in v] for k, v in s.duplicates.items()},
                "score": s.score,
            }
            for s in prepared.stories
        ]
        rejected = [{"id": r.id, "reason": r.reason} for r in prepared.records.values() if r.status == "rejected"]
        print(json.dumps({"clusters": clusters, "rejected": rejected}, ensure_ascii=False, indent=2))
        return EXIT_OK
    for number, story in enumerate(prepared.stories, start=1):
        print(f"{number}. {story.id}  [{', '.join(story.languages)}]  score {story.score}")
        for article in story.articles:
            print(f"   - {article.id} ({article.language}, {article.outlet}): {article.title[:90]}")
            for copy in story.duplicates.get(article.id, []):
                print(f"       duplicate: {copy.id} ({copy.outlet})")
    for record in prepared.records.values():
        if record.status == "rejected":
            print(f"rejected {record.id}: {record.reason}")
    return EXIT_OK


def cmd_prompts(args: argparse.Namespace, config: Config, console: Console) -> int:
    """briefing prompts."""
    from briefing.prompts import Prompts

    for info in Prompts(config.paths.prompts_dir).templates():
        print(f"{info.name:<14} {info.origin:<12} {info.path}")
    return EXIT_OK


def cmd_doctor(args: argparse.Namespace, config: Config, console: Console) -> int:
    """briefing doctor."""
    from briefing.doctor import diagnose

    lines, missing = diagnose(config)
    for label, value in lines:
        print(f"{label + ':':<15} {value}")
    if missing:
        print("missing:")
        for item in missing:
            print(f"  - {item}")
        return EXIT_USAGE
    print("ready: briefing run SOURCES... will work")
    return EXIT_OK


COMMANDS = {"run": cmd_run, "cluster": cmd_cluster, "prompts": cmd_prompts, "doctor": cmd_doctor}


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `briefing` command; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    _setup_logging(args.verbose, args.quiet)
    console = Console(quiet=args.quiet)
    try:
        config = load_config(args.config, _overrides(args))
        return COMMANDS[args.command](args, config, console)
    except ConfigError as exc:
        print(f"briefing: configuration error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except LLMError as exc:
        print(f"briefing: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BriefingError as exc:
        print(f"briefing: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("briefing: interrupted; answers already received are kept in the cache", file=sys.stderr)
        return 130
