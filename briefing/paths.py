"""Where a run keeps its files: resolved once from the configuration, then passed around."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from briefing.config import Config, default_cache_dir


@dataclass(frozen=True)
class Paths:
    """The cache folder and what lives in it, the state file, and the prompt overrides."""

    cache: Path
    state: Path
    prompts: Path | None = None

    @classmethod
    def of(cls, config: Config, env: Mapping[str, str] | None = None) -> Paths:
        """The locations a configuration names (load_config has already filled in the cache folder;
        a Config built by hand falls back to the environment's default)."""
        cache = config.paths.cache_dir or default_cache_dir(os.environ if env is None else env)
        return cls(cache=cache, state=config.state.path or cache / "state.sqlite", prompts=config.paths.prompts_dir)

    @property
    def responses(self) -> Path:
        """The LLM response cache."""
        return self.cache / "briefing.sqlite"

    @property
    def fetch(self) -> Path:
        """The HTTP cache of fetched feeds and pages."""
        return self.cache / "fetch.sqlite"

    @property
    def embeddings(self) -> Path:
        """The cache of article embeddings."""
        return self.cache / "embeddings.sqlite"

    @property
    def models(self) -> Path:
        """Where the embedded model is assembled from its package."""
        return self.cache / "models"
