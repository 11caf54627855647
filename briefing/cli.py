"""The command line: each command parses its arguments, calls one function of briefing.app, and
turns its outcome or error into a message and an exit code."""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
from datetime import date as date_cls
from datetime import timedelta
from pathlib import Path
from typing import Any

from briefing import __version__
from briefing.app import Delivery, Send, Since, daily_run, resend, show_clusters, sources_of
from briefing.config import ALL_FORMATS, Config, load_config
from briefing.console import Console
from briefing.doctor import diagnose
from briefing.errors import BatchPending, BriefingError, ConfigError, LLMError
from briefing.prompts import Prompts

log = logging.getLogger("briefing")

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_PARTIAL = 3
EXIT_NO_ARTICLES = 4
EXIT_ALREADY_SENT = 5
EXIT_DELIVERY = 6
EXIT_BATCH_PENDING = 7
EXIT_CODES_HELP = """exit codes:
  0  digest complete (and sent, with --send)
  1  unexpected error, or another run holds the lock
  2  bad usage or configuration (the message names the setting and the fix)
  3  digest written, but some stories could not be summarized (see report.failures)
  4  no usable (or, with --since, no new) article in the sources (digest written, empty)
  5  not sent: this date's digest was already sent (use --force to send it again)
  6  digest written but not delivered: the mail server failed (retry with `briefing send`)
  7  batch mode: the batch job is not finished (no digest yet); it is recorded in the state
     file, and running the same command again (same --date) collects it without resubmitting
"""
_DURATION = re.compile(r"^(\d+)\s*([mhd])$")


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


def _since(value: str) -> str:
    if value != "last" and not _DURATION.match(value.strip().lower()):
        raise argparse.ArgumentTypeError(f"'{value}' is not a window like 24h, 90m, 2d, or 'last'")
    return value.strip().lower()


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every command."""
    parser = argparse.ArgumentParser(
        prog="briefing",
        description="Turn the day's news in many languages into one attributed English digest.",
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"briefing {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    common = _common_flags()
    _run_parser(sub, common)
    _send_parser(sub, common)
    clu = sub.add_parser(
        "cluster",
        parents=[common],
        help="show the stories the articles are grouped into (no LLM needed)",
        description="Read and group the sources into stories without summarizing them.",
    )
    clu.add_argument(
        "sources", nargs="*", metavar="SOURCE", help="article files or folders; default: input.sources from the config"
    )
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


def _common_flags() -> argparse.ArgumentParser:
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
        help="debug logs: why articles were dropped, what was flagged, calls retried",
    )
    return common


def _run_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
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
        nargs="*",
        metavar="SOURCE",
        help="article files or folders (.txt .md .html .json .jsonl), RSS/Atom feeds and OPML lists "
        "(URLs or .xml/.rss/.atom/.opml files), article page URLs; default: input.sources from the config",
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
        help="abstractive: one JSON summary call per story; extractive: pick sentences, quote English ones "
        "and translate the rest (for small local models); auto (default): extractive for the embedded model. "
        "In every mode each sentence is checked against its source (figures, names, dates, direction) and "
        "re-asked once or left out",
    )
    run.add_argument(
        "--since",
        type=_since,
        help="report only what is new: 'last' = articles no earlier digest reported; a window (24h, 90m, 2d) "
        "also drops articles published before it; stories that grew are reported again, marked as updates",
    )
    run.add_argument(
        "--batch",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="send every story's summary request as one batch job (/v1/batches: about half the price on OpenAI, "
        "answered within 24 h) and wait for it, polling every llm.batch_poll_seconds for at most "
        "llm.batch_max_wait_seconds; then exit 7, and the next run for the same date collects it without "
        "resubmitting (default: llm.batch; --no-batch asks directly)",
    )
    run.add_argument(
        "--no-wait",
        action="store_true",
        help="batch mode without waiting: submit the batch, or collect the one pending for this date if it has "
        "finished, else exit 7 at once (implies --batch)",
    )
    _delivery_flags(run)


def _send_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    snd = sub.add_parser(
        "send",
        parents=[common],
        help="send a digest already written (no LLM call), e.g. after a failed send",
        description="Email the digest in FOLDER (e.g. output/2026-11-23) to email.to.",
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    snd.add_argument("folder", type=Path, metavar="FOLDER", help="the digest's folder, holding digest.json")
    _delivery_flags(snd, send_flag=False)


def _delivery_flags(parser: argparse.ArgumentParser, send_flag: bool = True) -> None:
    if send_flag:
        parser.add_argument("--send", action="store_true", help="email the digest to email.to after writing it")
    parser.add_argument(
        "--dry-run", action="store_true", help="write the exact message to OUT/<date>/digest.eml instead of sending"
    )
    parser.add_argument("--force", action="store_true", help="send even if this date's digest was already sent")


def _setup_logging(verbose: bool, quiet: bool) -> None:
    level = logging.DEBUG if verbose else logging.ERROR if quiet else logging.WARNING
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in (
        "httpx",
        "httpcore",
        "httpx2",
        "httpcore2",
        "openai",
        "trafilatura",
        "htmldate",
        "charset_normalizer",
        "mail.log",
    ):
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
    llm: dict[str, Any] = {}
    if getattr(args, "batch", None) is not None:
        llm["batch"] = args.batch
    if getattr(args, "no_wait", False):
        llm.update(batch=True, batch_max_wait_seconds=0)
    return {"digest": digest, "summary": summary, "llm": llm}


def _window(since: str | None) -> Since:
    if since is None or since == "last":
        return since  # type: ignore[return-value]  # None or "last", as the argument parser checked
    match = _DURATION.match(since)
    assert match is not None  # checked by the argument parser
    amount, unit = int(match.group(1)), match.group(2)
    return timedelta(**{{"m": "minutes", "h": "hours", "d": "days"}[unit]: amount})


def _send(args: argparse.Namespace) -> Send | None:
    wanted = getattr(args, "send", True) or args.dry_run
    return Send(dry_run=args.dry_run, force=args.force) if wanted else None


def _delivered(delivery: Delivery | None, console: Console) -> int:
    """Say what became of the delivery; its exit code (0 when none was asked for)."""
    if delivery is None:
        return EXIT_OK
    if delivery.status == "failed":
        print(f"briefing: {delivery.message}", file=sys.stderr)
        return EXIT_DELIVERY
    if delivery.status == "already_sent":
        console.warn(delivery.message)
        return EXIT_ALREADY_SENT
    console.info(delivery.message)
    if delivery.path is not None:
        print(delivery.path)
    return EXIT_OK


def cmd_run(args: argparse.Namespace, config: Config, console: Console) -> int:
    """briefing run."""
    outcome = daily_run(
        sources_of(args.sources, config),
        config,
        date=args.date or date_cls.today().isoformat(),
        since=_window(args.since),
        delivery=_send(args),
        console=console,
    )
    report = outcome.digest.report
    console.info(
        f"digest: {len(outcome.digest.stories)} stories from {outcome.used} articles; {report.llm_calls} LLM calls, "
        f"{report.cache_hits} cached, {report.usage.prompt_tokens + report.usage.completion_tokens} tokens"
    )
    if args.verbose:
        for record in report.articles:
            for flag in record.flags:
                console.info(f"flagged {record.id}: {flag}")
    for path in outcome.written:
        print(path)
    delivered = _delivered(outcome.delivery, console)
    if outcome.status == "empty":
        console.warn("no usable (or no new) article in the sources; see the report in digest.json")
        return delivered or EXIT_NO_ARTICLES
    for failure in report.failures:
        console.warn(f"{failure.stage} failed for {failure.story_id or 'the digest'}: {failure.error}")
    return delivered or (EXIT_PARTIAL if report.failures else EXIT_OK)


def cmd_send(args: argparse.Namespace, config: Config, console: Console) -> int:
    """briefing send."""
    return _delivered(resend(args.folder, config, Send(dry_run=args.dry_run, force=args.force)), console)


def cmd_cluster(args: argparse.Namespace, config: Config, console: Console) -> int:
    """briefing cluster."""
    clusters = show_clusters(sources_of(args.sources, config), config, console)
    rejected = [r for r in clusters.records if r.status == "rejected"]
    if args.json:
        listed = [
            {
                "id": s.id,
                "article_ids": [a.id for a in s.articles],
                "languages": s.languages,
                "duplicates": {c.id: kept for kept, copies in s.duplicates.items() for c in copies},
                "score": s.score,
            }
            for s in clusters.stories
        ]
        out = {"clusters": listed, "rejected": [{"id": r.id, "reason": r.reason} for r in rejected]}
        print(json.dumps(out, ensure_ascii=False, indent=2))
        return EXIT_OK
    for number, story in enumerate(clusters.stories, start=1):
        print(f"{number}. {story.id}  [{', '.join(story.languages)}]  score {story.score}")
        for article in story.articles:
            print(f"   - {article.id} ({article.language}, {article.outlet}): {article.title[:90]}")
            for copy in story.duplicates.get(article.id, []):
                print(f"       duplicate: {copy.id} ({copy.outlet})")
    for record in rejected:
        print(f"rejected {record.id}: {record.reason}")
    return EXIT_OK


def cmd_prompts(args: argparse.Namespace, config: Config, console: Console) -> int:
    """briefing prompts."""
    for info in Prompts(config.paths.prompts_dir).templates():
        print(f"{info.name:<14} {info.origin:<12} {info.path}")
    return EXIT_OK


def cmd_doctor(args: argparse.Namespace, config: Config, console: Console) -> int:
    """briefing doctor."""
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


COMMANDS = {"run": cmd_run, "send": cmd_send, "cluster": cmd_cluster, "prompts": cmd_prompts, "doctor": cmd_doctor}


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `briefing` command; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "no_wait", False) and getattr(args, "batch", None) is False:
        parser.error("--no-wait is batch mode: give it without --no-batch")
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
    except BatchPending as exc:
        print(f"briefing: {exc}", file=sys.stderr)
        return EXIT_BATCH_PENDING
    except BriefingError as exc:
        print(f"briefing: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("briefing: interrupted; answers already received are kept in the cache", file=sys.stderr)
        return 130
