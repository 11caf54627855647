"""A daily run through briefing.app, configured the way the command line configures one."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from briefing.app import RunOutcome, Send, Since, daily_run
from briefing.config import Config, load_config
from briefing.paths import Paths

DATE = "2026-11-23"


def run_day(
    sources: list[str | Path],
    out: Path,
    *,
    date: str = DATE,
    since: Since = None,
    delivery: Send | None = None,
    **sections: dict[str, Any],
) -> RunOutcome:
    """`briefing run SOURCES --out OUT --date DATE`, without the command line.

    The configuration is read as the CLI reads it (environment, ./briefing.toml) with the digest
    written to `out`; `sections` override more settings, e.g. summary={"mode": "extractive"}.
    """
    overrides: dict[str, dict[str, Any]] = {**sections, "digest": {"out_dir": out, **sections.get("digest", {})}}
    config = load_config(None, overrides)
    return daily_run([str(s) for s in sources], config, date=date, since=since, delivery=delivery)


def seed_embeddings(cache_dir: Path, embeddings: Path) -> None:
    """Start a cache folder with a copy of an embedding cache (see conftest's sample_embeddings)."""
    target = Paths.of(Config.model_validate({"paths": {"cache_dir": cache_dir}})).embeddings
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(embeddings, target)
